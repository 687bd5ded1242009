// A two-turn tool loop, official SDK → a minimal translating gateway built from this library → the team's scripted
// mock upstream (written independently of libs/protocols) and back, for every client protocol × upstream protocol.
// The mock answers the first request with thinking, text and two parallel tool calls, and the second with the last
// tool result it received — so the loop only closes if the calls, their ids and the results survived both ways.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content, type Part } from '@google/genai';
import { MockUpstream, lastToolResult, toolResults } from '@sluice/testing';
import { fixture, frames } from './protocol-test-helpers';
import {
  createStreamTranslator,
  translateError,
  translateRequest,
  translateResponse,
  type ProtocolId,
} from '../src';

type Upstream = 'openai-chat' | 'anthropic' | 'gemini';
const UPSTREAM_MODEL: Record<Upstream, string> = {
  'openai-chat': 'gpt-5.5',
  anthropic: 'claude-sonnet-5-5',
  gemini: 'gemini-2.5-flash',
};

let mock: MockUpstream;
let gateway: Server;
let base = '';
let upstream: Upstream = 'openai-chat';

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
};

/** Which protocol the client spoke, from the path (Gemini puts model and streaming there). */
const clientRoute = (url: string): { protocol: ProtocolId; model?: string; stream?: boolean } => {
  if (url.startsWith('/v1/chat/completions')) return { protocol: 'openai-chat' };
  if (url.startsWith('/v1/responses')) return { protocol: 'openai-responses' };
  if (url.startsWith('/v1/messages')) return { protocol: 'anthropic' };
  const m = /\/models\/([^:]+):(generateContent|streamGenerateContent)/.exec(url);
  return { protocol: 'gemini', model: m?.[1] ?? '', stream: m?.[2] === 'streamGenerateContent' };
};

const upstreamCall = (stream: boolean): { url: string; headers: Record<string, string> } => {
  const model = UPSTREAM_MODEL[upstream];
  switch (upstream) {
    case 'openai-chat':
      return { url: `${mock.url}/v1/chat/completions`, headers: { authorization: 'Bearer k' } };
    case 'anthropic':
      return {
        url: `${mock.url}/v1/messages`,
        headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      };
    case 'gemini':
      return {
        url: `${mock.url}/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        headers: { 'x-goog-api-key': 'k' },
      };
  }
};

before(async () => {
  mock = await MockUpstream.start();
  mock.respondWith((req) =>
    toolResults(req).length === 0
      ? {
          thinking: { text: 'Two cities.', signature: 'sig-mock-1' },
          text: 'Checking.',
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_weather', arguments: { city: 'Rome' } },
          ],
          usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 40 },
        }
      : { text: `Weather: ${lastToolResult(req)?.content ?? 'none'}` },
  );
  gateway = createServer((req, res) => {
    void (async () => {
      const route = clientRoute(req.url ?? '');
      const body = await readBody(req);
      const t = translateRequest(body, route.protocol, upstream, {
        decode: { ...(route.model ? { model: route.model } : {}), ...(route.stream ? { stream: true } : {}) },
        encode: { model: UPSTREAM_MODEL[upstream] },
      });
      const call = upstreamCall(t.stream);
      const up = await fetch(call.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...call.headers },
        body: JSON.stringify(t.body),
      });
      if (!up.ok) {
        const e = translateError(upstream, route.protocol, up.status, await up.text());
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(e.body));
        return;
      }
      if (!t.stream) {
        const r = translateResponse(await up.json(), upstream, route.protocol, {
          decode: { tools: t.tools },
          encode: { model: t.ir.model },
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const tr = createStreamTranslator({
        from: upstream,
        to: route.protocol,
        tools: t.tools,
        model: t.ir.model,
        ...(t.ir.includeUsage !== undefined ? { includeUsage: t.ir.includeUsage } : {}),
      });
      for await (const chunk of up.body as AsyncIterable<Uint8Array>) res.write(tr.push(chunk));
      res.end(tr.end());
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});

after(async () => {
  gateway.close();
  await mock.close();
});

const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
// The mock reports a Gemini functionResponse as the JSON of its `response` object, where tool output travels as
// `{"output": …}` (Gemini's documented convention); the other protocols carry the text itself.
const expectedAnswer = (up: Upstream): string =>
  up === 'gemini' ? 'Weather: {"output":"sunny in Rome"}' : 'Weather: sunny in Rome';
const cityOf = (args: unknown): string => String((args as { city?: unknown }).city);

for (const up of ['openai-chat', 'anthropic', 'gemini'] as const) {
  describe(`tool loop on an ${up} upstream`, () => {
    it('openai SDK (Chat, streamed then not)', async () => {
      upstream = up;
      const client = new OpenAI({ apiKey: 'k', baseURL: `${base}/v1`, maxRetries: 0 });
      const tools: OpenAI.Chat.ChatCompletionTool[] = [
        { type: 'function', function: { name: 'get_weather', parameters: schema } },
      ];
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'weather in Paris and Rome?' },
      ];
      const first = await client.chat.completions
        .stream({ model: 'gpt-5.5', messages, tools, stream_options: { include_usage: true } })
        .finalChatCompletion();
      const msg = first.choices[0]?.message;
      const calls = (msg?.tool_calls ?? []).filter((c) => c.type === 'function');
      assert.deepEqual(
        calls.map((c) => cityOf(JSON.parse(c.function.arguments))),
        ['Paris', 'Rome'],
      );
      assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
      assert.equal(first.usage?.prompt_tokens, 100);
      assert.equal(first.usage?.prompt_tokens_details?.cached_tokens, 40);
      messages.push({ role: 'assistant', content: msg?.content ?? null, tool_calls: calls });
      for (const c of calls) {
        messages.push({
          role: 'tool',
          tool_call_id: c.id,
          content: `sunny in ${cityOf(JSON.parse(c.function.arguments))}`,
        });
      }
      const second = await client.chat.completions.create({ model: 'gpt-5.5', messages, tools });
      assert.equal(second.choices[0]?.message.content, expectedAnswer(up));
    });

    it('@anthropic-ai/sdk (streamed then not)', async () => {
      upstream = up;
      const client = new Anthropic({ apiKey: 'k', baseURL: base, maxRetries: 0 });
      const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: { ...schema, type: 'object' } }];
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'weather in Paris and Rome?' }];
      const first = await client.messages
        .stream({ model: 'claude-sonnet-5-5', max_tokens: 1000, messages, tools })
        .finalMessage();
      assert.equal(first.stop_reason, 'tool_use');
      const uses = first.content.filter((b) => b.type === 'tool_use');
      assert.deepEqual(
        uses.map((u) => cityOf(u.input)),
        ['Paris', 'Rome'],
      );
      assert.equal(first.usage.input_tokens + (first.usage.cache_read_input_tokens ?? 0), 100);
      messages.push({ role: 'assistant', content: first.content });
      messages.push({
        role: 'user',
        content: uses.map((u) => ({
          type: 'tool_result' as const,
          tool_use_id: u.id,
          content: `sunny in ${cityOf(u.input)}`,
        })),
      });
      const second = await client.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 1000,
        messages,
        tools,
      });
      const text = second.content.find((b) => b.type === 'text');
      assert.equal(text?.type === 'text' ? text.text : undefined, expectedAnswer(up));
    });

    it('@google/genai (streamed then not)', async () => {
      upstream = up;
      const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: base, apiVersion: 'v1beta' } });
      const config = {
        tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: schema }] }],
      };
      const contents: Content[] = [{ role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] }];
      const parts: Part[] = [];
      for await (const c of await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents,
        config,
      })) {
        parts.push(...(c.candidates?.[0]?.content?.parts ?? []));
      }
      const calls = parts.flatMap((p) => (p.functionCall ? [p.functionCall] : []));
      assert.deepEqual(
        calls.map((c) => cityOf(c.args)),
        ['Paris', 'Rome'],
      );
      contents.push({ role: 'model', parts });
      contents.push({
        role: 'user',
        parts: calls.map((c) => ({
          functionResponse: { name: c.name ?? '', response: { output: `sunny in ${cityOf(c.args)}` } },
        })),
      });
      const second = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents, config });
      assert.equal(second.candidates?.[0]?.content?.parts?.find((p) => p.text)?.text, expectedAnswer(up));
    });

    it('openai SDK Responses (the Codex path; streamed then not)', async () => {
      upstream = up;
      const client = new OpenAI({ apiKey: 'k', baseURL: `${base}/v1`, maxRetries: 0 });
      const tools: OpenAI.Responses.Tool[] = [
        { type: 'function', name: 'get_weather', parameters: schema, strict: false },
      ];
      const input: OpenAI.Responses.ResponseInputItem[] = [
        { role: 'user', content: 'weather in Paris and Rome?' },
      ];
      const first = await client.responses
        .stream({ model: 'gpt-5.5', input, tools, store: false })
        .finalResponse();
      const calls = first.output.filter((o) => o.type === 'function_call');
      assert.deepEqual(
        calls.map((c) => cityOf(JSON.parse(c.arguments))),
        ['Paris', 'Rome'],
      );
      input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]));
      for (const c of calls) {
        input.push({
          type: 'function_call_output',
          call_id: c.call_id,
          output: `sunny in ${cityOf(JSON.parse(c.arguments))}`,
        });
      }
      const second = await client.responses.create({ model: 'gpt-5.5', input, tools, store: false });
      assert.equal(second.output_text, expectedAnswer(up));
    });
  });
}

describe('a recorded Claude Code request on every upstream', () => {
  for (const up of ['openai-chat', 'anthropic', 'gemini'] as const) {
    it(`${up}: the upstream gets both tool results, Claude Code gets a well-formed Anthropic stream`, async () => {
      upstream = up;
      const { body } = fixture('claude-code-turn2');
      const res = await fetch(`${base}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      const events = frames(await res.text());
      assert.equal(events[0]?.event, 'message_start');
      assert.equal(events.at(-1)?.event, 'message_stop');
      const text = events
        .filter((e) => e.event === 'content_block_delta')
        .map((e) => (e.data as { delta: { text?: string } }).delta.text ?? '')
        .join('');
      assert.ok(text.startsWith('Weather: '), text);
      assert.ok(text.includes('hi'), text);
      const received = mock.lastRequest();
      assert.equal(received?.protocol, up);
      assert.equal(toolResults(received).length, 2);
    });
  }
});

describe('upstream errors reach every client in its own shape', () => {
  for (const up of ['openai-chat', 'anthropic', 'gemini'] as const) {
    it(`${up}: a 429 before the stream and an overload in the middle of it`, async () => {
      upstream = up;
      const oa = new OpenAI({ apiKey: 'k', baseURL: `${base}/v1`, maxRetries: 0 });
      const an = new Anthropic({ apiKey: 'k', baseURL: base, maxRetries: 0 });
      const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: base, apiVersion: 'v1beta' } });
      const messages = [{ role: 'user' as const, content: 'hi' }];

      mock.enqueue({ error: { status: 429, message: 'slow down' } });
      await assert.rejects(oa.chat.completions.create({ model: 'gpt-5.5', messages }), (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError);
        assert.equal(e.status, 429);
        return true;
      });
      mock.enqueue({ error: { status: 429, message: 'slow down' } });
      await assert.rejects(
        an.messages.create({ model: 'claude-x', max_tokens: 10, messages }),
        (e: unknown) => {
          assert.ok(e instanceof Anthropic.APIError);
          assert.equal(e.status, 429);
          assert.equal((e.error as { error?: { type?: string } }).error?.type, 'rate_limit_error');
          return true;
        },
      );
      mock.enqueue({ error: { status: 429, message: 'slow down' } });
      await assert.rejects(
        ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }),
        /429|RESOURCE_EXHAUSTED/,
      );

      mock.enqueue({
        text: 'one two three four five six',
        error: { status: 529, message: 'Overloaded', midStream: true },
      });
      await assert.rejects(
        oa.chat.completions.stream({ model: 'gpt-5.5', messages }).finalChatCompletion(),
        /Overloaded|overloaded/,
      );
      mock.enqueue({
        text: 'one two three four five six',
        error: { status: 529, message: 'Overloaded', midStream: true },
      });
      await assert.rejects(
        an.messages.stream({ model: 'claude-x', max_tokens: 10, messages }).finalMessage(),
        /Overloaded|overloaded/,
      );
    });
  }
});
