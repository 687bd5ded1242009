import { mockIds } from './mock-ids';
import { openaiErrorObject, openaiHeaders } from './openai-chat.renderer';
import { halfway, sseFrame, type ProtocolRenderer, type RenderContext } from './render-context';
import type { ResolvedTurn } from './resolved-turn';

type ResponseStatus = 'completed' | 'incomplete' | 'failed' | 'in_progress';

function usageObject(turn: ResolvedTurn): Record<string, unknown> {
  const u = turn.usage;
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cacheReadTokens, cache_write_tokens: u.cacheWriteTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

function finalStatus(turn: ResolvedTurn): { status: ResponseStatus; incomplete: { reason: string } | null } {
  switch (turn.stopReason) {
    case 'max_tokens':
      return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
    case 'refusal':
      return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return { status: 'completed', incomplete: null };
  }
}

/** The response envelope, echoing the request's settings the way OpenAI does. */
function responseObject(
  ctx: RenderContext,
  id: string,
  status: ResponseStatus,
  output: unknown[],
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const b = ctx.body;
  return {
    id,
    object: 'response',
    created_at: ctx.nowSec,
    status,
    background: false,
    completed_at: status === 'in_progress' ? null : ctx.nowSec,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model: ctx.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: b.reasoning ?? { effort: null, summary: null },
    service_tier: 'default',
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    usage: null,
    user: null,
    metadata: b.metadata ?? {},
    ...extra,
  };
}

interface ItemPlan {
  added: Record<string, unknown>;
  done: Record<string, unknown>;
}

/** Output items with their ids, in order: reasoning, message, then one item per tool call. */
function planItems(turn: ResolvedTurn): ItemPlan[] {
  const items: ItemPlan[] = [];
  if (turn.thinking !== undefined) {
    const id = mockIds.responseReasoning();
    const done: Record<string, unknown> = {
      id,
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: turn.thinking.text }],
    };
    if (turn.thinking.signature !== undefined) done.encrypted_content = turn.thinking.signature;
    items.push({ added: { id, type: 'reasoning', summary: [] }, done });
  }
  if (turn.text !== '') {
    const id = mockIds.responseMessage();
    items.push({
      added: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
      done: {
        id,
        type: 'message',
        status: 'completed',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: turn.text }],
        role: 'assistant',
      },
    });
  }
  for (const call of turn.toolCalls) {
    const callId = call.id ?? mockIds.chatToolCall();
    if (call.kind === 'custom') {
      const id = mockIds.responseCustomCall();
      items.push({
        added: {
          id,
          type: 'custom_tool_call',
          status: 'in_progress',
          call_id: callId,
          input: '',
          name: call.name,
        },
        done: {
          id,
          type: 'custom_tool_call',
          status: 'completed',
          call_id: callId,
          input: call.payload,
          name: call.name,
        },
      });
    } else {
      const id = mockIds.responseFunctionCall();
      items.push({
        added: {
          id,
          type: 'function_call',
          status: 'in_progress',
          arguments: '',
          call_id: callId,
          name: call.name,
        },
        done: {
          id,
          type: 'function_call',
          status: 'completed',
          arguments: call.argumentsJson,
          call_id: callId,
          name: call.name,
        },
      });
    }
  }
  return items;
}

export const openaiResponsesRenderer: ProtocolRenderer = {
  json(turn, ctx) {
    const { status, incomplete } = finalStatus(turn);
    const output = planItems(turn).map((item) => item.done);
    return responseObject(ctx, mockIds.response(), status, output, {
      incomplete_details: incomplete,
      usage: usageObject(turn),
    });
  },

  stream(turn, ctx) {
    const id = mockIds.response();
    ctx.streamId = id;
    const frames: string[] = [];
    const emit = (type: string, payload: Record<string, unknown>): void => {
      frames.push(sseFrame(type, { type, sequence_number: frames.length, ...payload }));
    };
    emit('response.created', { response: responseObject(ctx, id, 'in_progress', [], {}) });
    emit('response.in_progress', { response: responseObject(ctx, id, 'in_progress', [], {}) });
    const contentStart = frames.length;

    const items = planItems(turn);
    let textChunks = turn.textChunks;
    let callIndex = 0;
    items.forEach((item, outputIndex) => {
      const itemId = item.added.id as string;
      emit('response.output_item.added', { output_index: outputIndex, item: item.added });
      switch (item.added.type) {
        case 'reasoning': {
          const thinking = turn.thinking!;
          const at = { item_id: itemId, output_index: outputIndex, summary_index: 0 };
          emit('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
          for (const piece of thinking.chunks)
            emit('response.reasoning_summary_text.delta', { ...at, delta: piece });
          emit('response.reasoning_summary_text.done', { ...at, text: thinking.text });
          emit('response.reasoning_summary_part.done', {
            ...at,
            part: { type: 'summary_text', text: thinking.text },
          });
          break;
        }
        case 'message': {
          const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
          emit('response.content_part.added', {
            ...at,
            part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
          });
          for (const piece of textChunks)
            emit('response.output_text.delta', { ...at, delta: piece, logprobs: [] });
          textChunks = [];
          emit('response.output_text.done', { ...at, text: turn.text, logprobs: [] });
          emit('response.content_part.done', {
            ...at,
            part: { type: 'output_text', annotations: [], logprobs: [], text: turn.text },
          });
          break;
        }
        default: {
          const call = turn.toolCalls[callIndex++]!;
          const at = { item_id: itemId, output_index: outputIndex };
          if (call.kind === 'custom') {
            for (const piece of call.payloadChunks)
              emit('response.custom_tool_call_input.delta', { ...at, delta: piece });
            emit('response.custom_tool_call_input.done', { ...at, input: call.payload });
          } else {
            for (const piece of call.jsonChunks)
              emit('response.function_call_arguments.delta', { ...at, delta: piece });
            emit('response.function_call_arguments.done', {
              ...at,
              arguments: call.argumentsJson,
              name: call.name,
            });
          }
        }
      }
      emit('response.output_item.done', { output_index: outputIndex, item: item.done });
    });
    const contentEnd = frames.length;

    const { status, incomplete } = finalStatus(turn);
    const final = responseObject(
      ctx,
      id,
      status,
      items.map((item) => item.done),
      { incomplete_details: incomplete, usage: usageObject(turn) },
    );
    emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final });
    return { frames, keepBeforeError: halfway(contentStart, contentEnd) };
  },

  streamError(error, ctx, framesSent) {
    const err = openaiErrorObject(error, ctx.model);
    const failed = responseObject(ctx, ctx.streamId ?? mockIds.response(), 'failed', [], {
      error: { code: err.code ?? err.type, message: err.message },
    });
    return [
      sseFrame('error', {
        type: 'error',
        sequence_number: framesSent,
        code: err.code ?? err.type,
        message: err.message,
        param: null,
      }),
      sseFrame('response.failed', {
        type: 'response.failed',
        sequence_number: framesSent + 1,
        response: failed,
      }),
    ];
  },

  errorBody(error, ctx) {
    return { error: openaiErrorObject(error, ctx.model) };
  },

  headers: openaiHeaders,
};
