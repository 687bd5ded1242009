import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { GatewayServer } from '@sluice/apps/gateway';
import { MockUpstream, waitFor } from '@sluice/testing';
import { GatewayHarness, post, type Json } from '../helpers/gateway-harness';
import { TEST_MASTER_KEY } from '../helpers/pipe';

const chat = (model: string, extra: Json = {}): Json => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

/** Gateways on real Postgres and Kafka with different settings, against the scripted mock. */
describe('gateway routing and reliability', { timeout: 240_000 }, () => {
  let h: GatewayHarness;
  let mock: MockUpstream;
  const gateway = (extra: Record<string, string>): Promise<GatewayServer> => h.gateway(extra);

  before(async () => {
    h = await GatewayHarness.start('gw_reliability');
    mock = h.mock;
  });
  beforeEach(() => mock.reset());
  after(async () => {
    await h?.close();
  });

  it('falls back along the route chain when a provider is unreachable, and names the served provider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-yaml-'));
    writeFileSync(
      join(dir, 'sluice.yaml'),
      [
        'providers:',
        '  - { name: dead, type: anthropic, base_url: "http://127.0.0.1:9" }',
        'routes:',
        '  - { model: "claude-*", provider: dead, fallback: [openai] }',
      ].join('\n'),
    );
    const gw = await gateway({ SLUICE_CONFIG: join(dir, 'sluice.yaml') });
    mock.enqueue({ text: 'served by the fallback' });
    const r = await post(`${gw.url}/v1/messages`, {
      model: 'claude-x',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json['content'] as Array<{ text: string }>)[0]?.text, 'served by the fallback');
    assert.equal(
      mock.lastRequest()!.path,
      '/v1/chat/completions',
      'the OpenAI provider answered, translated',
    );
  });

  it('does not retry or fall back on a client error from the provider', async () => {
    const gw = await gateway({});
    mock.enqueue({ error: { status: 400, message: 'bad tools' } });
    const r = await post(`${gw.url}/v1/chat/completions`, chat('gpt-x'));
    assert.equal(r.status, 400);
    assert.equal((r.json['error'] as Json)['message'], 'bad tools');
    assert.equal(mock.requests.length, 1);
  });

  it('gives up after its retries on a provider that keeps failing, keeping the status', async () => {
    const gw = await gateway({});
    mock.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
    const r = await post(`${gw.url}/v1/chat/completions`, chat('gpt-x'));
    assert.equal(r.status, 503);
    assert.equal(mock.requests.length, 3);
  });

  it('passthrough mode refuses translation; translation mode refuses passthrough (400, clear message)', async () => {
    const pass = await gateway({ SLUICE_WORK_MODE: 'passthrough' });
    const refused = await post(`${pass.url}/v1/chat/completions`, chat('claude-x'));
    assert.equal(refused.status, 400);
    assert.match((refused.json['error'] as Json)['message'] as string, /passthrough/);
    mock.enqueue({ text: 'ok' });
    assert.equal((await post(`${pass.url}/v1/chat/completions`, chat('gpt-x'))).status, 200);

    const trans = await gateway({ SLUICE_WORK_MODE: 'translation' });
    const refused2 = await post(`${trans.url}/v1/messages`, {
      model: 'claude-x',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(refused2.status, 400);
    assert.deepEqual(Object.keys(refused2.json), ['type', 'error'], 'in the Anthropic shape');
    mock.enqueue({ text: 'ok' });
    assert.equal((await post(`${trans.url}/v1/chat/completions`, chat('claude-x'))).status, 200);
  });

  it('rejects an oversized body with 413 in the caller shape', async () => {
    const gw = await gateway({ SLUICE_MAX_BODY_BYTES: '2048' });
    const big = chat('gpt-x', { messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    const r = await post(`${gw.url}/v1/chat/completions`, big);
    assert.equal(r.status, 413);
    assert.equal((r.json['error'] as Json)['type'], 'invalid_request_error');
    const a = await post(`${gw.url}/v1/messages`, big);
    assert.equal(a.status, 413);
    assert.equal((a.json['error'] as Json)['type'], 'request_too_large');
  });

  it('the duplicate tool-call guard warns, insists, then rejects', async () => {
    const gw = await gateway({ SLUICE_DUPLICATE_TOOL_GUARD: '3/4/5' });
    const loop = (n: number): Json => {
      const messages: unknown[] = [{ role: 'user', content: 'fix it' }];
      for (let i = 0; i < n; i++) {
        messages.push({
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: `c${i}`, type: 'function', function: { name: 'run', arguments: '{"cmd":"make"}' } },
          ],
        });
        messages.push({ role: 'tool', tool_call_id: `c${i}`, content: 'error: same failure' });
      }
      return { model: 'gpt-x', messages };
    };
    mock.enqueue({ text: 'a' }, { text: 'b' });
    assert.equal((await post(`${gw.url}/v1/chat/completions`, loop(3))).status, 200);
    assert.match(JSON.stringify(mock.lastRequest()!.body), /Warning: you have made the tool call run/);
    assert.equal((await post(`${gw.url}/v1/chat/completions`, loop(4))).status, 200);
    assert.match(JSON.stringify(mock.lastRequest()!.body), /URGENT/);
    const rejected = await post(`${gw.url}/v1/chat/completions`, loop(5));
    assert.equal(rejected.status, 400);
    assert.match((rejected.json['error'] as Json)['message'] as string, /Infinite loop detected/);
    assert.equal(mock.requests.length, 2, 'the rejected request never went upstream');
  });

  it('a client that hangs up mid-stream aborts the upstream request', async () => {
    const gw = await gateway({});
    mock.enqueue({ text: 'one two three four five six seven eight', chunks: 8, chunkDelayMs: 200 });
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat('gpt-x', { stream: true })),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const req = await waitFor(
      'the upstream request to end',
      async () => mock.lastRequest(),
      (r) => r !== undefined && r.outcome !== undefined,
      { timeoutMs: 10_000 },
    );
    assert.equal(req!.outcome, 'client-closed', 'the gateway closed its upstream connection');
    assert.ok(req!.writes.length < 8, `the provider stopped early (${req!.writes.length} frames)`);
  });

  it('opens the circuit of a provider that keeps failing: the route falls back without calling it', async () => {
    const flaky = await MockUpstream.start();
    flaky.respondWith(() => ({ error: { status: 503 } }));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-yaml-'));
      writeFileSync(
        join(dir, 'sluice.yaml'),
        [
          'providers:',
          `  - { name: flaky, type: openai, base_url: "${flaky.url}/v1" }`,
          'routes:',
          '  - { model: "gpt-*", provider: flaky, fallback: [openai] }',
        ].join('\n'),
      );
      const gw = await gateway({ SLUICE_CONFIG: join(dir, 'sluice.yaml') });
      for (let i = 0; i < 7; i++) {
        mock.enqueue({ text: `answer ${i}` });
        const r = await post(`${gw.url}/v1/chat/completions`, chat('gpt-x'));
        assert.equal(r.status, 200, 'the fallback answered');
        assert.equal(
          (r.json['choices'] as Array<{ message: { content: string } }>)[0]?.message.content,
          `answer ${i}`,
        );
      }
      // Five calls with three attempts each open the breaker; the next two skip the provider.
      assert.equal(flaky.requests.length, 15);
    } finally {
      await flaky.close();
    }
  });

  it('inlines image URLs for Gemini upstreams when allowed (SLUICE_FETCH_IMAGE_URLS)', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const images = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    });
    await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(images.address() as AddressInfo).port}/cat.png`;
      const body = chat('gemini-x', {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is it?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      });
      const off = await gateway({});
      mock.enqueue({ text: 'a' });
      await post(`${off.url}/v1/chat/completions`, body);
      assert.ok(!mock.lastRequest()!.rawBody.includes(png.toString('base64')), 'not fetched by default');
      const on = await gateway({ SLUICE_FETCH_IMAGE_URLS: 'true' });
      mock.enqueue({ text: 'a cat' });
      const r = await post(`${on.url}/v1/chat/completions`, body);
      assert.equal(r.status, 200);
      const sent = JSON.stringify(mock.lastRequest()!.body);
      assert.ok(sent.includes(png.toString('base64')), 'the image went inline');
      assert.match(sent, /"mimeType":"image\/png"/);
    } finally {
      images.closeAllConnections();
      await new Promise<void>((r) => images.close(() => r()));
    }
  });

  it('multi-port mode serves each family on its own port, /health on all', async () => {
    const gw = await gateway({
      SLUICE_MULTI_PORT: 'true',
      SLUICE_ADMIN_PORT: '0',
      SLUICE_OPENAI_PORT: '0',
      SLUICE_ANTHROPIC_PORT: '0',
      SLUICE_GEMINI_PORT: '0',
    });
    const urls = gw.familyUrls;
    for (const family of ['admin', 'openai', 'anthropic', 'gemini'] as const) {
      assert.equal((await fetch(`${urls[family]!}/health`)).status, 200, `${family} health`);
    }
    mock.enqueue({ text: 'via openai port' });
    assert.equal((await post(`${urls['openai']!}/v1/chat/completions`, chat('gpt-x'))).status, 200);
    const wrong = await post(`${urls['openai']!}/v1/messages`, {
      model: 'claude-x',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(wrong.status, 404);
    const admin = await fetch(`${urls['admin']!}/api/v1/admin/teams`, {
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}` },
    });
    assert.equal(admin.status, 200);
    assert.equal((await post(`${urls['anthropic']!}/v1/chat/completions`, chat('gpt-x'))).status, 404);
    mock.enqueue({ text: 'facade serves all' });
    assert.equal(
      (
        await post(`${gw.url}/v1/messages`, {
          model: 'claude-x',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        })
      ).status,
      200,
    );
  });
});
