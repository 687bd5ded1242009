import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import {
  grantLease,
  leaseAvailable,
  newLeaseBook,
  settleLease,
  type BudgetView,
  type LeaseBook,
  type LeaseSyncRequest,
  type LeaseSyncResponse,
  type TeamPriceResponse,
} from '@sluice/budgets';
import type { GatewayConfig } from '@sluice/config';
import { createLogger, createMetricsRegistry } from '@sluice/observability';
import { ProtocolError } from '@sluice/protocols';
import { newRequestContext, type RequestContext } from '../common/request-context';
import type { GatewayRuntime } from '../gateway.runtime';
import { BudgetEnforcer } from './budget-enforcer.service';
import type { LedgerBudgetClient } from './ledger-client';

// $1 input / $2 output per million tokens: 1,000 in + 500 out = 2,000,000 nano-USD.
const PRICE: TeamPriceResponse = {
  priced: true,
  rates: {
    inputNanoUsdPerMTok: '1000000000',
    outputNanoUsdPerMTok: '2000000000',
    cacheReadNanoUsdPerMTok: '0',
    cacheWriteNanoUsdPerMTok: '0',
  },
  longContext: null,
  catalogueVersion: 1,
};
const COST = 2_000_000n;
// A request whose up-front estimate is exactly COST: 3,000 body bytes = 1,000 input tokens, 500 output.
const BODY = { model: 'gpt-x', max_tokens: 500 };
const BODY_BYTES = 3_000;
const USAGE = {
  inputUncachedTokens: 1_000,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 500,
  reasoningTokens: 0,
};

/** The ledger's side of one hard money budget, on the pure domain, counting what it is told. */
class FakeLedger implements LedgerBudgetClient {
  book: LeaseBook;
  syncs = 0;
  down = false;
  /** Resolves syncs only when released (to interleave spend with a sync in flight). */
  hold: Promise<void> | null = null;
  private readonly closed = new Set<string>();

  constructor(
    readonly limit: bigint,
    readonly leaseSize: bigint,
    readonly unit: 'nano-usd' | 'tokens' = 'nano-usd',
  ) {
    this.book = newLeaseBook(limit);
  }

  async sync(req: LeaseSyncRequest): Promise<LeaseSyncResponse> {
    this.syncs++;
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (this.hold) await this.hold;
    for (const s of req.settle ?? []) {
      if (this.closed.has(s.leaseId)) {
        this.book = { ...this.book, settledAmount: this.book.settledAmount + BigInt(s.usedAmount) };
      } else {
        this.book = settleLease(this.book, s.leaseId, BigInt(s.usedAmount));
        this.closed.add(s.leaseId);
      }
    }
    let mine = [...this.book.open.values()].find((l) => l.instanceId === req.instanceId) ?? null;
    if (!mine && req.acquire !== 'none') {
      const r = grantLease(this.book, {
        leaseId: randomUUID(),
        instanceId: req.instanceId,
        requestedAmount: this.leaseSize,
        at: new Date().toISOString(),
        ttlSeconds: 300,
      });
      this.book = r.book;
      mine = r.lease;
    }
    const view: BudgetView = {
      budgetId: 'b1',
      scope: 'team',
      keyId: null,
      unit: this.unit,
      period: 'month',
      enforcement: 'hard',
      limit: this.limit.toString(),
      alertAtBps: null,
      periodEnd: null,
      committed: (this.limit - leaseAvailable(this.book)).toString(),
      state: 'ok',
      lease: mine
        ? { leaseId: mine.id, grantedAmount: mine.grantedAmount.toString(), expiresAt: mine.expiresAt }
        : null,
    };
    return { budgets: [view], serverTime: new Date().toISOString() };
  }

  teamPrice(): Promise<TeamPriceResponse> {
    return Promise.resolve(PRICE);
  }
}

function enforcer(ledger: LedgerBudgetClient, maxInFlight = 64, instanceId = 'gw-test'): BudgetEnforcer {
  const rt = {
    config: {
      budgets: { enabled: true, ledgerUrl: undefined, refreshMs: 60_000, maxInFlight, priceTtlMs: 60_000 },
    } as unknown as GatewayConfig,
    logger: createLogger('test', 'silent'),
    metrics: createMetricsRegistry({ processMetrics: false }),
    instanceId,
    masterKey: 'tok_x',
    budgetClient: ledger,
  } as unknown as GatewayRuntime;
  return new BudgetEnforcer(rt);
}

function request(): RequestContext {
  const ctx = newRequestContext(randomUUID(), 'openai', 0);
  ctx.principal = { kind: 'team', teamId: 'acme', keyId: 'key_1' };
  ctx.provider = 'openai';
  ctx.modelServed = 'gpt-x';
  return ctx;
}

const refusal = (err: unknown): boolean =>
  err instanceof ProtocolError && err.error.status === 429 && err.error.code === 'insufficient_quota';
const tooBig = (err: unknown): boolean =>
  refusal(err) && /may cost up to/.test((err as ProtocolError).message);

describe('BudgetEnforcer (gateway side of spend leases)', () => {
  it('admits until the ledger has nothing left, then refuses with 429 insufficient_quota; syncs per lease, not per request', async () => {
    const ledger = new FakeLedger(COST * 50n, COST * 5n);
    const e = enforcer(ledger);
    let admitted = 0;
    for (let i = 0; i < 80; i++) {
      const ctx = request();
      try {
        await e.admit(ctx, 'openai', 'gpt-x', BODY, BODY_BYTES);
      } catch (err) {
        assert.ok(refusal(err), String(err));
        break;
      }
      admitted++;
      ctx.usage = USAGE;
      e.complete(ctx);
    }
    assert.equal(admitted, 50, 'exactly the limit, one request at a time');
    assert.ok(
      ledger.syncs <= 13,
      `one sync per lease (10) plus the list and the refusal, got ${ledger.syncs}`,
    );
  });

  it('loses no spend: what the ledger settles equals what completed, across renewals mid-request and shutdown', async () => {
    const ledger = new FakeLedger(COST * 1_000n, COST * 7n);
    const e = enforcer(ledger);
    let spent = 0n;
    const open: RequestContext[] = [];
    for (let i = 0; i < 300; i++) {
      const ctx = request();
      await e.admit(ctx, 'openai', 'gpt-x', BODY, BODY_BYTES);
      open.push(ctx);
      // Requests complete out of order, several in flight across renewals.
      if (open.length >= 5) {
        const done = open.splice(i % 5, 1)[0]!;
        done.usage = { ...USAGE, outputTokens: 500 + (i % 7) };
        e.complete(done);
        spent += 1_000n * 1_000n + BigInt(500 + (i % 7)) * 2_000n;
      }
    }
    for (const ctx of open) {
      ctx.usage = USAGE;
      e.complete(ctx);
      spent += COST;
    }
    await e.onApplicationShutdown();
    assert.equal(ledger.book.open.size, 0, 'every lease handed back');
    assert.equal(ledger.book.settledAmount, spent);
  });

  it('counts spend made while a sync is out against the next lease', async () => {
    const ledger = new FakeLedger(COST * 100n, COST * 2n);
    const e = enforcer(ledger);
    const a = request();
    await e.admit(a, 'openai', 'gpt-x', BODY, BODY_BYTES);
    a.usage = USAGE;
    e.complete(a);
    let release!: () => void;
    ledger.hold = new Promise((r) => (release = r));
    const b = request();
    const admitting = e.admit(b, 'openai', 'gpt-x', BODY, BODY_BYTES); // first lease: 2 x COST, a used 1: still room
    await admitting;
    b.usage = USAGE;
    e.complete(b); // lease used up: the next admission syncs
    const c = request();
    const waiting = e.admit(c, 'openai', 'gpt-x', BODY, BODY_BYTES);
    release();
    ledger.hold = null;
    await waiting;
    c.usage = USAGE;
    e.complete(c);
    await e.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, COST * 3n);
  });

  it('a request arriving while its lease is being handed back waits for a new lease instead of being refused', async () => {
    const ledger = new FakeLedger(COST * 100n, COST); // used up by one request
    const e = enforcer(ledger);
    const a = request();
    await e.admit(a, 'openai', 'gpt-x', BODY, BODY_BYTES);
    a.usage = USAGE;
    e.complete(a);
    let release!: () => void;
    ledger.hold = new Promise((r) => (release = r));
    const handingBack = e.onApplicationShutdown(); // hands the lease back (as an idle instance does)
    const b = request();
    const admitting = e.admit(b, 'openai', 'gpt-x', BODY, BODY_BYTES);
    release();
    ledger.hold = null;
    await handingBack;
    await admitting;
    assert.notEqual(b.budget, null, 'admitted against a fresh lease');
    b.usage = USAGE;
    e.complete(b);
    await e.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, COST * 2n);
  });

  it('cuts a stream only when the ledger grants nothing more', async () => {
    const ledger = new FakeLedger(COST * 3n, COST);
    const e = enforcer(ledger);
    const ctx = request();
    await e.admit(ctx, 'openai', 'gpt-x', BODY, BODY_BYTES);
    // 100 tokens (400 characters) of output per delta at $2/MTok = 200,000 nano-USD: the limit (three
    // leases of 2,000,000) is gone after 30 deltas.
    for (let i = 0; i < 60 && !ctx.budget!.cut; i++) {
      e.onStreamed(ctx, 400);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(ctx.budget!.cut, true);
    assert.ok(ledger.syncs >= 3, 'it renewed before cutting');
    const other = new FakeLedger(COST * 1_000n, COST);
    const e2 = enforcer(other);
    const ctx2 = request();
    await e2.admit(ctx2, 'openai', 'gpt-x', BODY, BODY_BYTES);
    for (let i = 0; i < 40; i++) {
      e2.onStreamed(ctx2, 200);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(ctx2.budget!.cut, false, 'renewed leases keep a stream going');
  });

  it('admits a team whose budgets it never loaded while the ledger is down, and stays bounded by a lease it holds', async () => {
    const ledger = new FakeLedger(COST * 100n, COST * 2n);
    ledger.down = true;
    const e = enforcer(ledger);
    const first = request();
    await e.admit(first, 'openai', 'gpt-x', BODY, BODY_BYTES);
    assert.equal(first.budget, null, 'unknown budgets: admitted without a ticket');

    const up = new FakeLedger(COST * 100n, COST * 2n);
    const e2 = enforcer(up);
    for (let i = 0; i < 2; i++) {
      const ctx = request();
      await e2.admit(ctx, 'openai', 'gpt-x', BODY, BODY_BYTES);
      if (i === 0) up.down = true; // the ledger goes away after the first request
      ctx.usage = USAGE;
      e2.complete(ctx);
    }
    await assert.rejects(e2.admit(request(), 'openai', 'gpt-x', BODY, BODY_BYTES), refusal);
  });

  it('caps the requests in flight per budget (the K of the overspend bound)', async () => {
    const e = enforcer(new FakeLedger(COST * 1_000n, COST * 100n), 3);
    for (let i = 0; i < 3; i++) await e.admit(request(), 'openai', 'gpt-x', BODY, BODY_BYTES);
    await assert.rejects(
      e.admit(request(), 'openai', 'gpt-x', BODY, BODY_BYTES),
      (err: unknown) =>
        err instanceof ProtocolError && err.error.status === 429 && err.error.code === 'rate_limit_exceeded',
    );
  });

  it('refuses before the provider a request whose max_tokens or prompt cannot fit what the budget has left', async () => {
    const ledger = new FakeLedger(COST * 10n, COST * 2n);
    const e = enforcer(ledger);
    const warm = request();
    await e.admit(warm, 'openai', 'gpt-x', BODY, BODY_BYTES);
    warm.usage = USAGE;
    e.complete(warm);
    // 9 x COST left; 10,000 output tokens at $2/MTok is 10 x COST on their own.
    const big = request();
    await assert.rejects(
      e.admit(big, 'openai', 'gpt-x', { max_completion_tokens: 10_000 }, BODY_BYTES),
      tooBig,
    );
    assert.equal(big.budget, null, 'no ticket: nothing goes upstream');
    assert.equal(big.errorCode, 'budget_exceeded');
    // A prompt of 30,000 bytes (10,000 tokens at $1/MTok = 5 x COST) with 3,000 output tokens (3 x COST) fits
    // 9 x COST; the same prompt with 5,000 output tokens does not.
    await assert.rejects(e.admit(request(), 'openai', 'gpt-x', { max_tokens: 5_000 }, 30_000), tooBig);
    await e.admit(request(), 'openai', 'gpt-x', { max_tokens: 3_000 }, 30_000);
    // A request without a limit reserves the default (4,096 tokens here: 4 x COST and more) and no longer fits.
    await assert.rejects(e.admit(request(), 'openai', 'gpt-x', { model: 'gpt-x' }, BODY_BYTES), tooBig);
    await e.admit(request(), 'openai', 'gpt-x', { max_tokens: 100 }, 0);
    await e.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, COST, 'refusals spend nothing');
  });

  it('holds the estimate while a request runs and replaces it by the real cost when it ends', async () => {
    // The whole budget in one lease: nothing unleased to borrow from.
    const ledger = new FakeLedger(COST * 10n, COST * 10n);
    const e = enforcer(ledger);
    const a = request();
    await e.admit(a, 'openai', 'gpt-x', { max_tokens: 5_000 }, BODY_BYTES); // 0.5 + 5 = 5.5 x COST
    // 5 x COST more does not fit beside it...
    await assert.rejects(e.admit(request(), 'openai', 'gpt-x', { max_tokens: 4_500 }, BODY_BYTES), tooBig);
    a.usage = USAGE; // ...but a cost 1 x COST in the end: its reservation is released down to that
    e.complete(a);
    const c = request();
    await e.admit(c, 'openai', 'gpt-x', { max_tokens: 4_500 }, BODY_BYTES);
    c.usage = USAGE;
    e.complete(c);
    await e.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, COST * 2n, 'the ledger is told real costs, never estimates');
  });

  it('does not let concurrent reservations together pass what the instance saw left', async () => {
    const ledger = new FakeLedger(COST * 10n, COST * 2n);
    const a = enforcer(ledger, 64, 'gw-a');
    const burst = async (e: BudgetEnforcer): Promise<RequestContext[]> => {
      const ctxs = Array.from({ length: 20 }, () => request());
      const results = await Promise.allSettled(
        ctxs.map((ctx) => e.admit(ctx, 'openai', 'gpt-x', BODY, BODY_BYTES)),
      );
      for (const r of results) if (r.status === 'rejected') assert.ok(tooBig(r.reason), String(r.reason));
      return ctxs.filter((ctx) => ctx.budget !== null);
    };
    // One instance, 20 requests of 1 x COST at once and none completing: 10 reserved (its lease of 2 and
    // the 8 nobody holds), 10 refused before the provider. Before estimates all 20 were admitted.
    const first = await burst(a);
    assert.equal(first.length, 10);
    // A second instance takes its own lease (2) and sees 6 unleased: it reserves 8 more. Each instance can
    // borrow the budget no one holds, once: the bound in docs/ledger-design.md, min(K x C, lease + that).
    const b = enforcer(ledger, 64, 'gw-b');
    const second = await burst(b);
    assert.equal(second.length, 8);
    for (const ctx of [...first, ...second]) {
      ctx.usage = USAGE;
      (first.includes(ctx) ? a : b).complete(ctx);
    }
    await a.onApplicationShutdown();
    await b.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, COST * 18n);
    assert.ok(ledger.book.settledAmount <= COST * 10n + (COST * 2n + COST * 8n) + (COST * 2n + COST * 6n));
    // Once settled past its limit the budget refuses everything.
    await assert.rejects(
      enforcer(ledger, 64, 'gw-c').admit(request(), 'openai', 'gpt-x', BODY, BODY_BYTES),
      refusal,
    );
  });

  it('reserves tokens on a token budget', async () => {
    const ledger = new FakeLedger(5_000n, 1_000n, 'tokens');
    const e = enforcer(ledger);
    await assert.rejects(e.admit(request(), 'openai', 'gpt-x', { max_tokens: 4_500 }, BODY_BYTES), tooBig);
    const ok = request();
    await e.admit(ok, 'openai', 'gpt-x', BODY, BODY_BYTES); // 1,000 + 500 tokens
    ok.usage = USAGE;
    e.complete(ok);
    await e.onApplicationShutdown();
    assert.equal(ledger.book.settledAmount, 1_500n);
  });
});
