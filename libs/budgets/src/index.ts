export { BudgetError, isBudgetError, type BudgetErrorCode } from './budget-error';
export * from './budgets';
export * from './spend-lease';
export * from './lease-protocol';
export * from './usage-charge';
export * from './request-estimate';
