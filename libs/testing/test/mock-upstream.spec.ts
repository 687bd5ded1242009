import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { lastToolResult, MockUpstream, toolResults, type RecordedRequest } from '../src/mock-upstream/index';

// The official SDKs parse the mock's answers: if the mock's wire format drifts from the real providers',
// these tests fail in the SDKs' own validation, not in hand-written expectations.

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

void describe('MockUpstream', () => {
  let mock: MockUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let gemini: GoogleGenAI;

  before(async () => {
    mock = await MockUpstream.start();
    openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
    gemini = new GoogleGenAI({ apiKey: 'g-test', httpOptions: { baseUrl: mock.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await mock.close();
  });
  beforeEach(() => mock.reset());

  void describe('OpenAI Chat Completions', () => {
    void it('echoes the last user text by default and records the request', async () => {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hi to Ada' },
        ],
      });
      assert.equal(completion.choices[0]?.message.content, 'Say hi to Ada');
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.equal(completion.model, 'gpt-4o-mini');
      assert.match(completion.id, /^chatcmpl-/);
      const recorded = mock.lastRequest()!;
      assert.equal(recorded.path, '/v1/chat/completions');
      assert.equal(recorded.protocol, 'openai-chat');
      assert.equal(recorded.headers.authorization, 'Bearer sk-test');
      assert.equal((recorded.body as { model: string }).model, 'gpt-4o-mini');
    });

    void it('streams text chunks and the usage chunk when include_usage is set', async () => {
      mock.enqueue({
        text: 'Hello there, friend',
        chunks: 3,
        usage: { inputTokens: 40, outputTokens: 5, cacheReadTokens: 32 },
      });
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const pieces: string[] = [];
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta.content) pieces.push(choice.delta.content);
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.deepEqual(pieces, ['Hello ', 'there,', ' friend']);
      assert.equal(finish, 'stop');
      assert.equal(usage?.prompt_tokens, 40);
      assert.equal(usage?.completion_tokens, 5);
      assert.equal(usage?.total_tokens, 45);
      assert.equal(usage?.prompt_tokens_details?.cached_tokens, 32);
      const frames = mock.lastRequest()!.writes.map((w) => w.data);
      assert.equal(frames[frames.length - 1], 'data: [DONE]\n\n');
    });

    void it('streams parallel tool calls that the SDK stream helper accumulates', async () => {
      mock.enqueue({
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Tokyo', unit: 'C' }, id: 'call_fixed' },
        ],
        argumentChunks: 4,
      });
      const stream = openai.chat.completions.stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [weatherTool],
      });
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      const calls = choice.message.tool_calls ?? [];
      assert.equal(calls.length, 2);
      const [first, second] = calls.map((c) =>
        c.type === 'function' ? c : assert.fail('not a function call'),
      );
      assert.match(first!.id, /^call_/);
      assert.deepEqual(JSON.parse(first!.function.arguments), { city: 'Paris' });
      assert.equal(second!.id, 'call_fixed');
      assert.deepEqual(JSON.parse(second!.function.arguments), { city: 'Tokyo', unit: 'C' });
    });

    void it('answers a scripted error with the status, OpenAI error shape and retry-after', async () => {
      mock.enqueue({ error: { status: 429, retryAfterSeconds: 7 } });
      const error = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .then(() => assert.fail('expected an error'))
        .catch((e: unknown) => e);
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.status, 429);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(error.headers.get('retry-after'), '7');
      assert.match(error.headers.get('x-request-id') ?? '', /^req_/);
    });

    void it('serves embeddings as floats and as base64 float32, decoded alike by the SDK', async () => {
      const viaSdk = await openai.embeddings.create({
        model: 'text-embedding-3-small',
        input: ['alpha', 'beta'],
      });
      assert.equal(
        mock.lastRequest()!.body && (mock.lastRequest()!.body as { encoding_format: string }).encoding_format,
        'base64',
      );
      const raw = await fetch(`${mock.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'text-embedding-3-small',
          input: ['alpha', 'beta'],
          encoding_format: 'float',
        }),
      });
      const floats = (await raw.json()) as { data: { embedding: number[] }[] };
      assert.equal(viaSdk.data.length, 2);
      assert.deepEqual(viaSdk.data[0]!.embedding, floats.data[0]!.embedding);
      assert.notDeepEqual(viaSdk.data[0]!.embedding, viaSdk.data[1]!.embedding);
      assert.equal(floats.data[0]!.embedding.length, 16);
    });

    void it('lists models', async () => {
      const page = await openai.models.list();
      assert.ok(page.data.some((m) => m.id === 'gpt-4o-mini'));
    });
  });

  void describe('OpenAI Responses', () => {
    void it('answers text without streaming', async () => {
      mock.enqueue({ text: 'Plain answer', usage: { inputTokens: 11, outputTokens: 2 } });
      const response = await openai.responses.create({
        model: 'gpt-5.5',
        input: 'hello',
        instructions: 'Be brief.',
      });
      assert.equal(response.output_text, 'Plain answer');
      assert.equal(response.status, 'completed');
      assert.match(response.id, /^resp_/);
      assert.equal(response.instructions, 'Be brief.');
      assert.equal(response.usage?.input_tokens, 11);
      assert.equal(response.usage?.total_tokens, 13);
    });

    void it('streams the full event sequence for reasoning, text and function calls', async () => {
      mock.enqueue({
        thinking: { text: 'Need the weather', signature: 'enc-sig' },
        text: 'Checking both.',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Rome' } },
        ],
        usage: { inputTokens: 100, outputTokens: 30, cacheReadTokens: 60, reasoningTokens: 12 },
      });
      const stream = openai.responses.stream({
        model: 'gpt-5.5',
        input: [{ role: 'user', content: 'weather?' }],
      });
      const events: { type: string; sequence_number: number }[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();

      const types = events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
      assert.equal(types[types.length - 1], 'response.completed');
      assert.deepEqual(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
      );
      const messageStart = types.indexOf('response.content_part.added');
      assert.deepEqual(types.slice(messageStart - 1, messageStart + 1), [
        'response.output_item.added',
        'response.content_part.added',
      ]);
      assert.ok(types.includes('response.output_text.done'));
      assert.ok(types.includes('response.content_part.done'));
      assert.equal(types.filter((t) => t === 'response.function_call_arguments.done').length, 2);
      assert.equal(types.filter((t) => t === 'response.output_item.done').length, 4);

      assert.deepEqual(
        final.output.map((item) => item.type),
        ['reasoning', 'message', 'function_call', 'function_call'],
      );
      const reasoning = final.output[0]!;
      assert.equal(reasoning.type === 'reasoning' ? reasoning.encrypted_content : undefined, 'enc-sig');
      const calls = final.output.filter((item) => item.type === 'function_call');
      assert.deepEqual(
        calls.map((c) => JSON.parse(c.arguments) as unknown),
        [{ city: 'Paris' }, { city: 'Rome' }],
      );
      assert.ok(calls.every((c) => c.id!.startsWith('fc_') && c.call_id.startsWith('call_')));
      assert.equal(final.output_text, 'Checking both.');
      assert.equal(final.usage?.input_tokens_details.cached_tokens, 60);
      assert.equal(final.usage?.output_tokens_details.reasoning_tokens, 12);
    });

    void it('streams custom (freeform) tool calls with their raw input', async () => {
      const patch = '*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n';
      mock.enqueue({ toolCalls: [{ type: 'custom', name: 'apply_patch', input: patch }] });
      const stream = openai.responses.stream({ model: 'gpt-5.5', input: 'patch it' });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      const final = await stream.finalResponse();
      assert.ok(types.includes('response.custom_tool_call_input.delta'));
      assert.ok(types.includes('response.custom_tool_call_input.done'));
      const item = final.output[0]!;
      assert.equal(item.type, 'custom_tool_call');
      assert.equal(item.type === 'custom_tool_call' ? item.input : '', patch);
      assert.match(item.id ?? '', /^ctc_/);
    });

    void it('ends a stream with error and response.failed on a mid-stream error', async () => {
      mock.enqueue({ text: 'one two three four', error: { status: 500, midStream: true } });
      const stream = await openai.responses.create({ model: 'gpt-5.5', input: 'hi', stream: true });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const types = events.map((e) => e.type);
      assert.ok(types.includes('response.output_text.delta'));
      assert.ok(!types.includes('response.output_text.done'));
      assert.deepEqual(types.slice(-2), ['error', 'response.failed']);
      const failed = events[events.length - 1]!;
      assert.equal(failed.type === 'response.failed' ? failed.response.status : '', 'failed');
      assert.equal(failed.type === 'response.failed' ? failed.response.error?.code : '', 'server_error');
      assert.equal(
        failed.type === 'response.failed' ? failed.response.id : '',
        (events[0] as { response: { id: string } }).response.id,
      );
      assert.deepEqual(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
      );
    });
  });

  void describe('Anthropic Messages', () => {
    void it('answers text with Anthropic usage (cache counts outside input_tokens)', async () => {
      mock.enqueue({
        text: 'Bonjour',
        usage: { inputTokens: 100, outputTokens: 3, cacheReadTokens: 70, cacheWriteTokens: 10 },
      });
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.match(message.id, /^msg_/);
      assert.equal(message.model, 'claude-sonnet-4-5');
      assert.deepEqual(
        message.content.map((b) => (b.type === 'text' ? b.text : b.type)),
        ['Bonjour'],
      );
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.usage.input_tokens, 20);
      assert.equal(message.usage.cache_read_input_tokens, 70);
      assert.equal(message.usage.cache_creation_input_tokens, 10);
      assert.equal(message.usage.output_tokens, 3);
    });

    void it('streams thinking with its signature, text and parallel tool_use blocks', async () => {
      mock.enqueue({
        thinking: { text: 'Two cities, two calls.', signature: 'sig-abc' },
        text: 'Let me check.',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Oslo', days: [1, 2] } },
        ],
        usage: { inputTokens: 50, outputTokens: 40 },
      });
      const stream = anthropic.messages.stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'weather?' }],
      });
      const eventTypes: string[] = [];
      stream.on('streamEvent', (event) => eventTypes.push(event.type));
      const message = await stream.finalMessage();
      assert.equal(eventTypes[0], 'message_start');
      assert.equal(eventTypes[eventTypes.length - 1], 'message_stop');
      assert.equal(message.stop_reason, 'tool_use');
      assert.equal(message.usage.output_tokens, 40);
      const [thinking, text, call1, call2] = message.content;
      assert.equal(
        thinking?.type === 'thinking' ? [thinking.thinking, thinking.signature].join('|') : '',
        'Two cities, two calls.|sig-abc',
      );
      assert.equal(text?.type === 'text' ? text.text : '', 'Let me check.');
      assert.equal(call1?.type === 'tool_use' ? JSON.stringify(call1.input) : '', '{"city":"Paris"}');
      assert.equal(
        call2?.type === 'tool_use' ? JSON.stringify(call2.input) : '',
        '{"city":"Oslo","days":[1,2]}',
      );
      assert.match(call1?.type === 'tool_use' ? call1.id : '', /^toolu_/);
      const frames = mock.lastRequest()!.writes.map((w) => w.data);
      assert.ok(frames.some((f) => f.startsWith('event: ping\n')));
      assert.ok(frames.some((f) => f.includes('"signature_delta"')));
      assert.ok(frames.every((f) => /^event: [a-z_]+\ndata: /.test(f)));
    });

    void it('answers an overloaded error in the Anthropic shape', async () => {
      mock.enqueue({ error: { status: 529 } });
      const error = await anthropic.messages
        .create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .then(() => assert.fail('expected an error'))
        .catch((e: unknown) => e);
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 529);
      assert.deepEqual((error.error as { error: unknown }).error, {
        type: 'overloaded_error',
        message: 'Overloaded',
      });
      assert.match(error.requestID ?? '', /^req_/);
    });

    void it('counts tokens', async () => {
      mock.enqueueFor({ endpoint: 'count-tokens' }, { tokenCount: 1234 });
      const counted = await anthropic.messages.countTokens({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(counted.input_tokens, 1234);
    });
  });

  void describe('Gemini', () => {
    void it('answers generateContent on v1beta and the SDK default v1 path', async () => {
      mock.enqueue({ text: 'Ciao', usage: { inputTokens: 9, outputTokens: 1 } });
      const response = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
      assert.equal(response.text, 'Ciao');
      assert.equal(response.usageMetadata?.promptTokenCount, 9);
      assert.equal(mock.lastRequest()!.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(mock.lastRequest()!.headers['x-goog-api-key'], 'g-test');

      const v1 = new GoogleGenAI({ apiKey: 'g-test', httpOptions: { baseUrl: mock.url } });
      const echoed = await v1.models.generateContent({ model: 'gemini-2.5-pro', contents: 'echo me' });
      assert.equal(echoed.text, 'echo me');
      assert.match(mock.lastRequest()!.path, /^\/v1(beta)?\/models\/gemini-2.5-pro:generateContent$/);
      assert.equal(mock.lastRequest()!.model, 'gemini-2.5-pro');
    });

    void it('streams thoughts, text and parallel function calls over SSE', async () => {
      mock.enqueue({
        thinking: { text: 'thinking hard', signature: 'c2lnbmF0dXJl' },
        text: 'Calling tools now',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_time', arguments: { tz: 'CET' } },
        ],
        usage: { inputTokens: 20, outputTokens: 15, reasoningTokens: 5 },
      });
      const stream = await gemini.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'go',
        config: { thinkingConfig: { includeThoughts: true } },
      });
      let text = '';
      let thoughts = '';
      const calls: { name?: string; args?: Record<string, unknown> }[] = [];
      let last: Awaited<ReturnType<typeof gemini.models.generateContent>> | undefined;
      for await (const chunk of stream) {
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          if (part.thought) thoughts += part.text ?? '';
          else if (part.text) text += part.text;
          if (part.functionCall) calls.push(part.functionCall);
        }
        last = chunk;
      }
      assert.equal(thoughts, 'thinking hard');
      assert.equal(text, 'Calling tools now');
      assert.deepEqual(calls, [
        { name: 'get_weather', args: { city: 'Paris' } },
        { name: 'get_time', args: { tz: 'CET' } },
      ]);
      assert.equal(last?.candidates?.[0]?.finishReason, 'STOP');
      assert.equal(last?.usageMetadata?.candidatesTokenCount, 10);
      assert.equal(last?.usageMetadata?.thoughtsTokenCount, 5);
      assert.equal(mock.lastRequest()!.query.alt, 'sse');
    });

    void it('answers errors in the Gemini shape', async () => {
      mock.enqueue({ error: { status: 429, retryAfterSeconds: 3 } });
      const error = await gemini.models
        .generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
        .then(() => assert.fail('expected an error'))
        .catch((e: unknown) => e);
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 429);
      assert.match(error.message, /RESOURCE_EXHAUSTED/);
    });

    void it('counts tokens and embeds content', async () => {
      const counted = await gemini.models.countTokens({
        model: 'gemini-2.5-flash',
        contents: 'one two three',
      });
      assert.equal(counted.totalTokens, 3);
      const embedded = await gemini.models.embedContent({
        model: 'gemini-embedding-001',
        contents: ['a', 'b'],
      });
      assert.equal(embedded.embeddings?.length, 2);
      assert.equal(embedded.embeddings?.[0]?.values?.length, 16);
      const single = await fetch(`${mock.url}/v1beta/models/gemini-embedding-001:embedContent`, {
        method: 'POST',
        body: JSON.stringify({ content: { parts: [{ text: 'a' }] }, outputDimensionality: 4 }),
      });
      const json = (await single.json()) as { embedding: { values: number[] } };
      assert.equal(json.embedding.values.length, 4);
    });
  });

  void describe('scripting', () => {
    void it('routes queued turns by protocol and model', async () => {
      mock.enqueueFor({ protocol: 'anthropic' }, { text: 'for anthropic' });
      mock.enqueueFor({ model: 'gpt-b' }, { text: 'for gpt-b' });
      mock.enqueue({ text: 'for anyone' });
      const a = await openai.chat.completions.create({
        model: 'gpt-a',
        messages: [{ role: 'user', content: 'x' }],
      });
      const b = await openai.chat.completions.create({
        model: 'gpt-b',
        messages: [{ role: 'user', content: 'x' }],
      });
      const c = await anthropic.messages.create({
        model: 'claude-x',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      });
      assert.equal(a.choices[0]?.message.content, 'for anyone');
      assert.equal(b.choices[0]?.message.content, 'for gpt-b');
      assert.equal(c.content[0]?.type === 'text' ? c.content[0].text : '', 'for anthropic');
      assert.equal(mock.pendingSteps(), 0);
    });

    void it('lets a function decide the next turn from the request, like a model in a tool loop', async () => {
      const decide = (request: RecordedRequest) => {
        const messages = (request.body as { messages: { role: string; content: unknown }[] }).messages;
        const last = messages[messages.length - 1]!;
        return last.role === 'tool'
          ? { text: `The tool said ${String(last.content)}` }
          : { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] };
      };
      mock.respondWith(decide);
      const first = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [weatherTool],
      });
      const call = first.choices[0]!.message.tool_calls![0]!;
      const second = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'weather?' },
          first.choices[0]!.message,
          { role: 'tool', tool_call_id: call.id, content: '22C' },
        ],
      });
      assert.equal(second.choices[0]?.message.content, 'The tool said 22C');
    });

    void it('finds tool results in every protocol for a scripted tool loop', async () => {
      mock.respondWith((request) => {
        const results = toolResults(request);
        if (results.length === 0)
          return { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] };
        const last = lastToolResult(request)!;
        return { text: `${results.length}:${last.callId ?? last.name}:${last.content}:${last.isError}` };
      });

      const chat1 = await openai.chat.completions.create({
        model: 'g',
        messages: [{ role: 'user', content: 'w?' }],
      });
      const chatCall = chat1.choices[0]!.message.tool_calls![0]!;
      const chat2 = await openai.chat.completions.create({
        model: 'g',
        messages: [
          { role: 'user', content: 'w?' },
          chat1.choices[0]!.message,
          { role: 'tool', tool_call_id: chatCall.id, content: '22C' },
        ],
      });
      assert.equal(chat2.choices[0]?.message.content, `1:${chatCall.id}:22C:false`);

      const resp1 = await openai.responses.create({ model: 'g', input: 'w?' });
      const fc = resp1.output[0]!;
      assert.equal(fc.type, 'function_call');
      const callId = fc.type === 'function_call' ? fc.call_id : '';
      const resp2 = await openai.responses.create({
        model: 'g',
        input: [
          { role: 'user', content: 'w?' },
          ...resp1.output.filter((item) => item.type === 'function_call'),
          { type: 'function_call_output', call_id: callId, output: '23C' },
        ],
      });
      assert.equal(resp2.output_text, `1:${callId}:23C:false`);

      const msg1 = await anthropic.messages.create({
        model: 'c',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'w?' }],
      });
      const toolUse = msg1.content.find((b) => b.type === 'tool_use')!;
      const toolUseId = toolUse.type === 'tool_use' ? toolUse.id : '';
      const msg2 = await anthropic.messages.create({
        model: 'c',
        max_tokens: 50,
        messages: [
          { role: 'user', content: 'w?' },
          { role: 'assistant', content: msg1.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'no data', is_error: true }],
          },
        ],
      });
      assert.equal(
        msg2.content[0]?.type === 'text' ? msg2.content[0].text : '',
        `1:${toolUseId}:no data:true`,
      );

      const gen1 = await gemini.models.generateContent({ model: 'gm', contents: 'w?' });
      const functionCall = gen1.functionCalls![0]!;
      assert.equal(functionCall.name, 'get_weather');
      const gen2 = await gemini.models.generateContent({
        model: 'gm',
        contents: [
          { role: 'user', parts: [{ text: 'w?' }] },
          gen1.candidates![0]!.content!,
          {
            role: 'user',
            parts: [{ functionResponse: { name: 'get_weather', response: { output: '24C' } } }],
          },
        ],
      });
      assert.equal(gen2.text, '1:get_weather:{"output":"24C"}:false');
    });

    void it('awaits the next request', async () => {
      const next = mock.nextRequest('/v1/messages');
      await anthropic.messages.create({
        model: 'claude-x',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'ping' }],
      });
      const request = await next;
      assert.equal(request.protocol, 'anthropic');
      // SDK 1.x sends the key as a Bearer token (Claude Code uses x-api-key).
      assert.ok(
        request.headers['x-api-key'] === 'sk-ant-test' ||
          request.headers.authorization === 'Bearer sk-ant-test',
      );
      const done = await mock.finished(request);
      assert.equal(done.outcome, 'completed');
      assert.equal(done.status, 200);
    });
  });

  void describe('streaming behaviour', () => {
    void it('writes slow stream frames one by one, so a client sees the first before the last is written', async () => {
      mock.enqueue({ text: 'a b c d', chunkDelayMs: 60, firstByteDelayMs: 30 });
      const response = await fetch(`${mock.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      });
      const reader = response.body!.getReader();
      const receivedAtMs: number[] = [];
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        receivedAtMs.push(performance.timeOrigin + performance.now());
      }
      const request = await mock.finished(mock.lastRequest()!);
      const writes = request.writes;
      // role chunk + 4 text chunks + finish chunk + [DONE]
      assert.equal(writes.length, 7);
      assert.ok(writes[0]!.atMs - request.receivedAtMs >= 25, 'first byte was delayed');
      assert.ok(receivedAtMs.length >= 2, 'the client received more than one read');
      assert.ok(
        receivedAtMs[0]! < writes[writes.length - 1]!.atMs,
        'first chunk arrived before the last was written',
      );
    });

    void it('drops the connection mid-stream when told to', async () => {
      mock.enqueue({ text: 'a b c d e f', dropAfterFrames: 3, chunkDelayMs: 5 });
      const stream = await anthropic.messages.create({
        model: 'claude-x',
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      const seen: string[] = [];
      await assert.rejects(async () => {
        for await (const event of stream) seen.push(event.type);
      });
      assert.deepEqual(seen, ['message_start', 'content_block_start']);
      assert.equal((await mock.finished(mock.lastRequest()!)).outcome, 'dropped');
    });
  });

  void describe('rendering details', () => {
    void it('maps one abstract stop reason to each protocol', async () => {
      const turn = { text: 'cut off', stopReason: 'max_tokens' as const };
      mock.enqueue(turn, turn, turn, turn);
      const chat = await openai.chat.completions.create({
        model: 'g',
        messages: [{ role: 'user', content: 'x' }],
      });
      const responses = await openai.responses.create({ model: 'g', input: 'x' });
      const messages = await anthropic.messages.create({
        model: 'c',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      });
      const generated = await gemini.models.generateContent({ model: 'gm', contents: 'x' });
      assert.equal(chat.choices[0]?.finish_reason, 'length');
      assert.equal(responses.status, 'incomplete');
      assert.equal(responses.incomplete_details?.reason, 'max_output_tokens');
      assert.equal(messages.stop_reason, 'max_tokens');
      assert.equal(generated.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    });

    void it('reports a scripted model name and stop sequence', async () => {
      mock.enqueue({
        text: 'x',
        model: 'claude-x-20250101',
        stopReason: 'stop_sequence',
        stopSequence: 'END',
      });
      const message = await anthropic.messages.create({
        model: 'claude-x',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      });
      assert.equal(message.model, 'claude-x-20250101');
      assert.equal(message.stop_sequence, 'END');
    });

    void it('omits the usage field from Chat chunks unless include_usage is asked for', async () => {
      const stream = await openai.chat.completions.create({
        model: 'g',
        stream: true,
        messages: [{ role: 'user', content: 'a b' }],
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.ok(chunks.length >= 3);
      assert.ok(chunks.every((c) => !('usage' in c) && c.choices.length === 1));
    });

    void it('renders custom tool calls natively in non-streamed Chat', async () => {
      mock.enqueue({ toolCalls: [{ type: 'custom', name: 'apply_patch', input: 'raw text' }] });
      const completion = await openai.chat.completions.create({
        model: 'g',
        messages: [{ role: 'user', content: 'x' }],
      });
      const call = completion.choices[0]?.message.tool_calls?.[0];
      assert.equal(call?.type, 'custom');
      assert.equal(call?.type === 'custom' ? call.custom.input : '', 'raw text');
    });

    void it('raises mid-stream errors through the Anthropic and Gemini SDKs', async () => {
      mock.enqueue({ text: 'a b c d', error: { status: 529, midStream: true } });
      const stream = anthropic.messages.stream({
        model: 'c',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      });
      await assert.rejects(
        stream.finalMessage(),
        (e: unknown) => e instanceof Anthropic.APIError && /overloaded_error/.test(e.message),
      );

      mock.enqueue({ text: 'a b c d', error: { status: 503, midStream: true } });
      const chunks = await gemini.models.generateContentStream({ model: 'gm', contents: 'x' });
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of chunks) text += chunk.text ?? '';
      }, /UNAVAILABLE|overloaded/);
      assert.ok(text.length > 0 && text !== 'a b c d');
    });

    void it('answers Gemini streamGenerateContent without alt=sse as one JSON array', async () => {
      mock.enqueue({ text: 'array answer' });
      const response = await fetch(`${mock.url}/v1beta/models/gm:streamGenerateContent`, {
        method: 'POST',
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
      });
      const json = (await response.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
      assert.ok(Array.isArray(json));
      assert.equal(json[0]?.candidates[0]?.content.parts[0]?.text, 'array answer');
    });

    void it('cuts a JSON body in half when dropping a non-streamed answer', async () => {
      mock.enqueue({ text: 'never whole', dropAfterFrames: 0 });
      await assert.rejects(
        openai.chat.completions.create({ model: 'g', messages: [{ role: 'user', content: 'x' }] }),
      );
      assert.equal((await mock.finished(mock.lastRequest()!)).outcome, 'dropped');
    });

    void it('notices when the client goes away mid-stream', async () => {
      mock.enqueue({ text: 'a b c d e f g h', chunkDelayMs: 30 });
      const controller = new AbortController();
      const response = await fetch(`${mock.url}/v1/messages`, {
        method: 'POST',
        signal: controller.signal,
        body: JSON.stringify({
          model: 'c',
          max_tokens: 5,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      const request = await mock.finished(mock.lastRequest()!);
      assert.equal(request.outcome, 'client-closed');
      assert.ok(
        request.writes.length < 10,
        `only part of the stream was written (${request.writes.length} frames)`,
      );
    });

    void it('reads gzip-compressed request bodies', async () => {
      const body = gzipSync(JSON.stringify({ model: 'g', input: 'zipped hello' }));
      const response = await fetch(`${mock.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
      });
      const json = (await response.json()) as { output: { content: { text: string }[] }[] };
      assert.equal(json.output[0]?.content[0]?.text, 'zipped hello');
    });

    void it('can insist on anthropic-version like the real API', async () => {
      const strict = await MockUpstream.start({ requireAnthropicVersion: true });
      try {
        const bare = await fetch(`${strict.url}/v1/messages`, {
          method: 'POST',
          body: JSON.stringify({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        });
        assert.equal(bare.status, 400);
        const client = new Anthropic({ apiKey: 'k', baseURL: strict.url, maxRetries: 0 });
        await client.messages.create({
          model: 'c',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        });
      } finally {
        await strict.close();
      }
    });
  });

  void describe('auth and fixed mode', () => {
    void it('checks keys the way each provider does', async () => {
      const strict = await MockUpstream.start({
        keys: { openai: 'sk-right', anthropic: 'ant-right', gemini: 'g-right' },
      });
      try {
        const wrongOpenai = new OpenAI({
          apiKey: 'sk-wrong-key-123',
          baseURL: `${strict.url}/v1`,
          maxRetries: 0,
        });
        await assert.rejects(
          wrongOpenai.models.list(),
          (e: unknown) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key',
        );
        const rightOpenai = new OpenAI({ apiKey: 'sk-right', baseURL: `${strict.url}/v1`, maxRetries: 0 });
        assert.ok((await rightOpenai.models.list()).data.length > 0);

        const wrongAnthropic = new Anthropic({ apiKey: 'ant-wrong', baseURL: strict.url, maxRetries: 0 });
        await assert.rejects(
          wrongAnthropic.messages.create({
            model: 'c',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'x' }],
          }),
          (e: unknown) =>
            e instanceof Anthropic.AuthenticationError &&
            (e.error as { error: { type: string } }).error.type === 'authentication_error',
        );
        const bearerAnthropic = new Anthropic({
          authToken: 'ant-right',
          apiKey: null,
          baseURL: strict.url,
          maxRetries: 0,
        });
        await bearerAnthropic.messages.create({
          model: 'c',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        });

        const badKey = await fetch(`${strict.url}/v1beta/models/gemini-2.5-flash:generateContent?key=nope`, {
          method: 'POST',
          body: '{}',
        });
        assert.equal(badKey.status, 400);
        assert.match(await badKey.text(), /API_KEY_INVALID/);
        const goodKey = await fetch(
          `${strict.url}/v1beta/models/gemini-2.5-flash:generateContent?key=g-right`,
          { method: 'POST', body: '{"contents":[{"parts":[{"text":"yo"}]}]}' },
        );
        assert.equal(goodKey.status, 200);
      } finally {
        await strict.close();
      }
    });

    void it('serves the same pre-rendered answer in fixed mode without recording', async () => {
      const fixed = await MockUpstream.start({ fixed: { text: 'fixed answer', chunks: 2 } });
      try {
        const client = new OpenAI({ apiKey: 'k', baseURL: `${fixed.url}/v1`, maxRetries: 0 });
        const bodies = await Promise.all(
          [1, 2, 3].map(async () => {
            const r = await client.chat.completions.create({
              model: 'gpt-x',
              messages: [{ role: 'user', content: 'q' }],
            });
            return r.choices[0]?.message.content;
          }),
        );
        assert.deepEqual(bodies, ['fixed answer', 'fixed answer', 'fixed answer']);
        const streamed = await client.chat.completions.create({
          model: 'gpt-x',
          stream: true,
          messages: [{ role: 'user', content: 'q' }],
        });
        let text = '';
        for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? '';
        assert.equal(text, 'fixed answer');
        assert.equal(fixed.requests.length, 0);
        assert.equal(fixed.servedCount, 4);
      } finally {
        await fixed.close();
      }
    });

    void it('checks keys in fixed mode too', async () => {
      const fixed = await MockUpstream.start({ fixed: { text: 'x' }, keys: { anthropic: 'right' } });
      try {
        const wrong = new Anthropic({ apiKey: 'wrong', baseURL: fixed.url, maxRetries: 0 });
        await assert.rejects(
          wrong.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
          (e: unknown) => e instanceof Anthropic.AuthenticationError,
        );
      } finally {
        await fixed.close();
      }
    });

    void it('turns a throwing responder into a visible 500 rather than a hang', async () => {
      mock.respondWith(() => {
        throw new Error('script bug');
      });
      const originalWrite = process.stderr.write.bind(process.stderr);
      let logged = '';
      process.stderr.write = (chunk: string) => {
        logged += chunk;
        return true;
      };
      try {
        const response = await fetch(`${mock.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'g', messages: [{ role: 'user', content: 'x' }] }),
        });
        assert.equal(response.status, 500);
        assert.match(await response.text(), /script bug/);
      } finally {
        process.stderr.write = originalWrite;
      }
      assert.match(logged, /script bug/);
    });

    void it('answers unknown paths and malformed JSON with errors in the provider shape', async () => {
      const unknown = await fetch(`${mock.url}/v1/nothing`, { method: 'POST', body: '{}' });
      assert.equal(unknown.status, 404);
      assert.ok(
        ((await unknown.json()) as { error: { message: string } }).error.message.includes('/v1/nothing'),
      );
      const malformed = await fetch(`${mock.url}/v1/messages`, { method: 'POST', body: '{not json' });
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as { type: string }).type, 'error');
    });
  });
});
