import type { Db, SqlExecutor } from '@sluice/database';
import type { EventEnvelope } from './envelope';
import type { EventTransport } from './transport';

export type OutboxOptions = {
  /** Fully qualified table, e.g. `gateway.usage_outbox` (see migrations/gateway). */
  table: string;
  topic: string;
  instanceId: string;
  /** Longest an event waits in memory before its batch is sent or written (the kill -9 window). */
  flushMs: number;
  batchSize: number;
  /** Events held in memory when neither the transport nor the database takes them; past this, `isFull()` says so. */
  bufferLimit: number;
  claimMs?: number;
  /**
   * How long a batch sent straight to the transport (the fast path) may wait for its acknowledgement
   * before it is written to the table as well, for the relay. A late acknowledgement then delivers it
   * twice (consumers dedupe by id); the wait bounds how long events are held only in memory while the
   * broker is slow. Default 1000.
   */
  directTimeoutMs?: number;
  /**
   * How often an idle relay looks for rows nobody holds (another instance's, left after its crash,
   * once their claim expired). Rows handed to it by this instance wake it at once. Default 1000:
   * each look is a claim query, and under load (a table with insert/delete churn) it cost the
   * database 15-25% of a core per gateway at the former 250 ms (measured in the benchmark).
   */
  idlePollMs?: number;
  /**
   * While rows wait for the relay (after a failed or slow send, or rows left by a previous run), how
   * long the flusher may hold new batches in memory instead of adding them to the table, so that the
   * relay can empty it and the fast path resume. Without the hold, under steady load every flush adds
   * rows behind the relay and it never finds the table empty. Past this, or with the transport down,
   * batches go to the table as before. Default 200; 0 never holds.
   */
  catchUpMs?: number;
  onError?: (stage: 'flush' | 'publish' | 'relay', err: unknown) => void;
  onPublished?: (count: number) => void;
};

const TABLE_RE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/**
 * The producer side of at-least-once delivery. Requests hand their event to `enqueue` (memory only:
 * no database write or broker round trip on the request's latency path). Every `flushMs` a flusher
 * takes the buffer: while nothing older waits in the table, it sends the batch straight to the
 * transport (Kafka acks=all; the in-process transport resolves once the ledger applied it), which is
 * what makes it durable; when that fails or takes longer than `directTimeoutMs`, or while older rows
 * wait, the batch is written to the outbox table in one statement instead, and a relay claims rows,
 * publishes them in order and deletes them only after the transport accepted them. When the
 * transport is down, rows wait in the table and the relay retries with backoff; `backlog()` reports
 * what is waiting. Events written by a caller's transaction (`appendIn`) always go through the table.
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
  private stopping = false;
  /** When the flusher began holding batches for the relay to catch up (0: not holding). */
  private holdingSince = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private relayLoop: Promise<void> | null = null;
  private wakeRelay: (() => void) | null = null;
  private relayBackoffMs = 0;
  private resyncTimer: NodeJS.Timeout | null = null;

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
    // While the flusher holds batches for the relay it looks again every flushMs on its own: a full
    // batch does not call for an immediate flush (it would be one per event, each holding again).
    if (this.buffer.length >= this.options.batchSize && this.holdingSince === 0) this.scheduleFlush(0);
    else this.scheduleFlush(this.options.flushMs);
  }

  /**
   * Writes events through the caller's transaction, so they commit or roll back with the change they
   * record (a team or key is never created without its event). Call `appended` after the commit.
   */
  async appendIn(tx: SqlExecutor, events: readonly EventEnvelope[]): Promise<void> {
    if (events.length > 0)
      await this.insert(
        tx,
        events.map((e) => JSON.stringify(e)),
      );
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
    this.stopping = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      await this.flush().catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    while (this.running && !this.relayIdle && Date.now() < deadline && this.transport.isHealthy()) {
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
      if (this.holdForRelay()) return;
      const batch = this.buffer.slice(0, 2_000);
      // Each event serialised once, for the transport and, if it comes to that, for the table.
      const texts = batch.map((e) => JSON.stringify(e));
      // The fast path: when the relay has nothing to do (so per-subject order holds), the batch goes
      // straight to the transport; no INSERT, claim or DELETE for the table.
      if (
        this.running &&
        this.relayIdle &&
        this.transport.isHealthy() &&
        (await this.sendDirect(batch, texts))
      ) {
        this.buffer.splice(0, batch.length);
        this.options.onPublished?.(batch.length);
        continue;
      }
      await this.insert(this.db, texts);
      // Only after the insert committed: a failure leaves the batch in memory for the next try.
      this.buffer.splice(0, batch.length);
      this.inTable += batch.length;
      this.leftToRelay();
    }
  }

  /**
   * Sends a batch to the transport; false when it failed or was not acknowledged within
   * `directTimeoutMs` (the caller then writes it to the table). The events stay in the buffer
   * meanwhile, so `backlog()` and `isFull()` count them.
   */
  private async sendDirect(batch: readonly EventEnvelope[], texts: readonly string[]): Promise<boolean> {
    const send = this.transport.publishText
      ? this.transport.publishText(
          this.options.topic,
          batch.map((e, i) => ({ key: e.subject, value: texts[i] as string })),
        )
      : this.transport.publish(this.options.topic, batch, texts);
    const timeoutMs = this.options.directTimeoutMs ?? 1_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    try {
      if ((await Promise.race([send.then(() => 'sent' as const), late])) === 'sent') return true;
      // Still unanswered: the batch goes to the table too. If the send succeeds after all, the
      // relay delivers it a second time, which consumers absorb (they dedupe by event id).
      send.catch(() => undefined);
      this.options.onError?.('publish', new Error(`no acknowledgement within ${timeoutMs} ms`));
      return false;
    } catch (err) {
      this.options.onError?.('publish', err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * True when the batch should wait in memory (the flush is scheduled again): rows wait for the relay,
   * the transport is up, and the hold began less than `catchUpMs` ago. Nothing is added to the table
   * meanwhile, so the relay can find it empty and turn the fast path back on; the held events are newer
   * than every row, so sending them afterwards keeps per-subject order.
   */
  private holdForRelay(): boolean {
    const catchUpMs = this.options.catchUpMs ?? 200;
    if (this.relayIdle || !this.running || this.stopping || catchUpMs <= 0 || !this.transport.isHealthy()) {
      this.holdingSince = 0;
      return false;
    }
    const now = Date.now();
    if (this.holdingSince === 0) this.holdingSince = now;
    if (now - this.holdingSince >= catchUpMs) {
      this.holdingSince = 0;
      return false;
    }
    // Not while the relay backs off after an error: waking it every flush would undo its backoff.
    if (this.relayBackoffMs === 0) this.wakeRelay?.();
    this.scheduleFlush(this.options.flushMs);
    return true;
  }

  /** Rows wait for the relay: the fast path is off until a relay pass finds the table empty. */
  private leftToRelay(): void {
    this.relayIdle = false;
    this.relayHandoffs += 1;
    this.wakeRelay?.();
  }

  /** One statement for the batch, sent as one JSON array: no per-element array escaping on the client. */
  private async insert(db: SqlExecutor, texts: readonly string[]): Promise<void> {
    await db.query(
      `INSERT INTO ${this.options.table} (event_id, subject, payload)
       SELECT (e->>'id')::uuid, e->>'subject', e FROM jsonb_array_elements($1::jsonb) AS e`,
      [`[${texts.join(',')}]`],
    );
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
