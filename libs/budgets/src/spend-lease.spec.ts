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
    let local: LocalLease = startLocally({ lease, usedAmount: 0n, inFlight: 0 });
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
    assert.deepEqual(admitLocally(EMPTY_LOCAL_LEASE, 2), { admitted: false, reason: 'no_lease' });
    assert.deepEqual(admitLocally({ lease, usedAmount: 99n, inFlight: 1 }, 2), { admitted: true });
    assert.deepEqual(admitLocally({ lease, usedAmount: 100n, inFlight: 0 }, 2), {
      admitted: false,
      reason: 'lease_exhausted',
    });
    assert.deepEqual(admitLocally({ lease, usedAmount: 0n, inFlight: 2 }, 2), {
      admitted: false,
      reason: 'concurrency_limit',
    });
  });
});

// ------------------------------------------------------------------------------------------ the bound

type Sim = {
  book: LeaseBook;
  locals: LocalLease[];
  /** Costs of requests in flight per instance (decided when admitted, revealed on completion). */
  inFlight: bigint[][];
  spentAmount: bigint;
  nextLease: number;
};

type Op =
  | { kind: 'request'; instance: number; cost: bigint }
  | { kind: 'complete'; instance: number; which: number }
  | { kind: 'idle-expire'; instance: number };

/** Runs the protocol: request = admit locally, renewing (settle + grant) when the lease is missing or used up. */
function step(sim: Sim, op: Op, p: { maxInFlight: number; leaseSize: bigint }): void {
  const i = op.instance % sim.locals.length;
  const local = sim.locals[i]!;
  const queue = sim.inFlight[i]!;
  switch (op.kind) {
    case 'request': {
      let admission = admitLocally(local, p.maxInFlight);
      if (!admission.admitted && admission.reason !== 'concurrency_limit') {
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
        // In-flight requests carry over: they complete against whichever lease is current then.
        sim.locals[i] = { lease: renewed.lease, usedAmount: 0n, inFlight: local.inFlight };
        admission = admitLocally(sim.locals[i], p.maxInFlight);
      }
      if (admission.admitted) {
        sim.locals[i] = startLocally(sim.locals[i]!);
        queue.push(op.cost);
      }
      break;
    }
    case 'complete': {
      if (queue.length === 0) break;
      const [cost] = queue.splice(op.which % queue.length, 1);
      sim.locals[i] = spendLocally(local, cost!, true);
      sim.spentAmount += cost!;
      break;
    }
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

describe('spend lease overspend bound', () => {
  it('never lets spend exceed limit + instances x in-flight cap x max request cost (property)', () => {
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
    fc.assert(
      fc.property(
        params.chain((p) =>
          fc.tuple(
            fc.constant(p),
            fc.array(
              fc.oneof(
                {
                  // Mostly requests at the maximum cost: that is where overspend lives.
                  arbitrary: fc.record({
                    kind: fc.constant('request' as const),
                    instance: fc.integer({ min: 0, max: p.instances - 1 }),
                    cost: fc.oneof(
                      { arbitrary: fc.constant(p.maxCost), weight: 3 },
                      { arbitrary: fc.bigInt({ min: 0n, max: p.maxCost }), weight: 1 },
                    ),
                  }),
                  weight: 3,
                },
                {
                  arbitrary: fc.record({
                    kind: fc.constant('complete' as const),
                    instance: fc.integer({ min: 0, max: p.instances - 1 }),
                    which: fc.nat(),
                  }),
                  weight: 3,
                },
                {
                  arbitrary: fc.record({
                    kind: fc.constant('idle-expire' as const),
                    instance: fc.integer({ min: 0, max: p.instances - 1 }),
                  }),
                  weight: 1,
                },
              ),
              { minLength: 20, maxLength: 400, size: 'max' },
            ),
          ),
        ),
        ([p, ops]) => {
          const sim: Sim = {
            book: newLeaseBook(p.limit),
            locals: Array.from({ length: p.instances }, () => EMPTY_LOCAL_LEASE),
            inFlight: Array.from({ length: p.instances }, () => []),
            spentAmount: 0n,
            nextLease: 0,
          };
          const bound = p.limit + maxOverspend(p.instances, p.maxInFlight, p.maxCost);
          for (const op of ops) {
            step(sim, op, p);
            assert.ok(sim.spentAmount <= bound, `spent ${sim.spentAmount} > bound ${bound}`);
            assert.ok(sim.locals.every((l) => l.inFlight <= p.maxInFlight));
          }
          // Drain everything still in flight: the bound holds for the final spend too.
          sim.inFlight.forEach((queue, i) => {
            while (queue.length > 0) step(sim, { kind: 'complete', instance: i, which: 0 }, p);
          });
          assert.ok(sim.spentAmount <= bound, `final spend ${sim.spentAmount} > bound ${bound}`);
        },
      ),
    );
  });

  it('is tight: N instances with K requests each in flight on a 1-unit lease reach limit + N x K x C - N', () => {
    const p = { maxInFlight: 3, leaseSize: 1n };
    const instances = 4;
    const C = 500n;
    const sim: Sim = {
      book: newLeaseBook(BigInt(instances)),
      locals: Array.from({ length: instances }, () => EMPTY_LOCAL_LEASE),
      inFlight: Array.from({ length: instances }, () => []),
      spentAmount: 0n,
      nextLease: 0,
    };
    for (let i = 0; i < instances; i++)
      for (let k = 0; k < p.maxInFlight; k++) step(sim, { kind: 'request', instance: i, cost: C }, p);
    for (let i = 0; i < instances; i++)
      for (let k = 0; k < p.maxInFlight; k++) step(sim, { kind: 'complete', instance: i, which: 0 }, p);
    assert.equal(
      sim.spentAmount,
      BigInt(instances) + maxOverspend(instances, p.maxInFlight, C) - BigInt(instances),
    );
    // And then the budget is closed: every further request is refused.
    step(sim, { kind: 'request', instance: 0, cost: 1n }, p);
    assert.equal(sim.inFlight[0]!.length, 0);
  });
});
