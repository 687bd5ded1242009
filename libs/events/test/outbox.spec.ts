import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from '@sluice/database';
import { makeEnvelope, type EventEnvelope } from '../src/envelope';
import { Outbox } from '../src/outbox';
import type { EventTransport, TextRecord } from '../src/transport';

type Row = { seq: number; payload: EventEnvelope; claimedBy: string | null };

/** The outbox table in memory, behind the statements the outbox sends (matched by their verbs). */
function fakeDb(opts: { claimDelayMs?: number } = {}) {
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
        // A relay pass that takes a while, as a claim query on a busy database does.
        if (opts.claimDelayMs) await new Promise((r) => setTimeout(r, opts.claimDelayMs));
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

function fakeTransport(opts: { failFirst?: number; holdFirst?: Promise<void> } = {}) {
  const sends: string[][] = [];
  /** The JSON texts handed over with each send (undefined: the transport would serialise itself). */
  const texts: Array<readonly string[] | undefined> = [];
  let fail = opts.failFirst ?? 0;
  let hold = opts.holdFirst;
  const transport: EventTransport = {
    kind: 'in-process',
    async publish(_topic, events, json) {
      await Promise.resolve();
      texts.push(json);
      if (fail > 0) {
        fail -= 1;
        throw new Error('broker down');
      }
      if (hold !== undefined) {
        // A broker that answers only when the test lets it: after the outbox stopped waiting, the send still lands.
        const gate = hold;
        hold = undefined;
        await gate;
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

const outboxOf = (db: Db, transport: EventTransport, directTimeoutMs = 1_000): Outbox =>
  new Outbox(db, transport, {
    table: 'gateway.usage_outbox',
    topic: 'usage',
    instanceId: 'test-1',
    flushMs: 1,
    batchSize: 1_000,
    bufferLimit: 10_000,
    directTimeoutMs,
  });

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
};

/** Starts the outbox and waits out the relay's first, empty pass (the fast path is on after it). */
const startIdle = async (outbox: Outbox, statements: string[]): Promise<void> => {
  await outbox.start();
  await until(() => statements.filter((s) => s === 'UPDATE').length > 0);
  await new Promise((r) => setTimeout(r, 10));
};

describe('Outbox fast path', () => {
  it('sends flushed batches straight to the transport, in order, and never writes the table', async () => {
    const { db, rows, statements } = fakeDb();
    const { transport, sends, texts } = fakeTransport();
    const outbox = outboxOf(db, transport);
    await startIdle(outbox, statements);
    for (let i = 0; i < 3; i++) outbox.enqueue(event(i));
    await outbox.flush();
    for (let i = 3; i < 6; i++) outbox.enqueue(event(i));
    await outbox.flush();
    assert.deepEqual(sends, [
      ['e0', 'e1', 'e2'],
      ['e3', 'e4', 'e5'],
    ]);
    // Each event serialised once, by the outbox: the transport got the texts with the objects.
    assert.deepEqual(
      texts.flatMap((t) => t!.map((x) => (JSON.parse(x) as EventEnvelope).correlationId)),
      ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'],
    );
    assert.deepEqual(
      statements.filter((v) => v === 'INSERT' || v === 'WITH' || v === 'DELETE'),
      [],
      'no INSERT, claim or DELETE on the fast path',
    );
    assert.equal(rows.length, 0);
    assert.equal(outbox.backlog(), 0);
    await outbox.stop(1_000);
  });

  it('with a transport that takes text, sends each key and JSON text and no event object', async () => {
    const { db, statements } = fakeDb();
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
    const outbox = outboxOf(db, transport);
    await startIdle(outbox, statements);
    const events = [event(0), { ...event(1), subject: 'payer-2' }, event(2)];
    for (const e of events) outbox.enqueue(e);
    await outbox.flush();
    assert.equal(objectSends, 0);
    assert.deepEqual(
      sent[0]!.map((r) => r.key),
      ['payer-1', 'payer-2', 'payer-1'],
    );
    assert.deepEqual(
      sent[0]!.map((r) => r.value),
      events.map((e) => JSON.stringify(e)),
    );
    await outbox.stop(1_000);
    assert.equal(outbox.backlog(), 0);
  });

  it('a failed send leaves the batch to the relay, which publishes it in order before anything newer', async () => {
    const { db, rows, statements } = fakeDb();
    const { transport, sends } = fakeTransport({ failFirst: 1 });
    const outbox = outboxOf(db, transport);
    await startIdle(outbox, statements);
    for (let i = 0; i < 3; i++) outbox.enqueue(event(i));
    await outbox.flush();
    // Written to the table: nothing is held only in memory after the failed send.
    assert.equal(statements.filter((v) => v === 'INSERT').length, 1);
    assert.equal(outbox.buffered(), 0);
    for (let i = 3; i < 5; i++) outbox.enqueue(event(i));
    await outbox.flush();
    await until(() => sends.flat().length >= 5);
    assert.deepEqual(sends.flat(), ['e0', 'e1', 'e2', 'e3', 'e4'], 'no event lost, order kept');
    await until(() => rows.length === 0);
    // Once the relay found the table empty, new batches take the fast path again.
    await until(() => statements.filter((v) => v === 'UPDATE').length >= 3);
    await new Promise((r) => setTimeout(r, 20));
    const inserts = statements.filter((v) => v === 'INSERT').length;
    outbox.enqueue(event(5));
    await outbox.flush();
    assert.deepEqual(sends.at(-1), ['e5']);
    assert.equal(statements.filter((v) => v === 'INSERT').length, inserts, 'e5 went straight out');
    await outbox.stop(1_000);
  });

  it('a send unanswered within directTimeoutMs is written to the table as well: delivered, at least once', async () => {
    const { db, rows, statements } = fakeDb();
    let release = (): void => undefined;
    const holdFirst = new Promise<void>((r) => {
      release = r;
    });
    const { transport, sends } = fakeTransport({ holdFirst });
    const outbox = outboxOf(db, transport, 30);
    await startIdle(outbox, statements);
    for (let i = 0; i < 2; i++) outbox.enqueue(event(i));
    // The flush returns while the broker still has not answered: the batch is durable in the table.
    await outbox.flush();
    assert.ok(statements.includes('INSERT'));
    assert.equal(outbox.buffered(), 0);
    // The relay publishes the rows while the first send is still held; then that send lands too (a
    // duplicate the consumers drop by id).
    await until(() => rows.length === 0);
    assert.deepEqual(sends, [['e0', 'e1']]);
    release();
    await until(() => sends.flat().filter((id) => id === 'e0').length === 2);
    await until(() => rows.length === 0);
    assert.deepEqual(
      sends.flat().filter((id) => id === 'e1'),
      ['e1', 'e1'],
    );
    await outbox.stop(1_000);
    assert.equal(outbox.backlog(), 0);
  });
  it('under steady load after a failed send, holds new batches while the relay empties the table, then sends them directly', async () => {
    const { db, rows, statements } = fakeDb({ claimDelayMs: 10 });
    const { transport, sends } = fakeTransport({ failFirst: 1 });
    const outbox = outboxOf(db, transport);
    await startIdle(outbox, statements);
    // An event every 2 ms for 400 ms, flushed every 1 ms, while each relay pass takes 10 ms: without the
    // hold, every flush adds rows behind the relay and it never finds the table empty.
    let n = 0;
    const load = setInterval(() => outbox.enqueue(event(n++)), 2);
    await until(() => n >= 200);
    clearInterval(load);
    await outbox.flush();
    await until(() => sends.flat().length === n);
    // Every event once, in order: the held ones went out after the rows the relay published.
    assert.deepEqual(
      sends.flat(),
      Array.from({ length: n }, (_, i) => `e${i}`),
    );
    // The failed batch went to the table; the rest did not pile up behind the relay.
    const inserts = statements.filter((v) => v === 'INSERT').length;
    assert.ok(inserts >= 1 && inserts <= 3, `${inserts} INSERTs for ${n} events`);
    assert.ok(sends.length > inserts + 2, 'most batches went straight to the transport');
    await until(() => rows.length === 0);
    await outbox.stop(1_000);
    assert.equal(outbox.backlog(), 0);
  });
});
