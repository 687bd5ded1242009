import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BudgetRow } from './budget.repository';
import { budgetState, leaseSize } from './budget.service';

const budget = (over: Partial<BudgetRow> = {}): BudgetRow => ({
  id: 'b',
  scope: { kind: 'team', teamId: 'acme' },
  unit: 'nano-usd',
  period: 'month',
  limit: 1_000n,
  enforcement: 'hard',
  removed: false,
  updatedAt: '2026-11-27T00:00:00.000Z',
  ...over,
});

describe('budget state and lease size', () => {
  it('is exceeded at the limit, alerts past the threshold, soft budgets alert at the limit by default', () => {
    assert.equal(budgetState(budget(), 999n), 'ok');
    assert.equal(budgetState(budget(), 1_000n), 'exceeded');
    assert.equal(budgetState(budget({ alertAtBps: 8_000 }), 799n), 'ok');
    assert.equal(budgetState(budget({ alertAtBps: 8_000 }), 800n), 'alert');
    assert.equal(budgetState(budget({ enforcement: 'soft' }), 999n), 'ok');
    assert.equal(budgetState(budget({ enforcement: 'soft', limit: 0n }), 0n), 'exceeded');
  });

  it('grants a share of the limit, never zero', () => {
    assert.equal(leaseSize(1_000_000n, 500), 50_000n);
    assert.equal(leaseSize(10n, 500), 1n);
    assert.equal(leaseSize(0n, 500), 1n);
    assert.equal(leaseSize(123_456_789n, 10_000), 123_456_789n);
  });
});
