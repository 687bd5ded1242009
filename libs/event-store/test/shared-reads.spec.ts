import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqlExecutor } from '@sluice/database';
import { EventStore, SharedReads, START, type Checkpoint, type StoredEvent } from '@sluice/event-store';

/** A store over an in-memory global order (two events per transaction), counting its reads. */
class MemoryStore extends EventStore {
  reads = 0;
  failNext = false;
  readonly log: StoredEvent[] = Array.from({ length: 20 }, (_, i) => ({
    eventId: `e${i}`,
    type: 'x.v1',
    subject: 's',
    occurredAt: '2026-11-27T12:00:00.000Z',
    producer: 'p',
    correlationId: null,
    data: { i },
    position: String(i + 1),
    txId: String(100 + Math.floor(i / 2)),
    streamId: 's',
    streamVersion: i + 1,
    recordedAt: '2026-11-27T12:00:00.000Z',
  }));
  constructor() {
    super('ledger');
  }
  override async readAll(_db: SqlExecutor, from: Checkpoint, limit: number): Promise<StoredEvent[]> {
    this.reads += 1;
    await new Promise((r) => setImmediate(r));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('read failed');
    }
    const after = (e: StoredEvent): boolean =>
      BigInt(e.txId) > BigInt(from.txId) ||
      (e.txId === from.txId && BigInt(e.position) > BigInt(from.position));
    return this.log.filter(after).slice(0, limit);
  }
}

const db: SqlExecutor = { query: () => Promise.reject(new Error('not used')) };
const end = (events: StoredEvent[]): Checkpoint => ({
  txId: events[events.length - 1]!.txId,
  position: events[events.length - 1]!.position,
});

describe('SharedReads', () => {
  it('hands the batch read from a checkpoint to every consumer starting there, and reads again elsewhere', async () => {
    const store = new MemoryStore();
    const shared = new SharedReads(store);
    shared.register('x');
    shared.register('y');
    const x1 = await shared.read(db, 'x', START, 3);
    assert.deepEqual(
      x1.map((e) => e.eventId),
      ['e0', 'e1', 'e2'],
    );
    const y1 = await shared.read(db, 'y', START, 3);
    assert.equal(y1, x1, 'the same batch, not read again');
    assert.equal(store.reads, 1);
    // The batch ends inside transaction 101: the next one starts at the same transaction, another position.
    const x2 = await shared.read(db, 'x', end(x1), 3);
    assert.deepEqual(
      x2.map((e) => e.eventId),
      ['e3', 'e4', 'e5'],
    );
    const mid = { txId: '101', position: '3' };
    const y2 = await shared.read(db, 'y', { txId: '101', position: '4' }, 3);
    assert.deepEqual(
      y2.map((e) => e.eventId),
      ['e4', 'e5', 'e6'],
      'another position of the same transaction is another batch',
    );
    assert.deepEqual(mid, end(x1));
    assert.equal(store.reads, 3);
  });

  it('keeps a batch for a consumer that reads it again (a rolled-back batch), drops it once all moved on', async () => {
    const store = new MemoryStore();
    const shared = new SharedReads(store);
    shared.register('x');
    shared.register('y');
    const x1 = await shared.read(db, 'x', START, 4);
    assert.equal(await shared.read(db, 'x', START, 4), x1);
    await shared.read(db, 'y', START, 4);
    assert.equal(store.reads, 1);
    assert.equal(shared.size, 1);
    await shared.read(db, 'x', end(x1), 4);
    assert.equal(shared.size, 2, 'y may still read from the start again');
    await shared.read(db, 'y', end(x1), 4);
    assert.equal(shared.size, 1, 'both moved past the first batch');
    assert.equal(store.reads, 2);
  });

  it('shares a read in flight, and a consumer reads alone when that read fails', async () => {
    const store = new MemoryStore();
    const shared = new SharedReads(store);
    shared.register('x');
    shared.register('y');
    const [a, b] = await Promise.all([shared.read(db, 'x', START, 5), shared.read(db, 'y', START, 5)]);
    assert.equal(a, b);
    assert.equal(store.reads, 1);
    const from = end(a);
    store.failNext = true;
    const [fx, fy] = await Promise.allSettled([shared.read(db, 'x', from, 5), shared.read(db, 'y', from, 5)]);
    assert.equal(fx.status, 'rejected');
    assert.equal(fy.status, 'fulfilled');
    assert.deepEqual(fy.status === 'fulfilled' ? fy.value.map((e) => e.eventId) : [], [
      'e5',
      'e6',
      'e7',
      'e8',
      'e9',
    ]);
  });

  it('holds at most maxEvents (oldest first out), and nothing when empty or alone', async () => {
    const store = new MemoryStore();
    const shared = new SharedReads(store, 6);
    shared.register('x');
    shared.register('stalled');
    let from = START;
    for (let i = 0; i < 4; i++) from = end(await shared.read(db, 'x', from, 3));
    assert.equal(shared.size, 2);
    const lone = new SharedReads(store);
    lone.register('x');
    await lone.read(db, 'x', START, 3);
    assert.equal(lone.size, 0);
    const empty = await shared.read(db, 'x', { txId: '999', position: '999' }, 3);
    assert.equal(empty.length, 0);
    assert.equal(shared.size, 2);
  });
});
