/**
 * A failure the gateway reports to its caller. One filter renders it in the error shape of the
 * protocol the caller speaks (OpenAI, Anthropic or Gemini), with this status.
 */
export type GatewayErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'request_too_large'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'permission_denied'
  | 'firewall_blocked'
  | 'not_found'
  | 'model_not_found'
  | 'overloaded'
  | 'internal_error';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}
