import type { SqlExecutor } from '@sluice/database';
import type { Checkpoint, EventStore, StoredEvent } from './event-store';

type Entry = {
  from: Position;
  events: Promise<StoredEvent[]>;
  size: number;
};

type Position = { tx: bigint; pos: bigint };
const before = (a: Position, b: Position): boolean => a.tx < b.tx || (a.tx === b.tx && a.pos < b.pos);

/**
 * One read of the store's global order shared by the projection runners of one process. Each runner read
 * every event itself (three times in the ledger: the books, the read models, the hash chain), and reading a
 * batch back is a large share of both the database's and the process's work per event (the rows' JSON
 * parsed again, the timestamps, the objects and their garbage).
 *
 * A batch is keyed by where it starts and its size, and holds every type (each runner filters its own), so
 * runners that start from the same checkpoint get the same batch and end on the same checkpoint: they stay
 * aligned and the next batch is shared too. Sharing is safe across transactions because `readAll` returns
 * only events older than every transaction still running: committed, append-only, never changed again,
 * and visible to any later snapshot. Reads in flight are shared as well (the runners wake together after
 * an ingest); if one fails, the others read for themselves. A batch leaves memory once every registered
 * runner reads from further on (a batch that rolled back is read again from the same place, and must be
 * the same to keep the runners aligned), or, oldest first, when more than `maxEvents` are held (a stalled
 * runner).
 */
export class SharedReads {
  private readonly consumers = new Set<string>();
  private readonly batches = new Map<string, Entry>();
  /** Where each consumer read last: checkpoints only move forward, so no one reads before the lowest. */
  private readonly last = new Map<string, Position>();
  private held = 0;

  constructor(
    private readonly store: EventStore,
    private readonly maxEvents = 20_000,
  ) {}

  register(consumer: string): void {
    this.consumers.add(consumer);
  }

  /** Every event after `from`, at most `limit`, all types: the batch any other consumer read from there. */
  async read(db: SqlExecutor, consumer: string, from: Checkpoint, limit: number): Promise<StoredEvent[]> {
    const key = `${from.txId}/${from.position}/${limit}`;
    const at: Position = { tx: BigInt(from.txId), pos: BigInt(from.position) };
    this.last.set(consumer, at);
    this.forgetPassed();
    const cached = this.batches.get(key);
    if (cached) {
      try {
        return await cached.events;
      } catch {
        // The other reader's transaction failed: read for ourselves below.
      }
    }
    const entry: Entry = { from: at, events: this.store.readAll(db, from, limit), size: 0 };
    if (cached) this.drop(key, cached);
    this.batches.set(key, entry);
    let events: StoredEvent[];
    try {
      events = await entry.events;
    } catch (err) {
      this.drop(key, entry);
      throw err;
    }
    if (events.length === 0 || this.consumers.size <= 1) {
      // Nothing to share (an empty read says nothing about later ones).
      this.drop(key, entry);
      return events;
    }
    entry.size = events.length;
    this.held += events.length;
    while (this.held > this.maxEvents) {
      const oldest = this.batches.entries().next().value;
      if (!oldest) break;
      this.drop(oldest[0], oldest[1]);
    }
    return events;
  }

  /** Batches held (for tests and metrics). */
  get size(): number {
    return this.batches.size;
  }

  /** Drops the batches every consumer has moved past (a batch that rolled back is read again: kept). */
  private forgetPassed(): void {
    if (this.last.size < this.consumers.size) return;
    let lowest: Position | null = null;
    for (const p of this.last.values()) if (lowest === null || before(p, lowest)) lowest = p;
    if (lowest === null) return;
    for (const [key, entry] of this.batches) if (before(entry.from, lowest)) this.drop(key, entry);
  }

  private drop(key: string, entry: Entry): void {
    if (this.batches.get(key) !== entry) return;
    this.batches.delete(key);
    this.held -= entry.size;
  }
}
