// The official SDKs parse what the translators emit: a local HTTP server replays translated streams and responses
// to `openai`, `@anthropic-ai/sdk` and `@google/genai`, whose own stream accumulators enforce their protocol
// (role and finish_reason present, message_start first, event names, tool-call index rules …).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { createStreamTranslator, translateResponse, type ProtocolId } from '../src';
import { anthropicUpstream, geminiUpstream, openAiUpstream } from './stream-fixtures';

const upstreams: Record<'anthropic' | 'openai-chat' | 'gemini', string> = {
  anthropic: anthropicUpstream,
  'openai-chat': openAiUpstream,
  gemini: geminiUpstream,
};

const nonStreamed: Record<'anthropic' | 'openai-chat' | 'gemini', unknown> = {
  anthropic: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-5-5',
    content: [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 7 },
  },
  'openai-chat': {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1730000000,
    model: 'gpt-5.5',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
      },
    ],
    usage: {
      prompt_tokens: 15,
      completion_tokens: 7,
      total_tokens: 22,
      prompt_tokens_details: { cached_tokens: 5 },
    },
  },
  gemini: {
    candidates: [
      {
        index: 0,
        finishReason: 'STOP',
        content: {
          role: 'model',
          parts: [{ text: 'Checking.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
        },
      },
    ],
    usageMetadata: {
      promptTokenCount: 15,
      cachedContentTokenCount: 5,
      candidatesTokenCount: 7,
      totalTokenCount: 22,
    },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r1',
  },
};

// What the server answers next: set by each test before calling the SDK.
let reply: { from: keyof typeof upstreams; to: ProtocolId; stream: boolean } = {
  from: 'anthropic',
  to: 'openai-chat',
  stream: true,
};
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!reply.stream) {
        const { body } = translateResponse(nonStreamed[reply.from], reply.from, reply.to);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const t = createStreamTranslator({ from: reply.from, to: reply.to, includeUsage: true });
      // Feed the upstream in small pieces, writing whatever the translator emits at once.
      const up = upstreams[reply.from];
      for (let i = 0; i < up.length; i += 23) res.write(t.push(up.slice(i, i + 23)));
      res.end(t.end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
});

const froms = ['anthropic', 'openai-chat', 'gemini'] as const;

describe('openai SDK as the client', () => {
  const client = (): OpenAI => new OpenAI({ apiKey: 'test', baseURL: `${base}/v1`, maxRetries: 0 });

  for (const from of froms) {
    it(`accumulates a ${from} stream into a completion with tool calls and usage`, async () => {
      reply = { from, to: 'openai-chat', stream: true };
      const stream = client().chat.completions.stream({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'weather?' }],
        stream_options: { include_usage: true },
      });
      const final = await stream.finalChatCompletion();
      const choice = final.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const calls = choice?.message.tool_calls ?? [];
      assert.ok(calls.length >= 1);
      const first = calls[0];
      assert.equal(first?.type === 'function' ? first.function.name : undefined, 'get_weather');
      assert.deepEqual(JSON.parse(first?.type === 'function' ? first.function.arguments : '{}'), {
        city: 'Paris',
      });
      assert.ok((final.usage?.prompt_tokens ?? 0) > 0);
    });

    it(`parses a ${from} response as a chat completion`, async () => {
      reply = { from, to: 'openai-chat', stream: false };
      const r = await client().chat.completions.create({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'weather?' }],
      });
      assert.equal(r.choices[0]?.message.content, 'Checking.');
      assert.equal(r.choices[0]?.finish_reason, 'tool_calls');
      assert.equal(r.usage?.prompt_tokens, 15);
      assert.equal(r.usage?.prompt_tokens_details?.cached_tokens, 5);
    });
  }
});

describe('@anthropic-ai/sdk as the client', () => {
  const client = (): Anthropic => new Anthropic({ apiKey: 'test', baseURL: base, maxRetries: 0 });

  for (const from of froms) {
    it(`accumulates a ${from} stream into a message with tool_use input and usage`, async () => {
      reply = { from, to: 'anthropic', stream: true };
      const final = await client()
        .messages.stream({
          model: 'claude-sonnet-5-5',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'weather?' }],
        })
        .finalMessage();
      assert.equal(final.stop_reason, 'tool_use');
      const tool = final.content.find((b) => b.type === 'tool_use');
      assert.equal(tool?.type === 'tool_use' ? tool.name : undefined, 'get_weather');
      assert.deepEqual(tool?.type === 'tool_use' ? tool.input : undefined, { city: 'Paris' });
      assert.ok(final.usage.output_tokens > 0);
    });

    it(`parses a ${from} response as a message`, async () => {
      reply = { from, to: 'anthropic', stream: false };
      const m = await client().messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'weather?' }],
      });
      assert.equal(m.stop_reason, 'tool_use');
      assert.deepEqual(
        m.content.map((b) => b.type),
        ['text', 'tool_use'],
      );
      assert.equal(m.usage.input_tokens, 10);
      assert.equal(m.usage.cache_read_input_tokens, 5);
    });
  }
});

describe('@google/genai as the client', () => {
  const client = (): GoogleGenAI =>
    new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: base, apiVersion: 'v1beta' } });

  for (const from of froms) {
    it(`reads a ${from} stream as chunks with whole function calls`, async () => {
      reply = { from, to: 'gemini', stream: true };
      const calls: unknown[] = [];
      let finish: string | undefined;
      for await (const c of await client().models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'weather?',
      })) {
        calls.push(...(c.functionCalls ?? []).map((f) => ({ name: f.name, args: f.args })));
        finish = c.candidates?.[0]?.finishReason ?? finish;
      }
      assert.deepEqual(calls[0], { name: 'get_weather', args: { city: 'Paris' } });
      assert.equal(finish, 'STOP');
    });

    it(`parses a ${from} response`, async () => {
      reply = { from, to: 'gemini', stream: false };
      const r = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'weather?' });
      assert.equal(r.candidates?.[0]?.content?.parts?.[0]?.text, 'Checking.');
      assert.deepEqual(r.functionCalls?.[0]?.args, { city: 'Paris' });
      assert.equal(r.usageMetadata?.promptTokenCount, 15);
    });
  }
});

describe('openai SDK Responses client (Codex path) on translated upstreams', () => {
  const client = (): OpenAI => new OpenAI({ apiKey: 'test', baseURL: `${base}/v1`, maxRetries: 0 });

  for (const from of froms) {
    it(`accumulates a ${from} stream into a completed response with function calls`, async () => {
      reply = { from, to: 'openai-responses', stream: true };
      const final = await client().responses.stream({ model: 'gpt-5.5', input: 'weather?' }).finalResponse();
      assert.equal(final.status, 'completed');
      const call = final.output.find((o) => o.type === 'function_call');
      assert.equal(call?.type === 'function_call' ? call.name : undefined, 'get_weather');
      assert.deepEqual(JSON.parse(call?.type === 'function_call' ? call.arguments : '{}'), { city: 'Paris' });
      assert.ok((final.usage?.input_tokens ?? 0) > 0);
    });

    it(`parses a ${from} response as a Responses object`, async () => {
      reply = { from, to: 'openai-responses', stream: false };
      const r = await client().responses.create({ model: 'gpt-5.5', input: 'weather?' });
      assert.equal(r.output_text, 'Checking.');
      assert.ok(r.output.some((o) => o.type === 'function_call'));
    });
  }
});
