import { z } from 'zod';

export const BUDGET_SET_V1 = 'budget.set.v1';
export const BUDGET_REMOVED_V1 = 'budget.removed.v1';

const id = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

/** A budget is created or replaced (same id: new limit, unit, period or enforcement from now on). */
export const budgetSetV1Schema = z.object({
  budgetId: id,
  teamId: z.string().min(1).max(200),
  keyId: z.string().min(1).max(200).nullable(),
  unit: z.enum(['nano-usd', 'tokens']),
  period: z.enum(['day', 'month', 'total']),
  limit: z.string().regex(/^\d{1,30}$/, 'a non-negative integer (nano-USD or tokens) as a decimal string'),
  enforcement: z.enum(['soft', 'hard']),
  alertAtBps: z.number().int().min(1).max(100_000).nullable(),
});
export type BudgetSetV1 = z.infer<typeof budgetSetV1Schema>;

export const budgetRemovedV1Schema = z.object({ budgetId: id });
export type BudgetRemovedV1 = z.infer<typeof budgetRemovedV1Schema>;

export const BUDGET_ALERTED_V1 = 'budget.alerted.v1';

/**
 * A budget reached its alert threshold or its limit in a period: appended once per (budget, period, state)
 * by the ledger when it sees it (its id derives from those three), so it is the durable alert a dashboard
 * or a notifier reads.
 */
export const budgetAlertedV1Schema = z.object({
  budgetId: id,
  teamId: z.string().min(1),
  keyId: z.string().nullable(),
  periodStart: z.string().datetime({ offset: true }),
  state: z.enum(['alert', 'exceeded']),
  enforcement: z.enum(['soft', 'hard']),
  unit: z.enum(['nano-usd', 'tokens']),
  limit: z.string(),
  committed: z.string(),
});
export type BudgetAlertedV1 = z.infer<typeof budgetAlertedV1Schema>;
