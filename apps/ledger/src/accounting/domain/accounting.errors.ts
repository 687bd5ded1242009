/**
 * Every refusal in the accounting domain carries one of these codes. Transports map codes (never messages)
 * to HTTP/GraphQL statuses or to consumer actions: `retry` is never right for these, they are deterministic,
 * so a consumer records the rejection and moves on (see docs/ledger-design.md, "Rejections").
 */
export type AccountingErrorCode =
  // transfers and balances (TigerBeetle's result names where one exists)
  | 'transfer_invalid'
  | 'amount_must_be_positive'
  | 'accounts_must_be_different'
  | 'account_not_found'
  | 'ledger_must_match'
  | 'exists_with_different_body'
  | 'exceeds_credits'
  | 'exceeds_debits'
  | 'pending_transfer_not_found'
  | 'pending_transfer_not_pending'
  | 'pending_transfer_already_posted'
  | 'pending_transfer_already_voided'
  | 'pending_transfer_already_expired'
  | 'pending_transfer_has_different_accounts'
  | 'pending_transfer_expired'
  | 'pending_transfer_not_expired'
  | 'exceeds_pending_transfer_amount'
  | 'corrected_transfer_not_found'
  | 'transfer_already_corrected'
  // prices
  | 'price_not_found'
  | 'price_publication_conflict'
  | 'price_publication_invalid'
  // recipes
  | 'event_invalid'
  | 'usage_unattributable'
  // budgets and spend leases
  | 'budget_invalid'
  | 'lease_conflict'
  | 'lease_not_found'
  | 'lease_not_expired';

export class AccountingError extends Error {
  override readonly name = 'AccountingError';
  constructor(
    readonly code: AccountingErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function isAccountingError(err: unknown, code?: AccountingErrorCode): err is AccountingError {
  return err instanceof AccountingError && (code === undefined || err.code === code);
}
