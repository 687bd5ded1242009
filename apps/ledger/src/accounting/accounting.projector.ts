import { quoteIdent, type SqlExecutor } from '@sluice/database';
import type { Projector, StoredEvent } from '@sluice/event-store';
import { USAGE_RECORDED_V1, type UsageRecordedV1 } from '@sluice/events';
import type { SafeParseReturnType, ZodType, ZodTypeDef } from 'zod';
import { parseUsageRecordedV1 } from '../ingest/usage-recorded.parser';
import { AccountingError, isAccountingError, type AccountingErrorCode } from './domain/accounting.errors';
import { accountIds, type AccountId } from './domain/accounts';
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
} from './domain/ledger-events';
import { availableBalance, postedBalance } from './domain/ledger-state';
import {
  EMPTY_PRICE_CATALOGUE,
  PRICE_PUBLISHED_V1,
  applyPricePublished,
  latestCatalogueVersion,
  pricePublishedV1Schema,
  type PriceCatalogueState,
} from './domain/price-catalogue';
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
} from './domain/posting-recipes';
import type { Transfer } from './domain/transfer';
import { LedgerSession } from './postgres-ledger';

export const ACCOUNTING_EVENT_TYPES = [
  PRICE_PUBLISHED_V1,
  USAGE_RECORDED_V1,
  CREDIT_TOPPED_UP_V1,
  CREDIT_EXPIRED_V1,
  LEDGER_CORRECTION_V1,
  MARKETPLACE_HOLD_PLACED_V1,
  MARKETPLACE_HOLD_DELIVERED_V1,
  MARKETPLACE_HOLD_CANCELLED_V1,
  MARKETPLACE_HOLD_EXPIRED_V1,
] as const;

type Outcome =
  | { status: 'applied'; transfers: number; catalogueVersion?: number }
  | { status: 'rejected'; code: AccountingErrorCode; message: string }
  | { status: 'ignored' };

type Parser<T> = ZodType<T, ZodTypeDef, unknown> | ((data: unknown) => SafeParseReturnType<unknown, T>);

function parse<T>(schema: Parser<T>, e: StoredEvent): T {
  const r = typeof schema === 'function' ? schema(e.data) : schema.safeParse(e.data);
  if (!r.success)
    throw new AccountingError('event_invalid', `${e.type} ${e.eventId}: ${r.error.message}`, {
      eventId: e.eventId,
    });
  return r.data;
}

type Batch = {
  tx: SqlExecutor;
  ledger: LedgerSession;
  /** Events handled in this batch, written to the inbox at its end. */
  inbox: Map<string, { event: StoredEvent; outcome: Outcome }>;
};

/** The accounts a batch will most likely touch, locked up front in one statement (in id order). */
function predictedAccounts(events: readonly StoredEvent[]): AccountId[] {
  const ids = new Set<AccountId>();
  const add = (f: () => AccountId): void => {
    try {
      ids.add(f());
    } catch {
      // An id that is not in the chart: the event's own handling refuses it.
    }
  };
  for (const e of events) {
    const d = e.data as Record<string, unknown> | null;
    if (d === null || typeof d !== 'object') continue;
    const team = typeof d['teamId'] === 'string' ? d['teamId'] : null;
    if (team === null) continue;
    add(() => accountIds.team(team));
    add(() => accountIds.receivable(team));
    if (e.type === USAGE_RECORDED_V1 && typeof d['provider'] === 'string') {
      const provider = d['provider'];
      add(() => accountIds.provider(provider));
      add(() => accountIds.platformRevenue);
      add(() => accountIds.platformRounding);
    }
    if (e.type === CREDIT_TOPPED_UP_V1 && typeof d['source'] === 'string') {
      const source = d['source'];
      add(() => accountIds.cash(source));
    }
  }
  return [...ids];
}

const posting = <T>(e: StoredEvent, data: T): PostingEvent<T> => ({
  id: e.eventId,
  occurredAt: e.occurredAt,
  data,
});

/**
 * The double-entry books as a checkpointed projection of the event store: `LedgerProjector`'s dispatch
 * (domain/ledger-projector.ts) on Postgres. The runner applies a batch and moves the checkpoint in one
 * transaction; within it, each event's transfers and the balances they change are written together.
 *
 * Idempotent three times over: the event store keeps an event id once, the inbox skips an event handled
 * before, and transfer ids derive from the event id and leg (a replayed transfer with the same body is a
 * no-op; with another body it is refused). A coded domain refusal (unknown price, insufficient credit ...)
 * is recorded in the inbox and changes nothing; anything else is a bug and rolls the batch back.
 *
 * The price catalogue is read from `price_publications`, which holds exactly the publications projected
 * before this point of the stream: never the wall clock, never live configuration.
 */
export class AccountingProjector implements Projector {
  readonly name = 'accounting';
  readonly types = ACCOUNTING_EVENT_TYPES;
  private readonly s: string;
  private readonly events: string;

  /** `schema`: where the accounting tables are (a scratch schema for a rebuild); events come from `eventSchema`. */
  constructor(
    private readonly schema: string,
    eventSchema: string = schema,
  ) {
    this.s = quoteIdent(schema);
    this.events = `${quoteIdent(eventSchema)}.events`;
  }

  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const seen = new Set(
      (
        await tx.query<{ event_id: string }>(
          `SELECT event_id::text AS event_id FROM ${this.s}.accounting_inbox WHERE event_id = ANY($1::uuid[])`,
          [events.map((e) => e.eventId)],
        )
      ).map((r) => r.event_id),
    );
    const fresh = events.filter((e) => {
      if (seen.has(e.eventId)) return false;
      seen.add(e.eventId);
      return true;
    });
    if (fresh.length === 0) return;
    const batch: Batch = { tx, ledger: new LedgerSession(tx, this.schema), inbox: new Map() };
    // One lock for the whole batch instead of several per event; events the inbox has not seen have booked
    // nothing (inbox row and transfers commit together), so their transfers need no lookup.
    await batch.ledger.lockAccounts(predictedAccounts(fresh));
    batch.ledger.markUnbooked(fresh.map((e) => e.eventId));
    let catalogue = await this.loadCatalogue(tx);
    for (const e of fresh) {
      let outcome: Outcome;
      try {
        if (e.type === PRICE_PUBLISHED_V1) {
          catalogue = await this.publishPrice(tx, e, catalogue);
          outcome = { status: 'applied', transfers: 0 };
        } else {
          outcome = await this.dispatch(batch, e, catalogue);
        }
      } catch (err) {
        if (!isAccountingError(err)) throw err;
        outcome = { status: 'rejected', code: err.code, message: err.message };
      }
      batch.inbox.set(e.eventId, { event: e, outcome });
    }
    await batch.ledger.flush();
    const rows = [...batch.inbox.values()];
    await tx.query(
      `INSERT INTO ${this.s}.accounting_inbox (event_id, type, event_position, status, error_code, error_message, transfers, catalogue_version)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::integer[])`,
      [
        rows.map((r) => r.event.eventId),
        rows.map((r) => r.event.type),
        rows.map((r) => r.event.position),
        rows.map((r) => r.outcome.status),
        rows.map((r) => (r.outcome.status === 'rejected' ? r.outcome.code : null)),
        rows.map((r) => (r.outcome.status === 'rejected' ? r.outcome.message.slice(0, 1000) : null)),
        rows.map((r) => (r.outcome.status === 'applied' ? r.outcome.transfers : 0)),
        rows.map((r) => (r.outcome.status === 'applied' ? (r.outcome.catalogueVersion ?? null) : null)),
      ],
    );
  }

  private async loadCatalogue(tx: SqlExecutor): Promise<PriceCatalogueState> {
    const rows = await tx.query<{ data: unknown }>(
      `SELECT data FROM ${this.s}.price_publications ORDER BY version`,
    );
    return rows.reduce<PriceCatalogueState>(
      (st, r) => applyPricePublished(st, r.data),
      EMPTY_PRICE_CATALOGUE,
    );
  }

  private async publishPrice(
    tx: SqlExecutor,
    e: StoredEvent,
    catalogue: PriceCatalogueState,
  ): Promise<PriceCatalogueState> {
    const next = applyPricePublished(catalogue, e.data);
    if (next === catalogue) return next; // the same version with the same content: nothing new
    const d = parse(pricePublishedV1Schema, e);
    await tx.query(
      `INSERT INTO ${this.s}.price_publications (version, effective_from, scope_kind, team_id, margin_bps, data, event_id, event_position)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6::jsonb, $7::uuid, $8::bigint)`,
      [
        d.version,
        d.effectiveFrom,
        d.scope.kind,
        d.scope.kind === 'team' ? d.scope.teamId : null,
        d.marginBps ?? null,
        JSON.stringify(d),
        e.eventId,
        e.position,
      ],
    );
    if (d.entries.length > 0) {
      await tx.query(
        `INSERT INTO ${this.s}.price_catalogue (version, entry_index, effective_from, scope_kind, team_id, provider, model, withdrawn,
           input_nano_usd_per_mtok, output_nano_usd_per_mtok, cache_read_nano_usd_per_mtok, cache_write_nano_usd_per_mtok,
           long_context, source, source_date)
         SELECT $1, n - 1, $2::timestamptz, $3, $4, provider, model, withdrawn, i, o, cr, cw, lc, source, sd
           FROM unnest($5::text[], $6::text[], $7::boolean[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
                       $12::jsonb[], $13::text[], $14::date[])
                WITH ORDINALITY AS u(provider, model, withdrawn, i, o, cr, cw, lc, source, sd, n)`,
        [
          d.version,
          d.effectiveFrom,
          d.scope.kind,
          d.scope.kind === 'team' ? d.scope.teamId : null,
          d.entries.map((x) => x.provider),
          d.entries.map((x) => x.model),
          d.entries.map((x) => x.rates === null),
          d.entries.map((x) => x.rates?.inputNanoUsdPerMTok ?? null),
          d.entries.map((x) => x.rates?.outputNanoUsdPerMTok ?? null),
          d.entries.map((x) => x.rates?.cacheReadNanoUsdPerMTok ?? null),
          d.entries.map((x) => x.rates?.cacheWriteNanoUsdPerMTok ?? null),
          d.entries.map((x) => (x.longContext === null ? null : JSON.stringify(x.longContext))),
          d.entries.map((x) => x.source),
          d.entries.map((x) => x.sourceDate),
        ],
      );
    }
    return next;
  }

  private async book(b: Batch, transfers: Transfer[], catalogueVersion?: number): Promise<Outcome> {
    const r = await b.ledger.apply(transfers);
    return { status: 'applied', transfers: r.applied.length, catalogueVersion };
  }

  private async holdContext(b: Batch, holdEventId: string): Promise<HoldContext> {
    const hold = await b.ledger.transferById(holdTransferId(holdEventId));
    if (!hold) throw new AccountingError('pending_transfer_not_found', `no hold from event ${holdEventId}`);
    return { hold };
  }

  private async available(b: Batch, teamId: string): Promise<bigint> {
    return availableBalance(await b.ledger.lockedBalance(accountIds.team(teamId)));
  }

  private async dispatch(b: Batch, e: StoredEvent, catalogue: PriceCatalogueState): Promise<Outcome> {
    switch (e.type) {
      case USAGE_RECORDED_V1: {
        const data = parse(parseUsageRecordedV1, e);
        const available = await this.available(b, data.teamId);
        const transfers = postUsage(posting(e, data), { catalogue, teamAvailableNanoUsd: available });
        return this.book(b, transfers, latestCatalogueVersion(catalogue));
      }
      case CREDIT_TOPPED_UP_V1: {
        const data = parse(creditToppedUpV1Schema, e);
        const owed = postedBalance(await b.ledger.lockedBalance(accountIds.receivable(data.teamId)));
        return this.book(b, postTopUp(posting(e, data), { teamOwedNanoUsd: owed }));
      }
      case CREDIT_EXPIRED_V1: {
        const data = parse(creditExpiredV1Schema, e);
        const available = await this.available(b, data.teamId);
        return this.book(b, postCreditExpiry(posting(e, data), { teamAvailableNanoUsd: available }));
      }
      case LEDGER_CORRECTION_V1:
        return this.correct(b, e, catalogue);
      case MARKETPLACE_HOLD_PLACED_V1:
        return this.book(b, postHoldPlaced(posting(e, parse(marketplaceHoldPlacedV1Schema, e))));
      case MARKETPLACE_HOLD_DELIVERED_V1: {
        const data = parse(marketplaceHoldDeliveredV1Schema, e);
        return this.book(b, postHoldDelivered(posting(e, data), await this.holdContext(b, data.holdEventId)));
      }
      case MARKETPLACE_HOLD_CANCELLED_V1: {
        const data = parse(marketplaceHoldReleasedV1Schema, e);
        return this.book(b, postHoldCancelled(posting(e, data), await this.holdContext(b, data.holdEventId)));
      }
      case MARKETPLACE_HOLD_EXPIRED_V1: {
        const data = parse(marketplaceHoldReleasedV1Schema, e);
        return this.book(b, postHoldExpired(posting(e, data), await this.holdContext(b, data.holdEventId)));
      }
      default:
        return { status: 'ignored' };
    }
  }

  private async correct(b: Batch, e: StoredEvent, catalogue: PriceCatalogueState): Promise<Outcome> {
    const data = parse(ledgerCorrectionV1Schema, e);
    const handled = await this.handled(b, data.correctsEventId);
    const originalTransfers = await b.ledger.transfersOfEvent(data.correctsEventId);
    if (originalTransfers.length === 0 && !handled) {
      throw new AccountingError(
        'corrected_transfer_not_found',
        `correction of unknown event ${data.correctsEventId}`,
      );
    }
    let replacement: Transfer[] = [];
    if (data.correctedUsage && handled?.type === USAGE_RECORDED_V1 && handled.status === 'applied') {
      const original = await this.usageEvent(b.tx, data.correctsEventId);
      if (original) {
        // The team's balance once the reversals refund the original charge (overdraft draws stay).
        const team = accountIds.team(original.data.teamId);
        const refund = originalTransfers
          .filter((t) => t.kind === 'single' && t.debitAccountId === team)
          .reduce((sum, t) => sum + t.amountNanoUsd, 0n);
        replacement = postUsage(
          { id: e.eventId, occurredAt: e.occurredAt, data: { ...original.data, usage: data.correctedUsage } },
          {
            catalogue,
            pricedAt: original.occurredAt,
            maxCatalogueVersion: handled.catalogue_version ?? undefined,
            teamAvailableNanoUsd: (await this.available(b, original.data.teamId)) + refund,
          },
        );
      }
    }
    return this.book(b, postCorrection(posting(e, data), { originalTransfers, replacement }));
  }

  /** How an earlier event was handled: in this batch (not yet written) or in the inbox. */
  private async handled(
    b: Batch,
    eventId: string,
  ): Promise<{ type: string; status: string; catalogue_version: number | null } | undefined> {
    const here = b.inbox.get(eventId);
    if (here)
      return {
        type: here.event.type,
        status: here.outcome.status,
        catalogue_version: here.outcome.status === 'applied' ? (here.outcome.catalogueVersion ?? null) : null,
      };
    const [row] = await b.tx.query<{ type: string; status: string; catalogue_version: number | null }>(
      `SELECT type, status, catalogue_version FROM ${this.s}.accounting_inbox WHERE event_id = $1::uuid`,
      [eventId],
    );
    return row;
  }

  private async usageEvent(tx: SqlExecutor, eventId: string): Promise<PostingEvent<UsageRecordedV1> | null> {
    const [row] = await tx.query<{ occurred_at: Date; data: unknown }>(
      `SELECT occurred_at, data FROM ${this.events} WHERE event_id = $1::uuid`,
      [eventId],
    );
    if (!row) return null;
    const parsed = parseUsageRecordedV1(row.data);
    if (!parsed.success) return null;
    return { id: eventId, occurredAt: row.occurred_at.toISOString(), data: parsed.data };
  }
}
