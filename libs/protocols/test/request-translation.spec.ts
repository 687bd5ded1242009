import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GEMINI_PLACEHOLDER_SIGNATURE,
  anthropicCodec as anthropicRaw,
  geminiCodec as geminiRaw,
  openAiChatCodec as openAiChatRaw,
  translateRequest as translateRequestRaw,
  type IrRequest,
  type ProtocolCodec,
  decodeGeminiCountTokensRequest,
  inlineRemoteMedia,
} from '../src';
import { fixture } from './protocol-test-helpers';

// Encoded bodies are navigated freely in assertions; a wrong path fails the assertion, not the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type O = Record<string, any>;

const loose = <T extends { body: unknown }>(r: T): Omit<T, 'body'> & { body: O } =>
  r as Omit<T, 'body'> & { body: O };
const translateRequest = (...a: Parameters<typeof translateRequestRaw>) => loose(translateRequestRaw(...a));
const typed = (c: ProtocolCodec) => ({
  decodeRequest: (...a: Parameters<ProtocolCodec['decodeRequest']>) => c.decodeRequest(...a),
  encodeRequest: (...a: Parameters<ProtocolCodec['encodeRequest']>) => loose(c.encodeRequest(...a)),
});
const anthropicCodec = typed(anthropicRaw);
const geminiCodec = typed(geminiRaw);
const openAiChatCodec = typed(openAiChatRaw);

describe('OpenAI SDK requests', () => {
  it('text with a system message → Anthropic and Gemini', () => {
    const { body } = fixture('openai-chat-text');
    const a = translateRequest(body, 'openai-chat', 'anthropic', {
      encode: { model: 'claude-sonnet-5-5' },
    }).body;
    assert.equal(a.model, 'claude-sonnet-5-5');
    assert.equal(a.system, 'Be brief.');
    assert.deepEqual(a.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Say hi [acc:openai-chat-text]' }] },
    ]);
    assert.equal(a.max_tokens, 50);
    assert.equal(a.temperature, 0.2);
    assert.equal(a.stream, undefined);

    const g = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-flash' } });
    const gb = g.body;
    assert.equal(gb.model, undefined, 'the Gemini model travels in the URL');
    assert.deepEqual(gb.systemInstruction, { parts: [{ text: 'Be brief.' }] });
    assert.deepEqual(gb.contents, [{ role: 'user', parts: [{ text: 'Say hi [acc:openai-chat-text]' }] }]);
    assert.deepEqual(gb.generationConfig, { temperature: 0.2, maxOutputTokens: 50 });
    assert.equal(g.stream, false);
  });

  it('tool round trip → Anthropic: tool_use with the upstream id, tool_result right after', () => {
    const { body } = fixture('openai-chat-tools-turn1');
    const a = translateRequest(body, 'openai-chat', 'anthropic', {
      encode: { model: 'claude-sonnet-5-5' },
    }).body;
    assert.equal(a.system, 'You are a weather bot.');
    assert.deepEqual(a.messages[1], {
      role: 'assistant',
      content: [
        {
          type: 'tool_use',
          id: 'call_d589c71c04091736220e9a8a',
          name: 'get_weather',
          input: { city: 'Paris', unit: 'celsius' },
        },
      ],
    });
    assert.deepEqual(a.messages[2], {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'call_d589c71c04091736220e9a8a',
          content: '22C and sunny in Paris',
        },
      ],
    });
    assert.deepEqual(a.tools[0].input_schema.required, ['city']);
    assert.equal(a.tools[0].name, 'get_weather');
    assert.ok(a.max_tokens > 0, 'Anthropic requires max_tokens: a default is supplied');
  });

  it('tool round trip → Gemini: functionCall/functionResponse by name, JSON schema as parametersJsonSchema', () => {
    const { body } = fixture('openai-chat-tools-turn1');
    const g = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.contents[1], {
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } },
          thoughtSignature: GEMINI_PLACEHOLDER_SIGNATURE,
        },
      ],
    });
    assert.deepEqual(g.contents[2], {
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { output: '22C and sunny in Paris' } } }],
    });
    assert.equal(g.tools[0].functionDeclarations[0].parametersJsonSchema.type, 'object');
    const legacy = geminiCodec.encodeRequest(openAiChatCodec.decodeRequest(body), {
      model: 'gemini-2.5-flash',
      profile: { geminiSchemaField: 'parameters' },
    }).body;
    assert.ok(legacy.tools[0].functionDeclarations[0].parameters);
  });

  it('stream with include_usage: kept for OpenAI, stream flag for the others', () => {
    const { body } = fixture('openai-chat-stream');
    const ir = openAiChatCodec.decodeRequest(body);
    assert.equal(ir.stream, true);
    assert.equal(ir.includeUsage, true);
    assert.equal(anthropicCodec.encodeRequest(ir).body.stream, true);
    assert.equal(geminiCodec.encodeRequest(ir, { model: 'gemini-2.5-flash' }).stream, true);
    const back = openAiChatCodec.encodeRequest(ir).body;
    assert.deepEqual(back.stream_options, { include_usage: true });
  });
});

describe('Anthropic SDK requests', () => {
  it('text → OpenAI: system first, max_tokens in the field the model needs', () => {
    const { body } = fixture('anthropic-text');
    const o = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-4o' } }).body;
    assert.deepEqual(o.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi [acc:anthropic-messages-text]' },
    ]);
    assert.equal(o.max_completion_tokens, 256);
    assert.equal(o.temperature, 0.3);
    const legacy = translateRequest(body, 'anthropic', 'openai-chat', {
      encode: { model: 'llama3', profile: { maxTokensField: 'max_tokens' } },
    }).body;
    assert.equal(legacy.max_tokens, 256);
  });

  it('system as cached blocks → OpenAI system message and Gemini systemInstruction', () => {
    const { body } = fixture('anthropic-tools-turn0');
    const r = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-5.5' } });
    const o = r.body;
    assert.deepEqual(o.messages[0], { role: 'system', content: 'You are a weather bot.' });
    assert.equal(o.tools[0].type, 'function');
    assert.equal(o.tools[0].function.name, 'get_weather');
    assert.equal(o.stream, true);
    const g = translateRequest(body, 'anthropic', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.systemInstruction, { parts: [{ text: 'You are a weather bot.' }] });
  });

  it('tool_use/tool_result → OpenAI tool_calls and tool message, toolu_ ids kept', () => {
    const { body } = fixture('anthropic-tools-turn1');
    const o = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-5.5' } }).body;
    assert.deepEqual(o.messages[1], {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'toolu_mockf4d4b4a500fac10ae87a301e',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
        },
      ],
    });
    assert.deepEqual(o.messages[2], {
      role: 'tool',
      tool_call_id: 'toolu_mockf4d4b4a500fac10ae87a301e',
      content: '22C and sunny in Paris',
    });
  });

  it('thinking budget → reasoning_effort and Gemini thinkingBudget', () => {
    const { body } = fixture('anthropic-thinking');
    const o = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-5.5' } }).body;
    assert.equal(o.reasoning_effort, 'low');
    assert.equal(o.max_completion_tokens, 4096);
    const g = translateRequest(body, 'anthropic', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.generationConfig.thinkingConfig, { thinkingBudget: 2048, includeThoughts: true });
    const g3 = translateRequest(body, 'anthropic', 'gemini', { encode: { model: 'gemini-3-pro' } }).body;
    assert.deepEqual(g3.generationConfig.thinkingConfig, { thinkingLevel: 'LOW', includeThoughts: true });
    const noReasoning = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-4o' } });
    assert.equal(noReasoning.body.reasoning_effort, undefined);
    assert.ok(noReasoning.dropped.includes('reasoning'));
  });
});

describe('Claude Code requests', () => {
  const { body } = fixture('claude-code-turn2');

  it('decodes system blocks, the mid-conversation system message, thinking, effort and tools', () => {
    const ir = anthropicCodec.decodeRequest(body);
    assert.equal(ir.system.length, 3);
    assert.equal(ir.system[1]?.cacheControl?.type, 'ephemeral');
    assert.deepEqual(
      ir.messages.map((m) => m.role),
      ['user', 'system', 'assistant', 'tool', 'assistant', 'tool'],
    );
    assert.deepEqual(ir.reasoning, { mode: 'adaptive', effort: 'medium', display: 'omitted' });
    assert.equal(ir.maxOutputTokens, 128000);
    assert.ok(ir.user?.startsWith('{"device_id"'));
    assert.deepEqual(Object.keys(ir.extras.native.anthropic ?? {}), ['context_management']);
    const deferred = ir.tools.find((t) => t.name === 'DeferredToolPlaceholder');
    assert.equal(deferred?.type === 'function' && deferred.deferLoading, true);
    const lastResult = ir.messages[5]?.content[0];
    assert.equal(lastResult?.type === 'tool_result' && lastResult.cacheControl?.type, 'ephemeral');
  });

  it('→ OpenAI (GPT model): ordered messages, tools cleaned, effort, clamped limit, compact user id', () => {
    const r = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-5.5' } });
    const o = r.body;
    assert.deepEqual(
      o.messages.map((m: O) => String(m.role)),
      ['system', 'user', 'system', 'assistant', 'tool', 'assistant', 'tool'],
    );
    assert.ok(o.messages[0].content.startsWith('x-anthropic-billing-header'));
    assert.ok(o.messages[0].content.includes('You are a Claude agent'));
    assert.ok(
      o.messages[1].content.endsWith('create a file hello.txt containing hi [acc:claude-code-native]'),
    );
    assert.ok(o.messages[2].content.startsWith('# Environment'));
    assert.equal(o.messages[3].content, "I'll create the file.");
    assert.equal(o.messages[3].tool_calls[0].function.name, 'Write');
    assert.equal(o.messages[4].tool_call_id, o.messages[3].tool_calls[0].id);
    assert.equal(o.messages[6].content, 'hi');
    assert.equal(o.reasoning_effort, 'medium');
    assert.equal(o.max_completion_tokens, 128000);
    assert.equal(o.temperature, undefined);
    assert.equal(o.user, 'aa4e183d26e0909b2d94f8f7f9b41d4e5b686a7b9b2d9f035d9634e756c14bec');
    assert.deepEqual(o.stream_options, { include_usage: true });
    assert.equal(o.tools.length, 5);
    for (const t of o.tools) assert.equal(t.function.parameters.$schema, undefined);
    assert.ok(r.dropped.includes('context_management'));
    assert.ok(r.dropped.includes('tools.DeferredToolPlaceholder.defer_loading'));

    const small = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-4o' } });
    assert.equal(small.body.max_completion_tokens, 16384);
    assert.ok(small.dropped.some((d) => d.startsWith('max_tokens (clamped 128000')));
  });

  it('→ Gemini: one system instruction, mid-conversation system folded into the user turn, calls paired by name', () => {
    const g = translateRequest(body, 'anthropic', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.equal(g.systemInstruction.parts.length, 3);
    assert.deepEqual(
      g.contents.map((c: O) => String(c.role)),
      ['user', 'model', 'user', 'model', 'user'],
    );
    assert.ok(g.contents[0].parts[3].text.startsWith('<system>\n# Environment'));
    assert.equal(g.contents[1].parts[1].functionCall.name, 'Write');
    assert.equal(g.contents[2].parts[0].functionResponse.name, 'Write');
    assert.deepEqual(g.contents[4].parts[0].functionResponse, { name: 'Bash', response: { output: 'hi' } });
    assert.equal(g.generationConfig.maxOutputTokens, 65536);
    assert.deepEqual(g.generationConfig.thinkingConfig, { thinkingBudget: 8192 });
  });

  it('→ Anthropic again: thinking is turned off for a tool loop that has no thinking block to replay', () => {
    const r = translateRequest(body, 'anthropic', 'anthropic', { encode: { model: 'claude-sonnet-5-5' } });
    const a = r.body;
    // The last assistant turn calls a tool but has no thinking block to replay: thinking must be off.
    assert.equal(a.thinking, undefined);
    assert.ok(r.dropped.some((d) => d.startsWith('thinking')));
    // Its clear_thinking edit would be a 400 without thinking: dropped with it.
    assert.equal(a.context_management, undefined);
    assert.ok(r.dropped.includes('context_management.edits (clear_thinking, thinking off)'));
    // The first turn (no tool loop yet) keeps adaptive thinking, effort and the edit.
    const first = translateRequest(
      { ...body, messages: (body.messages as unknown[]).slice(0, 1) },
      'anthropic',
      'anthropic',
      {
        encode: { model: 'claude-sonnet-5-5' },
      },
    ).body;
    assert.deepEqual(first.thinking, { type: 'adaptive', display: 'omitted' });
    assert.deepEqual(first.output_config, { effort: 'medium' });
    assert.deepEqual(first.context_management, { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] });
    assert.equal(a.max_tokens, 128000);
    assert.equal(a.system.length, 3);
    assert.equal(a.messages[0].content.at(-1).text.startsWith('<system>'), true);
    assert.deepEqual(a.messages.at(-1).content[0].cache_control, { type: 'ephemeral' });
  });
});

describe('Google GenAI requests', () => {
  it('text → OpenAI and Anthropic', () => {
    const f = fixture('gemini-text');
    const ctx = { decode: { model: f.model ?? '' } };
    const o = translateRequest(f.body, 'gemini', 'openai-chat', { ...ctx, encode: { model: 'gpt-4o' } }).body;
    assert.deepEqual(o.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi [acc:gemini-generate-text]' },
    ]);
    assert.equal(o.temperature, 0.2);
    assert.equal(o.max_completion_tokens, 100);
    const a = translateRequest(f.body, 'gemini', 'anthropic', {
      ...ctx,
      encode: { model: 'claude-sonnet-5-5' },
    }).body;
    assert.equal(a.system, 'Be brief.');
    assert.equal(a.max_tokens, 100);
  });

  it('functionCall without id → a made-up id that pairs the call with its result', () => {
    const f = fixture('gemini-tools-turn1');
    const r = translateRequest(f.body, 'gemini', 'openai-chat', {
      decode: { model: f.model ?? '' },
      encode: { model: 'gpt-5.5' },
    });
    const o = r.body;
    const call = o.messages[1].tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    assert.equal(call.function.arguments, '{"city":"Paris","unit":"celsius"}');
    assert.deepEqual(o.messages[2], {
      role: 'tool',
      tool_call_id: call.id,
      content: '22C and sunny in Paris',
    });
    const a = translateRequest(f.body, 'gemini', 'anthropic', {
      decode: { model: f.model ?? '' },
      encode: { model: 'claude-sonnet-5-5' },
    }).body;
    assert.equal(a.messages[2].content[0].tool_use_id, a.messages[1].content[0].id);
    // Round trip to Gemini: the made-up id is not sent back.
    const g = geminiCodec.encodeRequest(r.ir, { model: 'gemini-2.5-flash' }).body;
    assert.equal(g.contents[1].parts[0].functionCall.id, undefined);
    assert.equal(g.contents[2].parts[0].functionResponse.id, undefined);
  });
});

describe('mapping rules', () => {
  const base = (over: Partial<IrRequest>): IrRequest => ({
    model: 'm',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    tools: [],
    sampling: {},
    stream: false,
    extras: { native: {}, dropped: [] },
    ...over,
  });

  it('sanitizes tool names for Anthropic and restores them from the map', () => {
    const body = {
      model: 'gpt-5.5',
      messages: [
        { role: 'user', content: 'open an issue' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'github.create_issue', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'done' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'github.create_issue', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'github.create_issue' } },
      parallel_tool_calls: false,
    };
    const r = translateRequest(body, 'openai-chat', 'anthropic', { encode: { model: 'claude-sonnet-5-5' } });
    const a = r.body;
    assert.equal(a.tools[0].name, 'github_create_issue');
    assert.equal(a.messages[1].content[0].name, 'github_create_issue');
    assert.deepEqual(a.tool_choice, {
      type: 'tool',
      name: 'github_create_issue',
      disable_parallel_tool_use: true,
    });
    assert.equal(r.tools.toOriginal('github_create_issue'), 'github.create_issue');
  });

  it('maps tool_choice both ways', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    const msgs = [{ role: 'user', content: 'x' }];
    const pick = (tc: unknown, to: 'anthropic' | 'gemini'): unknown => {
      const b = translateRequest(
        { model: 'gpt-5.5', messages: msgs, tools, tool_choice: tc },
        'openai-chat',
        to,
        { encode: { model: to === 'gemini' ? 'gemini-2.5-flash' : 'claude-x' } },
      ).body;
      return to === 'anthropic' ? b.tool_choice : b.toolConfig?.functionCallingConfig;
    };
    assert.deepEqual(pick('auto', 'anthropic'), { type: 'auto' });
    assert.deepEqual(pick('required', 'anthropic'), { type: 'any' });
    assert.deepEqual(pick('none', 'anthropic'), { type: 'none' });
    assert.deepEqual(pick('required', 'gemini'), { mode: 'ANY' });
    assert.deepEqual(pick({ type: 'function', function: { name: 'f' } }, 'gemini'), {
      mode: 'ANY',
      allowedFunctionNames: ['f'],
    });
    const back = translateRequest(
      {
        model: 'claude',
        max_tokens: 5,
        messages: msgs,
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
      'anthropic',
      'openai-chat',
    ).body;
    assert.equal(back.tool_choice, 'required');
    assert.equal(back.parallel_tool_calls, false);
  });

  it('custom/freeform tools travel to Anthropic as a one-string function and back', () => {
    const ir = base({
      tools: [
        {
          type: 'custom',
          name: 'apply_patch',
          description: 'Patch files',
          format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' },
        },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'patch it' }] },
        {
          role: 'assistant',
          content: [
            {
              type: 'custom_tool_call',
              id: 'call_9',
              name: 'apply_patch',
              input: '*** Begin Patch\n*** End Patch\n',
            },
          ],
        },
        {
          role: 'tool',
          content: [{ type: 'tool_result', callId: 'call_9', content: 'Success', custom: true }],
        },
      ],
    });
    const r = anthropicCodec.encodeRequest(ir, { model: 'claude-x' });
    const a = r.body;
    assert.deepEqual(a.tools[0].input_schema.required, ['input']);
    assert.ok(a.tools[0].description.includes('start: "x"'));
    assert.deepEqual(a.messages[1].content[0].input, { input: '*** Begin Patch\n*** End Patch\n' });
    assert.equal(r.tools.kindOfWire('apply_patch'), 'custom');
    const o = openAiChatCodec.encodeRequest(ir, { model: 'gpt-5.5' }).body;
    assert.deepEqual(o.tools[0], {
      type: 'custom',
      custom: {
        name: 'apply_patch',
        description: 'Patch files',
        format: { type: 'grammar', grammar: { syntax: 'lark', definition: 'start: "x"' } },
      },
    });
    assert.deepEqual(o.messages[1].tool_calls[0], {
      id: 'call_9',
      type: 'custom',
      custom: { name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' },
    });
  });

  it('Anthropic ordering repairs: orphan calls get an error result, orphan results become text, empty text dropped', () => {
    const ir = base({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: '' },
            { type: 'tool_call', id: 'a', name: 'f', arguments: '{}' },
            { type: 'tool_call', id: 'b', name: 'f', arguments: '{}' },
          ],
        },
        {
          role: 'tool',
          content: [
            { type: 'tool_result', callId: 'a', content: 'ok' },
            { type: 'tool_result', callId: 'zzz', content: 'stray' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'and?' }] },
      ],
    });
    const a = anthropicCodec.encodeRequest(ir, { model: 'claude-x' }).body;
    assert.deepEqual(
      a.messages[1].content.map((b: O) => String(b.type)),
      ['tool_use', 'tool_use'],
    );
    assert.deepEqual(a.messages[2].content, [
      {
        type: 'tool_result',
        tool_use_id: 'b',
        content: 'No result was recorded for this tool call.',
        is_error: true,
      },
      { type: 'tool_result', tool_use_id: 'a', content: 'ok' },
      { type: 'text', text: '[tool result zzz]\nstray' },
      { type: 'text', text: 'and?' },
    ]);
  });

  it('tool results: is_error and content arrays with images, to every target', () => {
    const body = {
      model: 'claude-x',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'look' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'here you go' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              is_error: true,
              content: [
                { type: 'text', text: 'partial' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
              ],
            },
          ],
        },
      ],
      tools: [{ name: 'shot', input_schema: { type: 'object' } }],
    };
    const o = translateRequest(body, 'anthropic', 'openai-chat', { encode: { model: 'gpt-5.5' } }).body;
    assert.deepEqual(
      o.messages.map((m: O) => String(m.role)),
      ['user', 'assistant', 'tool', 'user', 'user'],
    );
    assert.deepEqual(o.messages[2], { role: 'tool', tool_call_id: 'toolu_1', content: 'Error: partial' });
    assert.deepEqual(o.messages[3].content[1], {
      type: 'image_url',
      image_url: { url: 'data:image/png;base64,iVBOR' },
    });
    assert.equal(o.messages[4].content, 'here you go');
    const g = translateRequest(body, 'anthropic', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.contents[2].parts, [
      { functionResponse: { name: 'shot', response: { error: 'partial' } } },
      { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
      { text: 'here you go' },
    ]);
  });

  it('images: data URLs become base64, http URLs stay URLs', () => {
    const body = {
      model: 'gpt-5.5',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'compare' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
          ],
        },
      ],
    };
    const a = translateRequest(body, 'openai-chat', 'anthropic').body;
    assert.deepEqual(a.messages[0].content.slice(1), [
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
    ]);
    const g = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.contents[0].parts.slice(1), [
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.png' } },
    ]);
    const back = openAiChatCodec.encodeRequest(anthropicCodec.decodeRequest(a)).body;
    assert.equal(back.messages[0].content[1].image_url.url, 'data:image/jpeg;base64,/9j/4AAQ');
  });

  it('thinking signatures are replayed only to their own provider', () => {
    const ir = base({
      reasoning: { mode: 'enabled', budgetTokens: 2048 },
      maxOutputTokens: 4096,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'hmm', signature: 'sig-anthropic', origin: { provider: 'anthropic' } },
            { type: 'thinking', text: 'gem', signature: 'sig-gemini', origin: { provider: 'gemini' } },
            { type: 'tool_call', id: 't1', name: 'f', arguments: '{}' },
          ],
        },
        { role: 'tool', content: [{ type: 'tool_result', callId: 't1', content: 'r' }] },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
    });
    const a = anthropicCodec.encodeRequest(ir, { model: 'claude-sonnet-4-5' }).body;
    assert.deepEqual(a.messages[1].content[0], {
      type: 'thinking',
      thinking: 'hmm',
      signature: 'sig-anthropic',
    });
    assert.equal(a.messages[1].content.length, 2);
    assert.deepEqual(a.thinking, { type: 'enabled', budget_tokens: 2048 });
    const g = geminiCodec.encodeRequest(ir, { model: 'gemini-2.5-flash' }).body;
    assert.deepEqual(g.contents[1].parts[0], { text: 'gem', thought: true, thoughtSignature: 'sig-gemini' });
    assert.equal(g.contents[1].parts.length, 2);
  });

  it('Anthropic thinking rules: temperature dropped, forced tool choice relaxed, budget below max_tokens', () => {
    const ir = base({
      reasoning: { mode: 'enabled', budgetTokens: 8000 },
      maxOutputTokens: 4000,
      sampling: { temperature: 0.5, topP: 0.5 },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      toolChoice: { type: 'required' },
    });
    const r = anthropicCodec.encodeRequest(ir, { model: 'claude-sonnet-4-5' });
    const a = r.body;
    assert.equal(a.temperature, undefined);
    assert.equal(a.top_p, undefined);
    assert.deepEqual(a.tool_choice, { type: 'auto' });
    assert.ok(a.thinking.budget_tokens < a.max_tokens);
    assert.deepEqual(a.thinking, { type: 'enabled', budget_tokens: 8000 });
    assert.equal(a.max_tokens, 9024);
    const adaptive = anthropicCodec.encodeRequest(base({ reasoning: { mode: 'enabled', effort: 'high' } }), {
      model: 'claude-opus-5',
    }).body;
    assert.deepEqual(adaptive.thinking, { type: 'adaptive' });
    assert.deepEqual(adaptive.output_config, { effort: 'high' });
  });

  it('stop sequences and response formats', () => {
    const body = {
      model: 'gpt-5.5',
      messages: [{ role: 'user', content: 'x' }],
      stop: ['END', 'STOP'],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'r',
          schema: { $schema: 'x', type: 'object', properties: { a: { type: 'string' } } },
        },
      },
    };
    const a = translateRequest(body, 'openai-chat', 'anthropic').body;
    assert.deepEqual(a.stop_sequences, ['END', 'STOP']);
    assert.deepEqual(a.output_config.format, {
      type: 'json_schema',
      schema: { type: 'object', properties: { a: { type: 'string' } } },
    });
    const g = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-flash' } }).body;
    assert.deepEqual(g.generationConfig.stopSequences, ['END', 'STOP']);
    assert.equal(g.generationConfig.responseMimeType, 'application/json');
    assert.deepEqual(g.generationConfig.responseJsonSchema, {
      type: 'object',
      properties: { a: { type: 'string' } },
    });
  });

  it('developer messages stay developer only for models that take them; Gemini schema field per profile', () => {
    const ir = base({ system: [{ role: 'developer', text: 'You are Codex.' }] });
    assert.equal(
      (openAiChatCodec.encodeRequest(ir, { model: 'gpt-5.5' }).body.messages as O[])[0]?.role,
      'developer',
    );
    assert.equal(
      (openAiChatCodec.encodeRequest(ir, { model: 'qwen3-coder' }).body.messages as O[])[0]?.role,
      'system',
    );
    const withTool = base({
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', additionalProperties: false } }],
    });
    const legacy = geminiCodec.encodeRequest(withTool, {
      model: 'gemini-x',
      profile: { geminiSchemaField: 'parameters' },
    }).body;
    assert.deepEqual(legacy.tools[0].functionDeclarations[0].parameters, { type: 'object' });
  });

  it('drops image types Anthropic rejects instead of failing the request', () => {
    const ir = base({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'see' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/bmp', data: 'Qk0' } },
          ],
        },
      ],
    });
    const r = anthropicCodec.encodeRequest(ir, { model: 'claude-x' });
    assert.deepEqual(r.body.messages[0].content, [{ type: 'text', text: 'see' }]);
    assert.ok(r.dropped.includes('messages[0].image(image/bmp)'));
  });

  it('Gemini countTokens bodies, with or without generateContentRequest, and a string systemInstruction', () => {
    const plain = decodeGeminiCountTokensRequest(
      { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      { model: 'gemini-2.5-flash' },
    );
    assert.equal(plain.messages.length, 1);
    const wrapped = decodeGeminiCountTokensRequest(
      {
        generateContentRequest: {
          model: 'models/gemini-2.5-flash',
          systemInstruction: 'Be brief.',
          contents: [{ parts: [{ text: 'hi' }] }],
        },
      },
      {},
    );
    assert.equal(wrapped.model, 'gemini-2.5-flash');
    assert.deepEqual(wrapped.system, [{ role: 'system', text: 'Be brief.' }]);
  });

  it('OpenAI-only fields go to OpenAI models only; strict compatible servers get none of them', () => {
    const ir = base({
      reasoning: { mode: 'enabled', effort: 'high' },
      promptCacheKey: 'session-1',
      verbosity: 'low',
      metadata: { a: 'b' },
    });
    const gpt = openAiChatCodec.encodeRequest(ir, { model: 'gpt-5.5' });
    assert.equal(gpt.body.reasoning_effort, 'high');
    assert.equal(gpt.body.prompt_cache_key, 'session-1');
    assert.equal(gpt.body.verbosity, 'low');
    assert.equal(gpt.body.metadata, undefined, 'metadata needs store: true');
    const llama = openAiChatCodec.encodeRequest(ir, { model: 'llama-3.3-70b-versatile' });
    for (const k of ['reasoning_effort', 'prompt_cache_key', 'verbosity', 'metadata'])
      assert.equal(llama.body[k], undefined, k);
    assert.deepEqual(llama.dropped.sort(), ['metadata', 'prompt_cache_key', 'reasoning', 'verbosity']);
    const own = openAiChatCodec.encodeRequest(ir, { model: 'qwq-32b', profile: { reasoning: true } });
    assert.equal(own.body.reasoning_effort, 'high', 'an operator rule can declare a reasoning model');
  });

  it('round trips keep the IR: decode → encode → decode', () => {
    const cases: [string, typeof anthropicCodec, string?][] = [
      ['openai-chat-tools-turn1', openAiChatCodec],
      ['anthropic-tools-turn1', anthropicCodec],
      ['claude-code-turn2', anthropicCodec],
      ['gemini-tools-turn1', geminiCodec, 'gemini-2.5-flash'],
    ];
    for (const [name, codec, model] of cases) {
      const f = fixture(name);
      const ctx = model ? { model } : {};
      const ir1 = codec.decodeRequest(f.body, ctx);
      const ir2 = codec.decodeRequest(codec.encodeRequest(ir1, { model: model ?? ir1.model }).body, ctx);
      const strip = (ir: IrRequest): unknown =>
        JSON.parse(
          JSON.stringify({ ...ir, extras: undefined }, (k, v: unknown) =>
            k === 'id' ||
            k === 'callId' ||
            k === 'parameters' ||
            k === 'thoughtSignature' ||
            k === 'signature'
              ? undefined
              : v,
          ),
        );
      if (name === 'claude-code-turn2') {
        // The mid-conversation system message is folded into user text for Anthropic without the beta.
        assert.deepEqual(
          ir2.messages.map((m) => m.role),
          ['user', 'assistant', 'tool', 'assistant', 'tool'],
        );
        assert.deepEqual(
          ir2.tools.map((t) => t.name),
          ir1.tools.map((t) => t.name),
        );
      } else assert.deepEqual(strip(ir2), strip(ir1), name);
    }
  });
});

describe('inlining remote media for targets that cannot fetch it', () => {
  it('fetches each URL once, swaps it for base64, keeps failures as URLs', async () => {
    const body = {
      model: 'gpt-5.5',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'image_url', image_url: { url: 'https://example.com/missing.png' } },
          ],
        },
      ],
    };
    const ir = openAiChatRaw.decodeRequest(body);
    const seen: string[] = [];
    const inlined = await inlineRemoteMedia(ir, (url) => {
      seen.push(url);
      return url.includes('missing')
        ? Promise.reject(new Error('404'))
        : Promise.resolve({ mediaType: 'image/png', data: 'iVBOR' });
    });
    assert.deepEqual(seen.sort(), ['https://example.com/a.png', 'https://example.com/missing.png']);
    const g = geminiCodec.encodeRequest(inlined, { model: 'gemini-2.5-flash' }).body;
    assert.deepEqual(g.contents[0].parts, [
      { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
      { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/missing.png' } },
    ]);
    assert.equal(
      (ir.messages[0]?.content[0] as { source: { kind: string } }).source.kind,
      'url',
      'input IR untouched',
    );
  });
});

describe('models that cannot turn thinking off', () => {
  it('Gemini 2.5 Pro gets no thinkingBudget 0 when the client asks for no reasoning', () => {
    const body = { model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'none' };
    const pro = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-pro' } });
    assert.equal(pro.body.generationConfig?.thinkingConfig, undefined);
    assert.ok(pro.dropped.some((d) => d.startsWith('reasoning')));
    const flash = translateRequest(body, 'openai-chat', 'gemini', { encode: { model: 'gemini-2.5-flash' } });
    assert.deepEqual(flash.body.generationConfig.thinkingConfig, { thinkingBudget: 0 });
  });
});
