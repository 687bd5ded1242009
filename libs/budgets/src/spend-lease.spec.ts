import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isBudgetError } from './budget-error';
import {
  EMPTY_LOCAL_LEASE,
  admitLocally,
  expireLease,
  grantLease,
  leaseAvailable,
  leaseExhausted,
  localRemaining,
  maxOverspend,
  newLeaseBook,
  renewLease,
  settleLease,
  spendLocally,
  startLocally,
  type LeaseBook,
  type LocalLease,
} from './spend-lease';

const AT = '2026-11-01T12:00:00.000Z';

describe('lease book', () => {
  it('carves leases out of the remaining budget, never more than is left', () => {
    let book = newLeaseBook(1000n);
    const a = grantLease(book, {
      leaseId: 'l1',
      instanceId: 'gw-a',
      requestedAmount: 600n,
      at: AT,
      ttlSeconds: 60,
    });
    book = a.book;
    const b = grantLease(book, {
      leaseId: 'l2',
      instanceId: 'gw-b',
      requestedAmount: 600n,
      at: AT,
      ttlSeconds: 60,
    });
    book = b.book;
    assert.deepEqual(
      [a.lease?.grantedAmount, b.lease?.grantedAmount, leaseAvailable(book)],
      [600n, 400n, 0n],
    );
    assert.equal(
      grantLease(book, { leaseId: 'l3', instanceId: 'gw-c', requestedAmount: 1n, at: AT, ttlSeconds: 60 })
        .lease,
      null,
    );
    // gw-a used 100 of its 600: settling returns the rest to the budget.
    book = settleLease(book, 'l1', 100n);
    assert.equal(leaseAvailable(book), 500n);
    assert.equal(a.lease?.expiresAt, '2026-11-01T12:01:00.000Z');
  });

  it('gives an instance one lease at a time and renews by settling first', () => {
    let book = grantLease(newLeaseBook(1000n), {
      leaseId: 'l1',
      instanceId: 'gw-a',
      requestedAmount: 300n,
      at: AT,
      ttlSeconds: 60,
    }).book;
    assert.throws(
      () =>
        grantLease(book, {
          leaseId: 'l2',
          instanceId: 'gw-a',
          requestedAmount: 300n,
          at: AT,
          ttlSeconds: 60,
        }),
      (e: unknown) => isBudgetError(e, 'lease_conflict'),
    );
    const renewed = renewLease(
      book,
      { leaseId: 'l1', usedAmount: 320n },
      { leaseId: 'l2', instanceId: 'gw-a', requestedAmount: 300n, at: AT, ttlSeconds: 60 },
    );
    book = renewed.book;
    assert.deepEqual(
      [book.settledAmount, renewed.lease?.grantedAmount, leaseAvailable(book)],
      [320n, 300n, 380n],
    );
  });

  it('expires a silent instance conservatively, as fully spent', () => {
    const book = grantLease(newLeaseBook(1000n), {
      leaseId: 'l1',
      instanceId: 'gw-a',
      requestedAmount: 300n,
      at: AT,
      ttlSeconds: 60,
    }).book;
    assert.throws(
      () => expireLease(book, 'l1', '2026-11-01T12:00:59.999Z', 0n),
      (e: unknown) => isBudgetError(e, 'lease_not_expired'),
    );
    assert.equal(expireLease(book, 'l1', '2026-11-01T12:01:00.000Z', 10n).settledAmount, 300n);
    assert.equal(expireLease(book, 'l1', '2026-11-01T12:01:00.000Z', 310n).settledAmount, 310n);
    assert.throws(
      () => settleLease(book, 'nope', 1n),
      (e: unknown) => isBudgetError(e, 'lease_not_found'),
    );
  });

  it('accrues a stream as it goes and says when to cut it', () => {
    const lease = { id: 'l1', instanceId: 'gw-a', grantedAmount: 100n, expiresAt: AT };
    let local: LocalLease = startLocally({ ...EMPTY_LOCAL_LEASE, lease });
    local = spendLocally(local, 60n, false);
    assert.deepEqual([local.usedAmount, local.inFlight, leaseExhausted(local)], [60n, 1, false]);
    local = spendLocally(local, 45n, false);
    assert.equal(leaseExhausted(local), true, 'renew now, or end the stream');
    local = spendLocally(local, 0n, true);
    assert.deepEqual([local.usedAmount, local.inFlight], [105n, 0]);
    assert.equal(leaseExhausted(EMPTY_LOCAL_LEASE), true);
    assert.throws(
      () => spendLocally(local, -1n, false),
      (e: unknown) => isBudgetError(e, 'budget_invalid'),
    );
  });

  it('admits locally while the lease lasts and the instance is under its in-flight cap', () => {
    const lease = { id: 'l1', instanceId: 'gw-a', grantedAmount: 100n, expiresAt: AT };
    const at = (usedAmount: bigint, inFlight: number): LocalLease => ({
      lease,
      usedAmount,
      reservedAmount: 0n,
      inFlight,
    });
    assert.deepEqual(admitLocally(EMPTY_LOCAL_LEASE, 2), { admitted: false, reason: 'no_lease' });
    assert.deepEqual(admitLocally(at(99n, 1), 2), { admitted: true });
    assert.deepEqual(admitLocally(at(100n, 0), 2), { admitted: false, reason: 'lease_exhausted' });
    assert.deepEqual(admitLocally(at(0n, 2), 2), { admitted: false, reason: 'concurrency_limit' });
  });

  it('reserves a request estimate at admission and refuses one that does not fit what is left', () => {
    const lease = { id: 'l1', instanceId: 'gw-a', grantedAmount: 100n, expiresAt: AT };
    let local: LocalLease = { ...EMPTY_LOCAL_LEASE, lease, usedAmount: 30n };
    // 70 left in the lease, 50 unleased in the budget: 120 fits, 121 cannot.
    assert.equal(localRemaining(local, 50n), 120n);
    assert.deepEqual(admitLocally(local, 8, 120n, 50n), { admitted: true });
    assert.deepEqual(admitLocally(local, 8, 121n, 50n), {
      admitted: false,
      reason: 'estimate_exceeds_budget',
    });
    // A stale view's negative headroom counts as none.
    assert.equal(localRemaining(local, -500n), 70n);
    local = startLocally(local, 60n);
    assert.deepEqual([local.reservedAmount, local.inFlight], [60n, 1]);
    // Concurrent reservations add up: the next 20 fits the 10 left only with headroom.
    assert.deepEqual(admitLocally(local, 8, 20n), { admitted: false, reason: 'estimate_exceeds_budget' });
    assert.deepEqual(admitLocally(local, 8, 20n, 10n), { admitted: true });
    // A stream spends 25 of its 60 as it goes: the reservation shrinks by as much, the total held stays.
    local = spendLocally(local, 25n, false, 25n);
    assert.deepEqual([local.usedAmount, local.reservedAmount], [55n, 35n]);
    // It ends at 40 in all: the real cost replaces the reservation, the other 20 are free again.
    local = spendLocally(local, 15n, true, 35n);
    assert.deepEqual([local.usedAmount, local.reservedAmount, local.inFlight], [70n, 0n, 0]);
    assert.equal(localRemaining(local, 0n), 30n);
    assert.throws(
      () => spendLocally(local, 0n, false, 1n),
      (e: unknown) => isBudgetError(e, 'budget_invalid'),
      'cannot release more than is reserved',
    );
  });
});

// ------------------------------------------------------------------------------------------ the bound

/** A request in flight: its up-front estimate (reserved), its real cost (revealed as it goes), spent so far. */
type Flight = { estimate: bigint; cost: bigint; accrued: bigint };

type Sim = {
  book: LeaseBook;
  locals: LocalLease[];
  /** Per instance: the unleased budget its last view showed, and the largest it admitted a request with. */
  headroom: bigint[];
  maxHeadroom: bigint[];
  inFlight: Flight[][];
  spentAmount: bigint;
  nextLease: number;
  /** The largest of estimate and cost over admitted requests (the C of the bound). */
  maxAdmitted: bigint;
};

type Op =
  | { kind: 'request'; instance: number; estimate: bigint; cost: bigint }
  | { kind: 'progress'; instance: number; which: number }
  | { kind: 'complete'; instance: number; which: number }
  | { kind: 'refresh'; instance: number }
  | { kind: 'idle-expire'; instance: number };

function newSim(limit: bigint, instances: number): Sim {
  return {
    book: newLeaseBook(limit),
    locals: Array.from({ length: instances }, () => EMPTY_LOCAL_LEASE),
    headroom: Array.from({ length: instances }, () => 0n),
    maxHeadroom: Array.from({ length: instances }, () => 0n),
    inFlight: Array.from({ length: instances }, () => []),
    spentAmount: 0n,
    nextLease: 0,
    maxAdmitted: 0n,
  };
}

function see(sim: Sim, i: number): void {
  sim.headroom[i] = leaseAvailable(sim.book);
}

/** Adds spend of a request in flight; its reservation shrinks by as much (all of it on completion). */
function accrueFlight(sim: Sim, i: number, f: Flight, amount: bigint, completed: boolean): void {
  const left = f.estimate > f.accrued ? f.estimate - f.accrued : 0n;
  const released = completed || amount >= left ? left : amount;
  sim.locals[i] = spendLocally(sim.locals[i]!, amount, completed, released);
  f.accrued += amount;
  sim.spentAmount += amount;
}

/**
 * Runs the protocol as the gateway does: a request is admitted locally against the lease with its estimate
 * reserved, renewing (settle + grant, which also refreshes the view) when the lease is missing or used up.
 */
function step(sim: Sim, op: Op, p: { maxInFlight: number; leaseSize: bigint }): void {
  const i = op.instance % sim.locals.length;
  const local = sim.locals[i]!;
  const queue = sim.inFlight[i]!;
  switch (op.kind) {
    case 'request': {
      let admission = admitLocally(local, p.maxInFlight, op.estimate, sim.headroom[i]);
      if (
        !admission.admitted &&
        (admission.reason === 'no_lease' || admission.reason === 'lease_exhausted')
      ) {
        const current = local.lease ? { leaseId: local.lease.id, usedAmount: local.usedAmount } : null;
        const next = {
          leaseId: `l${sim.nextLease++}`,
          instanceId: `gw-${i}`,
          requestedAmount: p.leaseSize,
          at: AT,
          ttlSeconds: 60,
        };
        const renewed = renewLease(sim.book, current, next);
        sim.book = renewed.book;
        see(sim, i);
        // In-flight requests and their reservations carry over: they complete against the lease current then.
        sim.locals[i] = { ...local, lease: renewed.lease, usedAmount: 0n };
        admission = admitLocally(sim.locals[i], p.maxInFlight, op.estimate, sim.headroom[i]);
      }
      if (admission.admitted) {
        sim.locals[i] = startLocally(sim.locals[i]!, op.estimate);
        queue.push({ estimate: op.estimate, cost: op.cost, accrued: 0n });
        if (sim.headroom[i]! > sim.maxHeadroom[i]!) sim.maxHeadroom[i] = sim.headroom[i]!;
        const c = op.cost > op.estimate ? op.cost : op.estimate;
        if (c > sim.maxAdmitted) sim.maxAdmitted = c;
      }
      break;
    }
    case 'progress': {
      // A stream: half of what it has still to spend arrives now (and may cross the lease: renewals happen
      // at the next request, as the gateway's do).
      const f = queue[op.which % Math.max(1, queue.length)];
      if (f) accrueFlight(sim, i, f, (f.cost - f.accrued) / 2n, false);
      break;
    }
    case 'complete': {
      if (queue.length === 0) break;
      const [f] = queue.splice(op.which % queue.length, 1);
      accrueFlight(sim, i, f!, f!.cost - f!.accrued, true);
      break;
    }
    case 'refresh':
      see(sim, i);
      break;
    case 'idle-expire': {
      // A silent instance: only when idle, its lease times out and the ledger closes it.
      if (local.lease && local.inFlight === 0) {
        sim.book = expireLease(sim.book, local.lease.id, '2026-11-01T13:00:00.000Z', local.usedAmount);
        sim.locals[i] = EMPTY_LOCAL_LEASE;
      }
      break;
    }
  }
}

const drain = (sim: Sim, p: { maxInFlight: number; leaseSize: bigint }): void =>
  sim.inFlight.forEach((queue, i) => {
    while (queue.length > 0) step(sim, { kind: 'complete', instance: i, which: 0 }, p);
  });

describe('spend lease overspend bound', () => {
  // Sizes relative to the largest request, so that a run of a few hundred steps can exhaust the budget.
  const params = fc
    .record({
      instances: fc.integer({ min: 1, max: 4 }),
      maxInFlight: fc.integer({ min: 1, max: 3 }),
      maxCost: fc.bigInt({ min: 1n, max: 1_000n }),
      limitInRequests: fc.bigInt({ min: 0n, max: 60n }),
      leaseInRequests: fc.bigInt({ min: 1n, max: 20n }),
      slack: fc.bigInt({ min: 0n, max: 999n }),
    })
    .map((p) => ({
      instances: p.instances,
      maxInFlight: p.maxInFlight,
      maxCost: p.maxCost,
      limit: p.limitInRequests * p.maxCost + (p.slack % p.maxCost),
      leaseSize: p.leaseInRequests * p.maxCost,
    }));
  type Params = typeof params extends fc.Arbitrary<infer P> ? P : never;

  /** Runs of requests (estimate and real cost), stream progress, completions, view refreshes and expiries. */
  const runs = (
    ps: fc.Arbitrary<Params>,
    request: (p: Params) => fc.Arbitrary<{ estimate: bigint; cost: bigint }>,
  ) =>
    ps.chain((p) =>
      fc.tuple(
        fc.constant(p),
        fc.array(
          fc.oneof(
            {
              arbitrary: fc.record({
                kind: fc.constant('request' as const),
                instance: fc.integer({ min: 0, max: p.instances - 1 }),
                size: request(p),
              }),
              weight: 3,
            },
            {
              arbitrary: fc.record({
                kind: fc.constantFrom('progress' as const, 'complete' as const),
                instance: fc.integer({ min: 0, max: p.instances - 1 }),
                which: fc.nat(),
              }),
              weight: 3,
            },
            {
              arbitrary: fc.record({
                kind: fc.constantFrom('refresh' as const, 'idle-expire' as const),
                instance: fc.integer({ min: 0, max: p.instances - 1 }),
              }),
              weight: 1,
            },
          ),
          { minLength: 20, maxLength: 400, size: 'max' },
        ),
      ),
    );
  const toOp = (o: {
    kind: string;
    instance: number;
    which?: number;
    size?: { estimate: bigint; cost: bigint };
  }): Op =>
    o.kind === 'request'
      ? { kind: 'request', instance: o.instance, estimate: o.size!.estimate, cost: o.size!.cost }
      : o.kind === 'progress' || o.kind === 'complete'
        ? { kind: o.kind, instance: o.instance, which: o.which ?? 0 }
        : { kind: o.kind as 'refresh' | 'idle-expire', instance: o.instance };

  it('never lets spend exceed limit + instances x in-flight cap x max request cost, estimates or not (property)', () => {
    // Estimates anywhere from none (0, as before estimates existed) to above the cost; costs mostly at the
    // maximum, where overspend lives. C is the larger of a request's estimate and its cost.
    const request = (p: Params) =>
      fc.record({
        estimate: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: p.maxCost })),
        cost: fc.oneof(
          { arbitrary: fc.constant(p.maxCost), weight: 3 },
          { arbitrary: fc.bigInt({ min: 0n, max: p.maxCost }), weight: 1 },
        ),
      });
    fc.assert(
      fc.property(runs(params, request), ([p, ops]) => {
        const sim = newSim(p.limit, p.instances);
        const bound = p.limit + maxOverspend(p.instances, p.maxInFlight, p.maxCost);
        for (const op of ops) {
          step(sim, toOp(op), p);
          assert.ok(sim.spentAmount <= bound, `spent ${sim.spentAmount} > bound ${bound}`);
          assert.ok(sim.locals.every((l) => l.inFlight <= p.maxInFlight));
        }
        // Drain everything still in flight: the bound holds for the final spend too.
        drain(sim, p);
        assert.ok(sim.spentAmount <= bound, `final spend ${sim.spentAmount} > bound ${bound}`);
        assert.ok(
          sim.locals.every((l) => l.reservedAmount === 0n && l.inFlight === 0),
          'reservations released',
        );
      }),
    );
  });

  it('with every request within its estimate, concurrent reservations stay within limit + sum over instances of min(K x largest estimate, lease + largest headroom admitted with) (property)', () => {
    const request = (p: Params) =>
      fc
        .record({
          estimate: fc.oneof(
            { arbitrary: fc.constant(p.maxCost), weight: 3 },
            { arbitrary: fc.bigInt({ min: 1n, max: p.maxCost }), weight: 1 },
          ),
          // Mostly at the estimate: that is where overspend lives.
          share: fc.oneof(
            { arbitrary: fc.constant(100), weight: 3 },
            { arbitrary: fc.integer({ min: 0, max: 100 }), weight: 1 },
          ),
        })
        .map((r) => ({ estimate: r.estimate, cost: (r.estimate * BigInt(r.share)) / 100n }));
    // Where reservations matter: small leases (one or two requests), a budget the instances lease out at
    // once, more requests in flight than a lease holds.
    const tight = fc
      .record({
        instances: fc.integer({ min: 1, max: 4 }),
        maxInFlight: fc.integer({ min: 2, max: 5 }),
        maxCost: fc.bigInt({ min: 1n, max: 1_000n }),
        leaseInRequests: fc.bigInt({ min: 1n, max: 2n }),
        slack: fc.bigInt({ min: 0n, max: 999n }),
      })
      .map((p) => ({
        instances: p.instances,
        maxInFlight: p.maxInFlight,
        maxCost: p.maxCost,
        limit: BigInt(p.instances) * p.leaseInRequests * p.maxCost + (p.slack % p.maxCost),
        leaseSize: p.leaseInRequests * p.maxCost,
      }));
    fc.assert(
      fc.property(fc.oneof(runs(params, request), runs(tight, request)), ([p, ops]) => {
        const sim = newSim(p.limit, p.instances);
        const bound = (): bigint => {
          let over = 0n;
          for (let i = 0; i < p.instances; i++) {
            const byCount = BigInt(p.maxInFlight) * sim.maxAdmitted;
            const byRoom = p.leaseSize + sim.maxHeadroom[i]!;
            over += byCount < byRoom ? byCount : byRoom;
          }
          return p.limit + over;
        };
        for (const op of ops) {
          step(sim, toOp(op), p);
          assert.ok(sim.spentAmount <= bound(), `spent ${sim.spentAmount} > bound ${bound()}`);
        }
        drain(sim, p);
        assert.ok(sim.spentAmount <= bound(), `final spend ${sim.spentAmount} > bound ${bound()}`);
      }),
    );
  });

  it('is tight without estimates: N instances with K requests each in flight on a 1-unit lease reach limit + N x K x C - N', () => {
    const p = { maxInFlight: 3, leaseSize: 1n };
    const instances = 4;
    const C = 500n;
    const sim = newSim(BigInt(instances), instances);
    for (let i = 0; i < instances; i++)
      for (let k = 0; k < p.maxInFlight; k++)
        step(sim, { kind: 'request', instance: i, estimate: 0n, cost: C }, p);
    drain(sim, p);
    assert.equal(
      sim.spentAmount,
      BigInt(instances) + maxOverspend(instances, p.maxInFlight, C) - BigInt(instances),
    );
    // And then the budget is closed: every further request is refused.
    step(sim, { kind: 'request', instance: 0, estimate: 0n, cost: 1n }, p);
    assert.equal(sim.inFlight[0]!.length, 0);
  });

  it('with the same requests estimated, refuses those that cannot fit and ends at the limit', () => {
    const p = { maxInFlight: 3, leaseSize: 1n };
    const instances = 4;
    const C = 500n;
    // The same run: each request's 500 cannot fit a 1-unit lease and the 3 units nobody holds.
    const tiny = newSim(BigInt(instances), instances);
    for (let i = 0; i < instances; i++)
      for (let k = 0; k < p.maxInFlight; k++)
        step(tiny, { kind: 'request', instance: i, estimate: C, cost: C }, p);
    drain(tiny, p);
    assert.equal(tiny.spentAmount, 0n);
    // Leases of three requests each, the budget leased out (each instance took its lease with a first small
    // request and refreshed its view), a cap of four in flight: three requests of C fit exactly, the fourth
    // is refused though under the cap, and spend ends at the limit.
    const q = { maxInFlight: 4, leaseSize: 3n * C };
    const sim = newSim(BigInt(instances) * q.leaseSize, instances);
    for (let i = 0; i < instances; i++) {
      step(sim, { kind: 'request', instance: i, estimate: 1n, cost: 0n }, q);
      step(sim, { kind: 'complete', instance: i, which: 0 }, q);
    }
    for (let i = 0; i < instances; i++) step(sim, { kind: 'refresh', instance: i }, q);
    for (let i = 0; i < instances; i++)
      for (let k = 0; k < q.maxInFlight; k++)
        step(sim, { kind: 'request', instance: i, estimate: C, cost: C }, q);
    assert.deepEqual(
      sim.inFlight.map((f) => f.length),
      [3, 3, 3, 3],
      'the fourth request of C no longer fits beside three reservations',
    );
    drain(sim, q);
    assert.equal(sim.spentAmount, BigInt(instances) * q.leaseSize, 'the limit, not a unit more');
  });
});
