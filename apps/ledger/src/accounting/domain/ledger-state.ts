import { AccountingError } from './accounting.errors';
import { accountSpec, type AccountId, type AccountSpec } from './accounts';
import { assertWellFormed, transferBodyHash, type Transfer } from './transfer';

/** TigerBeetle's four balance columns, in nano-USD. */
export type AccountBalance = {
  id: AccountId;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
};

export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

export type StoredTransfer = { transfer: Transfer; bodyHash: string };

/**
 * What planning a transfer reads. `LedgerState` implements it in memory; the Postgres service implements it
 * over rows it has locked (`SELECT ... FOR UPDATE` on the two accounts, in id order) in its transaction.
 */
export type LedgerReadView = {
  /** The account's balance; a never-used account reads as all zeros. */
  balance(id: AccountId): AccountBalance;
  transfer(id: string): StoredTransfer | undefined;
  pendingStatus(pendingId: string): PendingStatus | undefined;
  /** The transfer that corrects `transferId`, if any (in Postgres: a unique index on corrects_transfer_id). */
  correctedBy(transferId: string): string | undefined;
};

export type TransferPlan =
  | { outcome: 'exists'; transfer: Transfer }
  | {
      outcome: 'apply';
      transfer: Transfer;
      bodyHash: string;
      /** The new balances of the debit and credit accounts, to write back. */
      debitAccount: AccountBalance;
      creditAccount: AccountBalance;
      /** Set for `pending` (-> pending) and for post/void/expire (the pending transfer's new status). */
      pendingStatusChange: { pendingId: string; status: PendingStatus } | null;
    };

export const zeroBalance = (id: AccountId): AccountBalance => ({
  id,
  debitsPosted: 0n,
  creditsPosted: 0n,
  debitsPending: 0n,
  creditsPending: 0n,
});

const fail = (
  code: ConstructorParameters<typeof AccountingError>[0],
  t: Transfer,
  message: string,
): never => {
  throw new AccountingError(code, `transfer ${t.id} (${t.code}/${t.leg}): ${message}`, {
    transferId: t.id,
    eventId: t.eventId,
  });
};

function checkLimits(spec: AccountSpec, b: AccountBalance, t: Transfer): void {
  if (spec.flags.debitsMustNotExceedCredits && b.debitsPosted + b.debitsPending > b.creditsPosted) {
    fail('exceeds_credits', t, `${spec.id} would go below zero`);
  }
  if (spec.flags.creditsMustNotExceedDebits && b.creditsPosted + b.creditsPending > b.debitsPosted) {
    fail('exceeds_debits', t, `${spec.id} credits would exceed its debits`);
  }
}

const ms = (iso: string): number => Date.parse(iso);

/**
 * Decides what one transfer does to the books, or refuses it with a coded error. Pure: it reads the view and
 * returns the new balances; nothing is written. Pending reservations are pessimistic, as in TigerBeetle: a
 * pending debit counts against the limit at once, so posting it later can never break a limit.
 */
export function planTransfer(view: LedgerReadView, t: Transfer): TransferPlan {
  assertWellFormed(t);
  const drSpec = accountSpec(t.debitAccountId);
  const crSpec = accountSpec(t.creditAccountId);
  if (drSpec.ledger !== t.ledger || crSpec.ledger !== t.ledger)
    fail('ledger_must_match', t, 'accounts are on another ledger');

  const bodyHash = transferBodyHash(t);
  const existing = view.transfer(t.id);
  if (existing) {
    if (existing.bodyHash === bodyHash) return { outcome: 'exists', transfer: existing.transfer };
    return fail('exists_with_different_body', t, 'a different transfer already has this id');
  }
  if (t.correctsTransferId !== null) {
    if (!view.transfer(t.correctsTransferId))
      fail('corrected_transfer_not_found', t, `corrects unknown transfer ${t.correctsTransferId}`);
    // A transfer is reversed at most once; to correct again, correct the correction.
    const by = view.correctedBy(t.correctsTransferId);
    if (by !== undefined)
      fail('transfer_already_corrected', t, `${t.correctsTransferId} was already corrected by ${by}`);
  }

  const dr = { ...view.balance(t.debitAccountId) };
  const cr = { ...view.balance(t.creditAccountId) };
  const a = t.amountNanoUsd;
  let pendingStatusChange: { pendingId: string; status: PendingStatus } | null = null;

  switch (t.kind) {
    case 'single':
      dr.debitsPosted += a;
      cr.creditsPosted += a;
      checkLimits(drSpec, dr, t);
      checkLimits(crSpec, cr, t);
      break;
    case 'pending':
      dr.debitsPending += a;
      cr.creditsPending += a;
      checkLimits(drSpec, dr, t);
      checkLimits(crSpec, cr, t);
      pendingStatusChange = { pendingId: t.id, status: 'pending' };
      break;
    case 'post':
    case 'void':
    case 'expire': {
      const pendingId = t.pendingId ?? fail('transfer_invalid', t, 'pendingId missing');
      const p =
        view.transfer(pendingId)?.transfer ??
        fail('pending_transfer_not_found', t, `no transfer ${pendingId}`);
      if (p.kind !== 'pending')
        fail('pending_transfer_not_pending', t, `${pendingId} is not a pending transfer`);
      const status = view.pendingStatus(pendingId);
      if (status === 'posted') fail('pending_transfer_already_posted', t, `${pendingId} was posted`);
      if (status === 'voided') fail('pending_transfer_already_voided', t, `${pendingId} was voided`);
      if (status === 'expired') fail('pending_transfer_already_expired', t, `${pendingId} expired`);
      if (p.debitAccountId !== t.debitAccountId || p.creditAccountId !== t.creditAccountId) {
        fail('pending_transfer_has_different_accounts', t, `accounts differ from ${pendingId}`);
      }
      const timeoutMs = ms(p.timeoutAt ?? fail('transfer_invalid', t, 'pending without timeout'));
      if (t.kind === 'post') {
        if (a > p.amountNanoUsd)
          fail('exceeds_pending_transfer_amount', t, `posts ${a} of ${p.amountNanoUsd}`);
        if (ms(t.bookedAt) >= timeoutMs)
          fail('pending_transfer_expired', t, `${pendingId} timed out at ${p.timeoutAt}`);
      } else if (a !== p.amountNanoUsd) {
        fail('transfer_invalid', t, `a ${t.kind} must carry the pending amount ${p.amountNanoUsd}`);
      }
      if (t.kind === 'expire' && ms(t.bookedAt) < timeoutMs) {
        fail('pending_transfer_not_expired', t, `${pendingId} times out at ${p.timeoutAt}`);
      }
      // The whole reservation is released; a post then books what was actually used.
      dr.debitsPending -= p.amountNanoUsd;
      cr.creditsPending -= p.amountNanoUsd;
      if (t.kind === 'post') {
        dr.debitsPosted += a;
        cr.creditsPosted += a;
      }
      const statusAfter: PendingStatus =
        t.kind === 'post' ? 'posted' : t.kind === 'void' ? 'voided' : 'expired';
      pendingStatusChange = { pendingId, status: statusAfter };
      break;
    }
  }
  return {
    outcome: 'apply',
    transfer: t,
    bodyHash,
    debitAccount: dr,
    creditAccount: cr,
    pendingStatusChange,
  };
}

export type ApplyResult = {
  /** Transfers that changed the books, in order. */
  applied: Transfer[];
  /** Transfers that were already there with the same body (an idempotent replay). */
  existing: Transfer[];
};

export type LedgerTotals = {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
};

/** Comparable, JSON-safe picture of the books (amounts as decimal strings), for replay checks and tests. */
export type LedgerSnapshot = {
  balances: Array<[AccountId, string, string, string, string]>;
  pendingStatuses: Array<[string, PendingStatus]>;
  transferIds: string[];
};

/**
 * The books in memory: accounts created on first use from the chart, an append-only transfer journal, and
 * the status of each pending transfer. `apply` takes a linked group (one business event's transfers): all
 * of it lands or none of it does.
 */
export class LedgerState implements LedgerReadView {
  private readonly balances = new Map<AccountId, AccountBalance>();
  private readonly transfers = new Map<string, StoredTransfer>();
  private readonly statuses = new Map<string, PendingStatus>();
  private readonly corrections = new Map<string, string>();
  private readonly journal: Transfer[] = [];

  balance(id: AccountId): AccountBalance {
    return { ...(this.balances.get(id) ?? zeroBalance(id)) };
  }

  transfer(id: string): StoredTransfer | undefined {
    return this.transfers.get(id);
  }

  pendingStatus(pendingId: string): PendingStatus | undefined {
    return this.statuses.get(pendingId);
  }

  correctedBy(transferId: string): string | undefined {
    return this.corrections.get(transferId);
  }

  /** Every transfer in the order it was applied. */
  journalEntries(): readonly Transfer[] {
    return this.journal;
  }

  apply(group: readonly Transfer[]): ApplyResult {
    const balances = new Map<AccountId, AccountBalance>();
    const transfers = new Map<string, StoredTransfer>();
    const statuses = new Map<string, PendingStatus>();
    const corrections = new Map<string, string>();
    const staged: LedgerReadView = {
      balance: (id) => ({ ...(balances.get(id) ?? this.balance(id)) }),
      transfer: (id) => transfers.get(id) ?? this.transfer(id),
      pendingStatus: (id) => statuses.get(id) ?? this.pendingStatus(id),
      correctedBy: (id) => corrections.get(id) ?? this.correctedBy(id),
    };
    const result: ApplyResult = { applied: [], existing: [] };
    for (const t of group) {
      const plan = planTransfer(staged, t);
      if (plan.outcome === 'exists') {
        result.existing.push(plan.transfer);
        continue;
      }
      balances.set(plan.debitAccount.id, plan.debitAccount);
      balances.set(plan.creditAccount.id, plan.creditAccount);
      transfers.set(t.id, { transfer: t, bodyHash: plan.bodyHash });
      if (plan.pendingStatusChange)
        statuses.set(plan.pendingStatusChange.pendingId, plan.pendingStatusChange.status);
      if (t.correctsTransferId !== null) corrections.set(t.correctsTransferId, t.id);
      result.applied.push(t);
    }
    // Nothing above threw: commit the whole group.
    for (const [id, b] of balances) this.balances.set(id, b);
    for (const [id, s] of transfers) this.transfers.set(id, s);
    for (const [id, s] of statuses) this.statuses.set(id, s);
    for (const [id, by] of corrections) this.corrections.set(id, by);
    this.journal.push(...result.applied);
    return result;
  }

  totals(): LedgerTotals {
    const sum: LedgerTotals = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
    for (const b of this.balances.values()) {
      sum.debitsPosted += b.debitsPosted;
      sum.creditsPosted += b.creditsPosted;
      sum.debitsPending += b.debitsPending;
      sum.creditsPending += b.creditsPending;
    }
    return sum;
  }

  /** Pending transfers still open whose timeout is at or before `at` (for the expiry sweep). */
  pendingDueAt(at: string): Transfer[] {
    const due: Transfer[] = [];
    for (const [id, status] of this.statuses) {
      const t = this.transfers.get(id)?.transfer;
      if (status === 'pending' && t?.timeoutAt && ms(t.timeoutAt) <= ms(at)) due.push(t);
    }
    return due.sort((x, y) => ms(x.timeoutAt ?? '') - ms(y.timeoutAt ?? '') || (x.id < y.id ? -1 : 1));
  }

  /**
   * Every invariant the books must keep, as a list of violations (empty when all hold): debits equal credits,
   * posted and pending; no hard-limited account beyond its limit; pending columns equal the open pending
   * transfers; the journal and the balances agree.
   */
  checkInvariants(): string[] {
    const violations: string[] = [];
    const totals = this.totals();
    if (totals.debitsPosted !== totals.creditsPosted) {
      violations.push(`posted debits ${totals.debitsPosted} != posted credits ${totals.creditsPosted}`);
    }
    if (totals.debitsPending !== totals.creditsPending) {
      violations.push(`pending debits ${totals.debitsPending} != pending credits ${totals.creditsPending}`);
    }
    const recomputed = new Map<AccountId, AccountBalance>();
    const touch = (id: AccountId): AccountBalance => {
      const b = recomputed.get(id) ?? zeroBalance(id);
      recomputed.set(id, b);
      return b;
    };
    for (const t of this.journal) {
      const dr = touch(t.debitAccountId);
      const cr = touch(t.creditAccountId);
      if (t.kind === 'single' || t.kind === 'post') {
        dr.debitsPosted += t.amountNanoUsd;
        cr.creditsPosted += t.amountNanoUsd;
      }
      if (t.kind === 'pending' && this.statuses.get(t.id) === 'pending') {
        dr.debitsPending += t.amountNanoUsd;
        cr.creditsPending += t.amountNanoUsd;
      }
    }
    for (const b of this.balances.values()) {
      const spec = accountSpec(b.id);
      if (spec.flags.debitsMustNotExceedCredits && b.debitsPosted + b.debitsPending > b.creditsPosted) {
        violations.push(`${b.id} is below zero`);
      }
      if (spec.flags.creditsMustNotExceedDebits && b.creditsPosted + b.creditsPending > b.debitsPosted) {
        violations.push(`${b.id} credits exceed debits`);
      }
      const r = recomputed.get(b.id) ?? zeroBalance(b.id);
      if (
        r.debitsPosted !== b.debitsPosted ||
        r.creditsPosted !== b.creditsPosted ||
        r.debitsPending !== b.debitsPending ||
        r.creditsPending !== b.creditsPending
      ) {
        violations.push(`${b.id} balance disagrees with its journal`);
      }
    }
    return violations;
  }

  snapshot(): LedgerSnapshot {
    const ids = [...this.balances.keys()].sort();
    return {
      balances: ids.map((id) => {
        const b = this.balance(id);
        return [id, `${b.debitsPosted}`, `${b.creditsPosted}`, `${b.debitsPending}`, `${b.creditsPending}`];
      }),
      pendingStatuses: [...this.statuses.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
      transferIds: this.journal.map((t) => t.id),
    };
  }
}

/** Balance on the account's normal side (credit-normal: credits - debits), posted only. */
export function postedBalance(b: AccountBalance): bigint {
  return accountSpec(b.id).normalSide === 'credit'
    ? b.creditsPosted - b.debitsPosted
    : b.debitsPosted - b.creditsPosted;
}

/** What a credit-normal account can still spend: posted credits minus posted and pending debits. */
export function availableBalance(b: AccountBalance): bigint {
  return accountSpec(b.id).normalSide === 'credit'
    ? b.creditsPosted - b.debitsPosted - b.debitsPending
    : b.debitsPosted - b.creditsPosted - b.creditsPending;
}
