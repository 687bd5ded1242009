import type { GatewayErrorCode } from './gateway-error';

/** The API dialect of a route, which decides the shape of its errors. */
export type Protocol = 'openai' | 'anthropic' | 'gemini' | 'admin';

export function protocolOf(url: string): Protocol {
  const path = url.split('?', 1)[0] ?? url;
  if (path.startsWith('/anthropic/') || path === '/v1/messages' || path.startsWith('/v1/messages/'))
    return 'anthropic';
  if (path.startsWith('/v1beta/') && !path.startsWith('/v1beta/openai/')) return 'gemini';
  // @google/genai calls /v1/models/{model}:generateContent: the ":method" suffix marks Gemini.
  if (/^\/v1\/models\/[^/]+:[A-Za-z]+$/.test(path)) return 'gemini';
  if (path.startsWith('/api/')) return 'admin';
  return 'openai';
}

const OPENAI_TYPE: Record<GatewayErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  invalid_json: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  missing_api_key: 'authentication_error',
  invalid_api_key: 'authentication_error',
  permission_denied: 'permission_error',
  firewall_blocked: 'permission_error',
  not_found: 'invalid_request_error',
  model_not_found: 'invalid_request_error',
  overloaded: 'service_unavailable_error',
  internal_error: 'api_error',
};

const ANTHROPIC_TYPE: Record<GatewayErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  invalid_json: 'invalid_request_error',
  request_too_large: 'request_too_large',
  missing_api_key: 'authentication_error',
  invalid_api_key: 'authentication_error',
  permission_denied: 'permission_error',
  firewall_blocked: 'permission_error',
  not_found: 'not_found_error',
  model_not_found: 'not_found_error',
  overloaded: 'overloaded_error',
  internal_error: 'api_error',
};

const GEMINI_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** The error body each protocol's official SDK parses. */
export function errorBody(
  protocol: Protocol,
  status: number,
  code: GatewayErrorCode,
  message: string,
  param: string | null = null,
): unknown {
  switch (protocol) {
    case 'anthropic':
      return { type: 'error', error: { type: ANTHROPIC_TYPE[code], message } };
    case 'gemini':
      return {
        error: {
          code: status,
          message,
          status: GEMINI_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
        },
      };
    case 'openai':
    case 'admin':
      return { error: { message, type: OPENAI_TYPE[code], code, param } };
  }
}
