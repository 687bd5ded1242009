import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import {
  admitLocally,
  chargeNanoUsd,
  EMPTY_LOCAL_LEASE,
  estimateChargeNanoUsd,
  estimateRequest,
  estimateTokens,
  leaseExhausted,
  localPrice,
  localRemaining,
  spendLocally,
  startLocally,
  usageTokenCount,
  type BudgetView,
  type LocalLease,
  type LocalPrice,
  type SpendLease,
} from '@sluice/budgets';
import type { NormalizedUsage } from '@sluice/events';
import { makeError, ProtocolError, resolveModelProfile } from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { HttpLedgerBudgetClient, type LedgerBudgetClient } from './ledger-client';

/** One hard budget as this instance holds it: its lease, local spend and requests in flight. */
type HeldBudget = {
  view: BudgetView;
  /** The budget no instance holds, limit - committed as of `view` (what a reservation may use past the lease). */
  headroom: bigint;
  teamId: string;
  keyId: string | null;
  local: LocalLease;
  /** The last lease settled, for spend that completes after it closed with nothing granted after it. */
  lastLeaseId: string | null;
  renewing: Promise<void> | null;
  /** Whether the sync in flight asks for a new lease (false: it only hands the lease back). */
  renewingAcquires: boolean;
  lastActivityMs: number;
};

type ScopeEntry = { budgets: BudgetView[]; fetchedAtMs: number; refreshing: Promise<void> | null };

/** What an admitted request carries to its end: the leases it counts against and what it accrued so far. */
export type BudgetTicket = {
  held: HeldBudget[];
  price: LocalPrice;
  priceKey: string;
  /** The up-front estimate reserved at admission, in each unit (released as the request spends, then at its end). */
  reservedNanoUsd: bigint;
  reservedTokens: bigint;
  accruedNanoUsd: bigint;
  accruedTokens: bigint;
  streamedChars: number;
  /** A stream's spend is recomputed once this many characters have streamed (not on every chunk). */
  nextAccrualChars: number;
  /** Set when a lease ran out mid-stream and the ledger granted no more: the stream must end. */
  cut: boolean;
  done: boolean;
};

// A rough output-token estimate for streams in flight (replaced by the provider's count at the end): about
// four characters per token for English and code.
const CHARS_PER_TOKEN = 4;
// Streamed spend is recomputed every 64 estimated tokens, not per chunk: the cut lags by at most that.
const ACCRUAL_STEP_CHARS = 64 * CHARS_PER_TOKEN;
const PERIOD_WORD = { day: 'daily ', month: 'monthly ', total: '' } as const;

/**
 * Hard budgets without a ledger call per request (docs/ledger-design.md, "Spend leases"): this instance
 * holds a lease per hard budget, admits requests while the lease has room and fewer than `maxInFlight` are
 * running, counts each request's cost against it (streams as they go), and syncs with the ledger only when
 * a lease runs out, nears its expiry, or a (team, key)'s budget list is stale.
 */
@Injectable()
export class BudgetEnforcer implements OnModuleInit, OnApplicationShutdown {
  private readonly client: LedgerBudgetClient | null;
  private readonly scopes = new Map<string, ScopeEntry>();
  private readonly held = new Map<string, HeldBudget>();
  private readonly prices = new Map<string, { price: LocalPrice; fetchedAtMs: number }>();
  private readonly maxOutput = new Map<string, number | null>();
  private timer: NodeJS.Timeout | null = null;
  private readonly refused: Counter;
  private readonly cuts: Counter;
  private readonly syncs: Counter;
  private readonly alerts: Counter;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {
    const cfg = rt.config.budgets;
    const url = rt.ledgerUrl ?? (cfg.ledgerUrl ? () => cfg.ledgerUrl ?? null : null);
    this.client =
      rt.budgetClient ?? (cfg.enabled && url ? new HttpLedgerBudgetClient(url, rt.masterKey) : null);
    if (cfg.enabled && !this.client)
      rt.logger.warn(
        'budgets are not enforced: set SLUICE_LEDGER_URL so the gateway can lease from the ledger',
      );
    this.refused = new Counter({
      name: 'sluice_gateway_budget_refusals_total',
      help: 'Requests refused before the provider because a hard budget had nothing left',
      labelNames: ['reason'],
      registers: [rt.metrics],
    });
    this.cuts = new Counter({
      name: 'sluice_gateway_budget_streams_cut_total',
      help: 'Streams ended early because a hard budget ran out mid-way',
      registers: [rt.metrics],
    });
    this.syncs = new Counter({
      name: 'sluice_gateway_budget_ledger_syncs_total',
      help: 'Lease syncs with the ledger (not per request: when a lease runs out, expires or a list is stale)',
      labelNames: ['outcome'],
      registers: [rt.metrics],
    });
    this.alerts = new Counter({
      name: 'sluice_gateway_budget_alerts_total',
      help: 'Requests admitted while one of their budgets was past its alert threshold (soft or hard)',
      registers: [rt.metrics],
    });
  }

  get active(): boolean {
    return this.client !== null;
  }

  onModuleInit(): void {
    if (!this.client) return;
    this.timer = setInterval(() => void this.maintain(), Math.min(this.rt.config.budgets.refreshMs, 10_000));
    this.timer.unref();
  }

  /** Hands every lease back with what it used, so a restart or scale-down strands nothing. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.held.values()].map((h) => this.renew(h, false)));
  }

  // ---------------------------------------------------------------------------------------- admission

  /**
   * Admits the request against every hard budget of its team and key, or refuses it with 429
   * `insufficient_quota` (in the caller's protocol) before anything goes upstream. `provider`/`model` price
   * it; `body` (the parsed request, for its output limit) and `bodyBytes` (its size, for the input) give the
   * up-front estimate each budget reserves until the request ends. Sets `ctx.budget`.
   */
  async admit(
    ctx: RequestContext,
    provider: string,
    model: string,
    body?: unknown,
    bodyBytes = 0,
  ): Promise<void> {
    const principal = ctx.principal;
    if (!this.client || !principal) return;
    const budgets = await this.budgetsFor(principal.teamId, principal.keyId);
    if (budgets.length === 0) return;
    if (budgets.some((b) => b.state !== 'ok')) this.alerts.inc();
    const hard = budgets.filter((b) => b.enforcement === 'hard');
    if (hard.length === 0) return;
    const needsPrice = hard.some((b) => b.unit === 'nano-usd');
    const price = needsPrice ? await this.priceOf(principal.teamId, provider, model) : null;
    const estimate = estimateRequest(bodyBytes, body, this.maxOutputOf(model));
    const reservedNanoUsd = estimateChargeNanoUsd(estimate, price);
    const reservedTokens = estimateTokens(estimate);
    const now = Date.now();
    const held: HeldBudget[] = [];
    for (const view of hard) {
      let h = this.held.get(view.budgetId);
      if (!h) {
        h = {
          view,
          headroom: headroomOf(view),
          teamId: principal.teamId,
          keyId: view.scope === 'key' ? principal.keyId : null,
          local: EMPTY_LOCAL_LEASE,
          lastLeaseId: null,
          renewing: null,
          renewingAcquires: false,
          lastActivityMs: now,
        };
        this.held.set(view.budgetId, h);
      }
      if (this.expiringMs(h, now) < 1_000) await this.renew(h, true);
      // Spend that came in while a sync was out can use up a fresh lease at once: renew while the ledger
      // still grants (a null lease means it has nothing left).
      for (let i = 0; i < 3 && leaseExhausted(h.local); i++) {
        await this.renew(h, true);
        if (!h.local.lease) break;
      }
      const reserve = h.view.unit === 'nano-usd' ? reservedNanoUsd : reservedTokens;
      const decision = admitLocally(h.local, this.rt.config.budgets.maxInFlight, reserve, h.headroom);
      if (!decision.admitted) {
        this.refused.inc({ reason: decision.reason });
        ctx.errorCode = 'budget_exceeded';
        const what = h.view.scope === 'key' ? 'this API key' : 'the team';
        const budget = `${PERIOD_WORD[h.view.period]}budget '${h.view.budgetId}' of ${what}`;
        throw new ProtocolError(
          makeError(
            429,
            decision.reason === 'concurrency_limit'
              ? `Too many requests in flight under budget '${h.view.budgetId}' on this gateway; retry shortly.`
              : decision.reason === 'estimate_exceeds_budget'
                ? `This request may cost up to ${reserve} ${h.view.unit} (its prompt's size and output limit), more than the ${budget} has left (${localRemaining(h.local, h.headroom)} of hard limit ${h.view.limit} ${h.view.unit}); a lower max_tokens or a shorter prompt may fit.`
                : `The ${budget} is used up (hard limit ${h.view.limit} ${h.view.unit}).`,
            decision.reason === 'concurrency_limit' ? 'rate_limit_exceeded' : 'insufficient_quota',
          ),
        );
      }
      held.push(h);
    }
    for (const h of held) {
      h.local = startLocally(h.local, h.view.unit === 'nano-usd' ? reservedNanoUsd : reservedTokens);
      h.lastActivityMs = now;
    }
    ctx.budget = {
      held,
      price,
      priceKey: `${principal.teamId}|${provider}|${model}`,
      reservedNanoUsd,
      reservedTokens,
      accruedNanoUsd: 0n,
      accruedTokens: 0n,
      streamedChars: 0,
      nextAccrualChars: 0,
      cut: false,
      done: false,
    };
  }

  /**
   * Counts streamed output as it goes (an estimate from its length; the provider's usage replaces it at
   * the end). When a lease runs out the instance renews; if the ledger grants nothing the ticket is `cut`.
   */
  onStreamed(ctx: RequestContext, chars: number): void {
    const t = ctx.budget;
    if (!t || t.done || chars <= 0) return;
    t.streamedChars += chars;
    if (t.streamedChars < t.nextAccrualChars) return;
    t.nextAccrualChars = t.streamedChars + ACCRUAL_STEP_CHARS;
    const tokens = BigInt(Math.ceil(t.streamedChars / CHARS_PER_TOKEN));
    const usage = {
      inputUncachedTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: Number(tokens),
    };
    this.accrue(t, chargeNanoUsd(usage, t.price), tokens, false);
    for (const h of t.held) {
      if (!leaseExhausted(h.local)) continue;
      // Cut only when the ledger has nothing more to grant; a fresh lease already used up by what
      // streamed during the sync is renewed again on the next delta.
      void this.renew(h, true).then(() => {
        if (h.local.lease === null && !t.done) t.cut = true;
      });
    }
  }

  /** The request ended (any way): its real cost replaces the estimate, and it leaves the in-flight count. */
  complete(ctx: RequestContext): void {
    const t = ctx.budget;
    if (!t || t.done) return;
    const usage: NormalizedUsage | null = ctx.usage;
    const price =
      this.prices.get(`${ctx.principal?.teamId}|${ctx.provider}|${ctx.modelServed}`)?.price ?? t.price;
    const cost = usage ? chargeNanoUsd(usage, price) : 0n;
    const tokens = usage ? usageTokenCount(usage) : 0n;
    this.accrue(t, cost, tokens, true);
    t.done = true;
  }

  /**
   * Adds what a request's running totals grew by since the last call to each lease it counts against, and
   * gives back the part of its reservation that spend used up (on completion: all of what is left).
   */
  private accrue(t: BudgetTicket, costNanoUsd: bigint, tokens: bigint, completed: boolean): void {
    // Over-estimates are kept (a lease is never credited back mid-period): that can only refuse early.
    const dCost = costNanoUsd > t.accruedNanoUsd ? costNanoUsd - t.accruedNanoUsd : 0n;
    const dTokens = tokens > t.accruedTokens ? tokens - t.accruedTokens : 0n;
    const relCost = released(t.reservedNanoUsd, t.accruedNanoUsd, dCost, completed);
    const relTokens = released(t.reservedTokens, t.accruedTokens, dTokens, completed);
    t.accruedNanoUsd += dCost;
    t.accruedTokens += dTokens;
    for (const h of t.held) {
      const money = h.view.unit === 'nano-usd';
      h.local = spendLocally(h.local, money ? dCost : dTokens, completed, money ? relCost : relTokens);
    }
  }

  // ------------------------------------------------------------------------------------- ledger syncs

  private expiringMs(h: HeldBudget, now: number): number {
    return h.local.lease ? expiresAtMs(h.local.lease) - now : Number.POSITIVE_INFINITY;
  }

  private async budgetsFor(teamId: string, keyId: string | null): Promise<BudgetView[]> {
    const key = `${teamId}|${keyId ?? ''}`;
    const now = Date.now();
    let entry = this.scopes.get(key);
    if (!entry) {
      // The first request of a (team, key) on this instance waits for its budget list: once.
      await this.refreshScope(key, teamId, keyId);
      entry = this.scopes.get(key);
      return entry?.budgets ?? [];
    }
    if (now - entry.fetchedAtMs > this.rt.config.budgets.refreshMs && !entry.refreshing) {
      entry.refreshing = this.refreshScope(key, teamId, keyId).finally(() => {
        const e = this.scopes.get(key);
        if (e) e.refreshing = null;
      });
    }
    return entry.budgets;
  }

  private async refreshScope(key: string, teamId: string, keyId: string | null): Promise<void> {
    try {
      const res = await this.client!.sync({
        instanceId: this.rt.instanceId,
        teamId,
        keyId,
        settle: [],
        acquire: 'none',
      });
      this.syncs.inc({ outcome: 'ok' });
      this.scopes.set(key, { budgets: res.budgets, fetchedAtMs: Date.now(), refreshing: null });
      const listed = new Set(res.budgets.map((b) => b.budgetId));
      for (const b of res.budgets) {
        const h = this.held.get(b.budgetId);
        if (h) {
          h.view = { ...b, lease: h.view.lease };
          h.headroom = headroomOf(b);
        }
      }
      // A budget removed (or one of this scope's no longer applying) is no longer enforced here.
      for (const [id, h] of this.held) {
        if (
          h.teamId === teamId &&
          (h.keyId === null || h.keyId === keyId) &&
          !listed.has(id) &&
          h.local.inFlight === 0
        )
          this.held.delete(id);
      }
    } catch (err) {
      this.syncs.inc({ outcome: 'failed' });
      // Unknown budgets with the ledger unreachable: admit (a gateway must not stop when the ledger does)
      // and try again at the next request; known ones keep their leases and their limits.
      this.rt.logger.warn({ err: (err as Error).message, teamId }, 'budget list: ledger unreachable');
      if (!this.scopes.has(key)) this.scopes.set(key, { budgets: [], fetchedAtMs: 0, refreshing: null });
    }
  }

  /** Settles this instance's lease on the budget and (when `acquire`) asks for the next. One at a time. */
  private renew(h: HeldBudget, acquire: boolean): Promise<void> {
    if (h.renewing) {
      // A hand-back in flight grants nothing: whoever needs a lease asks again once it is done.
      return acquire && !h.renewingAcquires ? h.renewing.then(() => this.renew(h, true)) : h.renewing;
    }
    h.renewingAcquires = acquire;
    h.renewing = this.doRenew(h, acquire).finally(() => (h.renewing = null));
    return h.renewing;
  }

  private async doRenew(h: HeldBudget, acquire: boolean): Promise<void> {
    const usedAtSend = h.local.usedAmount;
    const leaseId = h.local.lease?.id ?? (usedAtSend > 0n ? h.lastLeaseId : null);
    if (!acquire && leaseId === null) return;
    try {
      const res = await this.client!.sync({
        instanceId: this.rt.instanceId,
        teamId: h.teamId,
        keyId: h.keyId,
        settle: leaseId ? [{ leaseId, usedAmount: usedAtSend.toString() }] : [],
        acquire: acquire ? [h.view.budgetId] : 'none',
      });
      this.syncs.inc({ outcome: 'ok' });
      const view = res.budgets.find((b) => b.budgetId === h.view.budgetId);
      if (leaseId) h.lastLeaseId = leaseId;
      // Spend that arrived while the call was out belongs to the next lease.
      const carried = h.local.usedAmount - usedAtSend;
      const lease = view?.lease
        ? {
            id: view.lease.leaseId,
            instanceId: this.rt.instanceId,
            grantedAmount: BigInt(view.lease.grantedAmount),
            expiresAt: view.lease.expiresAt,
          }
        : null;
      // Reservations of requests in flight stay: they complete against the new lease.
      h.local = {
        lease,
        usedAmount: carried,
        reservedAmount: h.local.reservedAmount,
        inFlight: h.local.inFlight,
      };
      if (view) {
        h.view = view;
        h.headroom = headroomOf(view);
      } else if (h.local.inFlight === 0) this.held.delete(h.view.budgetId);
    } catch (err) {
      this.syncs.inc({ outcome: 'failed' });
      // Keep the lease as it is: admission stays bounded by what the ledger granted.
      this.rt.logger.warn({ err: (err as Error).message, budgetId: h.view.budgetId }, 'lease sync failed');
    }
  }

  /** Renews leases about to expire while in use, hands idle ones back, and settles late spend. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    const idleMs = this.rt.config.budgets.refreshMs * 2;
    const work: Promise<void>[] = [];
    for (const h of this.held.values()) {
      const idle = h.local.inFlight === 0 && now - h.lastActivityMs > idleMs;
      if (h.local.lease && idle) work.push(this.renew(h, false));
      else if (h.local.lease && this.expiringMs(h, now) < 30_000) work.push(this.renew(h, true));
      else if (!h.local.lease && h.local.usedAmount > 0n && h.local.inFlight === 0)
        work.push(this.renew(h, false));
    }
    await Promise.allSettled(work);
  }

  /** The model's own output limit (its profile), once per model: what a request without one may produce. */
  private maxOutputOf(model: string): number | null {
    let max = this.maxOutput.get(model);
    if (max === undefined) {
      max = resolveModelProfile(model).maxOutputTokens ?? null;
      if (this.maxOutput.size < 10_000) this.maxOutput.set(model, max);
    }
    return max;
  }

  private async priceOf(teamId: string, provider: string, model: string): Promise<LocalPrice> {
    const key = `${teamId}|${provider}|${model}`;
    const cached = this.prices.get(key);
    if (cached && Date.now() - cached.fetchedAtMs < this.rt.config.budgets.priceTtlMs) return cached.price;
    try {
      const price = localPrice(await this.client!.teamPrice(teamId, provider, model));
      this.prices.set(key, { price, fetchedAtMs: Date.now() });
      return price;
    } catch (err) {
      this.rt.logger.warn({ err: (err as Error).message, provider, model }, 'team price: ledger unreachable');
      return cached?.price ?? null;
    }
  }
}

/** The budget not committed to anyone (settled or leased) as the view reports it; never negative. */
function headroomOf(view: BudgetView): bigint {
  const left = BigInt(view.limit) - BigInt(view.committed);
  return left > 0n ? left : 0n;
}

/** How much of a reservation spend of `delta` on top of `accrued` uses up; on completion, all that is left. */
function released(reserved: bigint, accrued: bigint, delta: bigint, completed: boolean): bigint {
  const left = reserved > accrued ? reserved - accrued : 0n;
  return completed || delta >= left ? left : delta;
}

/** Each lease's expiry as epoch milliseconds, parsed once (it was a Date.parse per request). */
const EXPIRY_MS = new WeakMap<SpendLease, number>();

function expiresAtMs(lease: SpendLease): number {
  let ms = EXPIRY_MS.get(lease);
  if (ms === undefined) {
    ms = Date.parse(lease.expiresAt);
    EXPIRY_MS.set(lease, ms);
  }
  return ms;
}
