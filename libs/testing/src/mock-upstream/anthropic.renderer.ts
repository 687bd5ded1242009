import { mockIds } from './mock-ids';
import type { MockError } from './mock-upstream.types';
import { halfway, sseFrame, type ProtocolRenderer, type RenderContext } from './render-context';
import type { ResolvedTurn } from './resolved-turn';

/** Anthropic counts cache reads and writes outside `input_tokens`. */
function usageObject(turn: ResolvedTurn): Record<string, unknown> {
  const u = turn.usage;
  return {
    input_tokens: Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens),
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: u.outputTokens,
    service_tier: 'standard',
  };
}

function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function defaultMessage(type: string, model: string): string {
  switch (type) {
    case 'authentication_error':
      return 'invalid x-api-key';
    case 'not_found_error':
      return `model: ${model}`;
    case 'rate_limit_error':
      return 'Number of request tokens has exceeded your per-minute rate limit.';
    case 'overloaded_error':
      return 'Overloaded';
    case 'api_error':
      return 'Internal server error';
    default:
      return 'Invalid request.';
  }
}

function errorObject(error: MockError, model: string): { type: string; message: string } {
  const type = error.type ?? errorType(error.status);
  return { type, message: error.message ?? defaultMessage(type, model) };
}

function contentBlocks(turn: ResolvedTurn): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (turn.thinking !== undefined) {
    blocks.push({ type: 'thinking', thinking: turn.thinking.text, signature: turn.thinking.signature ?? '' });
  }
  if (turn.text !== '') blocks.push({ type: 'text', text: turn.text });
  for (const call of turn.toolCalls) {
    blocks.push({
      type: 'tool_use',
      id: call.id ?? mockIds.anthropicToolUse(),
      name: call.name,
      input: call.argumentsObject,
    });
  }
  return blocks;
}

export const anthropicRenderer: ProtocolRenderer = {
  json(turn, ctx) {
    return {
      id: mockIds.anthropicMessage(),
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content: contentBlocks(turn),
      stop_reason: turn.stopReason,
      stop_sequence: turn.stopSequence,
      usage: usageObject(turn),
    };
  },

  stream(turn, ctx) {
    const frames: string[] = [];
    const emit = (type: string, payload: Record<string, unknown> = {}): void => {
      frames.push(sseFrame(type, { type, ...payload }));
    };
    const startUsage = { ...usageObject(turn), output_tokens: 1 };
    emit('message_start', {
      message: {
        id: mockIds.anthropicMessage(),
        type: 'message',
        role: 'assistant',
        model: ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage,
      },
    });
    const contentStart = frames.length;
    let index = 0;
    const pingAfterFirstStart = (): void => {
      if (index === 0) emit('ping');
    };
    if (turn.thinking !== undefined) {
      emit('content_block_start', {
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      pingAfterFirstStart();
      for (const piece of turn.thinking.chunks) {
        emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      }
      if (turn.thinking.signature !== undefined) {
        emit('content_block_delta', {
          index,
          delta: { type: 'signature_delta', signature: turn.thinking.signature },
        });
      }
      emit('content_block_stop', { index });
      index++;
    }
    if (turn.text !== '') {
      emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
      pingAfterFirstStart();
      for (const piece of turn.textChunks)
        emit('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      emit('content_block_stop', { index });
      index++;
    }
    for (const call of turn.toolCalls) {
      const id = call.id ?? mockIds.anthropicToolUse();
      emit('content_block_start', {
        index,
        content_block: { type: 'tool_use', id, name: call.name, input: {} },
      });
      pingAfterFirstStart();
      // The API's first input_json_delta is empty, then the JSON arrives in fragments.
      emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of call.jsonChunks) {
        emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
      }
      emit('content_block_stop', { index });
      index++;
    }
    const contentEnd = frames.length;
    const finalUsage = usageObject(turn);
    delete finalUsage.cache_creation;
    delete finalUsage.service_tier;
    emit('message_delta', {
      delta: { stop_reason: turn.stopReason, stop_sequence: turn.stopSequence },
      usage: finalUsage,
    });
    emit('message_stop');
    return { frames, keepBeforeError: halfway(contentStart, contentEnd) };
  },

  streamError(error, ctx) {
    return [sseFrame('error', { type: 'error', error: errorObject(error, ctx.model) })];
  },

  errorBody(error, ctx) {
    return { type: 'error', error: errorObject(error, ctx.model), request_id: ctx.requestId };
  },

  headers(ctx: RenderContext) {
    return { 'request-id': ctx.requestId, 'anthropic-organization-id': 'mock-org' };
  },
};
