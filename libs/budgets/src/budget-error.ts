/** Refusals of the budget and lease domain; transports map the code, never the message. */
export type BudgetErrorCode = 'budget_invalid' | 'lease_conflict' | 'lease_not_found' | 'lease_not_expired';

export class BudgetError extends Error {
  override readonly name = 'BudgetError';
  constructor(
    readonly code: BudgetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isBudgetError(err: unknown, code?: BudgetErrorCode): err is BudgetError {
  return err instanceof BudgetError && (code === undefined || err.code === code);
}
