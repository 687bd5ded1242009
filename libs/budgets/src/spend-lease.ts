import { BudgetError } from './budget-error';

// Spend leases let the gateway enforce a hard budget without calling the ledger per request. The ledger
// carves leases out of the remaining budget (a lease is a reservation, like a pending transfer), the
// gateway spends locally against its lease and renews it when it is used up. Amounts are in the budget's
// unit (nano-USD or tokens). The bound on overspend is stated and proved in docs/ledger-design.md,
// "Spend leases", and checked by spend-lease.spec.ts.

export type SpendLease = { id: string; instanceId: string; grantedAmount: bigint; expiresAt: string };

/** The ledger's side, one per hard budget and period; the service keeps it in a row it locks. */
export type LeaseBook = {
  limit: bigint;
  /** Spend accounted for: closed leases (what they used) and spend outside leases. */
  settledAmount: bigint;
  open: ReadonlyMap<string, SpendLease>;
};

export function newLeaseBook(limit: bigint, settledAmount = 0n): LeaseBook {
  return { limit, settledAmount, open: new Map() };
}

/** Budget not yet settled or reserved by an open lease (may be negative after overspend). */
export function leaseAvailable(book: LeaseBook): bigint {
  let reserved = 0n;
  for (const l of book.open.values()) reserved += l.grantedAmount;
  return book.limit - book.settledAmount - reserved;
}

export type LeaseRequest = {
  leaseId: string;
  instanceId: string;
  requestedAmount: bigint;
  at: string;
  ttlSeconds: number;
};

/**
 * Grants min(requested, available) or nothing. An instance holds at most one lease: it renews by settling
 * the old one first (`renewLease`), so no budget is ever reserved twice for it.
 */
export function grantLease(
  book: LeaseBook,
  req: LeaseRequest,
): { book: LeaseBook; lease: SpendLease | null } {
  if (req.requestedAmount <= 0n)
    throw new BudgetError('budget_invalid', 'a lease must ask for a positive amount');
  if (book.open.has(req.leaseId)) throw new BudgetError('lease_conflict', `lease ${req.leaseId} exists`);
  for (const l of book.open.values()) {
    if (l.instanceId === req.instanceId)
      throw new BudgetError('lease_conflict', `${req.instanceId} already holds lease ${l.id}`);
  }
  const available = leaseAvailable(book);
  const amount = req.requestedAmount < available ? req.requestedAmount : available;
  if (amount <= 0n) return { book, lease: null };
  const lease: SpendLease = {
    id: req.leaseId,
    instanceId: req.instanceId,
    grantedAmount: amount,
    expiresAt: new Date(Date.parse(req.at) + req.ttlSeconds * 1000).toISOString(),
  };
  const open = new Map(book.open);
  open.set(lease.id, lease);
  return { book: { ...book, open }, lease };
}

function closing(book: LeaseBook, leaseId: string): { lease: SpendLease; open: Map<string, SpendLease> } {
  const lease = book.open.get(leaseId);
  if (!lease) throw new BudgetError('lease_not_found', `no open lease ${leaseId}`);
  const open = new Map(book.open);
  open.delete(leaseId);
  return { lease, open };
}

/** The instance returns its lease, reporting what it spent under it (which may exceed the grant). */
export function settleLease(book: LeaseBook, leaseId: string, usedAmount: bigint): LeaseBook {
  const { open } = closing(book, leaseId);
  return { ...book, settledAmount: book.settledAmount + usedAmount, open };
}

/**
 * The instance went silent: after the TTL the lease closes as if fully spent, or at what the ledger has seen
 * posted under it if that is more. Conservative on purpose: the unused part of a dead instance's lease is
 * lost for the period rather than risking spending it twice.
 */
export function expireLease(book: LeaseBook, leaseId: string, at: string, postedAmount: bigint): LeaseBook {
  const lease = book.open.get(leaseId);
  if (lease && Date.parse(at) < Date.parse(lease.expiresAt)) {
    throw new BudgetError('lease_not_expired', `lease ${leaseId} runs until ${lease.expiresAt}`);
  }
  const { open } = closing(book, leaseId);
  const accounted = postedAmount > (lease?.grantedAmount ?? 0n) ? postedAmount : (lease?.grantedAmount ?? 0n);
  return { ...book, settledAmount: book.settledAmount + accounted, open };
}

/** Settle the instance's current lease (if any) and ask for the next one, as one step. */
export function renewLease(
  book: LeaseBook,
  current: { leaseId: string; usedAmount: bigint } | null,
  next: LeaseRequest,
): { book: LeaseBook; lease: SpendLease | null } {
  const settled = current ? settleLease(book, current.leaseId, current.usedAmount) : book;
  return grantLease(settled, next);
}

// ------------------------------------------------------------------------------------- gateway side

/**
 * One gateway instance's view: its lease, what requests spent under it, what the requests in flight still
 * hold reserved (their up-front estimates, less what they already spent; local: the ledger never sees a
 * reservation, only spend), and how many are in flight.
 */
export type LocalLease = {
  lease: SpendLease | null;
  usedAmount: bigint;
  reservedAmount: bigint;
  inFlight: number;
};

export const EMPTY_LOCAL_LEASE: LocalLease = { lease: null, usedAmount: 0n, reservedAmount: 0n, inFlight: 0 };

export type LocalAdmission =
  | { admitted: true }
  | {
      admitted: false;
      reason: 'no_lease' | 'lease_exhausted' | 'estimate_exceeds_budget' | 'concurrency_limit';
    };

/**
 * What this instance can still commit to a request: its lease's room (less spend and reservations) plus
 * `headroomAmount`, the budget no one holds (limit - committed, as the ledger last reported it).
 */
export function localRemaining(local: LocalLease, headroomAmount: bigint): bigint {
  const room = (local.lease?.grantedAmount ?? 0n) - local.usedAmount - local.reservedAmount;
  return room + (headroomAmount > 0n ? headroomAmount : 0n);
}

/**
 * Admission without a ledger call: the lease must have something left, the request's up-front estimate
 * (`reserveAmount`) must fit what remains (`localRemaining`: a request that cannot fit is refused, not
 * admitted and cut), and the instance must be under its in-flight cap. The estimate is then reserved
 * (`startLocally`) and replaced by the real cost when the request ends; streams add as they go and are cut
 * when the lease is used up and cannot be renewed. The in-flight cap and the estimates bound overspend.
 */
export function admitLocally(
  local: LocalLease,
  maxInFlight: number,
  reserveAmount = 0n,
  headroomAmount = 0n,
): LocalAdmission {
  if (!local.lease) return { admitted: false, reason: 'no_lease' };
  if (local.usedAmount >= local.lease.grantedAmount) return { admitted: false, reason: 'lease_exhausted' };
  if (reserveAmount > localRemaining(local, headroomAmount))
    return { admitted: false, reason: 'estimate_exceeds_budget' };
  if (local.inFlight >= maxInFlight) return { admitted: false, reason: 'concurrency_limit' };
  return { admitted: true };
}

/** Counts an admitted request in flight, holding its estimate reserved. */
export function startLocally(local: LocalLease, reserveAmount = 0n): LocalLease {
  if (reserveAmount < 0n) throw new BudgetError('budget_invalid', 'a reservation must not be negative');
  return {
    lease: local.lease,
    usedAmount: local.usedAmount,
    reservedAmount: local.reservedAmount + reserveAmount,
    inFlight: local.inFlight + 1,
  };
}

/**
 * Adds spend to the current lease: a completed request's cost (`completed`), or a stream's cost so far as
 * it is produced, and gives back `releasedAmount` of the request's reservation (the part its spend used up,
 * and on completion the rest). When `leaseExhausted` turns true mid-stream the gateway tries to renew and,
 * if the ledger refuses, ends the stream cleanly; the bound below holds either way, since accrued cost only
 * ever makes admission stricter.
 */
export function spendLocally(
  local: LocalLease,
  amount: bigint,
  completed: boolean,
  releasedAmount = 0n,
): LocalLease {
  if (amount < 0n || releasedAmount < 0n)
    throw new BudgetError('budget_invalid', 'spend and released reservations must not be negative');
  if (releasedAmount > local.reservedAmount)
    throw new BudgetError('budget_invalid', 'released more than is reserved');
  return {
    lease: local.lease,
    usedAmount: local.usedAmount + amount,
    reservedAmount: local.reservedAmount - releasedAmount,
    inFlight: completed ? local.inFlight - 1 : local.inFlight,
  };
}

/** True when the instance has no lease left to spend: renew, or refuse and cut streams. */
export function leaseExhausted(local: LocalLease): boolean {
  return local.lease === null || local.usedAmount >= local.lease.grantedAmount;
}

/**
 * The most a hard budget can be overspent with N instances, each admitting at most K requests in flight,
 * no request costing more than C: N x K x C. The lease size does not appear: leases are reservations, so
 * no budget is handed out twice; the size only trades ledger round trips against budget stranded in idle
 * instances' leases. With up-front estimates, C is the largest reservation a request was admitted with
 * (its input estimate and output limit at the team's price) as long as requests cost no more than their
 * estimate; what one costs beyond it adds to C (docs/ledger-design.md, "Budgets in the running system").
 */
export function maxOverspend(
  instances: number,
  maxInFlightPerInstance: number,
  maxRequestCost: bigint,
): bigint {
  return BigInt(instances) * BigInt(maxInFlightPerInstance) * maxRequestCost;
}
