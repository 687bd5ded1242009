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
      unit: 'nano-usd',
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

function enforcer(ledger: LedgerBudgetClient, maxInFlight = 64): BudgetEnforcer {
  const rt = {
    config: {
      budgets: { enabled: true, ledgerUrl: undefined, refreshMs: 60_000, maxInFlight, priceTtlMs: 60_000 },
    } as unknown as GatewayConfig,
    logger: createLogger('test', 'silent'),
    metrics: createMetricsRegistry({ processMetrics: false }),
    instanceId: 'gw-test',
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

describe('BudgetEnforcer (gateway side of spend leases)', () => {
  it('admits until the ledger has nothing left, then refuses with 429 insufficient_quota; syncs per lease, not per request', async () => {
    const ledger = new FakeLedger(COST * 50n, COST * 5n);
    const e = enforcer(ledger);
    let admitted = 0;
    for (let i = 0; i < 80; i++) {
      const ctx = request();
      try {
        await e.admit(ctx, 'openai', 'gpt-x');
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
      await e.admit(ctx, 'openai', 'gpt-x');
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
    await e.admit(a, 'openai', 'gpt-x');
    a.usage = USAGE;
    e.complete(a);
    let release!: () => void;
    ledger.hold = new Promise((r) => (release = r));
    const b = request();
    const admitting = e.admit(b, 'openai', 'gpt-x'); // first lease: 2 x COST, a used 1: still room
    await admitting;
    b.usage = USAGE;
    e.complete(b); // lease used up: the next admission syncs
    const c = request();
    const waiting = e.admit(c, 'openai', 'gpt-x');
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
    await e.admit(a, 'openai', 'gpt-x');
    a.usage = USAGE;
    e.complete(a);
    let release!: () => void;
    ledger.hold = new Promise((r) => (release = r));
    const handingBack = e.onApplicationShutdown(); // hands the lease back (as an idle instance does)
    const b = request();
    const admitting = e.admit(b, 'openai', 'gpt-x');
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
    await e.admit(ctx, 'openai', 'gpt-x');
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
    await e2.admit(ctx2, 'openai', 'gpt-x');
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
    await e.admit(first, 'openai', 'gpt-x');
    assert.equal(first.budget, null, 'unknown budgets: admitted without a ticket');

    const up = new FakeLedger(COST * 100n, COST * 2n);
    const e2 = enforcer(up);
    for (let i = 0; i < 2; i++) {
      const ctx = request();
      await e2.admit(ctx, 'openai', 'gpt-x');
      if (i === 0) up.down = true; // the ledger goes away after the first request
      ctx.usage = USAGE;
      e2.complete(ctx);
    }
    await assert.rejects(e2.admit(request(), 'openai', 'gpt-x'), refusal);
  });

  it('caps the requests in flight per budget (the K of the overspend bound)', async () => {
    const e = enforcer(new FakeLedger(COST * 1_000n, COST * 100n), 3);
    for (let i = 0; i < 3; i++) await e.admit(request(), 'openai', 'gpt-x');
    await assert.rejects(
      e.admit(request(), 'openai', 'gpt-x'),
      (err: unknown) =>
        err instanceof ProtocolError && err.error.status === 429 && err.error.code === 'rate_limit_exceeded',
    );
  });
});
