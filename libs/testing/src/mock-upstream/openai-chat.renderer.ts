import { mockIds } from './mock-ids';
import type { MockError, MockStopReason } from './mock-upstream.types';
import { halfway, sseFrame, type ProtocolRenderer, type RenderContext } from './render-context';
import type { ResolvedTurn } from './resolved-turn';

type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

function finishReason(reason: MockStopReason): ChatFinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
  }
}

export function openaiUsage(turn: ResolvedTurn): Record<string, unknown> {
  const u = turn.usage;
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: {
      cached_tokens: u.cacheReadTokens,
      cache_write_tokens: u.cacheWriteTokens,
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

interface OpenAiErrorDefaults {
  type: string;
  code: string | null;
  message: string;
}

function openaiErrorDefaults(status: number, model: string): OpenAiErrorDefaults {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', code: null, message: 'Invalid request.' };
    case 401:
      return {
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        message:
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      };
    case 403:
      return {
        type: 'invalid_request_error',
        code: 'unsupported_country_region_territory',
        message: 'Country, region, or territory not supported',
      };
    case 404:
      return {
        type: 'invalid_request_error',
        code: 'model_not_found',
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
      };
    case 429:
      return {
        type: 'requests',
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${model} on requests per min (RPM). Please try again later.`,
      };
    case 503:
      return {
        type: 'service_unavailable_error',
        code: 'server_is_overloaded',
        message: 'The server is overloaded. Please try again later.',
      };
    default:
      return status >= 500
        ? {
            type: 'server_error',
            code: null,
            message: 'The server had an error while processing your request. Sorry about that!',
          }
        : { type: 'invalid_request_error', code: null, message: `Request failed with status ${status}.` };
  }
}

/** `{ message, type, param, code }`, shared by Chat Completions and Responses. */
export function openaiErrorObject(
  error: MockError,
  model: string,
): { message: string; type: string; param: null; code: string | null } {
  const defaults = openaiErrorDefaults(error.status, model);
  return {
    message: error.message ?? defaults.message,
    type: error.type ?? defaults.type,
    param: null,
    code: error.code !== undefined ? error.code : defaults.code,
  };
}

export function openaiHeaders(ctx: RenderContext): Record<string, string> {
  return {
    'x-request-id': ctx.requestId,
    'openai-version': '2020-10-01',
    'openai-processing-ms': '1',
    'openai-organization': 'mock-org',
  };
}

export const openaiChatRenderer: ProtocolRenderer = {
  json(turn, ctx) {
    const toolCalls = turn.toolCalls.map((call) =>
      call.kind === 'custom'
        ? {
            id: call.id ?? mockIds.chatToolCall(),
            type: 'custom',
            custom: { name: call.name, input: call.payload },
          }
        : {
            id: call.id ?? mockIds.chatToolCall(),
            type: 'function',
            function: { name: call.name, arguments: call.argumentsJson },
          },
    );
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: turn.text === '' && toolCalls.length > 0 ? null : turn.text,
      refusal: null,
      annotations: [],
    };
    // Not OpenAI's own field: DeepSeek, vLLM and other OpenAI-compatible servers expose reasoning this way.
    if (turn.thinking !== undefined) message.reasoning_content = turn.thinking.text;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      id: mockIds.chatCompletion(),
      object: 'chat.completion',
      created: ctx.nowSec,
      model: ctx.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(turn.stopReason) }],
      usage: openaiUsage(turn),
      service_tier: 'default',
      system_fingerprint: mockIds.systemFingerprint(),
    };
  },

  stream(turn, ctx) {
    const id = mockIds.chatCompletion();
    const fingerprint = mockIds.systemFingerprint();
    const chunk = (choices: unknown[], usage?: unknown): string => {
      const body: Record<string, unknown> = {
        id,
        object: 'chat.completion.chunk',
        created: ctx.nowSec,
        model: ctx.model,
        service_tier: 'default',
        system_fingerprint: fingerprint,
        choices,
      };
      if (ctx.includeUsage) body.usage = usage ?? null;
      return sseFrame(undefined, body);
    };
    const delta = (d: Record<string, unknown>, finish: ChatFinishReason | null = null): string =>
      chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    // OpenAI opens with content "" for text answers and null when the answer is only tool calls.
    const opening = turn.text === '' && turn.thinking === undefined && turn.toolCalls.length > 0 ? null : '';
    const frames: string[] = [delta({ role: 'assistant', content: opening, refusal: null })];
    const contentStart = frames.length;
    for (const piece of turn.thinking?.chunks ?? []) frames.push(delta({ reasoning_content: piece }));
    for (const piece of turn.textChunks) frames.push(delta({ content: piece }));
    turn.toolCalls.forEach((call, index) => {
      const callId = call.id ?? mockIds.chatToolCall();
      if (call.kind === 'custom') {
        frames.push(
          delta({
            tool_calls: [
              { index, id: callId, type: 'custom', custom: { name: call.name, input: call.payload } },
            ],
          }),
        );
        return;
      }
      frames.push(
        delta({
          tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }],
        }),
      );
      for (const piece of call.jsonChunks)
        frames.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    const contentEnd = frames.length;
    frames.push(delta({}, finishReason(turn.stopReason)));
    if (ctx.includeUsage) frames.push(chunk([], openaiUsage(turn)));
    frames.push('data: [DONE]\n\n');
    return { frames, keepBeforeError: halfway(contentStart, contentEnd) };
  },

  streamError(error, ctx) {
    return [sseFrame(undefined, { error: openaiErrorObject(error, ctx.model) })];
  },

  errorBody(error, ctx) {
    return { error: openaiErrorObject(error, ctx.model) };
  },

  headers: openaiHeaders,
};
