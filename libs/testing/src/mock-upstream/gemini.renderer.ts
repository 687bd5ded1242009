import { mockIds } from './mock-ids';
import type { MockError, MockStopReason } from './mock-upstream.types';
import { halfway, sseFrame, type ProtocolRenderer, type RenderContext } from './render-context';
import type { ResolvedTurn } from './resolved-turn';

// Google's SSE frames end with CRLF pairs; clients must cope with that.
const EOL = '\r\n';

function finishReason(reason: MockStopReason): string {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return 'STOP';
    case 'max_tokens':
      return 'MAX_TOKENS';
    case 'refusal':
      return 'SAFETY';
  }
}

/** Gemini counts thoughts outside `candidatesTokenCount` and cached tokens inside `promptTokenCount`. */
function usageMetadata(turn: ResolvedTurn): Record<string, unknown> {
  const u = turn.usage;
  const candidates = Math.max(0, u.outputTokens - u.reasoningTokens);
  const meta: Record<string, unknown> = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: u.inputTokens + candidates + u.reasoningTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.inputTokens }],
  };
  if (u.cacheReadTokens > 0) meta.cachedContentTokenCount = u.cacheReadTokens;
  if (u.reasoningTokens > 0) meta.thoughtsTokenCount = u.reasoningTokens;
  return meta;
}

export function geminiStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 500:
      return 'INTERNAL';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

function defaultMessage(status: number, model: string): string {
  switch (status) {
    case 404:
      return `models/${model} is not found for API version v1beta, or is not supported for generateContent.`;
    case 429:
      return 'You exceeded your current quota, please check your plan and billing details.';
    case 503:
      return 'The model is overloaded. Please try again later.';
    default:
      return status >= 500 ? 'An internal error has occurred.' : 'Request contains an invalid argument.';
  }
}

export function geminiErrorBody(error: MockError, model: string): { error: Record<string, unknown> } {
  const body: Record<string, unknown> = {
    code: error.status,
    message: error.message ?? defaultMessage(error.status, model),
    status: error.type ?? geminiStatus(error.status),
  };
  if (error.status === 429 && error.retryAfterSeconds !== undefined) {
    body.details = [
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${error.retryAfterSeconds}s` },
    ];
  }
  return { error: body };
}

function functionCallPart(turn: ResolvedTurn, callIndex: number): Record<string, unknown> {
  const call = turn.toolCalls[callIndex]!;
  const functionCall: Record<string, unknown> = { name: call.name, args: call.argumentsObject };
  // The Developer API usually returns calls without ids; only scripted ids are sent.
  if (call.id !== undefined) functionCall.id = call.id;
  const part: Record<string, unknown> = { functionCall };
  // With parallel calls only the first call part carries the signature.
  if (callIndex === 0 && turn.thinking?.signature !== undefined)
    part.thoughtSignature = turn.thinking.signature;
  return part;
}

function candidate(parts: Record<string, unknown>[], finish: string | undefined): Record<string, unknown> {
  const c: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
  if (finish !== undefined) c.finishReason = finish;
  return c;
}

export const geminiRenderer: ProtocolRenderer = {
  json(turn, ctx) {
    const parts: Record<string, unknown>[] = [];
    if (turn.thinking !== undefined) parts.push({ text: turn.thinking.text, thought: true });
    if (turn.text !== '') {
      const part: Record<string, unknown> = { text: turn.text };
      if (turn.toolCalls.length === 0 && turn.thinking?.signature !== undefined)
        part.thoughtSignature = turn.thinking.signature;
      parts.push(part);
    }
    turn.toolCalls.forEach((_, i) => parts.push(functionCallPart(turn, i)));
    return {
      candidates: [candidate(parts, finishReason(turn.stopReason))],
      usageMetadata: usageMetadata(turn),
      modelVersion: ctx.model,
      responseId: mockIds.geminiResponse(),
    };
  },

  stream(turn, ctx) {
    const responseId = mockIds.geminiResponse();
    const chunks: Record<string, unknown>[][] = [];
    for (const piece of turn.thinking?.chunks ?? []) chunks.push([{ text: piece, thought: true }]);
    turn.textChunks.forEach((piece, i) => {
      const part: Record<string, unknown> = { text: piece };
      const last = i === turn.textChunks.length - 1;
      if (last && turn.toolCalls.length === 0 && turn.thinking?.signature !== undefined)
        part.thoughtSignature = turn.thinking.signature;
      chunks.push([part]);
    });
    // Function calls arrive whole (the Developer API does not stream arguments), all in one chunk.
    if (turn.toolCalls.length > 0) chunks.push(turn.toolCalls.map((_, i) => functionCallPart(turn, i)));
    if (chunks.length === 0) chunks.push([{ text: '' }]);
    const frames = chunks.map((parts, i) => {
      const last = i === chunks.length - 1;
      const body: Record<string, unknown> = {
        candidates: [candidate(parts, last ? finishReason(turn.stopReason) : undefined)],
        usageMetadata: last
          ? usageMetadata(turn)
          : { promptTokenCount: turn.usage.inputTokens, totalTokenCount: turn.usage.inputTokens },
        modelVersion: ctx.model,
        responseId,
      };
      return sseFrame(undefined, body, EOL);
    });
    return { frames, keepBeforeError: halfway(0, frames.length) };
  },

  streamError(error, ctx) {
    return [sseFrame(undefined, geminiErrorBody(error, ctx.model), EOL)];
  },

  errorBody(error, ctx) {
    return geminiErrorBody(error, ctx.model);
  },

  headers(_ctx: RenderContext) {
    return {
      server: 'scaffolding on HTTPServer2',
      'x-xss-protection': '0',
      'x-content-type-options': 'nosniff',
    };
  },
};
