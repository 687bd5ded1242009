import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  OpenAiUsageChunkFilter,
  ToolNameMap,
  createStreamTranslator,
  createUsageTap,
  emptyUsage,
  totalInputTokens,
  translateRequest,
  type IrStreamEvent,
  type ProtocolId,
  type StreamTranslatorOptions,
} from '../src';
import { frames, splitAt, sse } from './protocol-test-helpers';
import {
  anthropicUpstream,
  chunk,
  gemChunk,
  geminiUpstream,
  openAiUpstream,
  type Frame,
} from './stream-fixtures';

/** Runs an upstream SSE text through a translator, fed in pseudo-random chunks; returns the client frames. */
const run = (
  from: ProtocolId,
  to: ProtocolId,
  upstream: string,
  opts: Partial<StreamTranslatorOptions> = {},
  seed = 1,
): { out: Frame[]; t: ReturnType<typeof createStreamTranslator>; ir: IrStreamEvent[] } => {
  const ir: IrStreamEvent[] = [];
  const t = createStreamTranslator({ from, to, onIrEvent: (e) => ir.push(e), ...opts });
  let text = '';
  for (const chunk of splitAt(upstream, seed)) text += t.push(chunk);
  text += t.end();
  return { out: frames(text), t, ir };
};

/** The same output whatever the chunking (and whether bytes or strings). */
const assertChunkingInvariant = (
  from: ProtocolId,
  to: ProtocolId,
  upstream: string,
  opts: Partial<StreamTranslatorOptions> = {},
): Frame[] => {
  // Made-up ids (Gemini calls without one) are random: compare them by shape.
  const strip = (fs: Frame[]): unknown =>
    JSON.parse(
      JSON.stringify(fs)
        .replace(/"created":\d+/g, '"created":0')
        .replace(/call_gm[0-9a-f]+/g, 'call_gm')
        .replace(/sluice1\.[A-Za-z0-9_-]+/g, 'sluice1.'),
    );
  const whole = run(from, to, upstream, opts, 0);
  const t = createStreamTranslator({ from, to, ...opts });
  let text = t.push(new TextEncoder().encode(upstream));
  text += t.end();
  assert.deepEqual(strip(frames(text)), strip(whole.out), 'bytes in one chunk');
  for (const seed of [1, 2, 3, 42, 1234])
    assert.deepEqual(strip(run(from, to, upstream, opts, seed).out), strip(whole.out), `seed ${seed}`);
  return whole.out;
};

// ---------------------------------------------------------------- Anthropic upstream

describe('Anthropic upstream → OpenAI Chat client', () => {
  it('emits role, reasoning, text, tool_calls (id and name first, then fragments), finish, usage, [DONE]', () => {
    const out = assertChunkingInvariant('anthropic', 'openai-chat', anthropicUpstream, {
      includeUsage: true,
      model: 'gpt-5.5',
    });
    const deltas = out.map((f) =>
      f.data === '[DONE]'
        ? '[DONE]'
        : ((f.data as { choices: { delta: unknown; finish_reason: unknown }[] }).choices[0] ??
          (f.data as { usage: unknown }).usage),
    );
    assert.deepEqual(deltas, [
      {
        index: 0,
        delta: { role: 'assistant', content: '', refusal: null },
        logprobs: null,
        finish_reason: null,
      },
      { index: 0, delta: { reasoning_content: 'Check both ' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { reasoning_content: 'cities.' }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: "I'll " }, logprobs: null, finish_reason: null },
      { index: 0, delta: { content: 'check. ✓' }, logprobs: null, finish_reason: null },
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: '{"city": "Pa' } }] },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: {
          tool_calls: [
            { index: 1, id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
      {
        index: 0,
        delta: { tool_calls: [{ index: 1, function: { arguments: '{"city": "Rome"}' } }] },
        logprobs: null,
        finish_reason: null,
      },
      { index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' },
      {
        prompt_tokens: 2060,
        completion_tokens: 80,
        total_tokens: 2140,
        prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 10 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      '[DONE]',
    ]);
    const first = out[0]?.data as Record<string, unknown>;
    assert.equal(first.id, 'msg_01ABC');
    assert.equal(first.object, 'chat.completion.chunk');
    assert.equal(first.model, 'gpt-5.5');
    assert.equal(first.usage, null, 'with include_usage every earlier chunk carries usage: null');
    const usageChunk = out.at(-2)?.data as Record<string, unknown>;
    assert.deepEqual(usageChunk.choices, []);
  });

  it('omits the usage chunk when the client did not ask, but the translator still knows the usage', () => {
    const { out, t } = run('anthropic', 'openai-chat', anthropicUpstream);
    assert.equal(out.at(-1)?.data, '[DONE]');
    assert.ok(
      out.every((f) => f.data === '[DONE]' || (f.data as { choices: unknown[] }).choices.length === 1),
    );
    assert.equal(t.usage?.cacheReadTokens, 2000);
    assert.equal(t.usage?.outputTokens, 80);
    assert.equal(t.stopReason?.kind, 'tool_use');
  });

  it('restores client tool names from the tool map', () => {
    const tools = new ToolNameMap('anthropic');
    tools.add('weather.get', 'function');
    const up = anthropicUpstream.replaceAll('"name":"get_weather"', '"name":"weather_get"');
    const { out } = run('anthropic', 'openai-chat', up, { tools });
    const names = out.flatMap((f) => {
      const d = f.data as { choices?: { delta: { tool_calls?: { function?: { name?: string } }[] } }[] };
      return (
        d.choices?.[0]?.delta.tool_calls?.flatMap((c) => (c.function?.name ? [c.function.name] : [])) ?? []
      );
    });
    assert.deepEqual(names, ['weather.get', 'weather.get']);
  });
});

describe('Anthropic upstream → Anthropic client (same protocol through the IR)', () => {
  it('keeps thinking signatures and the event names', () => {
    const out = assertChunkingInvariant('anthropic', 'anthropic', anthropicUpstream);
    assert.deepEqual(
      out.map((f) => f.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.deepEqual(out[4]?.data, {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'signature_delta', signature: 'EqQBsig==' },
    });
    assert.deepEqual(out[17]?.data, {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 50,
        cache_creation_input_tokens: 10,
        cache_read_input_tokens: 2000,
        output_tokens: 80,
      },
    });
  });
});

describe('Anthropic upstream → Gemini client', () => {
  it('sends thoughts and text as they come and each tool call whole', () => {
    const out = assertChunkingInvariant('anthropic', 'gemini', anthropicUpstream, {
      model: 'gemini-2.5-flash',
    });
    assert.ok(
      out.every((f) => f.event === undefined),
      'Gemini SSE has data lines only',
    );
    const parts = out.map(
      (f) => (f.data as { candidates: { content: { parts: unknown[] } }[] }).candidates[0]?.content.parts,
    );
    assert.deepEqual(parts, [
      [{ text: 'Check both ', thought: true }],
      [{ text: 'cities.', thought: true }],
      [{ text: "I'll " }],
      [{ text: 'check. ✓' }],
      [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
      [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } } }],
      [{ text: '' }],
    ]);
    const last = out.at(-1)?.data as Record<string, unknown>;
    assert.equal((last.candidates as { finishReason: string }[])[0]?.finishReason, 'STOP');
    assert.deepEqual(last.usageMetadata, {
      promptTokenCount: 2060,
      candidatesTokenCount: 80,
      totalTokenCount: 2140,
      cachedContentTokenCount: 2000,
    });
    assert.equal(last.responseId, 'msg_01ABC');
  });
});

// ---------------------------------------------------------------- OpenAI upstream

describe('OpenAI Chat upstream → Anthropic client', () => {
  it('emits the exact Anthropic event sequence with input_json_delta and final usage', () => {
    const out = assertChunkingInvariant('openai-chat', 'anthropic', openAiUpstream, {
      model: 'claude-sonnet-5-5',
    });
    assert.deepEqual(out, [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_chatcmpl-9',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'claude-sonnet-5-5',
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: 0,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 0,
              output_tokens: 1,
            },
          },
        },
      },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
      },
      {
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'look.' } },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'call_A', name: 'get_weather', input: {} },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"ci' },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: 'ty":"Paris"}' },
        },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 2,
          content_block: { type: 'tool_use', id: 'call_B', name: 'get_weather', input: {} },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 2,
          delta: { type: 'input_json_delta', partial_json: '{"city":"Rome"}' },
        },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: {
            input_tokens: 56,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 64,
            output_tokens: 30,
          },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  });

  it('emits content_block_start before the first fragment arrives (not at the end)', () => {
    const t = createStreamTranslator({ from: 'openai-chat', to: 'anthropic' });
    const lines = openAiUpstream.split('\n\n');
    const upToToolStart = `${lines.slice(0, 4).join('\n\n')}\n\n`;
    const early = frames(t.push(upToToolStart));
    assert.deepEqual(
      early.map((f) => f.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
      ],
    );
  });

  it('buffers argument fragments that come before the name, and splits calls that reuse index 0', () => {
    const up = sse([
      chunk({ role: 'assistant' }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '1}' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'call_2', function: { name: 'g', arguments: '{}' } }] }),
      chunk({}, 'stop'),
      { data: '[DONE]' },
    ]);
    const { out } = run('openai-chat', 'anthropic', up);
    const starts = out
      .filter((f) => f.event === 'content_block_start')
      .map((f) => (f.data as { content_block: unknown }).content_block);
    assert.deepEqual(starts, [
      { type: 'tool_use', id: 'call_1', name: 'f', input: {} },
      { type: 'tool_use', id: 'call_2', name: 'g', input: {} },
    ]);
    const json = out
      .filter((f) => f.event === 'content_block_delta')
      .map((f) => (f.data as { delta: { partial_json: string } }).delta.partial_json);
    assert.deepEqual(json, ['{"a":1}', '{}']);
    // `stop` with tool calls is still a tool_use turn.
    assert.equal(
      (out.find((f) => f.event === 'message_delta')?.data as { delta: { stop_reason: string } }).delta
        .stop_reason,
      'tool_use',
    );
  });
});

describe('OpenAI Chat upstream → Gemini client', () => {
  it('assembles fragmented arguments into one functionCall', () => {
    const out = assertChunkingInvariant('openai-chat', 'gemini', openAiUpstream, {
      model: 'gemini-2.5-flash',
    });
    const parts = out.map(
      (f) => (f.data as { candidates: { content: { parts: unknown[] } }[] }).candidates[0]?.content.parts,
    );
    assert.deepEqual(parts, [
      [{ text: 'Let me ' }],
      [{ text: 'look.' }],
      [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
      [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } } }],
      [{ text: '' }],
    ]);
    const last = out.at(-1)?.data as Record<string, unknown>;
    assert.deepEqual(last.usageMetadata, {
      promptTokenCount: 120,
      candidatesTokenCount: 18,
      totalTokenCount: 150,
      cachedContentTokenCount: 64,
      thoughtsTokenCount: 12,
    });
  });
});

describe('OpenAI Chat upstream → OpenAI Chat client', () => {
  it('passes text and tool calls with the same indices and ids', () => {
    const out = assertChunkingInvariant('openai-chat', 'openai-chat', openAiUpstream, { includeUsage: true });
    const expected = frames(openAiUpstream).map((f) =>
      f.data === '[DONE]'
        ? '[DONE]'
        : ((f.data as { choices: { delta: unknown }[] }).choices[0]?.delta ?? 'usage'),
    );
    const got = out.map((f) =>
      f.data === '[DONE]'
        ? '[DONE]'
        : ((f.data as { choices: { delta: unknown }[] }).choices[0]?.delta ?? 'usage'),
    );
    assert.deepEqual(got, expected);
  });
});

// ---------------------------------------------------------------- Gemini upstream

describe('Gemini upstream → Anthropic client', () => {
  it('turns a whole functionCall into tool_use start, one input_json_delta, stop (never an empty input)', () => {
    const out = assertChunkingInvariant('gemini', 'anthropic', geminiUpstream);
    const summary = out.map((f) => {
      const d = f.data as { type: string; content_block?: { type: string }; delta?: Record<string, unknown> };
      return d.type === 'content_block_start'
        ? `start:${d.content_block?.type}`
        : d.type === 'content_block_delta'
          ? `delta:${String(d.delta?.type)}`
          : d.type;
    });
    assert.deepEqual(summary, [
      'message_start',
      'start:thinking',
      'delta:thinking_delta',
      'content_block_stop',
      'start:text',
      'delta:text_delta',
      'delta:text_delta',
      'content_block_stop',
      'start:thinking',
      'delta:signature_delta',
      'content_block_stop',
      'start:tool_use',
      'delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const toolStart = out[11]?.data as { content_block: { id: string; name: string } };
    assert.equal(toolStart.content_block.name, 'get_weather');
    assert.match(toolStart.content_block.id, /^call_gm[0-9a-f]+$/);
    assert.deepEqual((out[12]?.data as { delta: unknown }).delta, {
      type: 'input_json_delta',
      partial_json: '{"city":"Paris"}',
    });
    assert.deepEqual(out[14]?.data, {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 32,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 8,
        output_tokens: 25,
      },
    });
  });
});

describe('Gemini upstream → OpenAI Chat client', () => {
  it('gives the function call an id, a name and its arguments; finish tool_calls', () => {
    const { out, ir } = run('gemini', 'openai-chat', geminiUpstream, { includeUsage: true });
    const toolDeltas = out.flatMap((f) => {
      const d = f.data as { choices?: { delta: { tool_calls?: unknown[] } }[] };
      return d.choices?.[0]?.delta.tool_calls ?? [];
    }) as { index: number; id?: string; function: { name?: string; arguments: string } }[];
    assert.equal(toolDeltas.length, 2);
    assert.equal(toolDeltas[0]?.function.name, 'get_weather');
    assert.ok(toolDeltas[0]?.id);
    assert.equal(toolDeltas[1]?.function.arguments, '{"city":"Paris"}');
    const finish = out.find(
      (f) => (f.data as { choices?: { finish_reason: string | null }[] }).choices?.[0]?.finish_reason,
    );
    assert.equal(
      (finish?.data as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason,
      'tool_calls',
    );
    const usage = (out.at(-2)?.data as { usage: Record<string, unknown> }).usage;
    assert.equal(usage.prompt_tokens, 40);
    assert.equal(usage.completion_tokens, 25);
    // The Gemini thought signature rides on the IR tool call (for a Gemini client or a later Gemini request).
    const start = ir.find((e) => e.type === 'block_start' && e.block.type === 'tool_call');
    assert.equal(
      start?.type === 'block_start' && start.block.type === 'tool_call' ? start.block.signature : undefined,
      'CiQBsig',
    );
  });
});

describe('Gemini upstream → Gemini client', () => {
  it('keeps the thought signature on the functionCall part', () => {
    const { out } = run('gemini', 'gemini', geminiUpstream);
    const call = out.find((f) => JSON.stringify(f.data).includes('functionCall'));
    assert.deepEqual(
      (call?.data as { candidates: { content: { parts: unknown[] } }[] }).candidates[0]?.content.parts,
      [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQBsig' }],
    );
  });
});

// ---------------------------------------------------------------- errors mid-stream

describe('errors in the middle of a stream', () => {
  const anthropicWithError = sse([
    frames(anthropicUpstream)[0] as Frame,
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
    },
    { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
  ]);

  it('Anthropic error → OpenAI client: an error payload then [DONE]', () => {
    const { out, t } = run('anthropic', 'openai-chat', anthropicWithError);
    assert.deepEqual(out.slice(-2), [
      {
        data: {
          error: {
            message: 'Overloaded',
            type: 'service_unavailable_error',
            param: null,
            code: 'server_is_overloaded',
          },
        },
      },
      { data: '[DONE]' },
    ]);
    assert.equal(t.error?.status, 529);
  });

  it('Anthropic error → Gemini client: an error frame with the Gemini shape', () => {
    const { out } = run('anthropic', 'gemini', anthropicWithError);
    assert.deepEqual(out.at(-1), {
      data: { error: { code: 529, message: 'Overloaded', status: 'UNAVAILABLE' } },
    });
  });

  it('OpenAI error chunk → Anthropic client: event error after the blocks are closed', () => {
    const up = sse([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hi' }),
      { data: { error: { message: 'boom', type: 'server_error', code: null } } },
    ]);
    const { out } = run('openai-chat', 'anthropic', up);
    assert.deepEqual(
      out.map((f) => f.event),
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'error'],
    );
    assert.deepEqual(out.at(-1)?.data, { type: 'error', error: { type: 'api_error', message: 'boom' } });
  });

  it('Gemini error frame → OpenAI client', () => {
    const up = sse([
      gemChunk([{ text: 'a' }]),
      { data: { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } } },
    ]);
    const { out } = run('gemini', 'openai-chat', up);
    assert.deepEqual(out.at(-2)?.data, {
      error: {
        message: 'The model is overloaded.',
        type: 'service_unavailable_error',
        param: null,
        code: 'server_is_overloaded',
      },
    });
  });

  it('an Anthropic stream cut before message_stop ends with an error, not a hang', () => {
    const cut = anthropicUpstream.slice(0, anthropicUpstream.indexOf('event: content_block_stop'));
    const { out } = run('anthropic', 'openai-chat', cut);
    assert.equal(out.at(-1)?.data, '[DONE]');
    assert.equal((out.at(-2)?.data as { error: { type: string } }).error.type, 'server_error');
  });

  it('an OpenAI stream without [DONE] is finished at end of input', () => {
    const noDone = openAiUpstream.slice(0, openAiUpstream.indexOf('data: [DONE]'));
    const { out } = run('openai-chat', 'anthropic', noDone);
    assert.deepEqual(
      out.slice(-2).map((f) => f.event),
      ['message_delta', 'message_stop'],
    );
  });
});

describe('custom/freeform tool calls across protocols', () => {
  it('a custom tool sent to Anthropic as a function comes back to an OpenAI client as a custom call with raw input', () => {
    const tools = new ToolNameMap('anthropic');
    tools.add('apply_patch', 'custom');
    const input = '*** Begin Patch\n*** Add File: a.txt\n+hi "there"\n*** End Patch\n';
    const json = JSON.stringify({ input });
    const up = sse([
      frames(anthropicUpstream)[0] as Frame,
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 'toolu_P', name: 'apply_patch', input: {} },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: json.slice(0, 20) },
        },
      },
      {
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: json.slice(20) },
        },
      },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    const { out } = run('anthropic', 'openai-chat', up, { tools });
    const calls = out.flatMap(
      (f) =>
        (f.data as { choices?: { delta: { tool_calls?: unknown[] } }[] }).choices?.[0]?.delta.tool_calls ??
        [],
    );
    assert.deepEqual(calls, [
      { index: 0, id: 'toolu_P', type: 'custom', custom: { name: 'apply_patch', input: '' } },
      { index: 0, custom: { input } },
    ]);
  });

  it('a custom call from an OpenAI upstream reaches an Anthropic client as valid {"input": …} JSON', () => {
    const up = sse([
      chunk({ role: 'assistant' }),
      chunk({
        tool_calls: [{ index: 0, id: 'call_C', type: 'custom', custom: { name: 'apply_patch', input: '' } }],
      }),
      chunk({ tool_calls: [{ index: 0, custom: { input: 'line "1"\n' } }] }),
      chunk({ tool_calls: [{ index: 0, custom: { input: 'line 2' } }] }),
      chunk({}, 'tool_calls'),
      { data: '[DONE]' },
    ]);
    const { out } = run('openai-chat', 'anthropic', up);
    const json = out
      .filter((f) => f.event === 'content_block_delta')
      .map((f) => (f.data as { delta: { partial_json: string } }).delta.partial_json)
      .join('');
    assert.deepEqual(JSON.parse(json), { input: 'line "1"\nline 2' });
  });
});

describe('Gemini usage after the finishing chunk', () => {
  it('waits for usageMetadata that comes in a chunk after finishReason', () => {
    const up = sse([
      gemChunk([{ text: 'Hi' }]),
      gemChunk([{ text: '' }], { finishReason: 'STOP' }),
      {
        data: {
          candidates: [],
          usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 1, totalTokenCount: 8 },
        },
      },
    ]);
    const { out, t } = run('gemini', 'anthropic', up);
    assert.deepEqual(
      out.map((f) => f.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.equal(t.usage?.inputUncachedTokens, 7);
    assert.equal((out[4]?.data as { usage: { input_tokens: number } }).usage.input_tokens, 7);
  });
});

describe('stateless replay of foreign signatures through an Anthropic client', () => {
  /** What an Anthropic client keeps of a streamed message (the SDK's accumulation, simplified). */
  const accumulate = (out: Frame[]): Record<string, unknown>[] => {
    const blocks: Record<string, unknown>[] = [];
    const json: string[] = [];
    for (const f of out) {
      const d = f.data as {
        type: string;
        index: number;
        content_block?: Record<string, unknown>;
        delta?: Record<string, string>;
      };
      if (d.type === 'content_block_start' && d.content_block) blocks[d.index] = { ...d.content_block };
      if (d.type === 'content_block_delta' && d.delta) {
        const b = blocks[d.index] as Record<string, unknown>;
        if (d.delta.type === 'text_delta') b.text = `${String(b.text)}${d.delta.text}`;
        if (d.delta.type === 'thinking_delta') b.thinking = `${String(b.thinking)}${d.delta.thinking}`;
        if (d.delta.type === 'signature_delta') b.signature = d.delta.signature;
        if (d.delta.type === 'input_json_delta')
          json[d.index] = `${json[d.index] ?? ''}${d.delta.partial_json}`;
      }
      if (d.type === 'content_block_stop' && json[d.index] !== undefined)
        (blocks[d.index] as Record<string, unknown>).input = JSON.parse(json[d.index] ?? '{}');
    }
    return blocks;
  };

  it('a Gemini call signature comes back to Gemini on the next turn, not the placeholder', () => {
    const { out } = run('gemini', 'anthropic', geminiUpstream);
    const content = accumulate(out);
    const toolUse = content.find((b) => b.type === 'tool_use') as { id: string };
    const next = {
      model: 'claude-sonnet-5-5',
      max_tokens: 1000,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'sunny' }] },
      ],
    };
    const g = translateRequest(next, 'anthropic', 'gemini', { encode: { model: 'gemini-3-pro' } }).body as {
      contents: { role: string; parts: Record<string, unknown>[] }[];
    };
    const model = g.contents[1];
    const call = model?.parts.find((p) => p.functionCall !== undefined);
    assert.equal(call?.thoughtSignature, 'CiQBsig');
    assert.ok(
      model?.parts.every(
        (p) => p.thought !== true || typeof p.thoughtSignature !== 'string' || p.thoughtSignature !== '',
      ),
    );
    // The same history sent to Anthropic carries no foreign artefact.
    const a = translateRequest(next, 'anthropic', 'anthropic').body as {
      messages: { content: { type: string }[] }[];
    };
    assert.ok(a.messages[1]?.content.every((b) => b.type !== 'thinking'));
  });
});

describe('stateless replay of a Gemini call signature through a Chat client', () => {
  it('the tool-call id carries it; upstreams see the plain id; Gemini gets the real signature back', () => {
    const { out } = run('gemini', 'openai-chat', geminiUpstream);
    const first = out
      .flatMap(
        (f) =>
          (f.data as { choices?: { delta: { tool_calls?: { id?: string }[] } }[] }).choices?.[0]?.delta
            .tool_calls ?? [],
      )
      .find((c) => c.id !== undefined);
    const clientId = first?.id ?? '';
    assert.match(clientId, /^call_gm[0-9a-f]+\.sluice1\./);
    const next = {
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: clientId,
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: clientId, content: 'sunny' },
      ],
    };
    const g = translateRequest(next, 'openai-chat', 'gemini', { encode: { model: 'gemini-3-pro' } }).body as {
      contents: { parts: Record<string, unknown>[] }[];
    };
    assert.deepEqual(g.contents[1]?.parts, [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQBsig' },
    ]);
    const o = translateRequest(next, 'openai-chat', 'openai-chat').body as {
      messages: { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    };
    const upstreamId = o.messages[1]?.tool_calls?.[0]?.id ?? '';
    assert.ok(upstreamId.length <= 40 && !upstreamId.includes('sluice1'));
    assert.equal(o.messages[2]?.tool_call_id, upstreamId);
  });
});

describe('usage tap for passthrough streams', () => {
  it('reads the final usage and stop reason of each protocol without changing the bytes', () => {
    const cases: [ProtocolId, string, number, string][] = [
      ['anthropic', anthropicUpstream, 2060, 'tool_use'],
      ['openai-chat', openAiUpstream, 120, 'tool_use'],
      ['gemini', geminiUpstream, 40, 'tool_use'],
    ];
    for (const [protocol, upstream, input, stop] of cases) {
      const tap = createUsageTap(protocol);
      for (const piece of splitAt(upstream, 5)) tap.push(piece);
      tap.end();
      assert.equal(totalInputTokens(tap.usage ?? emptyUsage()), input, protocol);
      assert.equal(tap.stopReason?.kind, stop, protocol);
      assert.ok(tap.usage?.raw, protocol);
    }
  });
});

describe('OpenAI passthrough without the usage chunk the client did not ask for', () => {
  /** Runs bytes through a filter in the given pieces; what it lets out, as bytes. */
  const filtered = (pieces: readonly Uint8Array[]): Buffer => {
    const f = new OpenAiUsageChunkFilter();
    const out: Buffer[] = [];
    const keep = (v: string | Buffer): number => out.push(typeof v === 'string' ? Buffer.from(v) : v);
    for (const piece of pieces) keep(f.push(piece));
    keep(f.end());
    return Buffer.concat(out);
  };
  /** Bytes cut at pseudo-random byte offsets (inside multi-byte characters too). */
  const cutBytes = (bytes: Buffer, seed: number): Buffer[] => {
    const out: Buffer[] = [];
    let s = seed;
    for (let i = 0; i < bytes.length;) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const len = 1 + (s % 23);
      out.push(bytes.subarray(i, i + len));
      i += len;
    }
    return out;
  };

  it('drops only the choices: [] usage frame, other frames byte for byte, any chunking', () => {
    const usageFrameStart = openAiUpstream.indexOf(
      'data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1730000000,"model":"gpt-5.5","choices":[],',
    );
    const usageFrameEnd = openAiUpstream.indexOf('\n\n', usageFrameStart) + 2;
    const expected = openAiUpstream.slice(0, usageFrameStart) + openAiUpstream.slice(usageFrameEnd);
    const bytes = Buffer.from(openAiUpstream);
    for (const seed of [0, 3, 9]) {
      const pieces = seed === 0 ? [bytes] : cutBytes(bytes, seed);
      assert.equal(filtered(pieces).toString('utf8'), expected, `seed ${seed}`);
    }
  });

  it('hands a chunk without a usage frame back as the same bytes (no copy)', () => {
    const chunk = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n');
    const f = new OpenAiUsageChunkFilter();
    assert.equal(f.push(chunk), chunk);
  });

  it('keeps every other frame whatever the line ends, chunking and characters (property)', () => {
    const content = fc.string({
      unit: fc.constantFrom('a', ' ', 'é', '€', '😀', '"', '\\', '[]', ':', 'choices'),
    });
    const frame = fc.oneof(
      content.map((c) => ({
        usage: false,
        json: JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: c } }], usage: null }),
      })),
      fc.constantFrom(
        { usage: true, json: '{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}' },
        { usage: true, json: '{"id": "c", "choices": [], "usage": {"prompt_tokens": 1}}' },
        // An empty choices array without usage is not the usage frame: it stays.
        { usage: false, json: '{"id":"c","choices":[],"usage":null}' },
        { usage: false, json: '[DONE]' },
      ),
    );
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 1, max: 1000 }),
        (list, eol, seed) => {
          const text = (f: { json: string }): string => `data: ${f.json}${eol}${eol}`;
          const input = Buffer.from(list.map(text).join(''));
          const expected = list
            .filter((f) => !f.usage)
            .map(text)
            .join('');
          assert.equal(filtered(cutBytes(input, seed)).toString('utf8'), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
