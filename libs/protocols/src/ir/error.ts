/**
 * Protocol-neutral error kind. Each protocol maps it to its own `type`/`status` string (see errors/error-shapes.ts).
 */
export type IrErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'insufficient_quota'
  | 'server_error'
  | 'overloaded'
  | 'timeout'
  | 'other';

export interface IrError {
  /** HTTP status the error had (or would have outside a stream); kept when re-shaping. */
  status: number;
  kind: IrErrorKind;
  message: string;
  /** Machine code (OpenAI `code`, e.g. `model_not_found`, `context_length_exceeded`). */
  code?: string;
  /** OpenAI `param`. */
  param?: string;
  /** Seconds to wait, from `retry-after` or Gemini `RetryInfo.retryDelay`. */
  retryAfterSec?: number;
}
