import { hash } from 'node:crypto';
import { quoteIdent, type SqlExecutor } from '@sluice/database';
import type { Checkpoint, EventStore, Projector, StoredEvent } from '@sluice/event-store';

export const GENESIS_HASH = '0'.repeat(64);

// One-shot `hash` (Node >= 20.12): the same digest as createHash().update().digest(), without the object.
const sha256 = (s: string): string => hash('sha256', s, 'hex');

/**
 * Canonical JSON of a stored event's fields: keys sorted (UTF-16 order), what JSON has no text for as null.
 * Loops over `Object.keys().sort()` instead of entries, a comparator, map and join: the same text (a unit
 * test compares it with that form; the chain's hashes depend on it) at about half the cost, for every event.
 */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As `map` + `join` did: a hole adds nothing.
      if (i in value) out += canonical(value[i]);
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out += ',';
    out += `${JSON.stringify(k)}:${canonical(obj[k])}`;
  }
  return out + '}';
}

/** SHA-256 of everything stored about one event, its place in the global order included. */
export function eventDigest(e: StoredEvent): string {
  return sha256(
    canonical([
      e.txId,
      e.position,
      e.eventId,
      e.streamId,
      e.streamVersion,
      e.type,
      e.subject,
      e.occurredAt,
      e.recordedAt,
      e.producer,
      e.correlationId,
      e.data,
    ]),
  );
}

export type ChainBlock = {
  blockNo: number;
  from: Checkpoint;
  to: Checkpoint;
  eventCount: number;
  eventsHash: string;
  prevHash: string;
  blockHash: string;
};

export function sealBlock(
  blockNo: number,
  prevHash: string,
  from: Checkpoint,
  events: readonly StoredEvent[],
): ChainBlock {
  const last = events[events.length - 1];
  if (!last) throw new Error('a block has at least one event');
  const to = { txId: last.txId, position: last.position };
  const eventsHash = sha256(events.map(eventDigest).join('\n'));
  const blockHash = sha256(
    [blockNo, prevHash, from.txId, from.position, to.txId, to.position, events.length, eventsHash].join('|'),
  );
  return { blockNo, from, to, eventCount: events.length, eventsHash, prevHash, blockHash };
}

type BlockRow = {
  block_no: string;
  from_tx_id: string;
  from_position: string;
  to_tx_id: string;
  to_position: string;
  event_count: number;
  events_hash: string;
  prev_hash: string;
  block_hash: string;
};

const BLOCK_COLUMNS =
  'block_no::text AS block_no, from_tx_id::text AS from_tx_id, from_position::text AS from_position, to_tx_id::text AS to_tx_id, to_position::text AS to_position, event_count, events_hash, prev_hash, block_hash';

const blockFromRow = (r: BlockRow): ChainBlock => ({
  blockNo: Number(r.block_no),
  from: { txId: r.from_tx_id, position: r.from_position },
  to: { txId: r.to_tx_id, position: r.to_position },
  eventCount: r.event_count,
  eventsHash: r.events_hash,
  prevHash: r.prev_hash,
  blockHash: r.block_hash,
});

/**
 * Seals each batch the runner hands it as one block of the chain: appends never wait for the chain (no
 * global lock on the event store), and the block boundaries are the projector's checkpoints, in the
 * store's global order, which nothing can be inserted behind.
 */
export class EventChainProjector implements Projector {
  readonly name = 'event_chain';
  private readonly blocks: string;

  constructor(schema: string) {
    this.blocks = `${quoteIdent(schema)}.event_chain_blocks`;
  }

  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const [last] = await tx.query<BlockRow>(
      // Qualified: unqualified, ORDER BY would sort by the text alias of BLOCK_COLUMNS (10 before 9).
      `SELECT ${BLOCK_COLUMNS} FROM ${this.blocks} b ORDER BY b.block_no DESC LIMIT 1`,
    );
    const prev = last ? blockFromRow(last) : null;
    const b = sealBlock(
      (prev?.blockNo ?? 0) + 1,
      prev?.blockHash ?? GENESIS_HASH,
      prev?.to ?? { txId: '0', position: '0' },
      events,
    );
    await tx.query(
      `INSERT INTO ${this.blocks} (block_no, from_tx_id, from_position, to_tx_id, to_position, event_count, events_hash, prev_hash, block_hash)
       VALUES ($1, $2::text::xid8, $3, $4::text::xid8, $5, $6, $7, $8, $9)`,
      [
        b.blockNo,
        b.from.txId,
        b.from.position,
        b.to.txId,
        b.to.position,
        b.eventCount,
        b.eventsHash,
        b.prevHash,
        b.blockHash,
      ],
    );
  }
}

export type ChainReport = {
  blocks: number;
  events: number;
  /** The first block that does not recompute (null when the whole chain holds), and why. */
  firstBroken: { blockNo: number; reason: string } | null;
};

/** Recomputes every block from the events and names the first one that differs. */
export async function verifyEventChain(
  db: SqlExecutor,
  store: EventStore,
  schema: string,
): Promise<ChainReport> {
  const rows = await db.query<BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM ${quoteIdent(schema)}.event_chain_blocks b ORDER BY b.block_no`,
  );
  let prevHash = GENESIS_HASH;
  let prevTo: Checkpoint = { txId: '0', position: '0' };
  let events = 0;
  for (const [i, row] of rows.entries()) {
    const b = blockFromRow(row);
    const broken = (reason: string): ChainReport => ({
      blocks: rows.length,
      events,
      firstBroken: { blockNo: b.blockNo, reason },
    });
    if (b.blockNo !== i + 1) return broken(`block number ${b.blockNo} where ${i + 1} was expected`);
    if (b.prevHash !== prevHash) return broken('does not link to the previous block');
    if (b.from.txId !== prevTo.txId || b.from.position !== prevTo.position)
      return broken('does not start where the previous block ended');
    const got = await store.readAll(db, b.from, b.eventCount);
    const recomputed = got.length > 0 ? sealBlock(b.blockNo, prevHash, b.from, got) : null;
    if (!recomputed || recomputed.eventCount !== b.eventCount) return broken('events are missing');
    if (recomputed.to.txId !== b.to.txId || recomputed.to.position !== b.to.position)
      return broken('its events are not the ones sealed (one was removed or inserted)');
    if (recomputed.eventsHash !== b.eventsHash) return broken('an event was changed');
    if (recomputed.blockHash !== b.blockHash) return broken('the block hash does not recompute');
    prevHash = b.blockHash;
    prevTo = b.to;
    events += b.eventCount;
  }
  return { blocks: rows.length, events, firstBroken: null };
}
