import { quoteIdent, type SqlExecutor } from '@sluice/database';
import { accountSpec, accountUuid, type AccountId } from './domain/accounts';
import {
  planTransfer,
  zeroBalance,
  type AccountBalance,
  type ApplyResult,
  type LedgerReadView,
  type PendingStatus,
  type StoredTransfer,
} from './domain/ledger-state';
import type { Transfer, TransferCode, TransferKind } from './domain/transfer';

type AccountRow = {
  id: string;
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
};

export type TransferRow = {
  id: string;
  seq: string;
  body_hash: string;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  amount_nano_usd: string;
  ledger: string;
  code: string;
  pending_id: string | null;
  timeout_at: Date | null;
  corrects_transfer_id: string | null;
  event_id: string;
  leg: string;
  booked_at: Date;
  ref: Record<string, string>;
};

/** `seq` comes out as text: ORDER BY must name the table's column (`t.seq`), not this alias. */
export const TRANSFER_COLUMNS =
  'id::text AS id, seq::text AS seq, body_hash, kind, debit_account_id, credit_account_id, amount_nano_usd::text AS amount_nano_usd, ledger, code, pending_id::text AS pending_id, timeout_at, corrects_transfer_id::text AS corrects_transfer_id, event_id::text AS event_id, leg, booked_at, ref';

/** A journal row back as the domain's transfer (timestamps as ISO instants, amounts as bigint). */
export function transferFromRow(r: TransferRow): Transfer {
  return {
    id: r.id,
    kind: r.kind as TransferKind,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    amountNanoUsd: BigInt(r.amount_nano_usd),
    ledger: 'usd-nano',
    code: r.code as TransferCode,
    pendingId: r.pending_id,
    timeoutAt: r.timeout_at ? r.timeout_at.toISOString() : null,
    correctsTransferId: r.corrects_transfer_id,
    eventId: r.event_id,
    leg: r.leg,
    bookedAt: r.booked_at.toISOString(),
    ref: r.ref,
  };
}

const balanceFromRow = (r: AccountRow): AccountBalance => ({
  id: r.id,
  debitsPosted: BigInt(r.debits_posted),
  creditsPosted: BigInt(r.credits_posted),
  debitsPending: BigInt(r.debits_pending),
  creditsPending: BigInt(r.credits_pending),
});

const unique = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/**
 * The books on Postgres: the same `planTransfer` as the in-memory `LedgerState`, fed from rows this
 * transaction has locked. One linked group (one event's transfers) is planned entirely in memory first
 * and written only if every transfer in it passes, so a refusal writes nothing. Accounts are locked with
 * `SELECT ... FOR UPDATE` in id order; balances are written in the same transaction as the transfers that
 * explain them (inline projection), and the database checks the limits and, at commit, debits = credits.
 */
export class PostgresLedger {
  private readonly accounts: string;
  private readonly transfers: string;

  constructor(schema: string) {
    this.accounts = `${quoteIdent(schema)}.accounts`;
    this.transfers = `${quoteIdent(schema)}.transfers`;
  }

  /** Creates any account not yet there (from the chart; an unknown key shape throws), then locks them all. */
  async lockAccounts(tx: SqlExecutor, ids: Iterable<AccountId>): Promise<Map<AccountId, AccountBalance>> {
    const list = unique(ids).sort();
    if (list.length === 0) return new Map();
    const specs = list.map(accountSpec);
    await tx.query(
      `INSERT INTO ${this.accounts} (id, uuid, kind, normal_side, ledger, debits_must_not_exceed_credits, credits_must_not_exceed_debits)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[])
       ON CONFLICT (id) DO NOTHING`,
      [
        specs.map((s) => s.id),
        specs.map((s) => accountUuid(s.id)),
        specs.map((s) => s.kind),
        specs.map((s) => s.normalSide),
        specs.map((s) => s.ledger),
        specs.map((s) => s.flags.debitsMustNotExceedCredits),
        specs.map((s) => s.flags.creditsMustNotExceedDebits),
      ],
    );
    const rows = await tx.query<AccountRow>(
      `SELECT id, debits_posted::text AS debits_posted, credits_posted::text AS credits_posted,
              debits_pending::text AS debits_pending, credits_pending::text AS credits_pending
         FROM ${this.accounts} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [list],
    );
    return new Map(rows.map((r) => [r.id, balanceFromRow(r)]));
  }

  /** One account's balance, locked for the rest of the transaction. */
  async lockedBalance(tx: SqlExecutor, id: AccountId): Promise<AccountBalance> {
    return (await this.lockAccounts(tx, [id])).get(id) ?? zeroBalance(id);
  }

  async transfersOfEvent(tx: SqlExecutor, eventId: string): Promise<Transfer[]> {
    const rows = await tx.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ${this.transfers} t WHERE event_id = $1::uuid ORDER BY t.seq`,
      [eventId],
    );
    return rows.map(transferFromRow);
  }

  async transferById(tx: SqlExecutor, id: string): Promise<Transfer | undefined> {
    const [row] = await tx.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ${this.transfers} WHERE id = $1::uuid`,
      [id],
    );
    return row ? transferFromRow(row) : undefined;
  }

  /** Applies one linked group: all of it or, when `planTransfer` refuses any leg, none of it (it throws). */
  async apply(tx: SqlExecutor, group: readonly Transfer[]): Promise<ApplyResult> {
    if (group.length === 0) return { applied: [], existing: [] };
    const view = await this.readView(tx, group);
    const balances = new Map<AccountId, AccountBalance>();
    const stored = new Map<string, StoredTransfer>();
    const statuses = new Map<string, PendingStatus>();
    const corrections = new Map<string, string>();
    const staged: LedgerReadView = {
      balance: (id) => ({ ...(balances.get(id) ?? view.balance(id)) }),
      transfer: (id) => stored.get(id) ?? view.transfer(id),
      pendingStatus: (id) => statuses.get(id) ?? view.pendingStatus(id),
      correctedBy: (id) => corrections.get(id) ?? view.correctedBy(id),
    };
    const result: ApplyResult = { applied: [], existing: [] };
    const hashes: string[] = [];
    for (const t of group) {
      const plan = planTransfer(staged, t);
      if (plan.outcome === 'exists') {
        result.existing.push(plan.transfer);
        continue;
      }
      balances.set(plan.debitAccount.id, plan.debitAccount);
      balances.set(plan.creditAccount.id, plan.creditAccount);
      stored.set(t.id, { transfer: t, bodyHash: plan.bodyHash });
      if (plan.pendingStatusChange)
        statuses.set(plan.pendingStatusChange.pendingId, plan.pendingStatusChange.status);
      if (t.correctsTransferId !== null) corrections.set(t.correctsTransferId, t.id);
      result.applied.push(t);
      hashes.push(plan.bodyHash);
    }
    if (result.applied.length === 0) return result;
    await this.insertTransfers(tx, result.applied, hashes);
    await this.writeBalances(tx, [...balances.values()]);
    return result;
  }

  /** Everything `planTransfer` may read for this group, loaded (accounts locked) up front. */
  private async readView(tx: SqlExecutor, group: readonly Transfer[]): Promise<LedgerReadView> {
    const accounts = await this.lockAccounts(
      tx,
      group.flatMap((t) => [t.debitAccountId, t.creditAccountId]),
    );
    const ids = unique(
      group.flatMap((t) => [t.id, t.pendingId, t.correctsTransferId].filter((x): x is string => x !== null)),
    );
    const rows = await tx.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ${this.transfers} WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const transfers = new Map<string, StoredTransfer>(
      rows.map((r) => [r.id, { transfer: transferFromRow(r), bodyHash: r.body_hash }]),
    );
    const resolvers = await tx.query<{ id: string; pending_id: string; kind: string }>(
      `SELECT id::text AS id, pending_id::text AS pending_id, kind FROM ${this.transfers} WHERE pending_id = ANY($1::uuid[])`,
      [ids],
    );
    const resolved = new Map<string, PendingStatus>(
      resolvers.map((r) => [
        r.pending_id,
        r.kind === 'post' ? 'posted' : r.kind === 'void' ? 'voided' : 'expired',
      ]),
    );
    const correctors = await tx.query<{ id: string; corrects_transfer_id: string }>(
      `SELECT id::text AS id, corrects_transfer_id::text AS corrects_transfer_id FROM ${this.transfers}
        WHERE corrects_transfer_id = ANY($1::uuid[])`,
      [ids],
    );
    const correctedBy = new Map(correctors.map((r) => [r.corrects_transfer_id, r.id]));
    return {
      balance: (id) => ({ ...(accounts.get(id) ?? zeroBalance(id)) }),
      transfer: (id) => transfers.get(id),
      pendingStatus: (id) => {
        const t = transfers.get(id)?.transfer;
        if (!t || t.kind !== 'pending') return undefined;
        return resolved.get(id) ?? 'pending';
      },
      correctedBy: (id) => correctedBy.get(id),
    };
  }

  private async insertTransfers(tx: SqlExecutor, ts: readonly Transfer[], hashes: string[]): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.transfers} (id, body_hash, kind, debit_account_id, credit_account_id, amount_nano_usd, ledger, code,
                                      pending_id, timeout_at, corrects_transfer_id, event_id, leg, booked_at, ref)
       SELECT id, body_hash, kind, dr, cr, amount, ledger, code, pending_id, timeout_at, corrects, event_id, leg, booked_at, ref
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
                     $9::uuid[], $10::timestamptz[], $11::uuid[], $12::uuid[], $13::text[], $14::timestamptz[], $15::jsonb[])
              WITH ORDINALITY AS u(id, body_hash, kind, dr, cr, amount, ledger, code, pending_id, timeout_at, corrects,
                                   event_id, leg, booked_at, ref, n)
        ORDER BY n`,
      [
        ts.map((t) => t.id),
        hashes,
        ts.map((t) => t.kind),
        ts.map((t) => t.debitAccountId),
        ts.map((t) => t.creditAccountId),
        ts.map((t) => t.amountNanoUsd.toString()),
        ts.map((t) => t.ledger),
        ts.map((t) => t.code),
        ts.map((t) => t.pendingId),
        ts.map((t) => t.timeoutAt),
        ts.map((t) => t.correctsTransferId),
        ts.map((t) => t.eventId),
        ts.map((t) => t.leg),
        ts.map((t) => t.bookedAt),
        ts.map((t) => JSON.stringify(t.ref)),
      ],
    );
  }

  private async writeBalances(tx: SqlExecutor, bs: readonly AccountBalance[]): Promise<void> {
    await tx.query(
      `UPDATE ${this.accounts} a
          SET debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dq, credits_pending = u.cq
         FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[]) AS u(id, dp, cp, dq, cq)
        WHERE a.id = u.id`,
      [
        bs.map((b) => b.id),
        bs.map((b) => b.debitsPosted.toString()),
        bs.map((b) => b.creditsPosted.toString()),
        bs.map((b) => b.debitsPending.toString()),
        bs.map((b) => b.creditsPending.toString()),
      ],
    );
  }
}
