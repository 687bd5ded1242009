import { createHash } from 'node:crypto';
import {
  USAGE_RECORDED_V1,
  usageRecordedV1Schema,
  type EventEnvelope,
  type UsageRecordedV1,
} from '@sluice/events';
import type { ZodType, ZodTypeDef } from 'zod';
import { AccountingError, isAccountingError, type AccountingErrorCode } from './accounting.errors';
import { accountIds } from './accounts';
import {
  CREDIT_EXPIRED_V1,
  CREDIT_TOPPED_UP_V1,
  LEDGER_CORRECTION_V1,
  MARKETPLACE_HOLD_CANCELLED_V1,
  MARKETPLACE_HOLD_DELIVERED_V1,
  MARKETPLACE_HOLD_EXPIRED_V1,
  MARKETPLACE_HOLD_PLACED_V1,
  creditExpiredV1Schema,
  creditToppedUpV1Schema,
  ledgerCorrectionV1Schema,
  marketplaceHoldDeliveredV1Schema,
  marketplaceHoldPlacedV1Schema,
  marketplaceHoldReleasedV1Schema,
} from './ledger-events';
import { availableBalance, LedgerState, postedBalance } from './ledger-state';
import {
  EMPTY_PRICE_CATALOGUE,
  PRICE_PUBLISHED_V1,
  applyPricePublished,
  latestCatalogueVersion,
  type PriceCatalogueState,
} from './price-catalogue';
import {
  holdTransferId,
  postCorrection,
  postCreditExpiry,
  postHoldCancelled,
  postHoldDelivered,
  postHoldExpired,
  postHoldPlaced,
  postTopUp,
  postUsage,
  type HoldContext,
  type PostingEvent,
} from './posting-recipes';
import type { Transfer } from './transfer';

export type HandleOutcome =
  | { status: 'applied'; transfers: Transfer[] }
  | { status: 'duplicate'; first: HandleOutcome }
  | { status: 'rejected'; code: AccountingErrorCode; message: string }
  | { status: 'ignored' };

type Seen = { hash: string; outcome: HandleOutcome };

function parse<T>(schema: ZodType<T, ZodTypeDef, unknown>, e: EventEnvelope): T {
  const r = schema.safeParse(e.data);
  if (!r.success)
    throw new AccountingError('event_invalid', `${e.type} ${e.id}: ${r.error.message}`, { eventId: e.id });
  return r.data;
}

/**
 * The ledger's consumer logic without Kafka or Postgres: an inbox that dedupes by event id, the price
 * catalogue and the books, fed events in stream order. This is what the service does inside one database
 * transaction per event (or batch); it is the reference the property tests run, and a rebuild is a fresh
 * projector fed the same events.
 *
 * A rejected event (a coded domain error: insufficient credit, hold already resolved ...) is recorded as
 * handled and changes nothing: it is deterministic, so retrying it would fail the same way. The same event
 * id with a different body is rejected too (Formance's idempotency rule).
 */
export class LedgerProjector {
  readonly ledger = new LedgerState();
  private catalogueState: PriceCatalogueState = EMPTY_PRICE_CATALOGUE;
  private readonly inbox = new Map<string, Seen>();
  /** Usage events by id: a correction reprices its original. */
  private readonly usageEvents = new Map<string, PostingEvent<UsageRecordedV1>>();
  private readonly catalogueVersionAt = new Map<string, number>();

  get catalogue(): PriceCatalogueState {
    return this.catalogueState;
  }

  handle(e: EventEnvelope): HandleOutcome {
    const hash = createHash('sha256')
      .update(JSON.stringify([e.id, e.type, e.occurredAt, e.subject, e.data]))
      .digest('hex');
    const seen = this.inbox.get(e.id);
    if (seen) {
      if (seen.hash === hash) return { status: 'duplicate', first: seen.outcome };
      return {
        status: 'rejected',
        code: 'exists_with_different_body',
        message: `event ${e.id} was seen with another body`,
      };
    }
    let outcome: HandleOutcome;
    try {
      outcome = this.dispatch(e);
    } catch (err) {
      if (!isAccountingError(err)) throw err;
      outcome = { status: 'rejected', code: err.code, message: err.message };
    }
    this.inbox.set(e.id, { hash, outcome });
    return outcome;
  }

  private book(transfers: Transfer[]): HandleOutcome {
    this.ledger.apply(transfers);
    return { status: 'applied', transfers };
  }

  private holdContext(holdEventId: string): HoldContext {
    const hold = this.ledger.transfer(holdTransferId(holdEventId))?.transfer;
    if (!hold) throw new AccountingError('pending_transfer_not_found', `no hold from event ${holdEventId}`);
    return { hold };
  }

  private dispatch(e: EventEnvelope): HandleOutcome {
    switch (e.type) {
      case PRICE_PUBLISHED_V1:
        this.catalogueState = applyPricePublished(this.catalogueState, e.data);
        return { status: 'applied', transfers: [] };
      case USAGE_RECORDED_V1: {
        const ev = { id: e.id, occurredAt: e.occurredAt, data: parse(usageRecordedV1Schema, e) };
        // The catalogue version in force when the usage was booked, for corrections to reprice at.
        const version = latestCatalogueVersion(this.catalogueState);
        const available = availableBalance(this.ledger.balance(accountIds.team(ev.data.teamId)));
        const out = this.book(
          postUsage(ev, { catalogue: this.catalogueState, teamAvailableNanoUsd: available }),
        );
        this.usageEvents.set(e.id, ev);
        this.catalogueVersionAt.set(e.id, version);
        return out;
      }
      case CREDIT_TOPPED_UP_V1: {
        const data = parse(creditToppedUpV1Schema, e);
        const owed = postedBalance(this.ledger.balance(accountIds.receivable(data.teamId)));
        return this.book(postTopUp({ ...e, data }, { teamOwedNanoUsd: owed }));
      }
      case CREDIT_EXPIRED_V1: {
        const data = parse(creditExpiredV1Schema, e);
        const available = availableBalance(this.ledger.balance(accountIds.team(data.teamId)));
        return this.book(postCreditExpiry({ ...e, data }, { teamAvailableNanoUsd: available }));
      }
      case LEDGER_CORRECTION_V1: {
        const data = parse(ledgerCorrectionV1Schema, e);
        const originalTransfers = this.ledger
          .journalEntries()
          .filter((t) => t.eventId === data.correctsEventId);
        if (originalTransfers.length === 0 && !this.inbox.has(data.correctsEventId)) {
          throw new AccountingError(
            'corrected_transfer_not_found',
            `correction of unknown event ${data.correctsEventId}`,
          );
        }
        let replacement: Transfer[] = [];
        const original = this.usageEvents.get(data.correctsEventId);
        if (data.correctedUsage && original) {
          // The team's balance once the reversals refund the original charge (overdraft draws stay).
          const team = accountIds.team(original.data.teamId);
          const refund = originalTransfers
            .filter((t) => t.kind === 'single' && t.debitAccountId === team)
            .reduce((sum, t) => sum + t.amountNanoUsd, 0n);
          replacement = postUsage(
            { id: e.id, occurredAt: e.occurredAt, data: { ...original.data, usage: data.correctedUsage } },
            {
              catalogue: this.catalogueState,
              pricedAt: original.occurredAt,
              maxCatalogueVersion: this.catalogueVersionAt.get(original.id),
              teamAvailableNanoUsd: availableBalance(this.ledger.balance(team)) + refund,
            },
          );
        }
        return this.book(postCorrection({ ...e, data }, { originalTransfers, replacement }));
      }
      case MARKETPLACE_HOLD_PLACED_V1:
        return this.book(postHoldPlaced({ ...e, data: parse(marketplaceHoldPlacedV1Schema, e) }));
      case MARKETPLACE_HOLD_DELIVERED_V1: {
        const data = parse(marketplaceHoldDeliveredV1Schema, e);
        return this.book(postHoldDelivered({ ...e, data }, this.holdContext(data.holdEventId)));
      }
      case MARKETPLACE_HOLD_CANCELLED_V1: {
        const data = parse(marketplaceHoldReleasedV1Schema, e);
        return this.book(postHoldCancelled({ ...e, data }, this.holdContext(data.holdEventId)));
      }
      case MARKETPLACE_HOLD_EXPIRED_V1: {
        const data = parse(marketplaceHoldReleasedV1Schema, e);
        return this.book(postHoldExpired({ ...e, data }, this.holdContext(data.holdEventId)));
      }
      default:
        return { status: 'ignored' };
    }
  }
}
