import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { migrate, openDatabase } from '@sluice/database';
import { IdentityRepository } from '@sluice/identity';
import {
  createTestDatabase,
  requireKafkaBrokers,
  ServiceProcess,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';

const MIGRATIONS = join(__dirname, '../../migrations');

type GqlResult<T> = Awaited<ReturnType<typeof graphql<T>>>;
type Balance = { account: string; balanceNanoUsd: string };
type Audit = { id: string; team: string } | null;
type UsageRow = { team: string | null; requests: number };

const REQUEST = `query ($id: ID!) { request(id: $id) { id team } }`;
const BALANCES = `query ($team: String, $account: String) { balances(team: $team, account: $account) { account balanceNanoUsd } }`;
const TRANSFERS = `query ($team: String) { transfers(team: $team, first: 100) { items { debitAccount creditAccount } } }`;
const USAGE = `query ($from: DateTime!, $to: DateTime!, $team: String) { usage(from: $from, to: $to, groupBy: [TEAM], team: $team) { team requests } }`;
const TOP_UP = `mutation ($team: String!, $key: String!) { topUp(team: $team, amountUsd: "5", idempotencyKey: $key) { eventId } }`;
const PRICES = `{ prices { model } }`;

async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

async function admin<T>(gatewayUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gatewayUrl}/api/v1/admin${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_MASTER_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function chat(gatewayUrl: string, key: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'loopback', messages: [{ role: 'user', content: 'hello' }] }),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  return res.headers.get('x-request-id')!;
}

/** A 127.0.0.1 port nothing listens on: a broker that is down, as the gateway sees it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const code = (r: GqlResult<unknown>): string | undefined => r.errors?.[0]?.extensions?.code;

/**
 * Issue 6, item 6: team API keys on the ledger's GraphQL, through identity events. A gateway and a
 * ledger as their own processes on real Postgres and Kafka: keys created through the gateway's admin
 * REST reach the ledger (and keys created before identity events existed, by the start-up backfill);
 * a team key reads only its own team and no mutation; a revocation stops it; a key created while the
 * gateway cannot reach the broker arrives once it can.
 */
describe('team API keys on the ledger', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  let ledger: ServiceProcess | null = null;
  let gateway: ServiceProcess | null = null;
  let env: Record<string, string>;
  let legacyKey: string;
  const team = { a: { id: '', key: '', keyId: '' }, b: { id: '', key: '', keyId: '' } };
  const gql = <T>(key: string, query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(ledger!.url, key, query, variables);

  before(async () => {
    db = await createTestDatabase('ledger_keys');
    const topic = uniqueTopic('usage-keys');
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
      SLUICE_GATEWAY_PORT: '0',
      SLUICE_KAFKA_PARTITIONS: '3',
    };
    // A key made before identity events existed: straight into the gateway's tables, no event.
    const pre = await openDatabase({ url: db.url, applicationName: 'test-legacy-key' });
    try {
      await migrate(pre, MIGRATIONS, 'gateway');
      const repo = new IdentityRepository(pre);
      const legacyTeam = await repo.createTeam('legacy team');
      legacyKey = (await repo.createKey(legacyTeam.id, 'old key')).key;
    } finally {
      await pre.close();
    }
    ledger = await ServiceProcess.start('ledger', env);
    gateway = await ServiceProcess.start('gateway', env);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await ledger?.kill('SIGKILL');
    await db?.drop();
  });

  it('backfills keys that existed before: the legacy key reaches the ledger', async () => {
    const r = await waitFor(
      'the legacy key on the ledger',
      () => gql<{ balances: Balance[] }>(legacyKey, BALANCES),
      (x) => x.data !== null,
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(r.errors, undefined);
  });

  it('creates teams and keys through the admin REST; a team key reads its own team only', async () => {
    for (const [name, t] of Object.entries(team)) {
      const created = await admin<{ id: string }>(gateway!.url, 'POST', '/teams', { name: `team ${name}` });
      const key = await admin<{ id: string; key: string }>(
        gateway!.url,
        'POST',
        `/teams/${created.id}/keys`,
        {
          name: 'ci',
        },
      );
      Object.assign(t, { id: created.id, key: key.key, keyId: key.id });
    }
    const reqA = await chat(gateway!.url, team.a.key);
    const reqB = await chat(gateway!.url, team.b.key);
    await admin(gateway!.url, 'GET', '/keys');
    // Credit for team A, so it has a balance to read.
    const topUp = await gql<unknown>(TEST_MASTER_KEY, TOP_UP, { team: team.a.id, key: 'keys-test-1' });
    assert.deepEqual(topUp.errors, undefined);

    await waitFor(
      'request A in the audit, readable with key A',
      () => gql<{ request: Audit }>(team.a.key, REQUEST, { id: reqA }),
      (x) => x.data?.request?.id === reqA,
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'request B in the audit (admin key)',
      () => gql<{ request: Audit }>(TEST_MASTER_KEY, REQUEST, { id: reqB }),
      (x) => x.data?.request?.team === team.b.id,
      { timeoutMs: 60_000 },
    );
    const ownRequest = await gql<{ request: Audit }>(team.a.key, REQUEST, { id: reqA });
    assert.equal(ownRequest.data?.request?.team, team.a.id);
    const otherRequest = await gql<{ request: Audit }>(team.a.key, REQUEST, { id: reqB });
    assert.deepEqual(otherRequest, { data: { request: null } }, "another team's request looks unknown");

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const usage = await gql<{ usage: UsageRow[] }>(team.a.key, USAGE, { from, to });
    assert.deepEqual(usage.data?.usage, [{ team: team.a.id, requests: 1 }], 'only its own team, unasked');
    assert.equal(code(await gql(team.a.key, USAGE, { from, to, team: team.b.id })), 'FORBIDDEN');
    const adminUsage = await gql<{ usage: UsageRow[] }>(TEST_MASTER_KEY, USAGE, { from, to });
    assert.ok((adminUsage.data?.usage.length ?? 0) >= 2, 'the admin key sees every team');

    const balances = await waitFor(
      'team A credit on the ledger',
      () => gql<{ balances: Balance[] }>(team.a.key, BALANCES),
      (x) => x.data?.balances.some((b) => b.account === `team:${team.a.id}`) === true,
    );
    assert.ok(
      balances.data!.balances.every((b) => b.account.endsWith(`:${team.a.id}`)),
      JSON.stringify(balances.data),
    );
    const transfers = await gql<{
      transfers: { items: Array<{ debitAccount: string; creditAccount: string }> };
    }>(team.a.key, TRANSFERS);
    assert.ok((transfers.data?.transfers.items.length ?? 0) > 0);
    for (const t of transfers.data!.transfers.items)
      assert.ok([t.debitAccount, t.creditAccount].includes(`team:${team.a.id}`), JSON.stringify(t));

    assert.equal(code(await gql(team.a.key, BALANCES, { team: team.b.id })), 'FORBIDDEN');
    assert.equal(code(await gql(team.a.key, BALANCES, { account: `team:${team.b.id}` })), 'FORBIDDEN');
    assert.equal(code(await gql(team.a.key, BALANCES, { account: 'platform:revenue' })), 'FORBIDDEN');
    assert.equal(code(await gql(team.a.key, TRANSFERS, { team: team.b.id })), 'FORBIDDEN');
  });

  it('keeps mutations and platform-wide reads admin-only', async () => {
    const own = await gql(team.a.key, TOP_UP, { team: team.a.id, key: 'keys-test-2' });
    assert.equal(code(own), 'FORBIDDEN', JSON.stringify(own));
    assert.equal(code(await gql(team.a.key, PRICES)), 'FORBIDDEN');
    assert.equal(code(await gql('tok_notAKeyAnyoneIssued0123456789', BALANCES)), 'UNAUTHENTICATED');
  });

  it('stops a revoked key on the ledger', async () => {
    const revokedAt = Date.now();
    await admin(gateway!.url, 'DELETE', `/keys/${team.a.keyId}`);
    await waitFor(
      'key A refused by the ledger',
      () => gql(team.a.key, BALANCES),
      (x) => code(x) === 'UNAUTHENTICATED',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // The figure the README states (delivery + cache); reported, not a pass/fail threshold.
    console.log(`revocation took effect on the ledger after ${Date.now() - revokedAt} ms`);
    const b = await gql<{ balances: Balance[] }>(team.b.key, BALANCES);
    assert.equal(b.errors, undefined, 'the other team key still works');
  });

  it('delivers a key created while the broker was unreachable once it is back', async () => {
    assert.equal(await gateway!.stop(), 0);
    gateway = await ServiceProcess.start('gateway', {
      ...env,
      KAFKA_BROKERS: `127.0.0.1:${await deadPort()}`,
      SLUICE_SHUTDOWN_DRAIN_MS: '1000',
    });
    const created = await admin<{ id: string }>(gateway.url, 'POST', '/teams', { name: 'team offline' });
    const key = await admin<{ id: string; key: string }>(
      gateway.url,
      'POST',
      `/teams/${created.id}/keys`,
      {},
    );
    const waiting = await sql<{ n: string }>(
      db.url,
      'SELECT count(*)::text AS n FROM gateway.identity_outbox',
    );
    assert.equal(waiting[0]?.n, '2', 'team.created and api_key.issued wait in the outbox');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /^sluice_gateway_identity_backlog 2$/m, 'the backlog is reported');
    const early = await gql(key.key, BALANCES);
    assert.equal(code(early), 'UNAUTHENTICATED', 'not on the ledger yet');

    // Killed while its relay retries: the next gateway takes the rows once the claim (30 s) lapses.
    await gateway.kill('SIGKILL');
    gateway = await ServiceProcess.start('gateway', env);
    await waitFor(
      'the offline key on the ledger',
      () => gql(key.key, BALANCES),
      (x) => x.data !== null,
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'the identity outbox to drain',
      () => sql<{ n: string }>(db.url, 'SELECT count(*)::text AS n FROM gateway.identity_outbox'),
      (rows) => rows[0]?.n === '0',
    );
  });

  it('announces each fact once: a restart backfills nothing, the ledger applied every event once', async () => {
    const count = async (table: string): Promise<number> =>
      Number((await sql<{ n: string }>(db.url, `SELECT count(*)::text AS n FROM ${table}`))[0]?.n);
    const announced = await count('gateway.identity_announcements');
    assert.equal(await gateway!.stop(), 0);
    gateway = await ServiceProcess.start('gateway', env);
    assert.equal(await count('gateway.identity_announcements'), announced);
    assert.equal(await count('gateway.identity_outbox'), 0);
    await waitFor(
      'every announced event applied on the ledger',
      () => count('ledger.identity_inbox'),
      (n) => n === announced,
    );
    // default + legacy + a + b + offline teams; legacy, a, b, offline keys; a's revocation.
    assert.equal(announced, 5 + 4 + 1);
    const keys = await sql<{ key_id: string; revoked: boolean }>(
      db.url,
      'SELECT key_id, revoked_at IS NOT NULL AS revoked FROM ledger.api_keys ORDER BY key_id',
    );
    assert.equal(keys.length, 4);
    assert.deepEqual(
      keys.filter((k) => k.revoked).map((k) => k.key_id),
      [team.a.keyId],
    );
  });
});
