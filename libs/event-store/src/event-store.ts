import { quoteIdent, type SqlExecutor } from '@sluice/database';

export type ExpectedVersion = number | 'any' | 'no_stream';

export type NewEvent = {
  eventId: string;
  type: string;
  subject: string;
  occurredAt: string;
  producer: string;
  correlationId: string | null;
  data: unknown;
};

export type StoredEvent = NewEvent & {
  position: string;
  txId: string;
  streamId: string;
  streamVersion: number;
  recordedAt: string;
};

/** Where a reader stands: the (transaction id, position) of the last event it has seen. */
export type Checkpoint = { txId: string; position: string };
export const START: Checkpoint = { txId: '0', position: '0' };

export class WrongExpectedVersionError extends Error {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
  ) {
    super(`stream ${streamId} is not at version ${String(expected)}`);
  }
}

type EventRow = {
  position: string;
  tx_id: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  subject: string;
  occurred_at: Date;
  recorded_at: Date;
  producer: string;
  correlation_id: string | null;
  data: unknown;
};

/**
 * An append-only event store on Postgres (tables in migrations/<schema>: `events`, `streams`).
 *
 * Appends: optimistic concurrency per stream through the `streams` row; the event id is unique, so
 * an event delivered twice is stored once (`append` reports which ids were new).
 *
 * Reads by global order: a bigint identity alone is not safe, because a transaction that took
 * position 10 may commit after one that took 11, and a reader that already passed 11 would skip 10
 * forever. Each row therefore records its transaction id (xid8), and readers only return rows whose
 * transaction is older than the oldest transaction still running (`pg_snapshot_xmin`), ordered by
 * (transaction id, position). Every such transaction has finished, so nothing can appear behind the
 * reader's checkpoint later.
 */
export class EventStore {
  private readonly events: string;
  private readonly streams: string;

  constructor(schema: string) {
    this.events = `${quoteIdent(schema)}.events`;
    this.streams = `${quoteIdent(schema)}.streams`;
  }

  /**
   * Appends in the caller's transaction. Events whose id is already stored are skipped (not an
   * error): at-least-once delivery makes duplicates normal. Returns the ids that were new.
   */
  async append(
    tx: SqlExecutor,
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion = 'any',
  ): Promise<string[]> {
    if (events.length === 0) return [];
    const ids = events.map((e) => e.eventId);
    const dupes = new Set(
      (
        await tx.query<{ event_id: string }>(
          `SELECT event_id FROM ${this.events} WHERE event_id = ANY($1::uuid[])`,
          [ids],
        )
      ).map((r) => r.event_id),
    );
    const seen = new Set<string>();
    const fresh = events.filter((e) => {
      if (dupes.has(e.eventId) || seen.has(e.eventId)) return false;
      seen.add(e.eventId);
      return true;
    });
    if (fresh.length === 0) {
      if (typeof expected === 'number' || expected === 'no_stream')
        await this.checkVersion(tx, streamId, expected);
      return [];
    }
    const last = await this.reserveVersions(tx, streamId, fresh.length, expected);
    const first = last - fresh.length + 1;
    const cols = 9;
    const values: unknown[] = [];
    const rows = fresh.map((e, i) => {
      values.push(
        e.eventId,
        streamId,
        first + i,
        e.type,
        e.subject,
        e.occurredAt,
        e.producer,
        e.correlationId,
        JSON.stringify(e.data),
      );
      const b = i * cols;
      return `($${b + 1}::uuid, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}::timestamptz, $${b + 7}, $${b + 8}, $${b + 9}::jsonb)`;
    });
    // ON CONFLICT guards the race of two consumers appending the same event at once: the loser's
    // row is skipped, and its stream version gap is harmless (versions order, they do not count).
    const inserted = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.events} (event_id, stream_id, stream_version, type, subject, occurred_at, producer, correlation_id, data)
       VALUES ${rows.join(', ')}
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      values,
    );
    return inserted.map((r) => r.event_id);
  }

  /**
   * Appends events to many streams at once, each at version 'any', in three statements whatever the
   * number of streams (the ingest path: one Kafka batch spans many payers). Per-stream order is the order
   * given, and so is the global order of the new events. Ids already stored (or repeated in the list) are
   * skipped. Streams rows are locked in stream id order, so two concurrent appends cannot deadlock.
   * Returns the ids that were new.
   */
  async appendMany(
    tx: SqlExecutor,
    events: ReadonlyArray<NewEvent & { streamId: string }>,
  ): Promise<string[]> {
    if (events.length === 0) return [];
    const dupes = new Set(
      (
        await tx.query<{ event_id: string }>(
          `SELECT event_id::text AS event_id FROM ${this.events} WHERE event_id = ANY($1::uuid[])`,
          [events.map((e) => e.eventId)],
        )
      ).map((r) => r.event_id),
    );
    const fresh = events.filter((e) => {
      const id = e.eventId.toLowerCase();
      if (dupes.has(id)) return false;
      dupes.add(id);
      return true;
    });
    if (fresh.length === 0) return [];
    const counts = new Map<string, number>();
    for (const e of fresh) counts.set(e.streamId, (counts.get(e.streamId) ?? 0) + 1);
    const streams = [...counts.keys()].sort();
    const reserved = await tx.query<{ stream_id: string; version: number }>(
      `INSERT INTO ${this.streams} (stream_id, version)
       SELECT * FROM unnest($1::text[], $2::integer[]) ORDER BY 1
       ON CONFLICT (stream_id) DO UPDATE SET version = ${this.streams}.version + EXCLUDED.version
       RETURNING stream_id, version`,
      [streams, streams.map((id) => counts.get(id)!)],
    );
    // The next version to hand out per stream: the reserved range ends at the returned version.
    const next = new Map(reserved.map((r) => [r.stream_id, r.version - counts.get(r.stream_id)! + 1]));
    const versions = fresh.map((e) => {
      const v = next.get(e.streamId)!;
      next.set(e.streamId, v + 1);
      return v;
    });
    // One JSON document for the rows rather than nine text arrays: the payloads are JSON already, and as
    // array elements the driver would escape every quote of every payload again (measured: the largest
    // share of the driver's work on the ingest path). As `json`, not `jsonb`: the document is split into
    // rows without first building the binary form of all of it; each payload becomes jsonb once, as it is
    // stored.
    const rows = JSON.stringify(
      fresh.map((e, i) => ({
        event_id: e.eventId,
        stream_id: e.streamId,
        stream_version: versions[i],
        type: e.type,
        subject: e.subject,
        occurred_at: e.occurredAt,
        producer: e.producer,
        correlation_id: e.correlationId,
        data: e.data,
        n: i,
      })),
    );
    const inserted = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.events} (event_id, stream_id, stream_version, type, subject, occurred_at, producer, correlation_id, data)
       SELECT event_id, stream_id, stream_version, type, subject, occurred_at, producer, correlation_id, data::jsonb
         FROM json_to_recordset($1::json) AS u(event_id uuid, stream_id text, stream_version integer, type text,
              subject text, occurred_at timestamptz, producer text, correlation_id text, data json, n integer)
        ORDER BY n
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id::text AS event_id`,
      [rows],
    );
    return inserted.map((r) => r.event_id);
  }

  /** Events after `from` that can no longer be overtaken by a transaction still in flight. */
  async readAll(
    db: SqlExecutor,
    from: Checkpoint,
    limit: number,
    types?: readonly string[],
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [from.txId, from.position, limit];
    let typeFilter = '';
    if (types && types.length > 0) {
      params.push(types);
      typeFilter = `AND e.type = ANY($4::text[])`;
    }
    const rows = await db.query<EventRow>(
      `SELECT position::text AS position, tx_id::text AS tx_id, event_id::text AS event_id, stream_id, stream_version, type, subject,
              occurred_at, recorded_at, producer, correlation_id, data
         FROM ${this.events} e
        WHERE (e.tx_id, e.position) > ($1::text::xid8, $2::bigint)
          AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ${typeFilter}
        -- Qualified on purpose: unqualified, ORDER BY would sort by the text aliases above.
        ORDER BY e.tx_id, e.position
        LIMIT $3`,
      params,
    );
    return rows.map(toStored);
  }

  async readStream(db: SqlExecutor, streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const rows = await db.query<EventRow>(
      `SELECT position::text AS position, tx_id::text AS tx_id, event_id::text AS event_id, stream_id, stream_version, type, subject,
              occurred_at, recorded_at, producer, correlation_id, data
         FROM ${this.events} e WHERE e.stream_id = $1 AND e.stream_version >= $2 ORDER BY e.stream_version`,
      [streamId, fromVersion],
    );
    return rows.map(toStored);
  }

  async count(db: SqlExecutor): Promise<number> {
    const [row] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.events}`);
    return Number(row?.n ?? 0);
  }

  private async checkVersion(
    tx: SqlExecutor,
    streamId: string,
    expected: number | 'no_stream',
  ): Promise<void> {
    const [row] = await tx.query<{ version: number }>(
      `SELECT version FROM ${this.streams} WHERE stream_id = $1`,
      [streamId],
    );
    const current = row?.version ?? 0;
    if ((expected === 'no_stream' && row) || (typeof expected === 'number' && current !== expected)) {
      throw new WrongExpectedVersionError(streamId, expected);
    }
  }

  /** Moves the stream's version forward by `n` under its row lock and returns the new version. */
  private async reserveVersions(
    tx: SqlExecutor,
    streamId: string,
    n: number,
    expected: ExpectedVersion,
  ): Promise<number> {
    if (expected === 'any') {
      const [row] = await tx.query<{ version: number }>(
        `INSERT INTO ${this.streams} (stream_id, version) VALUES ($1, $2)
         ON CONFLICT (stream_id) DO UPDATE SET version = ${this.streams}.version + EXCLUDED.version
         RETURNING version`,
        [streamId, n],
      );
      return row!.version;
    }
    if (expected === 'no_stream' || expected === 0) {
      const rows = await tx.query<{ version: number }>(
        `INSERT INTO ${this.streams} (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) DO NOTHING RETURNING version`,
        [streamId, n],
      );
      if (rows.length === 0) throw new WrongExpectedVersionError(streamId, expected);
      return rows[0]!.version;
    }
    const rows = await tx.query<{ version: number }>(
      `UPDATE ${this.streams} SET version = version + $3 WHERE stream_id = $1 AND version = $2 RETURNING version`,
      [streamId, expected, n],
    );
    if (rows.length === 0) throw new WrongExpectedVersionError(streamId, expected);
    return rows[0]!.version;
  }
}

function toStored(r: EventRow): StoredEvent {
  return {
    position: r.position,
    txId: r.tx_id,
    eventId: r.event_id,
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    type: r.type,
    subject: r.subject,
    occurredAt: r.occurred_at.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    producer: r.producer,
    correlationId: r.correlation_id,
    data: r.data,
  };
}
