import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessTransport, makeEnvelope, type DeliveredEvent, type EventEnvelope } from '@sluice/events';

const ev = (subject: string, n: number): EventEnvelope =>
  makeEnvelope({ type: 'test.happened.v1', subject, producer: 'test', data: { n } });

describe('in-process transport', () => {
  it('resolves publish only after the expected group applied the batch', async () => {
    const t = new InProcessTransport({ topic: ['ledger'] });
    const applied: number[] = [];
    await t.subscribe({
      groupId: 'ledger',
      topic: 'topic',
      handler: async (batch) => {
        await new Promise((r) => setTimeout(r, 10));
        applied.push(...batch.map((d) => (d.envelope!.data as { n: number }).n));
      },
    });
    await t.publish('topic', [ev('a', 1), ev('a', 2)]);
    assert.deepEqual(applied, [1, 2]);
  });

  it('keeps publish order across concurrent publishes (per-key order)', async () => {
    const t = new InProcessTransport({ topic: ['g'] });
    const seen: number[] = [];
    await t.subscribe({
      groupId: 'g',
      topic: 'topic',
      handler: async (batch: DeliveredEvent[]) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        seen.push(...batch.map((d) => (d.envelope!.data as { n: number }).n));
      },
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.publish('topic', [ev('a', i)])));
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('rejects publish when the handler fails, so the producer keeps the events, and goes on after', async () => {
    const t = new InProcessTransport({ topic: ['g'] });
    let fail = true;
    const seen: number[] = [];
    await t.subscribe({
      groupId: 'g',
      topic: 'topic',
      handler: async (batch) => {
        if (fail) throw new Error('database down');
        seen.push(...batch.map((d) => (d.envelope!.data as { n: number }).n));
      },
    });
    await assert.rejects(t.publish('topic', [ev('a', 1)]), /database down/);
    fail = false;
    await t.publish('topic', [ev('a', 1)]);
    assert.deepEqual(seen, [1]);
  });

  it('waits for a group that has not subscribed yet, and times out if it never does', async () => {
    const t = new InProcessTransport({ topic: ['late'] }, 200);
    const seen: number[] = [];
    const publishing = t.publish('topic', [ev('a', 7)]);
    setTimeout(() => {
      void t.subscribe({
        groupId: 'late',
        topic: 'topic',
        handler: async (b) => void seen.push(...b.map((d) => (d.envelope!.data as { n: number }).n)),
      });
    }, 20);
    await publishing;
    assert.deepEqual(seen, [7]);
    const lonely = new InProcessTransport({ topic: ['nobody'] }, 50);
    await assert.rejects(lonely.publish('topic', [ev('a', 1)]), /not subscribed/);
  });
});
