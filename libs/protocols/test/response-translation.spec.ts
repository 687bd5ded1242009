import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ToolNameMap,
  anthropicCodec,
  geminiCodec,
  openAiChatCodec,
  translateResponse,
  type JsonObject,
} from '../src';

const anthropicMessage = {
  id: 'msg_01XYZ',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5-5',
  content: [
    { type: 'thinking', thinking: 'Paris first.', signature: 'EqQBsig==' },
    { type: 'text', text: "I'll check.", citations: null },
    { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 50,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 2000,
    output_tokens: 80,
    output_tokens_details: { thinking_tokens: 40 },
  },
};

const chatCompletion = {
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1730000000,
  model: 'gpt-5.5',
  choices: [
    {
      index: 0,
      finish_reason: 'stop', // some compatible servers say stop with tool calls
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
    },
  ],
  usage: {
    prompt_tokens: 120,
    completion_tokens: 30,
    total_tokens: 150,
    prompt_tokens_details: { cached_tokens: 64 },
    completion_tokens_details: { reasoning_tokens: 12 },
  },
};

const geminiResponse = {
  candidates: [
    {
      index: 0,
      finishReason: 'STOP',
      content: {
        role: 'model',
        parts: [
          { text: 'thinking summary', thought: true },
          { text: 'Checking.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CiQBsig' },
        ],
      },
    },
  ],
  usageMetadata: {
    promptTokenCount: 120,
    cachedContentTokenCount: 64,
    candidatesTokenCount: 30,
    thoughtsTokenCount: 12,
    totalTokenCount: 162,
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
};

const body = (b: JsonObject): Record<string, unknown> => b;

describe('non-streamed responses', () => {
  it('Anthropic → OpenAI Chat: text, reasoning, tool calls, finish and usage with cache', () => {
    const { body: o } = translateResponse(anthropicMessage, 'anthropic', 'openai-chat', {
      encode: { model: 'gpt-5.5' },
    });
    assert.deepEqual(body(o).choices, [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: "I'll check.",
          refusal: null,
          reasoning_content: 'Paris first.',
          tool_calls: [
            {
              id: 'toolu_01A',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        finish_reason: 'tool_calls',
        logprobs: null,
      },
    ]);
    assert.deepEqual(body(o).usage, {
      prompt_tokens: 2050,
      completion_tokens: 80,
      total_tokens: 2130,
      prompt_tokens_details: { cached_tokens: 2000 },
      completion_tokens_details: { reasoning_tokens: 40 },
    });
    assert.equal(body(o).id, 'msg_01XYZ');
    assert.equal(body(o).model, 'gpt-5.5');
  });

  it('OpenAI Chat → Anthropic: tool_use blocks with object input, stop_reason tool_use, uncached input', () => {
    const { body: a } = translateResponse(chatCompletion, 'openai-chat', 'anthropic', {
      encode: { model: 'claude-sonnet-5-5' },
    });
    assert.deepEqual(body(a), {
      id: 'msg_chatcmpl-abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      content: [
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 56,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 64,
        output_tokens: 30,
      },
    });
  });

  it('Gemini → OpenAI Chat and Anthropic: STOP with a functionCall is a tool turn', () => {
    const { body: o, ir } = translateResponse(geminiResponse, 'gemini', 'openai-chat');
    const choice = (
      body(o).choices as {
        finish_reason: string;
        message: { tool_calls: { id: string; function: unknown }[]; content: string };
      }[]
    )[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, 'Checking.');
    assert.deepEqual(choice?.message.tool_calls[0]?.function, {
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    assert.match(choice?.message.tool_calls[0]?.id ?? '', /^call_gm/);
    assert.equal(ir.usage.outputTokens, 42);
    const { body: a } = translateResponse(geminiResponse, 'gemini', 'anthropic');
    assert.equal(body(a).stop_reason, 'tool_use');
    assert.deepEqual(body(a).usage, {
      input_tokens: 56,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 64,
      output_tokens: 42,
    });
  });

  it('Gemini → Anthropic seals the call signature in a thinking block that the next request turns back into it', () => {
    const { body: a } = translateResponse(geminiResponse, 'gemini', 'anthropic');
    const content = body(a).content as Record<string, unknown>[];
    assert.deepEqual(
      content.map((b) => b.type),
      ['thinking', 'text', 'thinking', 'tool_use'],
    );
    assert.match(String(content[2]?.signature), /^sluice1\./);
    const next = anthropicCodec.decodeRequest({
      model: 'claude-x',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content },
      ],
    });
    const g = geminiCodec.encodeRequest(next, { model: 'gemini-3-pro' }).body as {
      contents: { parts: Record<string, unknown>[] }[];
    };
    assert.equal(g.contents[1]?.parts.find((p) => p.functionCall)?.thoughtSignature, 'CiQBsig');
  });

  it('Anthropic → Gemini keeps tool calls whole and maps usage', () => {
    const { body: g } = translateResponse(anthropicMessage, 'anthropic', 'gemini');
    assert.deepEqual(body(g).candidates, [
      {
        content: {
          role: 'model',
          parts: [
            { text: 'Paris first.', thought: true },
            { text: "I'll check." },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ]);
    assert.deepEqual(body(g).usageMetadata, {
      promptTokenCount: 2050,
      candidatesTokenCount: 40,
      totalTokenCount: 2130,
      cachedContentTokenCount: 2000,
      thoughtsTokenCount: 40,
    });
  });

  it('a blocked Gemini prompt and an Anthropic refusal become content_filter', () => {
    const blocked = translateResponse(
      { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5 } },
      'gemini',
      'openai-chat',
    );
    assert.equal(
      (body(blocked.body).choices as { finish_reason: string }[])[0]?.finish_reason,
      'content_filter',
    );
    const refusal = translateResponse(
      { ...anthropicMessage, content: [{ type: 'text', text: 'No.' }], stop_reason: 'refusal' },
      'anthropic',
      'openai-chat',
    );
    assert.equal(
      (body(refusal.body).choices as { finish_reason: string }[])[0]?.finish_reason,
      'content_filter',
    );
    const long = translateResponse(
      { ...anthropicMessage, content: [{ type: 'text', text: 'cut' }], stop_reason: 'max_tokens' },
      'anthropic',
      'gemini',
    );
    assert.equal((body(long.body).candidates as { finishReason: string }[])[0]?.finishReason, 'MAX_TOKENS');
  });

  it('restores sanitized tool names and custom tool calls from the request tool map', () => {
    const tools = new ToolNameMap('anthropic');
    tools.add('github.create_issue', 'function');
    tools.add('apply_patch', 'custom');
    const ir = anthropicCodec.decodeResponse(
      {
        ...anthropicMessage,
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'github_create_issue', input: { title: 't' } },
          { type: 'tool_use', id: 'toolu_2', name: 'apply_patch', input: { input: '*** Begin Patch\n' } },
        ],
      },
      { tools },
    );
    assert.deepEqual(ir.content, [
      {
        type: 'tool_call',
        id: 'toolu_1',
        name: 'github.create_issue',
        arguments: '{"title":"t"}',
        origin: { provider: 'anthropic' },
      },
      {
        type: 'custom_tool_call',
        id: 'toolu_2',
        name: 'apply_patch',
        input: '*** Begin Patch\n',
        origin: { provider: 'anthropic' },
      },
    ]);
    const o = body(openAiChatCodec.encodeResponse(ir));
    assert.deepEqual((o.choices as { message: { tool_calls: unknown[] } }[])[0]?.message.tool_calls[1], {
      id: 'toolu_2',
      type: 'custom',
      custom: { name: 'apply_patch', input: '*** Begin Patch\n' },
    });
  });

  it('round trips each protocol through the IR', () => {
    const a = anthropicCodec.decodeResponse(
      anthropicCodec.encodeResponse(anthropicCodec.decodeResponse(anthropicMessage)),
    );
    assert.deepEqual(a.content, anthropicCodec.decodeResponse(anthropicMessage).content);
    assert.equal(a.stopReason.kind, 'tool_use');
    const o = openAiChatCodec.decodeResponse(
      openAiChatCodec.encodeResponse(openAiChatCodec.decodeResponse(chatCompletion)),
    );
    assert.deepEqual(o.content, openAiChatCodec.decodeResponse(chatCompletion).content);
    assert.equal(o.usage.cacheReadTokens, 64);
    const g1 = geminiCodec.decodeResponse(geminiResponse);
    const g2 = geminiCodec.decodeResponse(geminiCodec.encodeResponse(g1));
    assert.deepEqual(
      g2.content.map((p) => p.type),
      ['thinking', 'text', 'tool_call'],
    );
    assert.equal(g2.content[2]?.type === 'tool_call' ? g2.content[2].signature : undefined, 'CiQBsig');
    assert.deepEqual(g2.usage.outputTokens, g1.usage.outputTokens);
  });
});
