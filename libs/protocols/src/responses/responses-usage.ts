import type { IrUsage } from '../ir/response';
import type { SseEvent } from '../sse/sse-event';
import { isObj } from '../common/json';
import { usageFromOpenAi } from '../mapping/usage';
import type { ResponsesStatus, ResponsesUsage } from './responses-wire.types';

/** IR usage → Responses `usage` (cached and cache-write tokens inside `input_tokens`, reasoning inside output). */
export const usageToResponses = (u: IrUsage): ResponsesUsage => {
  const input = u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const details: ResponsesUsage['input_tokens_details'] = { cached_tokens: u.cacheReadTokens };
  if (u.cacheWriteTokens > 0) details.cache_write_tokens = u.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: details,
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: input + u.outputTokens,
  };
};

/** Responses `usage` → IR usage, the provider's object kept in `raw`. */
export const usageFromResponses = (u: unknown): IrUsage => usageFromOpenAi(u);

/** What a passthrough needs from the end of a Responses stream (or a non-streamed body). */
export interface ResponsesOutcome {
  responseId: string;
  model?: string;
  status: ResponsesStatus;
  /** Absent when the upstream reported none (e.g. some failed responses). */
  usage?: IrUsage;
}

const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed'];

/** Reads id, status and usage from a response object (non-streamed body or the `response` of a lifecycle event). */
export const outcomeFromResponse = (response: unknown): ResponsesOutcome | undefined => {
  if (!isObj(response) || typeof response.id !== 'string') return undefined;
  const out: ResponsesOutcome = {
    responseId: response.id,
    status: (typeof response.status === 'string' ? response.status : 'completed') as ResponsesStatus,
  };
  if (typeof response.model === 'string') out.model = response.model;
  if (isObj(response.usage)) out.usage = usageFromResponses(response.usage);
  return out;
};

/**
 * Usage and response id from one event of a Responses stream: returns a value for the terminal events
 * (`response.completed`, `.incomplete`, `.failed`), `undefined` for every other event. Accepts a parsed SSE event
 * or its JSON payload, so a passthrough can call it on each event as it pipes it.
 */
export const extractResponsesOutcome = (
  event: SseEvent | Record<string, unknown>,
): ResponsesOutcome | undefined => {
  let data: unknown = event;
  if (typeof event.data === 'string' && !('response' in event)) {
    const name = typeof event.event === 'string' ? event.event : undefined;
    if (name !== undefined && !TERMINAL.includes(name)) return undefined;
    try {
      data = JSON.parse(event.data) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!isObj(data) || typeof data.type !== 'string' || !TERMINAL.includes(data.type)) return undefined;
  return outcomeFromResponse(data.response);
};
