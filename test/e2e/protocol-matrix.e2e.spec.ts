import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { lastToolResult, MockUpstream, toolResults } from '@sluice/testing';
import { anthropicClient, geminiClient, openaiClient, type SdkClient } from '../helpers/sdk-clients';

const UPSTREAMS = [
  { name: 'openai', model: 'gpt-matrix', path: '/v1/chat/completions', protocol: 'openai-chat' },
  { name: 'anthropic', model: 'claude-matrix', path: '/v1/messages', protocol: 'anthropic' },
  { name: 'gemini', model: 'gemini-matrix', path: '/v1beta/models/gemini-matrix', protocol: 'gemini' },
] as const;

/**
 * Issue 3's matrix: each official SDK as the client (OpenAI, Anthropic, Gemini) against each
 * upstream protocol, through the gateway, with the scripted mock as the provider: text, stream,
 * tool round trip, upstream error in the caller's shape, and a stream that is not buffered.
 */
describe('client protocol x upstream protocol', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-matrix-'));
  let mock: MockUpstream;
  let s: Standalone;
  let clients: SdkClient[];

  before(async () => {
    mock = await MockUpstream.start({
      keys: { openai: 'sk-up-openai', anthropic: 'sk-up-anthropic', gemini: 'up-gemini' },
    });
    s = await startStandalone(
      {
        SLUICE_DATA_DIR: dataDir,
        SLUICE_GATEWAY_PORT: '0',
        SLUICE_LEDGER_PORT: '0',
        SLUICE_MARKETPLACE_PORT: '0',
        SLUICE_LOG_LEVEL: 'warn',
        SLUICE_OPENAI_BASE_URL: `${mock.url}/v1`,
        SLUICE_OPENAI_API_KEY: 'sk-up-openai',
        SLUICE_ANTHROPIC_BASE_URL: mock.url,
        SLUICE_ANTHROPIC_API_KEY: 'sk-up-anthropic',
        SLUICE_GEMINI_BASE_URL: mock.url,
        SLUICE_GEMINI_API_KEY: 'up-gemini',
      },
      () => undefined,
    );
    clients = [
      openaiClient(s.urls.gateway, s.masterKey),
      anthropicClient(s.urls.gateway, s.masterKey),
      geminiClient(s.urls.gateway, s.masterKey),
    ];
  });

  beforeEach(() => mock.reset());

  after(async () => {
    await s?.stop();
    await mock?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const clientName of ['openai', 'anthropic', 'gemini'] as const) {
    for (const up of UPSTREAMS) {
      const client = (): SdkClient => clients.find((c) => c.name === clientName)!;
      describe(`${clientName} SDK -> ${up.name} upstream`, () => {
        it('text', async () => {
          mock.enqueue({ text: `hello from ${up.name}` });
          assert.equal(await client().text(up.model, 'hi'), `hello from ${up.name}`);
          const req = mock.lastRequest()!;
          assert.ok(req.path.startsWith(up.path), `${req.path} is the ${up.name} endpoint`);
          assert.equal(req.protocol, up.protocol);
          assert.equal(req.stream, false);
        });

        it('stream', async () => {
          mock.enqueue({ text: 'one two three four five', chunks: 5 });
          assert.equal(await client().stream(up.model, 'hi'), 'one two three four five');
          assert.equal(mock.lastRequest()!.stream, true);
        });

        it('tool round trip', async () => {
          mock.respondWith((req) =>
            toolResults(req).length === 0
              ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }
              : { text: `It is ${lastToolResult(req)?.content ?? '?'}` },
          );
          const r = await client().toolLoop(up.model, 'sunny');
          assert.equal(r.name, 'get_weather');
          assert.deepEqual(r.args, { city: 'Paris' });
          assert.match(r.text, /^It is .*sunny/);
          const second = mock.requests.at(-1)!;
          assert.equal(toolResults(second).length, 1, 'the upstream received the tool result');
          assert.match(toolResults(second)[0]!.content, /sunny/);
        });

        it('upstream error keeps its status, in the caller shape', async () => {
          mock.enqueue({ error: { status: 400, message: 'scripted bad request' } });
          assert.equal(await client().errorStatus(up.model), 400);
        });

        it('stream is not buffered', async () => {
          mock.enqueue({ text: 'a b c d', chunks: 4, chunkDelayMs: 150 });
          const seen: number[] = [];
          assert.equal(await client().stream(up.model, 'hi', (t) => seen.push(t)), 'a b c d');
          const req = await mock.finished(mock.lastRequest()!);
          const lastWrite = req.writes.at(-1)!.atMs;
          assert.ok(seen.length >= 2, `text arrived in pieces (${seen.length})`);
          assert.ok(
            seen[0]! < lastWrite - 100,
            'the first piece reached the client while the provider was still writing',
          );
        });
      });
    }
  }

  it('embeddings pass through: OpenAI SDK (base64 by default) and @google/genai embedContent', async () => {
    const openai = new OpenAI({ apiKey: s.masterKey, baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
    mock.enqueueFor({ endpoint: 'embeddings' }, { embedding: [0.25, -0.5, 1] });
    const e = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    assert.deepEqual(e.data[0]?.embedding, [0.25, -0.5, 1]);
    assert.equal(mock.lastRequest()!.path, '/v1/embeddings');
    assert.equal((mock.lastRequest()!.body as { encoding_format?: string }).encoding_format, 'base64');
    const genai = new GoogleGenAI({
      apiKey: s.masterKey,
      httpOptions: { baseUrl: s.urls.gateway, apiVersion: 'v1beta' },
    });
    mock.enqueueFor({ endpoint: 'embeddings' }, { embedding: [1, 2, 3] });
    const g = await genai.models.embedContent({ model: 'gemini-embedding-001', contents: 'hello' });
    assert.deepEqual(g.embeddings?.[0]?.values, [1, 2, 3]);
    assert.match(
      mock.lastRequest()!.path,
      /^\/v1beta\/models\/gemini-embedding-001:(batchEmbedContents|embedContent)$/,
    );
  });

  it('count tokens: Anthropic upstream asked; others counted by the tokenizer', async () => {
    mock.enqueueFor({ endpoint: 'count-tokens' }, { tokenCount: 42 });
    const viaUpstream = await fetch(`${s.urls.gateway}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: {
        'x-api-key': s.masterKey,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: 'claude-matrix', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    assert.deepEqual(await viaUpstream.json(), { input_tokens: 42 });
    const local = await fetch(`${s.urls.gateway}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': s.masterKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-matrix', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    const n = ((await local.json()) as { input_tokens: number }).input_tokens;
    assert.ok(n >= 2 && n < 20, `counted with the tokenizer: ${n}`);
    const genai = new GoogleGenAI({
      apiKey: s.masterKey,
      httpOptions: { baseUrl: s.urls.gateway, apiVersion: 'v1beta' },
    });
    const counted = await genai.models.countTokens({ model: 'claude-matrix', contents: 'hello there' });
    assert.ok((counted.totalTokens ?? 0) >= 2);
  });

  it('passthrough sends the client body byte for byte (only the usage request spliced into streams)', async () => {
    const raw =
      '{ "model" : "gpt-matrix",\n  "messages": [{"role":"user","content":"spacing   kept \\u00e9"}], "temperature": 0.25 }';
    mock.enqueue({ text: 'ok' });
    await fetch(`${s.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body: raw,
    });
    assert.equal(mock.lastRequest()!.rawBody, raw);
    const streamed = '{"model":"gpt-matrix","stream":true,"messages":[{"role":"user","content":"x"}]}';
    mock.enqueue({ text: 'ok' });
    await (
      await fetch(`${s.urls.gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
        body: streamed,
      })
    ).text();
    assert.equal(
      mock.lastRequest()!.rawBody,
      streamed.slice(0, -1) + ',"stream_options":{"include_usage":true}}',
    );
  });

  it('retries a 429 honouring retry-after before the first byte, then answers', async () => {
    mock.enqueue({ error: { status: 429, retryAfterSeconds: 0 } }, { text: 'after retry' });
    assert.equal(await clients[0]!.text('gpt-matrix', 'x'), 'after retry');
    assert.equal(mock.requests.length, 2);
  });

  it('asks OpenAI upstreams for stream usage and hides the extra chunk from clients that did not ask', async () => {
    mock.enqueue({ text: 'x y', usage: { inputTokens: 11, outputTokens: 2 } });
    const res = await fetch(`${s.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-matrix', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await res.text();
    assert.equal(
      (mock.lastRequest()!.body as { stream_options?: { include_usage?: boolean } }).stream_options
        ?.include_usage,
      true,
    );
    assert.ok(!/"choices":\[\],/.test(text), 'no usage-only chunk for a client that did not ask');
    assert.match(text, /data: \[DONE\]/);
  });
});
