import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaTransport, type EventEnvelope } from '@sluice/events';
import {
  createTestDatabase,
  requireKafkaBrokers,
  ServiceProcess,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import { auditRequestIds, ledgerCounts, TEST_MASTER_KEY, usageEvent } from '../helpers/pipe';

/**
 * Issue 2, pipe test 1: 2,000 usage events published to Kafka while the ledger consumer is killed
 * (SIGKILL, no goodbye to the group) and restarted twice. Some events are published twice, as a
 * producer retry would. The ledger must end with exactly 2,000: no duplicate, no gap.
 */
describe('ledger consumer killed and restarted while events flow', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  let producer: KafkaTransport;
  let ledger: ServiceProcess | null = null;
  const topic = uniqueTopic('usage-restarts');
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase('pipe_restarts');
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
      SLUICE_KAFKA_PARTITIONS: '3',
    };
    producer = new KafkaTransport({
      brokers: requireKafkaBrokers(),
      clientId: 'test-producer',
      partitions: 3,
    });
  });

  after(async () => {
    await ledger?.kill('SIGKILL');
    await producer?.close();
    await db?.drop();
  });

  it('ends with exactly 2,000 events and audit rows', async () => {
    const total = 2_000;
    const events: EventEnvelope[] = Array.from({ length: total }, (_, i) => usageEvent(i));
    ledger = await ServiceProcess.start('ledger', env);

    const killsAt = new Set([600, 1_300]);
    const batch = 50;
    for (let sent = 0; sent < total; sent += batch) {
      const slice = events.slice(sent, sent + batch);
      await producer.publish(topic, slice);
      // A producer retry after a lost ack: the same events again.
      if (sent % 500 === 0) await producer.publish(topic, slice.slice(0, 10));
      if (killsAt.has(sent)) {
        const code: number | null = await ledger.kill('SIGKILL');
        assert.equal(code, null, 'the ledger was killed by the signal, not stopped');
        ledger = await ServiceProcess.start('ledger', env);
      }
    }

    const counts = await waitFor(
      'the ledger to hold all 2,000 events',
      () => ledgerCounts(db.url),
      (c) => c.audit >= total && c.events >= total,
      {
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );
    assert.equal(counts.events, total, 'event store: exactly one row per event');
    assert.equal(counts.audit, total, 'request_audit: exactly one row per request');
    assert.equal(counts.distinctAudit, total);
    assert.equal(counts.rejected, 0);
    const ids = new Set(await auditRequestIds(db.url));
    const missing = events
      .map((e) => (e.data as { requestId: string }).requestId)
      .filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], 'no gap');
  });
});
