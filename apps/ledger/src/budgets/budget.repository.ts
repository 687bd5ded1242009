import type { SqlExecutor } from '@sluice/database';
import type { Budget, PeriodWindow } from '@sluice/budgets';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import { accountIds } from '../accounting/domain/accounts';
import type { BudgetSetV1 } from './budget.events';

const S = LEDGER_SCHEMA;
/** `total` budgets have one book, keyed by this instant. */
export const TOTAL_PERIOD_START = '1970-01-01T00:00:00.000Z';

export type BudgetRow = Budget & { removed: boolean; updatedAt: string };

type RawBudget = {
  id: string;
  team_id: string;
  key_id: string | null;
  unit: Budget['unit'];
  period: Budget['period'];
  limit_amount: string;
  enforcement: Budget['enforcement'];
  alert_at_bps: number | null;
  removed: boolean;
  updated_at: Date;
};

const toBudget = (r: RawBudget): BudgetRow => ({
  id: r.id,
  scope:
    r.key_id === null
      ? { kind: 'team', teamId: r.team_id }
      : { kind: 'key', teamId: r.team_id, keyId: r.key_id },
  unit: r.unit,
  period: r.period,
  limit: BigInt(r.limit_amount),
  enforcement: r.enforcement,
  ...(r.alert_at_bps === null ? {} : { alertAtBps: r.alert_at_bps }),
  removed: r.removed,
  updatedAt: r.updated_at.toISOString(),
});

const BUDGET_COLUMNS = `id, team_id, key_id, unit, period, limit_amount::text AS limit_amount, enforcement,
  alert_at_bps, removed, updated_at`;

export type BookRow = {
  budgetId: string;
  periodStart: string;
  periodEnd: string | null;
  limit: bigint;
  openingAmount: bigint;
  settledAmount: bigint;
};

export type LeaseRow = {
  id: string;
  budgetId: string;
  periodStart: string;
  instanceId: string;
  grantedAmount: bigint;
  grantedAt: string;
  expiresAt: string;
  closedAt: string | null;
  closeReason: 'settled' | 'expired' | null;
  usedAmount: bigint | null;
};

type RawLease = {
  id: string;
  budget_id: string;
  period_start: Date;
  instance_id: string;
  granted_amount: string;
  granted_at: Date;
  expires_at: Date;
  closed_at: Date | null;
  close_reason: 'settled' | 'expired' | null;
  used_amount: string | null;
};

const toLease = (r: RawLease): LeaseRow => ({
  id: r.id,
  budgetId: r.budget_id,
  periodStart: r.period_start.toISOString(),
  instanceId: r.instance_id,
  grantedAmount: BigInt(r.granted_amount),
  grantedAt: r.granted_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  closedAt: r.closed_at?.toISOString() ?? null,
  closeReason: r.close_reason,
  usedAmount: r.used_amount === null ? null : BigInt(r.used_amount),
});

const LEASE_COLUMNS = `id, budget_id, period_start, instance_id, granted_amount::text AS granted_amount, granted_at,
  expires_at, closed_at, close_reason, used_amount::text AS used_amount`;

/** SQL of budgets, lease books and leases. Every method takes the caller's transaction. */
export class BudgetRepository {
  async upsertBudget(tx: SqlExecutor, d: BudgetSetV1, eventId: string, at: string): Promise<void> {
    await tx.query(
      `INSERT INTO ${S}.budgets (id, team_id, key_id, unit, period, limit_amount, enforcement, alert_at_bps,
                                 removed, event_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8, false, $9::uuid, $10::timestamptz)
       ON CONFLICT (id) DO UPDATE SET team_id = EXCLUDED.team_id, key_id = EXCLUDED.key_id, unit = EXCLUDED.unit,
         period = EXCLUDED.period, limit_amount = EXCLUDED.limit_amount, enforcement = EXCLUDED.enforcement,
         alert_at_bps = EXCLUDED.alert_at_bps, removed = false, event_id = EXCLUDED.event_id,
         updated_at = EXCLUDED.updated_at`,
      [d.budgetId, d.teamId, d.keyId, d.unit, d.period, d.limit, d.enforcement, d.alertAtBps, eventId, at],
    );
  }

  async removeBudget(tx: SqlExecutor, budgetId: string, eventId: string, at: string): Promise<boolean> {
    const rows = await tx.query<{ id: string }>(
      `UPDATE ${S}.budgets SET removed = true, event_id = $2::uuid, updated_at = $3::timestamptz
        WHERE id = $1 AND NOT removed RETURNING id`,
      [budgetId, eventId, at],
    );
    return rows.length > 0;
  }

  async find(db: SqlExecutor, budgetId: string): Promise<BudgetRow | null> {
    const [row] = await db.query<RawBudget>(`SELECT ${BUDGET_COLUMNS} FROM ${S}.budgets WHERE id = $1`, [
      budgetId,
    ]);
    return row ? toBudget(row) : null;
  }

  async list(db: SqlExecutor, teamId: string | null): Promise<BudgetRow[]> {
    const rows = await db.query<RawBudget>(
      `SELECT ${BUDGET_COLUMNS} FROM ${S}.budgets b
        WHERE NOT b.removed AND ($1::text IS NULL OR b.team_id = $1) ORDER BY b.team_id, b.id`,
      [teamId],
    );
    return rows.map(toBudget);
  }

  /** The budgets a request of (team, key) answers to: the team's and that key's, by id. */
  async applicable(db: SqlExecutor, teamId: string, keyId: string | null): Promise<BudgetRow[]> {
    const rows = await db.query<RawBudget>(
      `SELECT ${BUDGET_COLUMNS} FROM ${S}.budgets b
        WHERE NOT b.removed AND b.team_id = $1 AND (b.key_id IS NULL OR b.key_id = $2) ORDER BY b.id`,
      [teamId, keyId],
    );
    return rows.map(toBudget);
  }

  /**
   * What the period had spent under a budget's scope, as the ledger has it: money from the usage legs the
   * team was debited (provider cost, margin, rounding), tokens from the request audit. Read once, when a
   * period's lease book opens.
   */
  async postedSpend(db: SqlExecutor, b: Budget, w: PeriodWindow): Promise<bigint> {
    const start = w.start ?? TOTAL_PERIOD_START;
    const end = w.end ?? '9999-12-31T00:00:00Z';
    const keyId = b.scope.kind === 'key' ? b.scope.keyId : null;
    if (b.unit === 'nano-usd') {
      const [row] = await db.query<{ s: string }>(
        `SELECT coalesce(sum(t.amount_nano_usd), 0)::text AS s
           FROM ${S}.transfers t
          WHERE t.debit_account_id = $1
            AND t.code IN ('usage.provider_cost', 'usage.margin', 'usage.rounding')
            AND t.booked_at >= $2::timestamptz AND t.booked_at < $3::timestamptz
            AND ($4::text IS NULL OR EXISTS (
                  SELECT 1 FROM ${S}.events e WHERE e.event_id = t.event_id AND e.data->>'keyId' = $4))`,
        [accountIds.team(b.scope.teamId), start, end, keyId],
      );
      return BigInt(row?.s ?? '0');
    }
    const [row] = await db.query<{ s: string }>(
      `SELECT coalesce(sum(a.input_uncached_tokens + a.cache_read_tokens + a.cache_write_tokens + a.output_tokens), 0)::text AS s
         FROM ${S}.request_audit a
        WHERE a.team_id = $1 AND a.received_at >= $2::timestamptz AND a.received_at < $3::timestamptz
          AND ($4::text IS NULL OR a.key_id = $4)`,
      [b.scope.teamId, start, end, keyId],
    );
    return BigInt(row?.s ?? '0');
  }

  async insertBookIfMissing(tx: SqlExecutor, b: BookRow, at: string): Promise<void> {
    await tx.query(
      `INSERT INTO ${S}.budget_lease_books
         (budget_id, period_start, period_end, limit_amount, opening_amount, settled_amount, opened_at)
       VALUES ($1, $2::timestamptz, $3::timestamptz, $4::numeric, $5::numeric, $5::numeric, $6::timestamptz)
       ON CONFLICT (budget_id, period_start) DO NOTHING`,
      [b.budgetId, b.periodStart, b.periodEnd, b.limit.toString(), b.openingAmount.toString(), at],
    );
  }

  async bookExists(db: SqlExecutor, budgetId: string, periodStart: string): Promise<boolean> {
    const rows = await db.query<{ x: number }>(
      `SELECT 1 AS x FROM ${S}.budget_lease_books WHERE budget_id = $1 AND period_start = $2::timestamptz`,
      [budgetId, periodStart],
    );
    return rows.length > 0;
  }

  /** Locks the books in one statement, in key order, so concurrent syncs never deadlock. */
  async lockBooks(
    tx: SqlExecutor,
    keys: ReadonlyArray<{ budgetId: string; periodStart: string }>,
  ): Promise<BookRow[]> {
    if (keys.length === 0) return [];
    const rows = await tx.query<{
      budget_id: string;
      period_start: Date;
      period_end: Date | null;
      limit_amount: string;
      opening_amount: string;
      settled_amount: string;
    }>(
      `SELECT budget_id, period_start, period_end, limit_amount::text AS limit_amount,
              opening_amount::text AS opening_amount, settled_amount::text AS settled_amount
         FROM ${S}.budget_lease_books
        WHERE (budget_id, period_start) IN (
                SELECT * FROM unnest($1::text[], $2::timestamptz[]))
        ORDER BY budget_id, period_start
        FOR UPDATE`,
      [keys.map((k) => k.budgetId), keys.map((k) => k.periodStart)],
    );
    return rows.map((r) => ({
      budgetId: r.budget_id,
      periodStart: r.period_start.toISOString(),
      periodEnd: r.period_end?.toISOString() ?? null,
      limit: BigInt(r.limit_amount),
      openingAmount: BigInt(r.opening_amount),
      settledAmount: BigInt(r.settled_amount),
    }));
  }

  async updateBook(tx: SqlExecutor, b: BookRow): Promise<void> {
    await tx.query(
      `UPDATE ${S}.budget_lease_books SET limit_amount = $3::numeric, settled_amount = $4::numeric
        WHERE budget_id = $1 AND period_start = $2::timestamptz`,
      [b.budgetId, b.periodStart, b.limit.toString(), b.settledAmount.toString()],
    );
  }

  async findLeases(db: SqlExecutor, ids: readonly string[]): Promise<LeaseRow[]> {
    if (ids.length === 0) return [];
    const rows = await db.query<RawLease>(
      `SELECT ${LEASE_COLUMNS} FROM ${S}.spend_leases WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map(toLease);
  }

  async openLeases(db: SqlExecutor, budgetId: string, periodStart: string): Promise<LeaseRow[]> {
    const rows = await db.query<RawLease>(
      `SELECT ${LEASE_COLUMNS} FROM ${S}.spend_leases
        WHERE budget_id = $1 AND period_start = $2::timestamptz AND closed_at IS NULL ORDER BY id`,
      [budgetId, periodStart],
    );
    return rows.map(toLease);
  }

  async insertLease(tx: SqlExecutor, l: LeaseRow): Promise<void> {
    await tx.query(
      `INSERT INTO ${S}.spend_leases (id, budget_id, period_start, instance_id, granted_amount, granted_at, expires_at)
       VALUES ($1::uuid, $2, $3::timestamptz, $4, $5::numeric, $6::timestamptz, $7::timestamptz)`,
      [l.id, l.budgetId, l.periodStart, l.instanceId, l.grantedAmount.toString(), l.grantedAt, l.expiresAt],
    );
  }

  async closeLease(
    tx: SqlExecutor,
    leaseId: string,
    reason: 'settled' | 'expired',
    usedAmount: bigint,
    at: string,
  ): Promise<void> {
    await tx.query(
      `UPDATE ${S}.spend_leases SET closed_at = $2::timestamptz, close_reason = $3, used_amount = $4::numeric
        WHERE id = $1::uuid AND closed_at IS NULL`,
      [leaseId, at, reason, usedAmount.toString()],
    );
  }

  async addLateSpend(tx: SqlExecutor, leaseId: string, amount: bigint): Promise<void> {
    await tx.query(
      `UPDATE ${S}.spend_leases SET used_amount = coalesce(used_amount, 0) + $2::numeric WHERE id = $1::uuid`,
      [leaseId, amount.toString()],
    );
  }

  /** Open leases past their expiry, any budget (the sweep's work list). */
  async expiredOpenLeases(db: SqlExecutor, at: string, limit: number): Promise<LeaseRow[]> {
    const rows = await db.query<RawLease>(
      `SELECT ${LEASE_COLUMNS} FROM ${S}.spend_leases
        WHERE closed_at IS NULL AND expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2`,
      [at, limit],
    );
    return rows.map(toLease);
  }
}
