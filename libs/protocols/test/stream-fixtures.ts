// Realistic upstream SSE sequences (shapes as documented in shared/reference/protocols.md §3.6, §1.4, §4.6).
import { sse } from './protocol-test-helpers';

export type Frame = { event?: string; data: unknown };

export const anthropicUpstream = sse([
  {
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id: 'msg_01ABC',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-sonnet-5-5',
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 50,
          cache_creation_input_tokens: 10,
          cache_read_input_tokens: 2000,
          output_tokens: 1,
        },
      },
    },
  },
  {
    event: 'content_block_start',
    data: {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    },
  },
  { event: 'ping', data: { type: 'ping' } },
  {
    event: 'content_block_delta',
    data: {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'thinking_delta', thinking: 'Check both ' },
    },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'cities.' } },
  },
  {
    event: 'content_block_delta',
    data: {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'signature_delta', signature: 'EqQBsig==' },
    },
  },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
  {
    event: 'content_block_start',
    data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: "I'll " } },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'check. ✓' } },
  },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
  {
    event: 'content_block_start',
    data: {
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: {} },
    },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  },
  {
    event: 'content_block_delta',
    data: {
      type: 'content_block_delta',
      index: 2,
      delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' },
    },
  },
  {
    event: 'content_block_delta',
    data: {
      type: 'content_block_delta',
      index: 2,
      delta: { type: 'input_json_delta', partial_json: 'ris"}' },
    },
  },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
  {
    event: 'content_block_start',
    data: {
      type: 'content_block_start',
      index: 3,
      content_block: { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: {} },
    },
  },
  {
    event: 'content_block_delta',
    data: {
      type: 'content_block_delta',
      index: 3,
      delta: { type: 'input_json_delta', partial_json: '{"city": "Rome"}' },
    },
  },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 3 } },
  {
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 80 },
    },
  },
  { event: 'message_stop', data: { type: 'message_stop' } },
]);

export const chunk = (delta: Record<string, unknown>, finish: string | null = null): Frame => ({
  data: {
    id: 'chatcmpl-9',
    object: 'chat.completion.chunk',
    created: 1730000000,
    model: 'gpt-5.5',
    choices: [{ index: 0, delta, finish_reason: finish }],
  },
});

export const openAiUpstream = sse([
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'look.' }),
  chunk({
    tool_calls: [
      { index: 0, id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
  chunk({
    tool_calls: [
      { index: 1, id: 'call_B', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ],
  }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":"Rome"}' } }] }),
  chunk({}, 'tool_calls'),
  {
    data: {
      id: 'chatcmpl-9',
      object: 'chat.completion.chunk',
      created: 1730000000,
      model: 'gpt-5.5',
      choices: [],
      usage: {
        prompt_tokens: 120,
        completion_tokens: 30,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 12 },
      },
    },
  },
  { data: '[DONE]' },
]);

export const gemChunk = (
  parts: unknown[],
  extra: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Frame => ({
  data: {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }],
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-g1',
    ...top,
  },
});

export const geminiUpstream = sse([
  gemChunk([{ text: 'Weighing options', thought: true }]),
  gemChunk([{ text: 'It is ' }]),
  gemChunk([{ text: 'sunny.' }]),
  gemChunk([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQBsig' }]),
  gemChunk(
    [{ text: '' }],
    { finishReason: 'STOP' },
    {
      usageMetadata: {
        promptTokenCount: 40,
        cachedContentTokenCount: 8,
        candidatesTokenCount: 20,
        thoughtsTokenCount: 5,
        totalTokenCount: 65,
      },
    },
  ),
]);
