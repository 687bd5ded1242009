import { createHash } from 'node:crypto';
import { quoteIdent, type Db, type SqlExecutor } from '@sluice/database';
import { START, type Checkpoint, type EventStore, type StoredEvent } from './event-store';
import type { SharedReads } from './shared-reads';

/** A read model fed from the store. `apply` must be idempotent per event (rebuilds replay). */
export interface Projector {
  readonly name: string;
  /** Only these event types are read (all when omitted). */
  readonly types?: readonly string[];
  apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void>;
}

export type ProjectionRunnerOptions = {
  batchSize: number;
  /** Poll interval when nothing woke the runner. */
  idleMs: number;
  onError?: (err: unknown) => void;
  /**
   * Read batches through this shared reader (all types, filtered here) instead of alone: the runners of one
   * process then read each event once between them. The checkpoint moves to the end of the batch read, past
   * events of other types, so that runners stay aligned on the same batches.
   */
  shared?: SharedReads;
};

/**
 * Runs one projector: read a batch after the checkpoint, apply it, move the checkpoint, all in one
 * transaction, so a crash anywhere replays from the last committed checkpoint. An advisory lock per
 * projector keeps several instances from applying the same batch twice.
 */
export class ProjectionRunner {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** Set when this projector's loop runs in another thread: `wake` is forwarded there, `start` does nothing. */
  private remoteWake: (() => void) | null = null;
  private readonly checkpoints: string;
  private readonly lockKey: string;

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
    schema: string,
    private readonly projector: Projector,
    private readonly options: ProjectionRunnerOptions,
  ) {
    this.checkpoints = `${quoteIdent(schema)}.checkpoints`;
    this.lockKey = BigInt.asIntN(
      64,
      BigInt(
        '0x' +
          createHash('sha256').update(`projection:${schema}:${projector.name}`).digest('hex').slice(0, 16),
      ),
    ).toString();
    options.shared?.register(projector.name);
  }

  /**
   * Applies at most one batch; returns how many events it read past (those applied, and with shared reads
   * those of other types skipped), 0 when caught up or locked out.
   */
  async runOnce(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', [
        this.lockKey,
      ]);
      if (!lock?.ok) return 0;
      const from = await this.checkpoint(tx);
      const shared = this.options.shared;
      const read = shared
        ? await shared.read(tx, this.projector.name, from, this.options.batchSize)
        : await this.store.readAll(tx, from, this.options.batchSize, this.projector.types);
      if (read.length === 0) return 0;
      const types = this.projector.types;
      const events = shared && types ? read.filter((e) => types.includes(e.type)) : read;
      if (events.length > 0) await this.projector.apply(tx, events);
      const last = read[read.length - 1]!;
      await tx.query(
        `INSERT INTO ${this.checkpoints} (name, tx_id, position, updated_at) VALUES ($1, $2::text::xid8, $3, now())
         ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()`,
        [this.projector.name, last.txId, last.position],
      );
      return read.length;
    });
  }

  /** Runs until caught up; for tests and rebuilds. */
  async catchUp(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * This projector's loop runs elsewhere (the ledger's projection thread): `start` becomes a no-op and `wake`
   * forwards to `wake`. `runOnce`/`catchUp` still work here; the advisory lock keeps the two from applying the
   * same batch.
   */
  runElsewhere(wake: () => void): void {
    this.remoteWake = wake;
  }

  start(): void {
    if (this.running || this.remoteWake) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the runner to look now instead of at the next poll (after a local append). */
  wake(): void {
    if (this.remoteWake) this.remoteWake();
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let applied = 0;
      try {
        applied = await this.runOnce();
        failures = 0;
      } catch (err) {
        failures += 1;
        this.options.onError?.(err);
      }
      if (applied > 0 && this.running) continue;
      const waitMs =
        failures > 0 ? Math.min(5_000, this.options.idleMs * 2 ** failures) : this.options.idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private async checkpoint(tx: SqlExecutor): Promise<Checkpoint> {
    const [row] = await tx.query<{ tx_id: string; position: string }>(
      `SELECT tx_id::text AS tx_id, position::text AS position FROM ${this.checkpoints} WHERE name = $1`,
      [this.projector.name],
    );
    return row ? { txId: row.tx_id, position: row.position } : { txId: '0', position: '0' };
  }
}

/**
 * Feeds a projector every event of `types` up to and including `upTo`, in the global order, in batches:
 * what a rebuild does to recompute a projection into scratch tables. Returns how many events it applied.
 */
export async function replayUpTo(
  tx: SqlExecutor,
  store: EventStore,
  projector: Pick<Projector, 'apply'>,
  types: readonly string[],
  upTo: Checkpoint,
  batchSize: number,
): Promise<number> {
  let from: Checkpoint = START;
  let events = 0;
  for (;;) {
    const read = await store.readAll(tx, from, batchSize, types);
    const batch = read.filter(
      (e) =>
        BigInt(e.txId) < BigInt(upTo.txId) ||
        (e.txId === upTo.txId && BigInt(e.position) <= BigInt(upTo.position)),
    );
    if (batch.length === 0) return events;
    await projector.apply(tx, batch);
    events += batch.length;
    const last = batch[batch.length - 1]!;
    from = { txId: last.txId, position: last.position };
    if (batch.length < read.length) return events;
  }
}
