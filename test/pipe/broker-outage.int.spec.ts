import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import {
  createTestDatabase,
  KafkaBroker,
  ServiceProcess,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import { auditRequestIds, ledgerCounts, TEST_MASTER_KEY } from '../helpers/pipe';

async function chat(gatewayUrl: string, text: string): Promise<{ status: number; requestId: string }> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'loopback', messages: [{ role: 'user', content: text }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, requestId: res.headers.get('x-request-id') ?? '' };
}

async function serve(gatewayUrl: string, n: number, concurrency = 20): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await chat(gatewayUrl, `request ${i}`);
        assert.equal(r.status, 200, `request ${i} was served`);
        ids.push(r.requestId);
      }
    }),
  );
  return ids;
}

async function metric(gatewayUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function outboxRows(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number(
      (await c.query<{ n: string }>('SELECT count(*)::text AS n FROM gateway.usage_outbox')).rows[0]?.n,
    );
  } finally {
    await c.end();
  }
}

/**
 * Issue 2, pipe test 2 and the README's delivery guarantee: Kafka goes away while the gateway
 * serves; the gateway keeps answering, keeps the events in its outbox and reports the backlog; the
 * gateway is even killed with SIGKILL meanwhile; once the broker is back, every event reaches the
 * ledger exactly once. Then SIGTERM: events still in memory are written out and drained on the way
 * down.
 */
describe('usage events survive a broker outage and gateway crashes', { timeout: 400_000 }, () => {
  let db: TestDatabase;
  let broker: KafkaBroker;
  let ledger: ServiceProcess | null = null;
  let gateway: ServiceProcess | null = null;
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase('pipe_outage');
    broker = await KafkaBroker.start();
    const topic = uniqueTopic('usage-outage');
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
      SLUICE_GATEWAY_PORT: '0',
      SLUICE_KAFKA_PARTITIONS: '3',
    };
    ledger = await ServiceProcess.start('ledger', env);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await ledger?.kill('SIGKILL');
    await broker?.stop();
    await db?.drop();
  });

  it('keeps serving with Kafka down, and delivers all 500 events after a kill -9 and the broker coming back', async () => {
    gateway = await ServiceProcess.start('gateway', env);
    const warmup = await serve(gateway.url, 1);
    await waitFor(
      'the warm-up event in the ledger',
      () => ledgerCounts(db.url),
      (c) => c.audit === 1,
      { timeoutMs: 60_000 },
    );

    await broker.stop();
    const ids = await serve(gateway.url, 500);
    assert.equal(new Set(ids).size, 500, 'every response carried its own x-request-id');

    // Everything is written to the outbox (nothing only in memory), the backlog metric shows it.
    await waitFor(
      'the events to be in the outbox',
      () => outboxRows(db.url),
      (n) => n === 500,
      { timeoutMs: 30_000 },
    );
    const g = gateway;
    await waitFor(
      'the backlog metric',
      () => metric(g.url, 'sluice_gateway_usage_backlog'),
      (n) => n === 500,
      { timeoutMs: 15_000 },
    );
    await waitFor(
      'the transport to be reported down',
      () => metric(g.url, 'sluice_gateway_event_transport_up'),
      (n) => n === 0,
      { timeoutMs: 30_000 },
    );
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as { status: string };
    assert.equal(ready.status, 'ready', 'the gateway stays ready: it serves while Kafka is down');
    assert.equal((await ledgerCounts(db.url)).audit, 1, 'nothing reached the ledger while Kafka was down');

    assert.equal(await gateway.kill('SIGKILL'), null);
    await broker.restart();
    gateway = await ServiceProcess.start('gateway', env);

    const counts = await waitFor(
      'all 501 events in the ledger',
      () => ledgerCounts(db.url),
      (c) => c.audit >= 501,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    assert.equal(counts.audit, 501);
    assert.equal(counts.events, 501);
    const stored = new Set(await auditRequestIds(db.url));
    assert.deepEqual(
      [...warmup, ...ids].filter((id) => !stored.has(id)),
      [],
      'every request id is in the audit',
    );
    await waitFor(
      'the outbox to drain',
      () => outboxRows(db.url),
      (n) => n === 0,
    );
  });

  it('on SIGTERM writes out the events still in memory and drains them', async () => {
    await gateway?.kill('SIGKILL');
    // A flush interval far beyond the test: events stay in memory until the shutdown writes them.
    gateway = await ServiceProcess.start('gateway', {
      ...env,
      SLUICE_USAGE_FLUSH_MS: '600000',
      SLUICE_USAGE_BATCH_SIZE: '100000',
    });
    const before = (await ledgerCounts(db.url)).audit;
    const ids = await serve(gateway.url, 200);
    assert.equal(await metric(gateway.url, 'sluice_gateway_usage_buffered'), 200, 'all 200 still in memory');
    assert.equal(await gateway.stop(), 0, 'clean exit');
    gateway = null;
    const counts = await waitFor(
      'the 200 events in the ledger',
      () => ledgerCounts(db.url),
      (c) => c.audit >= before + 200,
      { timeoutMs: 60_000 },
    );
    assert.equal(counts.audit, before + 200);
    const stored = new Set(await auditRequestIds(db.url));
    assert.deepEqual(
      ids.filter((id) => !stored.has(id)),
      [],
    );
  });
});
