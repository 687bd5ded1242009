import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ResponsesResponse, StoredResponsesTurn } from '@sluice/protocols';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';

/** What one row keeps: the response object as the client got it, and the input it answered. */
export type StoredResponse = { input: unknown[]; response: ResponsesResponse };

/**
 * A response waiting for its row, kept as the row's body only: the UTF-8 bytes of
 * `JSON.stringify(stored)`, off the JavaScript heap. The response and input objects it was made from
 * were hundreds of objects to trace and promote; the body as a string was still kilobytes for every
 * young-generation collection to copy while the row waited (the INSERT waits on a busy database: a
 * translated Responses stream's collections copied and promoted several times what the other
 * streams' did). A Buffer's bytes are never copied by the collector. A turn read from memory
 * meanwhile (a client continuing within milliseconds) parses it back.
 */
type Pending = {
  id: string;
  teamId: string;
  body: Buffer;
  failures: number;
};

const SWEEP_INTERVAL_MS = 10 * 60_000;
/** Past this many unwritten responses (the database is down), the oldest are given up. */
const MAX_PENDING = 10_000;
const MAX_WRITE_ATTEMPTS = 3;
const RETRY_MS = 1_000;
/**
 * How long a remembered response waits for others to share its INSERT. Nobody waits on it (turns are
 * served from memory meanwhile; GET and DELETE write at once), so the only cost is the crash window. An
 * INSERT per event-loop turn, as before, was ~1,000 statements a second carrying two or three rows each
 * under load, and each statement's round through TypeORM and pg cost the gateway more than its rows.
 */
const LINGER_MS = 20;
/** A batch this large is written without waiting out the linger. */
const BATCH_ROWS = 256;

/** The row's body: what `JSON.stringify(stored)` gives, from the response's JSON when it is at hand. */
function bodyJson(stored: StoredResponse, responseJson: string | undefined): string {
  if (responseJson === undefined) return JSON.stringify(stored);
  return `{"input":${JSON.stringify(stored.input)},"response":${responseJson}}`;
}

function parseStored(text: string | Buffer): StoredResponse | undefined {
  const body: unknown = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  return isStored(body) ? body : undefined;
}

function isStored(v: unknown): v is StoredResponse {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as StoredResponse).input) &&
    typeof (v as StoredResponse).response === 'object'
  );
}

/** `[{"id":…,"team_id":…,"body":…},…]` as UTF-8 bytes, the bodies copied in as they are. */
function batchJson(batch: readonly Pending[]): Buffer {
  const heads = batch.map(
    (p) => `{"id":${JSON.stringify(p.id)},"team_id":${JSON.stringify(p.teamId)},"body":`,
  );
  // '[' and ']', a comma between rows, a closing brace per row.
  let size = 2 + Math.max(0, batch.length - 1) + batch.length;
  for (let i = 0; i < batch.length; i++) size += Buffer.byteLength(heads[i]!) + batch[i]!.body.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < batch.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(heads[i]!, at);
    at += batch[i]!.body.copy(out, at);
    out[at++] = 0x7d; // }
  }
  out[at++] = 0x5d; // ]
  return out;
}

/**
 * Translated Responses answers in `gateway.responses`, through the gateway's database (the
 * embedded one in standalone, so a restart keeps conversations). Every read is scoped to the team
 * and to rows that have not expired; expired rows are swept at start and every ten minutes.
 *
 * Writes are off the response path: `remember` keeps the response in memory and queues it; the
 * queue is written in one multi-row INSERT after `LINGER_MS` (at once when `BATCH_ROWS` wait).
 * Until its row lands, a `previous_response_id` continuing from it is served from memory (a client
 * may send it the moment the terminal event arrives); GET and DELETE write the queue at once and
 * wait for it, so they see the table as it is.
 */
@Injectable()
export class ResponsesStore implements OnModuleInit, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Pending>();
  /** The INSERT in flight; resolves to whether it was written. */
  private writing: Promise<boolean> | null = null;
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  /** Whether `scheduled` is a retry after a failed write (a full batch does not bring it forward). */
  private retryScheduled = false;
  private scheduledNow = false;
  /** `LINGER_MS`; tests set it. */
  lingerMs = LINGER_MS;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  onModuleInit(): void {
    const run = (): void => {
      this.sweep().catch((err: unknown) =>
        this.rt.logger.warn({ err: (err as Error).message }, 'responses sweep failed'),
      );
    };
    run();
    this.timer = setInterval(run, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }

  /**
   * Queues a response for its row and keeps it readable from memory until the row is written.
   * `responseJson`: `JSON.stringify(stored.response)`, when the caller has it already.
   */
  remember(teamId: string, stored: StoredResponse, responseJson?: string): void {
    const id = stored.response.id;
    this.pending.delete(id); // re-inserted last: the map stays in arrival order
    this.pending.set(id, { id, teamId, body: Buffer.from(bodyJson(stored, responseJson)), failures: 0 });
    if (this.pending.size > MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) {
        this.pending.delete(oldest);
        this.rt.logger.error({ responseId: oldest }, 'storing a response failed: too many waiting');
      }
    }
    this.schedule();
  }

  /** Stores a response and waits for its row (what `remember` does, awaited). */
  async save(teamId: string, stored: StoredResponse): Promise<void> {
    this.remember(teamId, stored);
    await this.settle(stored.response.id);
  }

  /** Writes every queued response now; resolves when the queue is empty or what is left failed. */
  async flush(): Promise<void> {
    while (this.writing || this.pending.size > 0) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      // A failed batch stays queued (until its attempts run out): leave its retry to the timer.
      if (!(await this.writeQueued())) return;
    }
  }

  async get(teamId: string, id: string): Promise<StoredResponse | undefined> {
    await this.settle(id);
    const rows = await this.rt.db.query<{ body: unknown }>(
      `SELECT body FROM gateway.responses WHERE id = $1 AND team_id = $2 AND expires_at > now()`,
      [id, teamId],
    );
    const raw = rows[0]?.body;
    if (typeof raw === 'string') return parseStored(raw);
    return isStored(raw) ? raw : undefined;
  }

  /** The turn `expandPreviousResponse` continues from: from memory while its row is being written. */
  async turn(teamId: string, id: string): Promise<StoredResponsesTurn | undefined> {
    const queued = this.pending.get(id);
    let s: StoredResponse | undefined;
    if (queued === undefined) s = await this.get(teamId, id);
    else if (queued.teamId === teamId) s = parseStored(queued.body); // another team's is not served
    if (!s) return undefined;
    return {
      id: s.response.id,
      input: s.input,
      output: s.response.output,
      createdAtSec: s.response.created_at,
    };
  }

  /** True when a live row of this team was deleted. */
  async delete(teamId: string, id: string): Promise<boolean> {
    await this.settle(id);
    const rows = await this.rt.db.query<{ id: string }>(
      `DELETE FROM gateway.responses WHERE id = $1 AND team_id = $2 AND expires_at > now() RETURNING id`,
      [id, teamId],
    );
    return rows.length > 0;
  }

  async sweep(): Promise<number> {
    const rows = await this.rt.db.query<{ id: string }>(
      `DELETE FROM gateway.responses WHERE expires_at <= now() RETURNING id`,
    );
    return rows.length;
  }

  /** Responses queued and not yet written (for tests and metrics). */
  queued(): number {
    return this.pending.size;
  }

  /** Waits until the row of `id` is written (or given up), when it is queued. */
  private async settle(id: string): Promise<void> {
    while (this.pending.has(id)) {
      const before = this.pending.get(id)!.failures;
      await (this.writing ?? this.writeQueued());
      if (this.pending.get(id)?.failures !== before) return; // failed: read what the table has
    }
  }

  /**
   * The next write: after a failed one in `RETRY_MS` (nothing sooner, however much queues meanwhile);
   * else after `LINGER_MS`, or at once when a full batch waits.
   */
  private schedule(afterFailure = false): void {
    if (this.writing) return;
    const delayMs = afterFailure ? RETRY_MS : this.pending.size >= BATCH_ROWS ? 0 : this.lingerMs;
    if (this.scheduled) {
      if (delayMs > 0 || this.retryScheduled || this.scheduledNow) return;
      this.cancelScheduled();
    }
    this.retryScheduled = afterFailure;
    this.scheduledNow = delayMs === 0;
    const run = (): void => {
      this.scheduled = null;
      void this.writeQueued();
    };
    // A write waiting must not keep a stopping process alive: shutdown flushes what is queued.
    this.scheduled = delayMs === 0 ? setImmediate(run) : setTimeout(run, delayMs).unref();
  }

  private cancelScheduled(): void {
    if (!this.scheduled) return;
    // Each by its own clear: clearImmediate on a Timeout corrupts Node's count of pending immediates
    // (later setImmediate callbacks then never ran: found by this store's tests).
    if (this.scheduledNow) clearImmediate(this.scheduled as NodeJS.Immediate);
    else clearTimeout(this.scheduled as NodeJS.Timeout);
    this.scheduled = null;
  }

  /** One INSERT for everything queued; never rejects (failures are logged and retried). */
  private writeQueued(): Promise<boolean> {
    if (this.writing) return this.writing;
    this.cancelScheduled();
    const batch = [...this.pending.values()];
    if (batch.length === 0) return Promise.resolve(true);
    const ttlHours = this.rt.config.responsesTtlHours;
    this.writing = this.rt.db
      .query(
        // The batch goes as one JSON array parameter: a jsonb[] parameter had pg escape every
        // stored answer's JSON text as an array element on the gateway (escapeElement: ~1% of
        // responses-from-anthropic-sse's CPU in the run of 20:07). It goes as bytes (pg sends a
        // Buffer in binary format, which for text is its UTF-8 bytes): the bodies are copied into
        // it, never made into strings again.
        `INSERT INTO gateway.responses (id, team_id, created_at, expires_at, body)
         SELECT e->>'id', e->>'team_id', now(), now() + make_interval(hours => $2::int), e->'body'
           FROM jsonb_array_elements($1::text::jsonb) AS e
         ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, expires_at = EXCLUDED.expires_at
         WHERE gateway.responses.team_id = EXCLUDED.team_id`,
        [batchJson(batch), ttlHours],
      )
      .then(
        () => {
          // Only entries not replaced meanwhile: a newer copy of the same id waits for its own write.
          for (const p of batch) if (this.pending.get(p.id) === p) this.pending.delete(p.id);
          return true;
        },
        (err: unknown) => {
          for (const p of batch) {
            p.failures += 1;
            if (p.failures < MAX_WRITE_ATTEMPTS || this.pending.get(p.id) !== p) continue;
            this.pending.delete(p.id);
            // The client got its answer; only continuing from it will fail.
            this.rt.logger.error(
              { responseId: p.id, err: (err as Error).message },
              'storing a response failed',
            );
          }
          return false;
        },
      )
      .finally(() => {
        this.writing = null;
        if (this.pending.size > 0) this.schedule(this.anyFailed());
      });
    return this.writing;
  }

  private anyFailed(): boolean {
    for (const p of this.pending.values()) if (p.failures > 0) return true;
    return false;
  }
}
