import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from '@sluice/database';
import { makeEnvelope, type EventEnvelope } from '../src/envelope';
import { Outbox } from '../src/outbox';
import type { EventTransport, TextRecord } from '../src/transport';

type Row = { seq: number; payload: EventEnvelope; claimedBy: string | null };

/** The outbox table in memory, behind the statements the outbox sends (matched by their verbs). */
function fakeDb() {
  const rows: Row[] = [];
  let seq = 0;
  const statements: string[] = [];
  const db = {
    async query(sql: string, params: unknown[] = []): Promise<unknown[]> {
      await Promise.resolve();
      const verb = sql.trim().split(/\s+/, 1)[0]!;
      statements.push(verb);
      if (sql.startsWith('SELECT count(*)')) return [{ n: String(rows.length) }];
      // A plain INSERT, or the claimed one (WITH ins AS (INSERT ...) SELECT string_agg of the seqs).
      if (verb === 'INSERT' || (verb === 'WITH' && sql.includes('INSERT INTO'))) {
        const events = JSON.parse(params[0] as string) as EventEnvelope[];
        const claimedBy = sql.includes('claimed_by') ? (params[2] as string) : null;
        const added = events.map((payload) => ({ seq: ++seq, payload, claimedBy }));
        rows.push(...added);
        return verb === 'WITH' ? [{ seqs: added.map((r) => r.seq).join(',') || null }] : [];
      }
      if (verb === 'UPDATE' && sql.includes('claimed_until = NULL')) {
        const seqs = new Set((params[0] as string[]).map(Number));
        for (const r of rows) if (seqs.has(r.seq)) r.claimedBy = null;
        return [];
      }
      if (verb === 'UPDATE') {
        const claimed = rows.filter((r) => r.claimedBy === null).slice(0, params[0] as number);
        for (const r of claimed) r.claimedBy = params[1] as string;
        return claimed.map((r) => ({ seq: String(r.seq), payload: r.payload }));
      }
      if (verb === 'DELETE') {
        const seqs = new Set((params[0] as string[]).map(Number));
        for (let i = rows.length - 1; i >= 0; i--) if (seqs.has(rows[i]!.seq)) rows.splice(i, 1);
        return [];
      }
      return [];
    },
  };
  return { db: db as unknown as Db, rows, statements };
}

function fakeTransport(opts: { failFirst?: number } = {}) {
  const sends: string[][] = [];
  /** The JSON texts handed over with each send (undefined: the transport would serialise itself). */
  const texts: Array<readonly string[] | undefined> = [];
  let fail = opts.failFirst ?? 0;
  const transport: EventTransport = {
    kind: 'in-process',
    async publish(_topic, events, json) {
      await Promise.resolve();
      texts.push(json);
      if (fail > 0) {
        fail -= 1;
        throw new Error('broker down');
      }
      sends.push(events.map((e) => e.correlationId ?? ''));
    },
    subscribe: () => Promise.reject(new Error('unused')),
    isHealthy: () => true,
    close: () => Promise.resolve(),
  };
  return { transport, sends, texts };
}

const event = (n: number): EventEnvelope =>
  makeEnvelope({
    type: 'test.happened.v1',
    subject: 'payer-1',
    producer: 'test',
    correlationId: `e${n}`,
    data: {},
  });

const outboxOf = (db: Db, transport: EventTransport, publishLingerMs = 0): Outbox =>
  new Outbox(db, transport, {
    table: 'gateway.usage_outbox',
    topic: 'usage',
    instanceId: 'test-1',
    flushMs: 1,
    batchSize: 1_000,
    bufferLimit: 10_000,
    publishLingerMs,
  });

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
};

/** The outbox table's INSERTs, seen through the fake: each inserted event's JSON text, in order. */
const recordInserts = (db: Db): (() => string[]) => {
  const inserted: string[] = [];
  const query = db.query.bind(db);
  db.query = (sql: string, params?: unknown[]) => {
    if (sql.includes('INSERT INTO')) inserted.push(params![0] as string);
    return query(sql, params);
  };
  return () => inserted.flatMap((doc) => (JSON.parse(doc) as unknown[]).map((e) => JSON.stringify(e)));
};

/** Starts the outbox and waits out the relay's first, empty pass (the fast path is on after it). */
const startIdle = async (outbox: Outbox, statements: string[]): Promise<void> => {
  await outbox.start();
  await until(() => statements.filter((s) => s === 'UPDATE').length > 0);
  await new Promise((r) => setTimeout(r, 10));
};

describe('Outbox fast path', () => {
  it('publishes flushed batches from memory, in order, together within the linger, and empties the table', async () => {
    const { db, rows, statements } = fakeDb();
    const { transport, sends, texts } = fakeTransport();
    const insertedTexts = recordInserts(db);
    const outbox = outboxOf(db, transport, 50);
    await startIdle(outbox, statements);
    for (let i = 0; i < 3; i++) outbox.enqueue(event(i));
    await outbox.flush();
    for (let i = 3; i < 6; i++) outbox.enqueue(event(i));
    await outbox.flush();
    await until(() => sends.flat().length === 6);
    assert.deepEqual(sends, [['e0', 'e1', 'e2', 'e3', 'e4', 'e5']], 'one send for both batches, in order');
    // Each event was serialised once: the broker gets the very texts the table got.
    assert.deepEqual(texts[0], insertedTexts());
    assert.equal(texts[0].length, 6);
    await until(() => rows.length === 0);
    await outbox.stop(1_000);
    assert.equal(outbox.backlog(), 0);
  });

  it('with a transport that takes text, sends each key and JSON text and no event object', async () => {
    const { db, rows, statements } = fakeDb();
    const insertedTexts = recordInserts(db);
    const sent: TextRecord[][] = [];
    let objectSends = 0;
    const transport: EventTransport = {
      kind: 'kafka',
      publish: () => {
        objectSends += 1;
        return Promise.resolve();
      },
      publishText: async (_topic, records) => {
        await Promise.resolve();
        sent.push([...records]);
      },
      subscribe: () => Promise.reject(new Error('unused')),
      isHealthy: () => true,
      close: () => Promise.resolve(),
    };
    const outbox = outboxOf(db, transport, 50);
    await startIdle(outbox, statements);
    const events = [event(0), { ...event(1), subject: 'payer-2' }, event(2)];
    for (const e of events) outbox.enqueue(e);
    await outbox.flush();
    await until(() => sent.flat().length === 3);
    assert.equal(objectSends, 0);
    assert.deepEqual(
      sent[0]!.map((r) => r.key),
      ['payer-1', 'payer-2', 'payer-1'],
    );
    assert.deepEqual(
      sent[0]!.map((r) => r.value),
      insertedTexts(),
    );
    assert.deepEqual(
      sent[0]!.map((r) => (JSON.parse(r.value) as EventEnvelope).correlationId),
      ['e0', 'e1', 'e2'],
    );
    await until(() => rows.length === 0);
    await outbox.stop(1_000);
    assert.equal(outbox.backlog(), 0);
  });

  it('a failed publish leaves the rows to the relay, which publishes them in order before anything newer', async () => {
    const { db, rows } = fakeDb();
    const { transport, sends } = fakeTransport({ failFirst: 1 });
    const outbox = outboxOf(db, transport);
    await outbox.start();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 3; i++) outbox.enqueue(event(i));
    await outbox.flush();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 3; i < 5; i++) outbox.enqueue(event(i));
    await outbox.flush();
    await until(() => sends.flat().length >= 5);
    assert.deepEqual(sends.flat(), ['e0', 'e1', 'e2', 'e3', 'e4'], 'no event lost, order kept');
    await until(() => rows.length === 0);
    await outbox.stop(1_000);
  });
});
