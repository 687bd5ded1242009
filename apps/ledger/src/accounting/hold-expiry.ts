import { v5 as uuidv5 } from 'uuid';
import { quoteIdent, type SqlExecutor } from '@sluice/database';
import type { EventStore, NewEvent } from '@sluice/event-store';
import { SLUICE_LEDGER_NAMESPACE } from './domain/accounts';
import { MARKETPLACE_HOLD_EXPIRED_V1, type MarketplaceHoldReleasedV1 } from './domain/ledger-events';

/** The producer name of the events the ledger appends itself. */
export const HOLD_EXPIRY_PRODUCER = 'ledger';

/** One expiry per hold, whoever sweeps and however often: a second append of the same id is a no-op. */
export const holdExpiryEventId = (holdEventId: string): string =>
  uuidv5(`${MARKETPLACE_HOLD_EXPIRED_V1}/${holdEventId}`, SLUICE_LEDGER_NAMESPACE);

export type HoldExpirySweep = {
  /** Holds found open past their timeout. */
  due: number;
  /** Expiry events appended now (the others were already in the store, waiting for the projector). */
  appended: number;
};

type DueRow = { hold_event_id: string; timeout_at: Date; subject: string; stream_id: string };

/**
 * The hold expiry sweep: every pending hold the books still show open after its timeout gets a
 * `marketplace.hold_expired.v1` event appended to the store, on the buyer's stream, and the accounting
 * projector releases it from there. Expiry is thus a fact in the event log, not a clock read by the
 * projection, so a rebuild gives the same books.
 *
 * The event's `occurredAt` is the hold's own timeout (the instant it expired, which the recipe requires
 * to be at or after the timeout), and its id derives from the hold's event id: the event is the same
 * whenever and however often it is swept. A hold that a delivery or cancellation already in the store
 * resolves first simply makes the expiry a recorded rejection (`pending_transfer_already_posted`).
 */
export async function sweepExpiredHolds(
  tx: SqlExecutor,
  store: EventStore,
  schema: string,
  now: Date,
  limit = 500,
): Promise<HoldExpirySweep> {
  const s = quoteIdent(schema);
  const due = await tx.query<DueRow>(
    `SELECT t.event_id::text AS hold_event_id, t.timeout_at, e.subject, e.stream_id
       FROM ${s}.transfers t
       JOIN ${s}.events e ON e.event_id = t.event_id
      WHERE t.kind = 'pending' AND t.leg = 'hold' AND t.timeout_at <= $1
        AND NOT EXISTS (SELECT 1 FROM ${s}.transfers r WHERE r.pending_id = t.id)
      ORDER BY t.timeout_at, t.id
      LIMIT $2`,
    [now.toISOString(), limit],
  );
  if (due.length === 0) return { due: 0, appended: 0 };
  const events = due.map((r): NewEvent & { streamId: string } => {
    const data: MarketplaceHoldReleasedV1 = { holdEventId: r.hold_event_id };
    return {
      streamId: r.stream_id,
      eventId: holdExpiryEventId(r.hold_event_id),
      type: MARKETPLACE_HOLD_EXPIRED_V1,
      subject: r.subject,
      occurredAt: r.timeout_at.toISOString(),
      producer: HOLD_EXPIRY_PRODUCER,
      correlationId: null,
      data,
    };
  });
  const appended = await store.appendMany(tx, events);
  return { due: due.length, appended: appended.length };
}
