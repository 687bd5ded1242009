import { BudgetError } from './budget-error';

export type BudgetUnit = 'nano-usd' | 'tokens';
export type BudgetPeriod = 'day' | 'month' | 'total';
/** `soft` alerts and lets the request through; `hard` refuses it before it goes upstream. */
export type BudgetEnforcement = 'soft' | 'hard';
export type BudgetScope = { kind: 'team'; teamId: string } | { kind: 'key'; teamId: string; keyId: string };

export type Budget = {
  id: string;
  scope: BudgetScope;
  unit: BudgetUnit;
  period: BudgetPeriod;
  /** In the budget's unit: nano-USD or tokens. */
  limit: bigint;
  enforcement: BudgetEnforcement;
  /**
   * Alert once projected spend reaches this share of the limit, in basis points (8000 = 80%). Default:
   * 10000 for soft budgets (alert at the limit), none for hard ones (they block at the limit).
   */
  alertAtBps?: number;
};

/** A budget period in UTC: [start, end). `total` is unbounded (both null). */
export type PeriodWindow = { start: string | null; end: string | null };

/** The period containing `at`, in UTC (teams in other time zones see their day roll over at 00:00 UTC). */
export function periodWindow(period: BudgetPeriod, at: string): PeriodWindow {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) throw new BudgetError('budget_invalid', `not a timestamp: ${at}`);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  switch (period) {
    case 'day': {
      const start = Date.UTC(y, m, t.getUTCDate());
      return { start: new Date(start).toISOString(), end: new Date(start + 86_400_000).toISOString() };
    }
    case 'month':
      return {
        start: new Date(Date.UTC(y, m, 1)).toISOString(),
        end: new Date(Date.UTC(y, m + 1, 1)).toISOString(),
      };
    case 'total':
      return { start: null, end: null };
  }
}

/** What the gateway knows about a request before sending it upstream. */
export type BudgetCandidate = {
  teamId: string;
  keyId: string | null;
  /** Worst-case or expected cost (known input tokens, `max_tokens` output) at the team's price. */
  estimatedCostNanoUsd: bigint;
  estimatedTokens: bigint;
};

export type BudgetState = 'ok' | 'alert' | 'exceeded';

export type BudgetFinding = {
  budgetId: string;
  enforcement: BudgetEnforcement;
  unit: BudgetUnit;
  limit: bigint;
  spent: bigint;
  projected: bigint;
  state: BudgetState;
};

export type BudgetDecision = {
  decision: 'allow' | 'alert' | 'block';
  /** The hard budget that blocks, if any (the first by id, so the answer is deterministic). */
  blockedBy: string | null;
  findings: BudgetFinding[];
};

export function budgetApplies(b: Budget, c: BudgetCandidate): boolean {
  return b.scope.kind === 'team'
    ? b.scope.teamId === c.teamId
    : b.scope.teamId === c.teamId && b.scope.keyId === c.keyId;
}

function stateOf(b: Budget, spent: bigint, projected: bigint): BudgetState {
  if (b.limit < 0n) throw new BudgetError('budget_invalid', `budget ${b.id} has a negative limit`);
  // Already at the limit blocks even a request whose cost is not known in advance (estimate 0).
  if (projected > b.limit || spent >= b.limit) return 'exceeded';
  const alertBps = b.alertAtBps ?? (b.enforcement === 'soft' ? 10_000 : undefined);
  if (alertBps !== undefined && projected * 10_000n >= b.limit * BigInt(alertBps)) return 'alert';
  return 'ok';
}

/**
 * Decides a request against every budget that applies to it (the team's and its API key's), given what each
 * budget has spent in its current period (`spentByBudgetId`, from the ledger or the gateway's lease).
 * A hard budget exceeded blocks; a soft one exceeded, or any budget past its alert threshold, alerts.
 */
export function evaluateBudgets(
  budgets: readonly Budget[],
  spentByBudgetId: ReadonlyMap<string, bigint>,
  candidate: BudgetCandidate,
): BudgetDecision {
  const findings: BudgetFinding[] = budgets
    .filter((b) => budgetApplies(b, candidate))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((b) => {
      const spent = spentByBudgetId.get(b.id) ?? 0n;
      const projected =
        spent + (b.unit === 'nano-usd' ? candidate.estimatedCostNanoUsd : candidate.estimatedTokens);
      return {
        budgetId: b.id,
        enforcement: b.enforcement,
        unit: b.unit,
        limit: b.limit,
        spent,
        projected,
        state: stateOf(b, spent, projected),
      };
    });
  const blocking = findings.find((f) => f.enforcement === 'hard' && f.state === 'exceeded');
  if (blocking) return { decision: 'block', blockedBy: blocking.budgetId, findings };
  const alerting = findings.some((f) => f.state !== 'ok');
  return { decision: alerting ? 'alert' : 'allow', blockedBy: null, findings };
}
