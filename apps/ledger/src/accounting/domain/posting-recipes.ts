import type { EventEnvelope, UsageRecordedV1 } from '@sluice/events';
import { AccountingError } from './accounting.errors';
import { accountIds } from './accounts';
import { priceFor, type PriceCatalogueState } from './price-catalogue';
import { deriveTransferId, makeTransfer, type Transfer } from './transfer';
import { costUsage, type UsageCosting } from './usage-costing';
import type {
  CreditExpiredV1,
  CreditToppedUpV1,
  LedgerCorrectionV1,
  MarketplaceHoldDeliveredV1,
  MarketplaceHoldPlacedV1,
  MarketplaceHoldReleasedV1,
} from './ledger-events';

// Posting recipes: pure functions from one event (plus the context the ledger reads in the same
// transaction) to the transfers it books, applied as one linked group. Transfer ids derive from the event
// id and the leg, so running a recipe twice yields the same ids and the second run is a no-op.

/** The part of the envelope recipes read. */
export type PostingEvent<TData> = Pick<EventEnvelope<string, TData>, 'id' | 'occurredAt' | 'data'>;

export type UsagePostingContext = {
  /** The catalogue as of this event's position in the stream (never the live catalogue). */
  catalogue: PriceCatalogueState;
  /** Pins the catalogue version (a correction reprices at the original's version). */
  maxCatalogueVersion?: number;
  /**
   * Price at this instant instead of the event's `occurredAt` (a correction reprices its original at the
   * original's time; the correction itself is booked when it happens).
   */
  pricedAt?: string;
  /**
   * The team's available balance, read under its row lock. Usage is a fact (the provider has served the
   * request and will bill for it), so when the charge exceeds it the shortfall is drawn on the team's
   * receivable first and the usage is booked in full. Left out, an overrunning charge is refused instead.
   */
  teamAvailableNanoUsd?: bigint;
};

export type UsagePosting = { transfers: Transfer[]; costing: UsageCosting | null };

const totalTokens = (d: UsageRecordedV1): number =>
  d.usage.inputUncachedTokens + d.usage.cacheReadTokens + d.usage.cacheWriteTokens + d.usage.outputTokens;

/**
 * Usage on a provider: the team pays its price (negotiated, or list plus margin) for the normalised tokens,
 * at the price in force when the request happened; the provider is owed its list price; the difference is
 * margin (to revenue) or subsidy (from revenue); sub-nano leftovers go to the rounding account.
 * Returns the costing too, for the request audit record.
 */
export function postUsageWithCosting(
  event: PostingEvent<UsageRecordedV1>,
  ctx: UsagePostingContext,
): UsagePosting {
  const d = event.data;
  if (totalTokens(d) === 0) return { transfers: [], costing: null };
  const model = d.modelServed ?? d.modelRequested;
  if (d.provider === null || model === null) {
    throw new AccountingError(
      'usage_unattributable',
      `usage ${event.id} has tokens but no provider or model`,
      { eventId: event.id },
    );
  }
  const price = priceFor(ctx.catalogue, {
    provider: d.provider,
    model,
    teamId: d.teamId,
    occurredAt: ctx.pricedAt ?? event.occurredAt,
    maxVersion: ctx.maxCatalogueVersion,
  });
  const costing = costUsage(d.usage, price);
  const team = accountIds.team(d.teamId);
  const provider = accountIds.provider(d.provider);
  const ref = {
    requestId: d.requestId,
    provider: d.provider,
    model,
    listPriceVersion: String(price.list.version),
    teamPriceVersion: price.team.version === null ? '' : String(price.team.version),
    priceBasis: price.team.basis,
    tier: costing.tier,
    teamExactFemtoUsd: costing.teamExactFemtoUsd.toString(),
    providerExactFemtoUsd: costing.providerExactFemtoUsd.toString(),
  };
  const common = { eventId: event.id, bookedAt: event.occurredAt, ref };
  const legs: Transfer[] = [];
  const available = ctx.teamAvailableNanoUsd;
  if (available !== undefined && costing.chargeNanoUsd > available) {
    const shortfall = costing.chargeNanoUsd - (available > 0n ? available : 0n);
    legs.push(
      makeTransfer({
        ...common,
        leg: 'overdraft',
        code: 'overdraft.draw',
        debitAccountId: accountIds.receivable(d.teamId),
        creditAccountId: team,
        amountNanoUsd: shortfall,
      }),
    );
  }
  if (costing.providerFromTeamNanoUsd > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'provider_cost',
        code: 'usage.provider_cost',
        debitAccountId: team,
        creditAccountId: provider,
        amountNanoUsd: costing.providerFromTeamNanoUsd,
      }),
    );
  }
  if (costing.subsidyNanoUsd > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'subsidy',
        code: 'usage.subsidy',
        debitAccountId: accountIds.platformRevenue,
        creditAccountId: provider,
        amountNanoUsd: costing.subsidyNanoUsd,
      }),
    );
  }
  if (costing.marginNanoUsd > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'margin',
        code: 'usage.margin',
        debitAccountId: team,
        creditAccountId: accountIds.platformRevenue,
        amountNanoUsd: costing.marginNanoUsd,
      }),
    );
  }
  if (costing.roundingNanoUsd > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'rounding',
        code: 'usage.rounding',
        debitAccountId: team,
        creditAccountId: accountIds.platformRounding,
        amountNanoUsd: costing.roundingNanoUsd,
      }),
    );
  }
  return { transfers: legs, costing };
}

export function postUsage(event: PostingEvent<UsageRecordedV1>, ctx: UsagePostingContext): Transfer[] {
  return postUsageWithCosting(event, ctx).transfers;
}

/**
 * A top-up: money arrives from outside (`cash:<source>`) as the team's prepaid credit, and first repays
 * what the team owes from usage that overran its credit (`teamOwedNanoUsd`, its receivable balance).
 */
export function postTopUp(
  event: PostingEvent<CreditToppedUpV1>,
  ctx: { teamOwedNanoUsd?: bigint } = {},
): Transfer[] {
  const d = event.data;
  const amount = BigInt(d.amountNanoUsd);
  const owed = ctx.teamOwedNanoUsd ?? 0n;
  const repay = owed < amount ? owed : amount;
  const repayment =
    repay > 0n
      ? [
          makeTransfer({
            eventId: event.id,
            leg: 'repay_overdraft',
            code: 'overdraft.repay',
            debitAccountId: accountIds.team(d.teamId),
            creditAccountId: accountIds.receivable(d.teamId),
            amountNanoUsd: repay,
            bookedAt: event.occurredAt,
          }),
        ]
      : [];
  return [
    makeTransfer({
      eventId: event.id,
      leg: 'top_up',
      code: 'top_up',
      debitAccountId: accountIds.cash(d.source),
      creditAccountId: accountIds.team(d.teamId),
      amountNanoUsd: BigInt(d.amountNanoUsd),
      bookedAt: event.occurredAt,
      ref: d.reference === null ? {} : { reference: d.reference },
    }),
    ...repayment,
  ];
}

/**
 * Credit expiry: the unspent part of a grant becomes breakage. Capped at what the team has available at
 * this point of the stream (read in the same transaction), so expiry never pushes a team below zero.
 */
export function postCreditExpiry(
  event: PostingEvent<CreditExpiredV1>,
  ctx: { teamAvailableNanoUsd: bigint },
): Transfer[] {
  const d = event.data;
  const requested = BigInt(d.amountNanoUsd);
  const amount = requested < ctx.teamAvailableNanoUsd ? requested : ctx.teamAvailableNanoUsd;
  if (amount <= 0n) return [];
  return [
    makeTransfer({
      eventId: event.id,
      leg: 'credit_expiry',
      code: 'credit_expiry',
      debitAccountId: accountIds.team(d.teamId),
      creditAccountId: accountIds.expiredCredit,
      amountNanoUsd: amount,
      bookedAt: event.occurredAt,
      ref: {
        requestedNanoUsd: requested.toString(),
        ...(d.grantReference === null ? {} : { grantReference: d.grantReference }),
      },
    }),
  ];
}

/**
 * A correction never edits: it reverses every posted transfer of the corrected event (credit and debit
 * swapped, `correctsTransferId` naming the original) and then books the replacement, which the caller
 * computed by running the original recipe on the corrected facts under the correction's event id.
 * Overdraft draws are not reversed (see below).
 * Reversals come first, so a team's balance is restored before it is charged again.
 */
export function postCorrection(
  event: PostingEvent<LedgerCorrectionV1>,
  ctx: { originalTransfers: readonly Transfer[]; replacement: readonly Transfer[] },
): Transfer[] {
  const stray = ctx.replacement.find((t) => t.eventId !== event.id);
  if (stray)
    throw new AccountingError(
      'event_invalid',
      `replacement transfer ${stray.id} was not derived from correction ${event.id}`,
    );
  const reversals = ctx.originalTransfers
    // An overdraft draw is financing, not a charge: it stays, the team keeps owing it, and the refunded
    // charge lands on the team's credit (reversing the draw could also overpay an already repaid receivable).
    .filter(
      (t) =>
        t.eventId === event.data.correctsEventId &&
        (t.kind === 'single' || t.kind === 'post') &&
        t.code !== 'overdraft.draw',
    )
    .map((t) =>
      makeTransfer({
        eventId: event.id,
        leg: `reversal:${t.id}`,
        code: 'correction.reversal',
        debitAccountId: t.creditAccountId,
        creditAccountId: t.debitAccountId,
        amountNanoUsd: t.amountNanoUsd,
        bookedAt: event.occurredAt,
        correctsTransferId: t.id,
        ref: {
          ...t.ref,
          correctsEventId: event.data.correctsEventId,
          reason: event.data.reason,
          originalCode: t.code,
        },
      }),
    );
  return [...reversals, ...ctx.replacement];
}

// --------------------------------------------------------------------------------------- marketplace holds

/** The pending transfer a `marketplace.hold_placed.v1` event creates. */
export const holdTransferId = (holdEventId: string): string => deriveTransferId(holdEventId, 'hold');

/** A marketplace hold: the worst-case cost is reserved on the buyer, pending into escrow, with a timeout. */
export function postHoldPlaced(event: PostingEvent<MarketplaceHoldPlacedV1>): Transfer[] {
  const d = event.data;
  const timeoutAt = new Date(Date.parse(event.occurredAt) + d.timeoutSeconds * 1000).toISOString();
  return [
    makeTransfer({
      eventId: event.id,
      leg: 'hold',
      kind: 'pending',
      code: 'marketplace.hold',
      debitAccountId: accountIds.team(d.buyerTeamId),
      creditAccountId: accountIds.marketplaceEscrow,
      amountNanoUsd: BigInt(d.maxAmountNanoUsd),
      bookedAt: event.occurredAt,
      timeoutAt,
      ref: { sellerId: d.sellerId, ...(d.requestId === null ? {} : { requestId: d.requestId }) },
    }),
  ];
}

/** The hold's pending transfer, as the ledger stored it; recipes resolving a hold read it from here. */
export type HoldContext = { hold: Transfer };

function checkHold(event: PostingEvent<{ holdEventId: string }>, ctx: HoldContext): Transfer {
  const hold = ctx.hold;
  if (hold.id !== holdTransferId(event.data.holdEventId) || hold.kind !== 'pending') {
    throw new AccountingError(
      'pending_transfer_not_found',
      `context holds ${hold.id}, not the hold of ${event.data.holdEventId}`,
    );
  }
  return hold;
}

const release = (
  event: PostingEvent<MarketplaceHoldReleasedV1>,
  hold: Transfer,
  kind: 'void' | 'expire',
): Transfer =>
  makeTransfer({
    eventId: event.id,
    leg: kind,
    kind,
    code: 'marketplace.hold',
    debitAccountId: hold.debitAccountId,
    creditAccountId: hold.creditAccountId,
    amountNanoUsd: hold.amountNanoUsd,
    pendingId: hold.id,
    bookedAt: event.occurredAt,
    ref: hold.ref,
  });

/**
 * Delivery: post the actual cost out of the hold (the rest of the reservation is released), then pay the
 * seller its share and the platform its fee out of escrow. Escrow nets to zero for every settled hold.
 */
export function postHoldDelivered(
  event: PostingEvent<MarketplaceHoldDeliveredV1>,
  ctx: HoldContext,
): Transfer[] {
  const hold = checkHold(event, ctx);
  const actual = BigInt(event.data.actualAmountNanoUsd);
  const fee = BigInt(event.data.feeNanoUsd);
  if (fee > actual)
    throw new AccountingError('event_invalid', `fee ${fee} exceeds the delivered amount ${actual}`);
  if (actual === 0n) return [release(event, hold, 'void')];
  const sellerId = hold.ref.sellerId;
  if (sellerId === undefined) throw new AccountingError('event_invalid', `hold ${hold.id} names no seller`);
  const common = { eventId: event.id, bookedAt: event.occurredAt, ref: hold.ref };
  const legs = [
    makeTransfer({
      ...common,
      leg: 'post',
      kind: 'post',
      code: 'marketplace.hold',
      pendingId: hold.id,
      debitAccountId: hold.debitAccountId,
      creditAccountId: hold.creditAccountId,
      amountNanoUsd: actual,
    }),
  ];
  if (actual - fee > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'seller_earning',
        code: 'marketplace.seller_earning',
        debitAccountId: accountIds.marketplaceEscrow,
        creditAccountId: accountIds.seller(sellerId),
        amountNanoUsd: actual - fee,
      }),
    );
  }
  if (fee > 0n) {
    legs.push(
      makeTransfer({
        ...common,
        leg: 'fee',
        code: 'marketplace.fee',
        debitAccountId: accountIds.marketplaceEscrow,
        creditAccountId: accountIds.platformRevenue,
        amountNanoUsd: fee,
      }),
    );
  }
  return legs;
}

/** Cancel: void the hold, releasing the whole reservation. */
export function postHoldCancelled(
  event: PostingEvent<MarketplaceHoldReleasedV1>,
  ctx: HoldContext,
): Transfer[] {
  return [release(event, checkHold(event, ctx), 'void')];
}

/** Expiry: only at or after the hold's timeout (the event's `occurredAt` decides, not the wall clock). */
export function postHoldExpired(
  event: PostingEvent<MarketplaceHoldReleasedV1>,
  ctx: HoldContext,
): Transfer[] {
  return [release(event, checkHold(event, ctx), 'expire')];
}
