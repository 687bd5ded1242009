import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { KafkaTransport } from '@sluice/events';
import {
  createTestDatabase,
  requireKafkaBrokers,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import type { LedgerServer } from '../../apps/ledger/src/ledger.server';
import { ProjectionThreadService } from '../../apps/ledger/src/projections/projection-thread.service';
import { startTestLedger } from '../helpers/gateway-harness';
import { expectedChargeNanoUsd, pricedUsageEvent, usageMix } from './helpers';

type Progress = { booked: number; audited: number; chained: number; total: number; teamDebits: string };

async function progress(c: Client, team: string): Promise<Progress> {
  const { rows } = await c.query<{
    booked: string;
    audited: string;
    chained: string;
    total: string;
    team_debits: string | null;
  }>(
    `SELECT (SELECT count(*) FROM ledger.accounting_inbox WHERE type = 'usage.recorded.v1')::text AS booked,
            (SELECT count(*) FROM ledger.request_audit)::text AS audited,
            (SELECT coalesce(sum(event_count), 0) FROM ledger.event_chain_blocks)::text AS chained,
            (SELECT count(*) FROM ledger.events)::text AS total,
            (SELECT debits_posted::text FROM ledger.accounts WHERE id = $1) AS team_debits`,
    [`team:${team}`],
  );
  const r = rows[0]!;
  return {
    booked: Number(r.booked),
    audited: Number(r.audited),
    chained: Number(r.chained),
    total: Number(r.total),
    teamDebits: r.team_debits ?? '0',
  };
}

/**
 * The projections in worker threads (SLUICE_PROJECTION_THREADS, the default in distributed mode): usage
 * published to Kafka is booked, audited and chained by the threads' own connections, to the nano-dollar; a
 * thread that dies is started again and carries on from its checkpoint, nothing lost or counted twice.
 */
describe('ledger projections in worker threads', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let ledger: LedgerServer;
  let producer: KafkaTransport;
  let c: Client;
  const topic = uniqueTopic('projection-thread');
  const team = 'team-threads';
  let expected = 0n;
  let published = 0;

  async function publish(n: number): Promise<void> {
    const events = Array.from({ length: n }, (_, k) => {
      const i = published + k;
      const m = usageMix(i);
      expected += expectedChargeNanoUsd(m.provider, m.model, m.tokens);
      return pricedUsageEvent(i, team, m.provider, m.model, m.tokens);
    });
    published += n;
    await producer.publish(topic, events);
  }

  async function caughtUp(): Promise<Progress> {
    return waitFor(
      'every event booked, audited and chained',
      () => progress(c, team),
      (p) => p.booked === published && p.audited === published && p.chained === p.total,
      { timeoutMs: 90_000 },
    );
  }

  before(async () => {
    db = await createTestDatabase('projection_thread');
    producer = new KafkaTransport({ brokers: requireKafkaBrokers(), clientId: 'projection-thread-test' });
    ledger = await startTestLedger(db.url, topic, { SLUICE_PROJECTION_THREADS: '2' });
    c = new Client({ connectionString: db.url });
    await c.connect();
  });

  after(async () => {
    await c?.end();
    await ledger?.stop();
    await producer?.close();
    await db?.drop();
  });

  it('books, audits and chains in the threads, not on the main thread', async () => {
    const threads = ledger.app.get(ProjectionThreadService).status();
    assert.deepEqual(
      threads.map((t) => t.runners),
      [['accounting'], ['readModels', 'chain']],
    );
    assert.ok(threads.every((t) => t.threadId !== null && t.restarts === 0));
    await publish(600);
    const p = await caughtUp();
    assert.equal(p.teamDebits, expected.toString());
    // The checkpoints were written by the threads' pools (the main thread's own pool is `sluice-ledger`).
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'sluice-ledger-projections'`,
    );
    assert.ok(Number(rows[0]!.n) >= 2, `projection thread connections: ${rows[0]!.n}`);
  });

  it('a thread that dies is started again and carries on from its checkpoint', async () => {
    const service = ledger.app.get(ProjectionThreadService);
    const before = service.status()[0]!.threadId;
    await service.terminate(0); // the books' thread
    await publish(400);
    await waitFor(
      'the books thread started again',
      () => Promise.resolve(service.status()[0]!),
      (t) => t.threadId !== null && t.threadId !== before && t.restarts === 1,
    );
    const p = await caughtUp();
    assert.equal(p.teamDebits, expected.toString(), 'nothing lost or booked twice');
    const { rows } = await c.query<{ dp: string; cp: string }>(
      `SELECT debits_posted::text AS dp, credits_posted::text AS cp FROM ledger.ledger_totals`,
    );
    assert.equal(rows[0]!.dp, rows[0]!.cp);
  });
});
