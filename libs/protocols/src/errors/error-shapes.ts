import type { JsonObject, ProtocolId } from '../ir/common';
import type { IrError, IrErrorKind } from '../ir/error';
import { isObj, num, str } from '../common/json';

/** Thrown by decoders for a body that cannot be understood; the gateway answers it in the caller's shape. */
export class ProtocolError extends Error {
  constructor(readonly error: IrError) {
    super(error.message);
    this.name = 'ProtocolError';
  }
}

export const invalidRequest = (message: string, param?: string): ProtocolError =>
  new ProtocolError({ status: 400, kind: 'invalid_request', message, ...(param ? { param } : {}) });

/** The usual kind for an HTTP status, when the body says nothing better. */
export const kindFromStatus = (status: number): IrErrorKind => {
  if (status === 401) return 'authentication';
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'invalid_request';
  return 'other';
};

/** The usual status for a kind (errors built by the gateway itself). */
export const statusFromKind = (kind: IrErrorKind): number => {
  switch (kind) {
    case 'invalid_request':
      return 400;
    case 'authentication':
      return 401;
    case 'permission':
      return 403;
    case 'not_found':
      return 404;
    case 'request_too_large':
      return 413;
    case 'rate_limit':
    case 'insufficient_quota':
      return 429;
    case 'server_error':
    case 'other':
      return 500;
    case 'overloaded':
      return 503;
    case 'timeout':
      return 504;
  }
};

/** Builds an IR error from a status, a message and an optional OpenAI-style code (`model_not_found` …). */
export const makeError = (status: number, message: string, code?: string): IrError => {
  const byCode = code === undefined ? undefined : kindFromOpenAiCode(code);
  return { status, kind: byCode ?? kindFromStatus(status), message, ...(code !== undefined ? { code } : {}) };
};

// ---------- OpenAI: {error:{message,type,param,code}} ----------

const kindFromOpenAiCode = (code: string): IrErrorKind | undefined => {
  switch (code) {
    case 'model_not_found':
      return 'not_found';
    case 'invalid_api_key':
      return 'authentication';
    case 'insufficient_quota':
      return 'insufficient_quota';
    case 'rate_limit_exceeded':
      return 'rate_limit';
    case 'server_is_overloaded':
      return 'overloaded';
    case 'context_length_exceeded':
    case 'invalid_request_error':
      return 'invalid_request';
    default:
      return undefined;
  }
};

const OPENAI_TYPE: Record<IrErrorKind, [type: string, code: string | null]> = {
  invalid_request: ['invalid_request_error', null],
  authentication: ['invalid_request_error', 'invalid_api_key'],
  permission: ['permission_error', null],
  not_found: ['invalid_request_error', 'model_not_found'],
  request_too_large: ['invalid_request_error', 'request_too_large'],
  rate_limit: ['rate_limit_error', 'rate_limit_exceeded'],
  insufficient_quota: ['insufficient_quota', 'insufficient_quota'],
  server_error: ['server_error', null],
  overloaded: ['service_unavailable_error', 'server_is_overloaded'],
  timeout: ['timeout_error', null],
  other: ['api_error', null],
};

export const openAiErrorBody = (e: IrError): JsonObject => {
  const [type, code] = OPENAI_TYPE[e.kind];
  return { error: { message: e.message, type, param: e.param ?? null, code: e.code ?? code } };
};

export const errorFromOpenAi = (status: number, body: unknown): IrError => {
  const inner = isObj(body) && isObj(body.error) ? body.error : isObj(body) ? body : {};
  const message = str(inner.message) ?? (typeof body === 'string' ? body : `upstream error ${status}`);
  const code = str(inner.code);
  const type = str(inner.type);
  const kind =
    (code !== undefined ? kindFromOpenAiCode(code) : undefined) ??
    (type === 'insufficient_quota' ? 'insufficient_quota' : undefined) ??
    kindFromStatus(status);
  const param = str(inner.param);
  return { status, kind, message, ...(code ? { code } : {}), ...(param ? { param } : {}) };
};

// ---------- Anthropic: {type:"error",error:{type,message}} ----------

const ANTHROPIC_TYPE: Record<IrErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  request_too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  insufficient_quota: 'billing_error',
  server_error: 'api_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  other: 'api_error',
};

export const anthropicErrorBody = (e: IrError): JsonObject => ({
  type: 'error',
  error: { type: ANTHROPIC_TYPE[e.kind], message: e.message },
});

export const errorFromAnthropic = (status: number, body: unknown): IrError => {
  const inner = isObj(body) && isObj(body.error) ? body.error : {};
  const type = str(inner.type);
  const message = str(inner.message) ?? (typeof body === 'string' ? body : `upstream error ${status}`);
  const byType = (Object.entries(ANTHROPIC_TYPE) as [IrErrorKind, string][]).find(
    ([k, t]) => t === type && k !== 'other',
  )?.[0];
  return { status, kind: byType ?? kindFromStatus(status), message };
};

// ---------- Gemini: {error:{code,message,status,details}} ----------

const GEMINI_STATUS: Record<IrErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  insufficient_quota: 'RESOURCE_EXHAUSTED',
  server_error: 'INTERNAL',
  overloaded: 'UNAVAILABLE',
  timeout: 'DEADLINE_EXCEEDED',
  other: 'UNKNOWN',
};

export const geminiErrorBody = (e: IrError): JsonObject => ({
  error: { code: e.status, message: e.message, status: GEMINI_STATUS[e.kind] },
});

export const errorFromGemini = (status: number, body: unknown): IrError => {
  const inner = isObj(body) && isObj(body.error) ? body.error : {};
  const message = str(inner.message) ?? (typeof body === 'string' ? body : `upstream error ${status}`);
  const gStatus = str(inner.status);
  const details = Array.isArray(inner.details) ? inner.details : [];
  const reasons = details.map((d) => (isObj(d) ? str(d.reason) : undefined));
  let kind: IrErrorKind = kindFromStatus(num(inner.code) ?? status);
  if (reasons.includes('API_KEY_INVALID') || gStatus === 'UNAUTHENTICATED') kind = 'authentication';
  else if (gStatus === 'PERMISSION_DENIED') kind = 'permission';
  else if (gStatus === 'NOT_FOUND') kind = 'not_found';
  else if (gStatus === 'RESOURCE_EXHAUSTED') kind = 'rate_limit';
  else if (gStatus === 'UNAVAILABLE') kind = 'overloaded';
  else if (gStatus === 'DEADLINE_EXCEEDED') kind = 'timeout';
  const err: IrError = { status, kind, message };
  for (const d of details) {
    const delay = isObj(d) ? str(d.retryDelay) : undefined;
    const m = delay === undefined ? null : /^(\d+(?:\.\d+)?)s$/.exec(delay);
    if (m?.[1] !== undefined) err.retryAfterSec = Math.ceil(Number(m[1]));
  }
  return err;
};

// ---------- any ↔ any ----------

/** The error body of `protocol` for an IR error (Responses uses the OpenAI shape). */
export const errorBody = (protocol: ProtocolId, e: IrError): JsonObject => {
  switch (protocol) {
    case 'openai-chat':
    case 'openai-responses':
      return openAiErrorBody(e);
    case 'anthropic':
      return anthropicErrorBody(e);
    case 'gemini':
      return geminiErrorBody(e);
  }
};

/** Reads an upstream error body of `protocol` (JSON or text) into the IR. */
export const decodeError = (protocol: ProtocolId, status: number, body: unknown): IrError => {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      parsed = body;
    }
  }
  switch (protocol) {
    case 'openai-chat':
    case 'openai-responses':
      return errorFromOpenAi(status, parsed);
    case 'anthropic':
      return errorFromAnthropic(status, parsed);
    case 'gemini':
      return errorFromGemini(status, parsed);
  }
};

/** Re-shapes an upstream error of one protocol into another's, keeping the HTTP status. */
export const translateError = (
  from: ProtocolId,
  to: ProtocolId,
  status: number,
  body: unknown,
): { status: number; body: JsonObject; error: IrError } => {
  const error = decodeError(from, status, body);
  return { status, body: errorBody(to, error), error };
};
