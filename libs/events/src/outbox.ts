import type { Db, SqlExecutor } from '@sluice/database';
import type { EventEnvelope } from './envelope';
import type { EventTransport, TextRecord } from './transport';

export type OutboxOptions = {
  /** Fully qualified table, e.g. `gateway.usage_outbox` (see migrations/gateway). */
  table: string;
  topic: string;
  instanceId: string;
  /** Longest an event waits in memory before its batch is written (the kill -9 window). */
  flushMs: number;
  batchSize: number;
  /** Events held in memory when the database cannot take them; past this, `isFull()` says so. */
  bufferLimit: number;
  claimMs?: number;
  /**
   * How long batches written on the fast path wait to be published together (one transport send
   * and one DELETE for all of them). It delays events on their way to the transport, not into the
   * table: the crash window stays `flushMs`. Default 0: published as soon as written.
   */
  publishLingerMs?: number;
  /**
   * How often an idle relay looks for rows nobody holds (another instance's, left after its crash,
   * once their claim expired). Rows handed to it by this instance wake it at once. Default 1000:
   * each look is a claim query, and under load (a table with insert/delete churn) it cost the
   * database 15-25% of a core per gateway at the former 250 ms (measured in the benchmark).
   */
  idlePollMs?: number;
  onError?: (stage: 'flush' | 'relay', err: unknown) => void;
  onPublished?: (count: number) => void;
};

const TABLE_RE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/**
 * The producer side of at-least-once delivery. Requests hand their event to `enqueue` (memory only:
 * no database write or broker round trip on the request's latency path). A flusher writes the
 * buffer to the outbox table in one statement every `flushMs`; a relay claims rows, publishes them,
 * and deletes them only after the transport accepted them. When the transport is down, rows wait
 * in the table and the relay retries with backoff; `backlog()` reports what is waiting.
 */
export class Outbox {
  private buffer: EventEnvelope[] = [];
  private inTable = 0;
  /**
   * True when the relay's last pass found nothing to publish and no row was handed to it since:
   * then nothing older waits in the table and the fast path keeps per-subject order. (Not derived
   * from `inTable`, which is an estimate that a resync racing a DELETE can leave too high.)
   */
  private relayIdle = false;
  /** Bumped whenever rows are left to the relay, so a pass that started earlier cannot claim idleness. */
  private relayHandoffs = 0;
  private running = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private relayLoop: Promise<void> | null = null;
  private wakeRelay: (() => void) | null = null;
  private relayBackoffMs = 0;
  private resyncTimer: NodeJS.Timeout | null = null;
  /**
   * Fast-path batches in the table, claimed by this instance, waiting for the next publish: each event's
   * key and JSON text as inserted, and the event objects only for a transport without `publishText`.
   */
  private unpublished: {
    records: readonly TextRecord[];
    events: readonly EventEnvelope[] | null;
    seqs: readonly string[];
  }[] = [];
  private publishTimer: NodeJS.Timeout | null = null;
  private publishing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly transport: EventTransport,
    private readonly options: OutboxOptions,
  ) {
    if (!TABLE_RE.test(options.table)) throw new Error(`invalid outbox table ${options.table}`);
  }

  /**
   * Queues one event. It always accepts (the work the event records is done already); admission
   * control is the caller's, before the work starts, through `isFull()`.
   */
  enqueue(event: EventEnvelope): void {
    this.buffer.push(event);
    if (this.buffer.length >= this.options.batchSize) this.scheduleFlush(0);
    else this.scheduleFlush(this.options.flushMs);
  }

  /**
   * Writes events through the caller's transaction, so they commit or roll back with the change they
   * record (a team or key is never created without its event). Call `appended` after the commit.
   */
  async appendIn(tx: SqlExecutor, events: readonly EventEnvelope[]): Promise<void> {
    if (events.length > 0) await this.insert(tx, events);
  }

  /** After a commit that `appendIn` wrote to: counts the rows and wakes the relay. */
  appended(count: number): void {
    if (count <= 0) return;
    this.inTable += count;
    this.leftToRelay();
  }

  /** True when the database has not taken events for a while: refuse new work until it does. */
  isFull(): boolean {
    return this.buffer.length >= this.options.bufferLimit;
  }

  /** Events not yet accepted by the transport: in memory plus in the outbox table. */
  backlog(): number {
    return this.buffer.length + this.inTable;
  }

  buffered(): number {
    return this.buffer.length;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.resync();
    this.resyncTimer = setInterval(() => void this.resync().catch(() => undefined), 10_000);
    this.resyncTimer.unref();
    this.relayLoop = this.relay();
  }

  /**
   * Shutdown: write what is in memory, then keep relaying until the table is empty or `timeoutMs`
   * passed. Whatever is left stays in the table for the next start.
   */
  async stop(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      await this.flush().catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    while (
      this.running &&
      (this.unpublished.length > 0 || this.publishing !== null || !this.relayIdle) &&
      Date.now() < deadline &&
      this.transport.isHealthy()
    ) {
      if (this.publishTimer) clearTimeout(this.publishTimer);
      this.publishTimer = null;
      await this.publishPending();
      this.wakeRelay?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.running = false;
    this.wakeRelay?.();
    await this.relayLoop;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
  }

  /** Writes the memory buffer now (tests and shutdown). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer && delayMs > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch((err: unknown) => {
        this.options.onError?.('flush', err);
        this.scheduleFlush(Math.max(this.options.flushMs, 500));
      });
    }, delayMs);
  }

  private async flushOnce(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, 2_000);
      // The fast path: when the relay has nothing to do (so per-subject order holds), the batch is
      // inserted already claimed by this instance and published from memory, without the relay's
      // claim query and its read-back of the payloads.
      const direct = this.running && this.relayIdle && this.transport.isHealthy();
      // Otherwise the relay publishes in seq order: the fast-path rows still waiting go to it first.
      if (!direct) await this.handOverUnpublished();
      const { seqs, json } = await this.insert(this.db, batch, direct);
      // Only after the insert committed: a failure leaves the batch in memory for the next try.
      this.buffer.splice(0, batch.length);
      this.inTable += batch.length;
      if (direct) {
        const records = batch.map((e, i) => ({ key: e.subject, value: json[i] as string }));
        this.unpublished.push({ records, events: this.transport.publishText ? null : batch, seqs });
        this.schedulePublish();
      } else {
        this.leftToRelay();
      }
    }
  }

  /** Rows wait for the relay: the fast path is off until a relay pass finds the table empty. */
  private leftToRelay(): void {
    this.relayIdle = false;
    this.relayHandoffs += 1;
    this.wakeRelay?.();
  }

  private schedulePublish(): void {
    if (this.publishTimer || this.publishing) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      void this.publishPending();
    }, this.options.publishLingerMs ?? 0);
  }

  /** Publishes every waiting fast-path batch in one send; never rejects. */
  private publishPending(): Promise<void> {
    if (this.publishing) return this.publishing;
    if (this.unpublished.length === 0) return Promise.resolve();
    const groups = this.unpublished;
    this.unpublished = [];
    this.publishing = this.publishInserted(
      groups.flatMap((g) => g.records),
      groups.flatMap((g) => g.events ?? []),
      groups.flatMap((g) => g.seqs),
    ).finally(() => {
      this.publishing = null;
      if (this.unpublished.length > 0) this.schedulePublish();
    });
    return this.publishing;
  }

  /** Un-claims the waiting fast-path rows: the relay publishes them, in seq order with the rest. */
  private async handOverUnpublished(): Promise<void> {
    if (this.unpublished.length === 0) return;
    const seqs = this.unpublished.flatMap((g) => g.seqs);
    this.unpublished = [];
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    await this.db
      .query(
        `UPDATE ${this.options.table} SET claimed_until = NULL, claimed_by = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2`,
        [seqs, this.options.instanceId],
      )
      .catch(() => undefined); // the claim expires anyway; the relay takes the rows then
  }

  /** Publishes a batch the flush inserted as claimed; on failure hands its rows to the relay. */
  private async publishInserted(
    records: readonly TextRecord[],
    events: readonly EventEnvelope[],
    seqs: readonly string[],
  ): Promise<void> {
    if (records.length === 0) return;
    try {
      // The events were kept only for a transport without publishText (see flushOnce).
      if (this.transport.publishText) await this.transport.publishText(this.options.topic, records);
      else
        await this.transport.publish(
          this.options.topic,
          events,
          records.map((r) => r.value),
        );
    } catch (err) {
      this.options.onError?.('relay', err);
      await this.db
        .query(
          `UPDATE ${this.options.table} SET claimed_until = NULL, claimed_by = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2`,
          [seqs, this.options.instanceId],
        )
        .catch(() => undefined); // the claim expires anyway; the relay takes the rows then
      this.leftToRelay();
      return;
    }
    try {
      await this.db.query(`DELETE FROM ${this.options.table} WHERE seq = ANY($1::bigint[])`, [seqs]);
      this.inTable = Math.max(0, this.inTable - records.length);
    } catch (err) {
      // Published but still in the table: the relay publishes them again once the claim expires
      // (at-least-once; consumers dedupe by id).
      this.options.onError?.('relay', err);
    }
    this.options.onPublished?.(records.length);
  }

  /**
   * One statement for the batch, sent as one JSON array: no per-element array escaping on the
   * client. With `claim`, the rows are inserted claimed by this instance; returns their seqs.
   */
  private async insert(
    db: SqlExecutor,
    batch: readonly EventEnvelope[],
    claim = false,
  ): Promise<{ seqs: string[]; json: string[] }> {
    // Each event serialised once: the same texts go to the broker on the fast path (publishInserted).
    const texts = batch.map((e) => JSON.stringify(e));
    const json = `[${texts.join(',')}]`;
    if (!claim) {
      await db.query(
        `INSERT INTO ${this.options.table} (event_id, subject, payload)
         SELECT (e->>'id')::uuid, e->>'subject', e FROM jsonb_array_elements($1::jsonb) AS e`,
        [json],
      );
      return { seqs: [], json: texts };
    }
    // The seqs come back as one text in one row (a row per event cost the gateway ~1% of its CPU).
    const rows = await db.query<{ seqs: string | null }>(
      `WITH ins AS (
         INSERT INTO ${this.options.table} (event_id, subject, payload, claimed_until, claimed_by)
         SELECT (e->>'id')::uuid, e->>'subject', e, now() + ($2 || ' milliseconds')::interval, $3
           FROM jsonb_array_elements($1::jsonb) AS e
         RETURNING seq)
       SELECT string_agg(seq::text, ',') AS seqs FROM ins`,
      [json, String(this.options.claimMs ?? 30_000), this.options.instanceId],
    );
    const seqs = rows[0]?.seqs;
    return { seqs: seqs ? seqs.split(',') : [], json: texts };
  }

  private async relay(): Promise<void> {
    while (this.running) {
      let published = 0;
      const handoffs = this.relayHandoffs;
      try {
        published = await this.relayOnce();
        this.relayBackoffMs = 0;
        this.relayIdle = published === 0 && handoffs === this.relayHandoffs;
      } catch (err) {
        this.relayIdle = false;
        this.options.onError?.('relay', err);
        this.relayBackoffMs = Math.min(5_000, Math.max(200, this.relayBackoffMs * 2));
      }
      if (published > 0 && this.relayBackoffMs === 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.relayBackoffMs || (this.options.idlePollMs ?? 1_000));
        this.wakeRelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRelay = null;
    }
  }

  private async relayOnce(): Promise<number> {
    const claimMs = this.options.claimMs ?? 30_000;
    const rows = await this.db.query<{ seq: string; payload: EventEnvelope }>(
      `UPDATE ${this.options.table} SET claimed_until = now() + ($3 || ' milliseconds')::interval, claimed_by = $2
        WHERE seq IN (SELECT seq FROM ${this.options.table}
                       WHERE claimed_until IS NULL OR claimed_until < now()
                       ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING seq::text AS seq, payload`,
      [this.options.batchSize, this.options.instanceId, String(claimMs)],
    );
    if (rows.length === 0) return 0;
    rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    const seqs = rows.map((r) => r.seq);
    try {
      await this.transport.publish(
        this.options.topic,
        rows.map((r) => r.payload),
      );
    } catch (err) {
      await this.db
        .query(
          `UPDATE ${this.options.table} SET claimed_until = NULL, claimed_by = NULL WHERE seq = ANY($1::bigint[]) AND claimed_by = $2`,
          [seqs, this.options.instanceId],
        )
        .catch(() => undefined);
      throw err;
    }
    await this.db.query(`DELETE FROM ${this.options.table} WHERE seq = ANY($1::bigint[])`, [seqs]);
    this.inTable = Math.max(0, this.inTable - rows.length);
    this.options.onPublished?.(rows.length);
    return rows.length;
  }

  private async resync(): Promise<void> {
    const [row] = await this.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.options.table}`);
    this.inTable = Number(row?.n ?? 0);
  }
}
