import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  requireKafkaBrokers,
  ServiceProcess,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import { auditRequestIds, ledgerCounts, TEST_MASTER_KEY } from '../helpers/pipe';

/** SLUICE_GATEWAY_WORKERS: one port, several gateway processes, every usage event delivered. */
describe('gateway workers (Node cluster)', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let ledger: ServiceProcess | null = null;
  let gateway: ServiceProcess | null = null;

  before(async () => {
    db = await createTestDatabase('gw_workers');
  });
  after(async () => {
    await gateway?.kill('SIGKILL');
    await ledger?.kill('SIGKILL');
    await db?.drop();
  });

  it('runs the workers on one port and drains all of them on SIGTERM', async () => {
    const topic = uniqueTopic('workers-usage');
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
      SLUICE_GATEWAY_PORT: '0',
    };
    ledger = await ServiceProcess.start('ledger', env);
    gateway = await ServiceProcess.start('gateway', { ...env, SLUICE_GATEWAY_WORKERS: '2' });
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(gateway.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '');
    assert.equal(children.length, 2, 'two worker processes');

    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 15; i++) {
          const res = await fetch(`${gateway!.url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${TEST_MASTER_KEY}`,
              'content-type': 'application/json',
              connection: 'close',
            },
            body: JSON.stringify({ model: 'loopback', messages: [{ role: 'user', content: `n${i}` }] }),
          });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
          ids.push(res.headers.get('x-request-id')!);
        }
      }),
    );
    assert.equal(await gateway.stop(), 0, 'the primary stops cleanly once its workers drained');
    gateway = null;
    const counts = await waitFor(
      'all 150 events in the ledger',
      () => ledgerCounts(db.url),
      (c) => c.audit >= 150,
      { timeoutMs: 60_000 },
    );
    assert.equal(counts.audit, 150);
    const stored = new Set(await auditRequestIds(db.url));
    assert.deepEqual(
      ids.filter((id) => !stored.has(id)),
      [],
    );
  });
});
