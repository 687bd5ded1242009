import { startGatewayServer, type GatewayServer } from '@sluice/apps/gateway';
import { startLedgerServer, type LedgerServer } from '@sluice/apps/ledger';
import {
  createTestDatabase,
  MockUpstream,
  requireKafkaBrokers,
  uniqueTopic,
  type TestDatabase,
} from '@sluice/testing';
import { TEST_MASTER_KEY } from './pipe';

export type Json = Record<string, unknown>;

/** A POST as a client sends it (master key, JSON); the body is parsed when it is JSON. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // a stream
  }
  return { status: res.status, json, text };
}

/**
 * Distributed gateways on the real Postgres and Kafka, every provider pointed at one scripted mock;
 * each test file starts the gateways it needs with its own settings, all stopped by `close`.
 */
export class GatewayHarness {
  private readonly servers: GatewayServer[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly mock: MockUpstream,
    private readonly base: Record<string, string>,
  ) {}

  static async start(name: string): Promise<GatewayHarness> {
    const db = await createTestDatabase(name);
    const mock = await MockUpstream.start();
    return new GatewayHarness(db, mock, {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_GATEWAY_PORT: '0',
      SLUICE_USAGE_TOPIC: uniqueTopic(`${name}-usage`),
      SLUICE_LOG_LEVEL: 'silent',
      SLUICE_OPENAI_BASE_URL: `${mock.url}/v1`,
      SLUICE_ANTHROPIC_BASE_URL: mock.url,
      SLUICE_GEMINI_BASE_URL: mock.url,
    });
  }

  async gateway(extra: Record<string, string> = {}): Promise<GatewayServer> {
    const gw = await startGatewayServer({ ...this.base, ...extra });
    this.servers.push(gw);
    return gw;
  }

  async close(): Promise<void> {
    for (const s of this.servers) await s.stop();
    await this.mock.close();
    await this.db.drop();
  }
}

/** A team and an API key of it, made through the gateway's admin REST with the master key. */
export async function createTeamWithKey(
  gatewayUrl: string,
  name: string,
): Promise<{ id: string; key: string; keyId: string }> {
  const team = await adminPost<{ id: string }>(gatewayUrl, '/api/v1/admin/teams', { name });
  const key = await createKey(gatewayUrl, team.id, `${name}-key`);
  return { id: team.id, key: key.key, keyId: key.id };
}

/** Another API key of a team. */
export async function createKey(
  gatewayUrl: string,
  teamId: string,
  name: string,
): Promise<{ id: string; key: string }> {
  return adminPost<{ id: string; key: string }>(gatewayUrl, `/api/v1/admin/teams/${teamId}/keys`, { name });
}

async function adminPost<T>(gatewayUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The ledger in this process on the real Postgres and Kafka, consuming `topic` with its own group, the
 * admin key of the tests, a free port, no logs; `extra` overrides or adds settings.
 */
export async function startTestLedger(
  databaseUrl: string,
  topic: string,
  extra: Record<string, string> = {},
): Promise<LedgerServer> {
  return startLedgerServer({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireKafkaBrokers().join(','),
    SLUICE_MASTER_KEY: TEST_MASTER_KEY,
    SLUICE_LEDGER_PORT: '0',
    SLUICE_USAGE_TOPIC: topic,
    SLUICE_LEDGER_GROUP: `${topic}-ledger`,
    SLUICE_LOG_LEVEL: 'silent',
    ...extra,
  });
}
