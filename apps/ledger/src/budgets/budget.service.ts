import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '@sluice/database';
import type { EventStore, NewEvent } from '@sluice/event-store';
import {
  expireLease,
  grantLease,
  newLeaseBook,
  periodWindow,
  settleLease,
  type BudgetView,
  type LeaseSyncRequestParsed,
  type LeaseSyncResponse,
  type SpendLease,
  type TeamPriceResponse,
} from '@sluice/budgets';
import { LEDGER_EVENT_STORE } from '../ingest/usage-ingest.service';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { appendCommandEvent, commandEventId, LEDGER_PRODUCER } from '../accounting/accounting.service';
import {
  applyPricePublished,
  EMPTY_PRICE_CATALOGUE,
  findPrice,
  latestCatalogueVersion,
  type PriceCatalogueState,
  type PriceRates,
} from '../accounting/domain/price-catalogue';
import { v5 as uuidv5 } from 'uuid';
import { SLUICE_LEDGER_NAMESPACE } from '../accounting/domain/accounts';
import {
  BUDGET_ALERTED_V1,
  BUDGET_REMOVED_V1,
  BUDGET_SET_V1,
  budgetRemovedV1Schema,
  budgetSetV1Schema,
  type BudgetAlertedV1,
  type BudgetSetV1,
} from './budget.events';
import {
  BudgetAlertDelivery,
  deliveriesOf,
  enqueueAlertDeliveries,
  type AlertDeliveryRow,
} from './alert-delivery';
import {
  BudgetRepository,
  TOTAL_PERIOD_START,
  type BookRow,
  type BudgetRow,
  type LeaseRow,
} from './budget.repository';

export type BudgetCommandResult = { eventId: string; created: boolean };

/** Budget state against its limit: `exceeded` once committed spend reaches it, `alert` past the threshold. */
export function budgetState(b: BudgetRow, committed: bigint): BudgetView['state'] {
  if (committed >= b.limit) return 'exceeded';
  const bps = b.alertAtBps ?? (b.enforcement === 'soft' ? 10_000 : undefined);
  if (bps !== undefined && committed * 10_000n >= b.limit * BigInt(bps)) return 'alert';
  return 'ok';
}

/** A lease's share of the limit: big enough to spare round trips, small enough to strand little. */
export function leaseSize(limit: bigint, shareBps: number): bigint {
  const size = (limit * BigInt(shareBps)) / 10_000n;
  return size > 0n ? size : 1n;
}

/**
 * Budgets (event-sourced: `budget.set.v1` / `budget.removed.v1` appended to the store, the `budgets` table
 * written in the same transaction) and the ledger's side of spend leases (docs/ledger-design.md, "Spend
 * leases"): gateways sync here when a lease runs out, not per request.
 */
@Injectable()
export class BudgetService implements OnModuleInit, OnApplicationShutdown {
  private readonly repo = new BudgetRepository();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Pushes alerts to the webhook; null when none is configured (alerts are then only recorded and listed). */
  private alertDelivery: BudgetAlertDelivery | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) private readonly store: EventStore,
  ) {}

  onModuleInit(): void {
    // Expired leases are also closed lazily at every sync; the sweep keeps `committed` honest for books
    // nobody syncs (an instance that died).
    this.sweepTimer = setInterval(() => {
      this.sweepExpired(new Date()).catch((err: unknown) =>
        this.rt.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'lease sweep failed'),
      );
    }, this.rt.config.budgets.sweepMs);
    this.sweepTimer.unref();
    const webhook = this.rt.config.budgets.alertWebhook;
    if (webhook) {
      this.alertDelivery = new BudgetAlertDelivery(this.rt.db, webhook, this.rt.logger);
      this.alertDelivery.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.alertDelivery?.stop();
  }

  // ------------------------------------------------------------------------------------------ commands

  async setBudget(input: unknown, idempotencyKey: string): Promise<BudgetCommandResult> {
    const data = budgetSetV1Schema.parse(input);
    const event = this.commandEvent(BUDGET_SET_V1, data.budgetId, data.teamId, idempotencyKey, data);
    return this.append(event, async (tx, at) => {
      const existing = await this.repo.find(tx, data.budgetId);
      if (existing && existing.scope.teamId !== data.teamId) {
        throw new BudgetCommandError(`budget ${data.budgetId} belongs to team ${existing.scope.teamId}`);
      }
      await this.repo.upsertBudget(tx, data, event.eventId, at);
    });
  }

  async removeBudget(budgetId: string, idempotencyKey: string): Promise<BudgetCommandResult> {
    const data = budgetRemovedV1Schema.parse({ budgetId });
    const existing = await this.repo.find(this.rt.db, budgetId);
    if (!existing) throw new BudgetCommandError(`no budget ${budgetId}`);
    const event = this.commandEvent(BUDGET_REMOVED_V1, budgetId, existing.scope.teamId, idempotencyKey, data);
    return this.append(event, async (tx, at) => {
      await this.repo.removeBudget(tx, budgetId, event.eventId, at);
    });
  }

  private commandEvent(
    type: string,
    budgetId: string,
    teamId: string,
    idempotencyKey: string,
    data: BudgetSetV1 | { budgetId: string },
  ): NewEvent {
    return {
      eventId: commandEventId(type, budgetId, idempotencyKey),
      type,
      subject: teamId,
      occurredAt: new Date().toISOString(),
      producer: LEDGER_PRODUCER,
      correlationId: idempotencyKey,
      data,
    };
  }

  /** Appends the event and applies it in one transaction; a retried key changes nothing. */
  private async append(
    event: NewEvent,
    apply: (tx: SqlExecutor, at: string) => Promise<void>,
  ): Promise<BudgetCommandResult> {
    return this.rt.db.transaction(async (tx) => {
      const stream = `budget-${(event.data as { budgetId: string }).budgetId}`;
      const result = await appendCommandEvent(tx, this.store, stream, event);
      if (result.created) await apply(tx, event.occurredAt);
      return result;
    });
  }

  // ------------------------------------------------------------------------------------------- queries

  /** Budgets with their state now (hard: settled + open leases; soft: spend posted in the period). */
  async list(
    teamId: string | null,
    now = new Date(),
  ): Promise<Array<{ budget: BudgetRow; view: BudgetView }>> {
    const budgets = await this.repo.list(this.rt.db, teamId);
    const out: Array<{ budget: BudgetRow; view: BudgetView }> = [];
    for (const b of budgets) out.push({ budget: b, view: await this.readView(this.rt.db, b, now) });
    return out;
  }

  private async readView(db: SqlExecutor, b: BudgetRow, now: Date): Promise<BudgetView> {
    const w = periodWindow(b.period, now.toISOString());
    const start = w.start ?? TOTAL_PERIOD_START;
    let committed: bigint;
    if (b.enforcement === 'hard' && (await this.repo.bookExists(db, b.id, start))) {
      const [book] = await db.query<{ settled: string; reserved: string }>(
        `SELECT k.settled_amount::text AS settled,
                coalesce((SELECT sum(l.granted_amount) FROM ${LEDGER_SCHEMA}.spend_leases l
                           WHERE l.budget_id = k.budget_id AND l.period_start = k.period_start
                             AND l.closed_at IS NULL), 0)::text AS reserved
           FROM ${LEDGER_SCHEMA}.budget_lease_books k WHERE k.budget_id = $1 AND k.period_start = $2::timestamptz`,
        [b.id, start],
      );
      committed = BigInt(book?.settled ?? '0') + BigInt(book?.reserved ?? '0');
    } else {
      committed = await this.repo.postedSpend(db, b, w);
    }
    return view(b, w.end, committed, null);
  }

  // -------------------------------------------------------------------------------------- spend leases

  /**
   * One gateway instance's sync for (team, key): settle the leases it returns, expire dead ones, grant it
   * a lease on each applicable hard budget it holds none for, and report every applicable budget.
   */
  async sync(req: LeaseSyncRequestParsed, now = new Date()): Promise<LeaseSyncResponse> {
    const at = now.toISOString();
    const { leaseShareBps, leaseTtlSeconds } = this.rt.config.budgets;
    let alerted = false;
    const response = await this.rt.db.transaction(async (tx) => {
      const budgets = await this.repo.applicable(tx, req.teamId, req.keyId);
      const returned = await this.repo.findLeases(
        tx,
        req.settle.map((s) => s.leaseId),
      );
      const hard = budgets.filter((b) => b.enforcement === 'hard');
      const current = new Map<string, { start: string; end: string | null }>();
      for (const b of hard) {
        const w = periodWindow(b.period, at);
        const start = w.start ?? TOTAL_PERIOD_START;
        current.set(b.id, { start, end: w.end });
        if (!(await this.repo.bookExists(tx, b.id, start))) {
          const opening = await this.repo.postedSpend(tx, b, w);
          await this.repo.insertBookIfMissing(
            tx,
            {
              budgetId: b.id,
              periodStart: start,
              periodEnd: w.end,
              limit: b.limit,
              openingAmount: opening,
              settledAmount: opening,
            },
            at,
          );
        }
      }
      const keys = new Map<string, { budgetId: string; periodStart: string }>();
      for (const [budgetId, c] of current)
        keys.set(`${budgetId}|${c.start}`, { budgetId, periodStart: c.start });
      for (const l of returned)
        keys.set(`${l.budgetId}|${l.periodStart}`, { budgetId: l.budgetId, periodStart: l.periodStart });
      const books = new Map<string, BookRow>();
      for (const b of await this.repo.lockBooks(tx, [...keys.values()]))
        books.set(`${b.budgetId}|${b.periodStart}`, b);

      // Settle what the instance hands back. A lease it settled before comes back with spend that completed
      // after the settlement (requests in flight when the ledger had nothing more to grant): added as is. A
      // lease the sweep expired was counted at its full grant: only what exceeds the grant is added.
      const used = new Map(req.settle.map((s) => [s.leaseId, BigInt(s.usedAmount)]));
      for (const l of returned) {
        const book = books.get(`${l.budgetId}|${l.periodStart}`);
        if (!book || l.instanceId !== req.instanceId) continue;
        const amount = used.get(l.id) ?? 0n;
        if (l.closedAt !== null) {
          const late =
            l.closeReason === 'settled' ? amount : amount > l.grantedAmount ? amount - l.grantedAmount : 0n;
          if (late > 0n) {
            book.settledAmount += late;
            await this.repo.addLateSpend(tx, l.id, late);
            await this.repo.updateBook(tx, book);
          }
          continue;
        }
        const next = settleLease(this.leaseBook(book, [l]), l.id, amount);
        book.settledAmount = next.settledAmount;
        await this.repo.closeLease(tx, l.id, 'settled', amount, at);
        await this.repo.updateBook(tx, book);
      }

      const views: BudgetView[] = [];
      for (const b of budgets) {
        if (b.enforcement === 'soft') {
          const w = periodWindow(b.period, at);
          const v = view(b, w.end, await this.repo.postedSpend(tx, b, w), null);
          if (await this.recordAlert(tx, b, w.start ?? TOTAL_PERIOD_START, v, at)) alerted = true;
          views.push(v);
          continue;
        }
        const c = current.get(b.id)!;
        const book = books.get(`${b.id}|${c.start}`)!;
        book.limit = b.limit;
        let open = await this.repo.openLeases(tx, b.id, c.start);
        for (const l of open.filter((x) => Date.parse(x.expiresAt) <= now.getTime())) {
          const next = expireLease(this.leaseBook(book, [l]), l.id, at, 0n);
          book.settledAmount = next.settledAmount;
          await this.repo.closeLease(tx, l.id, 'expired', l.grantedAmount, at);
        }
        open = open.filter((x) => Date.parse(x.expiresAt) > now.getTime());
        let mine: LeaseRow | SpendLease | undefined = open.find((l) => l.instanceId === req.instanceId);
        const wanted = req.acquire === 'all' || (Array.isArray(req.acquire) && req.acquire.includes(b.id));
        if (!mine && wanted) {
          const ttlEnd = now.getTime() + leaseTtlSeconds * 1000;
          const ttl =
            c.end === null
              ? leaseTtlSeconds
              : Math.min(ttlEnd, Date.parse(c.end)) / 1000 - now.getTime() / 1000;
          if (ttl > 0) {
            const { lease } = grantLease(this.leaseBook(book, open), {
              leaseId: randomUUID(),
              instanceId: req.instanceId,
              requestedAmount: leaseSize(b.limit, leaseShareBps),
              at,
              ttlSeconds: ttl,
            });
            if (lease) {
              const row: LeaseRow = {
                id: lease.id,
                budgetId: b.id,
                periodStart: c.start,
                instanceId: req.instanceId,
                grantedAmount: lease.grantedAmount,
                grantedAt: at,
                expiresAt: lease.expiresAt,
                closedAt: null,
                closeReason: null,
                usedAmount: null,
              };
              await this.repo.insertLease(tx, row);
              open.push(row);
              mine = row;
            }
          }
        }
        await this.repo.updateBook(tx, book);
        const reserved = open.reduce((s, l) => s + l.grantedAmount, 0n);
        const v = view(
          b,
          c.end,
          book.settledAmount + reserved,
          mine
            ? { leaseId: mine.id, grantedAmount: mine.grantedAmount.toString(), expiresAt: mine.expiresAt }
            : null,
        );
        if (await this.recordAlert(tx, b, c.start, v, at)) alerted = true;
        views.push(v);
      }
      return { budgets: views, serverTime: at };
    });
    // After the commit: the new alerts' delivery rows are visible now.
    if (alerted) this.alertDelivery?.wake();
    return response;
  }

  /**
   * Appends `budget.alerted.v1` the first time a budget is seen in `alert` or `exceeded` in a period and,
   * with a webhook configured, queues its delivery in the same transaction. True when an alert was new.
   */
  private async recordAlert(
    tx: SqlExecutor,
    b: BudgetRow,
    periodStart: string,
    v: BudgetView,
    at: string,
  ): Promise<boolean> {
    if (v.state === 'ok') return false;
    // A budget seen past its limit has passed its threshold too, even if no sync saw it in between.
    const states: Array<'alert' | 'exceeded'> =
      v.state === 'exceeded'
        ? b.alertAtBps !== undefined
          ? ['alert', 'exceeded']
          : ['exceeded']
        : ['alert'];
    const events = states.map((state) => {
      const data: BudgetAlertedV1 = {
        budgetId: b.id,
        teamId: b.scope.teamId,
        keyId: v.keyId,
        periodStart,
        state,
        enforcement: b.enforcement,
        unit: b.unit,
        limit: v.limit,
        committed: v.committed,
      };
      return {
        eventId: uuidv5(`${BUDGET_ALERTED_V1}/${b.id}/${periodStart}/${state}`, SLUICE_LEDGER_NAMESPACE),
        type: BUDGET_ALERTED_V1,
        subject: b.scope.teamId,
        occurredAt: at,
        producer: LEDGER_PRODUCER,
        correlationId: null,
        data,
      };
    });
    const fresh = await this.store.append(tx, `budget-${b.id}`, events, 'any');
    for (const e of events) if (fresh.includes(e.eventId)) this.rt.logger.warn({ ...e.data }, 'budget alert');
    if (fresh.length === 0) return false;
    if (this.rt.config.budgets.alertWebhook)
      await enqueueAlertDeliveries(
        tx,
        fresh.map((eventId) => ({ eventId, teamId: b.scope.teamId })),
      );
    return true;
  }

  /** Budget alerts, newest first (the durable record of thresholds and limits reached). */
  async alerts(
    teamId: string | null,
    first: number,
  ): Promise<Array<BudgetAlertedV1 & { eventId: string; at: string; delivery: AlertDeliveryRow | null }>> {
    const rows = await this.rt.db.query<{ event_id: string; data: BudgetAlertedV1; occurred_at: Date }>(
      `SELECT event_id::text AS event_id, data, occurred_at FROM ${LEDGER_SCHEMA}.events
        WHERE type = $1 AND ($2::text IS NULL OR subject = $2)
        ORDER BY position DESC LIMIT $3`,
      [BUDGET_ALERTED_V1, teamId, first],
    );
    const deliveries = await deliveriesOf(
      this.rt.db,
      rows.map((r) => r.event_id),
    );
    return rows.map((r) => ({
      ...r.data,
      eventId: r.event_id,
      at: r.occurred_at.toISOString(),
      delivery: deliveries.get(r.event_id) ?? null,
    }));
  }

  private leaseBook(book: BookRow, open: readonly LeaseRow[]) {
    const base = newLeaseBook(book.limit, book.settledAmount);
    const leases = new Map<string, SpendLease>();
    for (const l of open)
      leases.set(l.id, {
        id: l.id,
        instanceId: l.instanceId,
        grantedAmount: l.grantedAmount,
        expiresAt: l.expiresAt,
      });
    return { ...base, open: leases };
  }

  /** Closes leases whose instance went silent past their expiry, counting their grants as spent. */
  async sweepExpired(now: Date): Promise<number> {
    const at = now.toISOString();
    const due = await this.repo.expiredOpenLeases(this.rt.db, at, 500);
    let closed = 0;
    for (const l of due) {
      await this.rt.db.transaction(async (tx) => {
        const [book] = await this.repo.lockBooks(tx, [{ budgetId: l.budgetId, periodStart: l.periodStart }]);
        const [fresh] = await this.repo.findLeases(tx, [l.id]);
        if (!book || !fresh || fresh.closedAt !== null) return;
        book.settledAmount = expireLease(this.leaseBook(book, [fresh]), l.id, at, 0n).settledAmount;
        await this.repo.closeLease(tx, l.id, 'expired', fresh.grantedAmount, at);
        await this.repo.updateBook(tx, book);
        closed++;
      });
    }
    return closed;
  }

  // --------------------------------------------------------------------------------------------- prices

  /** What a team pays for a model now (the gateway counts lease spend with it; the ledger posts the same rule). */
  async teamPrice(
    teamId: string,
    provider: string,
    model: string,
    now = new Date(),
  ): Promise<TeamPriceResponse> {
    const catalogue = await this.catalogue();
    const price = findPrice(catalogue, { provider, model, teamId, occurredAt: now.toISOString() });
    if (!price) return { priced: false, rates: null, longContext: null, catalogueVersion: null };
    const wire = (r: PriceRates) => ({
      inputNanoUsdPerMTok: r.inputNanoUsdPerMTok.toString(),
      outputNanoUsdPerMTok: r.outputNanoUsdPerMTok.toString(),
      cacheReadNanoUsdPerMTok: r.cacheReadNanoUsdPerMTok.toString(),
      cacheWriteNanoUsdPerMTok: r.cacheWriteNanoUsdPerMTok.toString(),
    });
    return {
      priced: true,
      rates: wire(price.team.rates),
      longContext: price.team.longContext
        ? {
            aboveInputTokens: price.team.longContext.aboveInputTokens,
            rates: wire(price.team.longContext.rates),
          }
        : null,
      catalogueVersion: latestCatalogueVersion(catalogue),
    };
  }

  private async catalogue(): Promise<PriceCatalogueState> {
    const rows = await this.rt.db.query<{ data: unknown }>(
      `SELECT data FROM ${LEDGER_SCHEMA}.price_publications ORDER BY version`,
    );
    return rows.reduce<PriceCatalogueState>(
      (st, r) => applyPricePublished(st, r.data),
      EMPTY_PRICE_CATALOGUE,
    );
  }
}

export class BudgetCommandError extends Error {
  readonly code = 'BUDGET_INVALID';
}

function view(
  b: BudgetRow,
  periodEnd: string | null,
  committed: bigint,
  lease: BudgetView['lease'],
): BudgetView {
  return {
    budgetId: b.id,
    scope: b.scope.kind,
    keyId: b.scope.kind === 'key' ? b.scope.keyId : null,
    unit: b.unit,
    period: b.period,
    enforcement: b.enforcement,
    limit: b.limit.toString(),
    alertAtBps: b.alertAtBps ?? null,
    periodEnd,
    committed: committed.toString(),
    state: budgetState(b, committed),
    lease,
  };
}
