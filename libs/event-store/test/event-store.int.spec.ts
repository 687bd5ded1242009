import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate, openDatabase, type Db, type SqlExecutor } from '@sluice/database';
import {
  EventStore,
  ProjectionRunner,
  SharedReads,
  WrongExpectedVersionError,
  type Checkpoint,
  type NewEvent,
  type StoredEvent,
} from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';

const MIGRATIONS = resolve(__dirname, '../../../migrations');

function newEvent(type = 'test.happened.v1', data: unknown = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    subject: 'payer',
    occurredAt: new Date().toISOString(),
    producer: 'test',
    correlationId: null,
    data,
  };
}

/** Records every event it is given, to compare with what was appended. */
class RecordingProjector {
  constructor(
    readonly name = 'recording',
    readonly types?: readonly string[],
    /** Throws on these calls of apply (1-based), after recording nothing: a batch that rolls back. */
    private readonly failOn: ReadonlySet<number> = new Set(),
  ) {}
  private calls = 0;
  readonly seen: string[] = [];
  readonly order: Array<[bigint, bigint]> = [];
  async apply(_tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    this.calls += 1;
    if (this.failOn.has(this.calls)) throw new Error(`planted failure ${this.calls}`);
    if (this.types)
      assert.ok(
        events.every((e) => this.types!.includes(e.type)),
        'only its own types',
      );
    for (const e of events) {
      this.seen.push(e.eventId);
      this.order.push([BigInt(e.txId), BigInt(e.position)]);
    }
  }
}

describe('event store on Postgres', { timeout: 180_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  const store = new EventStore('ledger');

  before(async () => {
    tdb = await createTestDatabase('event_store');
    db = await openDatabase({ url: tdb.url, applicationName: 'test', poolSize: 12 });
    await migrate(db, MIGRATIONS, 'ledger');
  });

  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('appends with optimistic concurrency per stream', async () => {
    const stream = `s-${randomUUID()}`;
    await db.transaction((tx) => store.append(tx, stream, [newEvent(), newEvent()], 'no_stream'));
    await assert.rejects(
      db.transaction((tx) => store.append(tx, stream, [newEvent()], 1)),
      (err: unknown) => err instanceof WrongExpectedVersionError,
    );
    await db.transaction((tx) => store.append(tx, stream, [newEvent()], 2));
    const events = await store.readStream(db, stream);
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      [1, 2, 3],
    );
  });

  it('stores an event id once, however often it is appended', async () => {
    const stream = `s-${randomUUID()}`;
    const e = newEvent();
    const first = await db.transaction((tx) => store.append(tx, stream, [e, e]));
    const second = await db.transaction((tx) => store.append(tx, stream, [e]));
    assert.deepEqual(first, [e.eventId]);
    assert.deepEqual(second, []);
    assert.equal((await store.readStream(db, stream)).length, 1);
  });

  it('appends to many streams in one call: versions continue each stream, order kept, duplicates skipped', async () => {
    const a = `many-a-${randomUUID()}`;
    const b = `many-b-${randomUUID()}`;
    await db.transaction((tx) => store.append(tx, a, [newEvent()]));
    const [e1, e2, e3, e4] = [newEvent(), newEvent(), newEvent(), newEvent()];
    const first = await db.transaction((tx) =>
      store.appendMany(tx, [
        { ...e1, streamId: b },
        { ...e2, streamId: a },
        { ...e1, streamId: b },
        { ...e3, streamId: b },
        { ...e4, streamId: a },
      ]),
    );
    assert.deepEqual(first, [e1.eventId, e2.eventId, e3.eventId, e4.eventId]);
    const again = await db.transaction((tx) =>
      store.appendMany(tx, [
        { ...e2, streamId: a },
        { ...e3, streamId: b },
      ]),
    );
    assert.deepEqual(again, []);
    assert.deepEqual(
      (await store.readStream(db, a)).map((e) => e.streamVersion),
      [1, 2, 3],
    );
    const bs = await store.readStream(db, b);
    assert.deepEqual(
      bs.map((e) => [e.eventId, e.streamVersion]),
      [
        [e1.eventId, 1],
        [e3.eventId, 2],
      ],
    );
    const positions = (await store.readStream(db, a)).slice(1).map((e) => BigInt(e.position));
    assert.ok(
      BigInt(bs[0]!.position) < positions[0]! && positions[0]! < BigInt(bs[1]!.position),
      'global order as given',
    );
  });

  it('refuses UPDATE, DELETE and TRUNCATE of events (append-only in the database)', async () => {
    await assert.rejects(db.query(`UPDATE ledger.events SET type = 'x'`), /append-only/);
    await assert.rejects(db.query(`DELETE FROM ledger.events`), /append-only/);
    // Tables that reference events (budget alert deliveries) make a plain TRUNCATE fail even earlier; with
    // CASCADE it reaches the events table's own trigger.
    await assert.rejects(db.query(`TRUNCATE ledger.events`), /append-only|referenced in a foreign key/);
    await assert.rejects(db.query(`TRUNCATE ledger.events CASCADE`), /append-only/);
  });

  it('a projector reading while several writers append sees every event exactly once', async () => {
    const projector = new RecordingProjector();
    // Start after what the other tests wrote.
    const errors: unknown[] = [];
    const runner = new ProjectionRunner(db, store, 'ledger', projector, {
      batchSize: 37,
      idleMs: 5,
      onError: (e) => errors.push(e),
    });
    await runner.catchUp();
    projector.seen.length = 0;
    runner.start();

    const writers = 8;
    const perWriter = 60;
    const appended: string[] = [];
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const events = [newEvent(), newEvent()];
          await db.transaction(async (tx) => {
            await store.append(tx, `writer-${w}-${i % 3}`, events);
            // Hold some transactions open after taking their positions, so that commits land out
            // of position order: the case a reader ordered by position alone would skip.
            if ((w + i) % 4 === 0) await tx.query('SELECT pg_sleep(0.02)');
          });
          appended.push(...events.map((e) => e.eventId));
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    // Readers see only events older than the oldest transaction running anywhere in the cluster, and other
    // test files share it: catch up until every event written here was seen (or give up after a while).
    const mine = new Set(appended);
    for (
      let tries = 0;
      tries < 500 && projector.seen.filter((id) => mine.has(id)).length < mine.size;
      tries++
    ) {
      await runner.catchUp();
      await new Promise((r) => setTimeout(r, 20));
    }

    assert.deepEqual(errors.map(String), []);
    assert.equal(appended.length, writers * perWriter * 2);
    assert.equal(new Set(projector.seen).size, projector.seen.length, 'no event seen twice');
    const sorted = projector.order.every(([t, p], i) => {
      const prev = projector.order[i - 1];
      return !prev || prev[0] < t || (prev[0] === t && prev[1] < p);
    });
    assert.ok(sorted, 'delivered in (transaction, position) order');
    // Earlier tests' events may show up here too when another file's transaction held the reader back.
    assert.deepEqual(
      projector.seen.filter((id) => mine.has(id)).sort(),
      [...appended].sort(),
      'every appended event seen',
    );
  });

  it('runners sharing their reads see exactly what they would alone, each event once and in order', async () => {
    /** Counts the events the store returns, to show that the runners do share their reads. */
    class CountingStore extends EventStore {
      returned = 0;
      override async readAll(
        db2: SqlExecutor,
        from: Checkpoint,
        limit: number,
        types?: readonly string[],
      ): Promise<StoredEvent[]> {
        const events = await super.readAll(db2, from, limit, types);
        this.returned += events.length;
        return events;
      }
    }
    const counting = new CountingStore('ledger');
    const shared = new SharedReads(counting);
    const all = new RecordingProjector('shared_all');
    const a = new RecordingProjector('shared_a', ['test.a.v1'], new Set([2, 5]));
    const b = new RecordingProjector('shared_b', ['test.b.v1', 'test.a.v1']);
    const errors: unknown[] = [];
    const runners = [all, a, b].map(
      (p) =>
        new ProjectionRunner(db, counting, 'ledger', p, {
          batchSize: 25,
          idleMs: 5,
          shared,
          onError: (e) => errors.push(e),
        }),
    );
    // Start after what the other tests wrote (each runner has its own checkpoint).
    for (const r of runners) await r.catchUp().catch(() => r.catchUp());
    for (const p of [all, a, b]) {
      p.seen.length = 0;
      p.order.length = 0;
    }
    counting.returned = 0;
    runners.forEach((r) => r.start());
    const types = ['test.a.v1', 'test.b.v1', 'test.c.v1'];
    const appended: StoredEvent['eventId'][] = [];
    const typeOf = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 40; i++) {
          const events = [newEvent(types[(w + i) % 3]), newEvent(types[i % 3])];
          await db.transaction(async (tx) => {
            await store.append(tx, `shared-${w}-${i % 3}`, events);
            if ((w + i) % 5 === 0) await tx.query('SELECT pg_sleep(0.01)');
          });
          for (const e of events) {
            appended.push(e.eventId);
            typeOf.set(e.eventId, e.type);
          }
          runners.forEach((r) => r.wake());
        }
      }),
    );
    const mine = new Set(appended);
    const expected = (want?: readonly string[]): string[] =>
      appended.filter((id) => !want || want.includes(typeOf.get(id)!)).sort();
    for (let tries = 0; tries < 500; tries++) {
      const done = [all, a, b].every(
        (p) => p.seen.filter((id) => mine.has(id)).length === expected(p.types).length,
      );
      if (done) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(runners.map((r) => r.stop()));
    for (const r of runners) await r.catchUp();

    // The planted failures of `a` were retried; nothing else failed.
    assert.deepEqual(errors.map(String), ['Error: planted failure 2', 'Error: planted failure 5']);
    for (const p of [all, a, b]) {
      assert.equal(new Set(p.seen).size, p.seen.length, `${p.name}: no event seen twice`);
      const sorted = p.order.every(([t, q], i) => {
        const prev = p.order[i - 1];
        return !prev || prev[0] < t || (prev[0] === t && prev[1] < q);
      });
      assert.ok(sorted, `${p.name}: in (transaction, position) order`);
      assert.deepEqual(
        p.seen.filter((id) => mine.has(id)).sort(),
        expected(p.types),
        `${p.name}: every event`,
      );
    }
    // Alone, the three would have read every event, a third and two thirds of them again: twice in all.
    // Shared, once (a little more when a read races a commit and a runner reads alone once).
    assert.ok(
      counting.returned < 1.5 * appended.length,
      `${counting.returned} events read for ${appended.length} appended`,
    );
    assert.equal(shared.size <= runners.length * 2, true, `batches still held: ${shared.size}`);
  });

  it('position order alone would have skipped events: commits did land out of order', async () => {
    // The guard above matters only if commits really interleave; check they did in this database.
    const rows = await db.query<{ inversions: string }>(
      `SELECT count(*)::text AS inversions FROM (
         SELECT tx_id, lag(tx_id) OVER (ORDER BY position) AS prev FROM ledger.events
       ) t WHERE prev IS NOT NULL AND tx_id < prev`,
    );
    assert.ok(Number(rows[0]?.inversions) > 0, 'some later positions belong to earlier transactions');
  });
});
