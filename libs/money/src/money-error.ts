export type MoneyErrorCode =
  'money.invalid_amount' | 'money.precision_loss' | 'money.invalid_price' | 'money.invalid_tokens';

/** A coded error from the money primitives; transports map the code, never the message. */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
  constructor(
    readonly code: MoneyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
