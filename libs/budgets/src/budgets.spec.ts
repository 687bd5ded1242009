import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBudgets, periodWindow, type Budget, type BudgetCandidate } from './budgets';

const usd = (n: number): bigint => BigInt(n) * 1_000_000_000n;
const teamDaily: Budget = {
  id: 'b-team-day',
  scope: { kind: 'team', teamId: 'acme' },
  unit: 'nano-usd',
  period: 'day',
  limit: usd(10),
  enforcement: 'hard',
  alertAtBps: 8000,
};
const keyMonthlyTokens: Budget = {
  id: 'b-key-month',
  scope: { kind: 'key', teamId: 'acme', keyId: 'k1' },
  unit: 'tokens',
  period: 'month',
  limit: 1_000_000n,
  enforcement: 'soft',
};
const otherTeam: Budget = {
  id: 'b-other',
  scope: { kind: 'team', teamId: 'beta' },
  unit: 'nano-usd',
  period: 'total',
  limit: 0n,
  enforcement: 'hard',
};
const budgets = [teamDaily, keyMonthlyTokens, otherTeam];
const request = (costUsd: number, tokens: number, keyId: string | null = 'k1'): BudgetCandidate => ({
  teamId: 'acme',
  keyId,
  estimatedCostNanoUsd: usd(costUsd),
  estimatedTokens: BigInt(tokens),
});
const spent = (teamUsd: number, keyTokens: number) =>
  new Map([
    ['b-team-day', usd(teamUsd)],
    ['b-key-month', BigInt(keyTokens)],
  ]);

describe('evaluateBudgets', () => {
  it('allows a request well inside every budget that applies', () => {
    const d = evaluateBudgets(budgets, spent(1, 1000), request(1, 1000));
    assert.deepEqual(
      [d.decision, d.blockedBy, d.findings.map((f) => f.budgetId)],
      ['allow', null, ['b-key-month', 'b-team-day']],
    );
  });

  it('alerts past a hard budget alert threshold and past a soft limit, without blocking', () => {
    assert.equal(evaluateBudgets(budgets, spent(7, 0), request(1, 10)).decision, 'alert'); // $8 of $10 = 80%
    const soft = evaluateBudgets(budgets, spent(0, 999_990), request(0, 20));
    assert.deepEqual(
      [soft.decision, soft.findings.find((f) => f.budgetId === 'b-key-month')?.state],
      ['alert', 'exceeded'],
    );
  });

  it('blocks a request that would cross a hard limit, and any request once the limit is reached', () => {
    const d = evaluateBudgets(budgets, spent(9, 0), request(2, 10));
    assert.deepEqual([d.decision, d.blockedBy], ['block', 'b-team-day']);
    assert.equal(evaluateBudgets(budgets, spent(10, 0), request(0, 0)).decision, 'block');
    assert.equal(
      evaluateBudgets(budgets, spent(9, 0), request(1, 0)).decision,
      'alert',
      'exactly at the limit is allowed',
    );
  });

  it('applies key budgets only to that key, and team budgets to every key of the team', () => {
    const noKey = evaluateBudgets(budgets, spent(0, 2_000_000), request(0, 10, null));
    assert.deepEqual(
      noKey.findings.map((f) => f.budgetId),
      ['b-team-day'],
    );
    assert.equal(
      evaluateBudgets([otherTeam], new Map(), { ...request(0, 0), teamId: 'beta' }).decision,
      'block',
    );
  });
});

describe('periodWindow', () => {
  it('cuts days and months in UTC, and total is unbounded', () => {
    assert.deepEqual(periodWindow('day', '2026-11-01T23:59:59.999+01:00'), {
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-11-02T00:00:00.000Z',
    });
    assert.deepEqual(periodWindow('month', '2026-12-31T23:00:00Z'), {
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
    assert.deepEqual(periodWindow('month', '2028-02-29T12:00:00Z'), {
      start: '2028-02-01T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
    });
    assert.deepEqual(periodWindow('total', '2026-11-01T00:00:00Z'), { start: null, end: null });
  });
});
