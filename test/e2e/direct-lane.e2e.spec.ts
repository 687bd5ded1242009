import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { GatewayServer } from '@sluice/apps/gateway';
import { GatewayHarness, post, type Json } from '../helpers/gateway-harness';
import { TEST_MASTER_KEY } from '../helpers/pipe';

/**
 * The direct lane (apps/gateway/src/direct) serves the hot data-plane routes from node:http; with
 * SLUICE_GATEWAY_DIRECT_LANE=off everything goes through Fastify and Nest. The same requests, good
 * and bad, must get the same answers either way; the metrics say which lane served each.
 */
describe('direct lane', { timeout: 120_000 }, () => {
  let h: GatewayHarness;
  let direct: GatewayServer;
  let framework: GatewayServer;
  const both = (): [string, GatewayServer][] => [
    ['direct', direct],
    ['fastify', framework],
  ];

  before(async () => {
    h = await GatewayHarness.start('gw_direct_lane');
    direct = await h.gateway({ SLUICE_MAX_BODY_BYTES: '4096' });
    framework = await h.gateway({ SLUICE_MAX_BODY_BYTES: '4096', SLUICE_GATEWAY_DIRECT_LANE: 'off' });
  });
  beforeEach(() => h.mock.reset());
  after(async () => {
    await h?.close();
  });

  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
  const messages = {
    model: 'claude-3-5-haiku-latest',
    max_tokens: 20,
    messages: [{ role: 'user', content: 'hi' }],
  };

  async function lanes(url: string): Promise<Map<string, number>> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^sluice_gateway_http_requests_total\{([^}]*)\} (\d+)/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      const key = `${labels['lane']} ${labels['method']} ${labels['route']} ${labels['status']}`;
      out.set(key, (out.get(key) ?? 0) + Number(m[2]));
    }
    return out;
  }

  it('serves chat completions and messages, with the request id, and counts them as its own', async () => {
    for (const [lane, gw] of both()) {
      h.mock.enqueue({ text: `hello from ${lane}` }, { text: `hi from ${lane}` });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_MASTER_KEY}`,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify(chat),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      assert.equal(body.choices[0]?.message.content, `hello from ${lane}`);
      const m = await post(`${gw.url}/anthropic/v1/messages?beta=true`, messages);
      assert.equal(m.status, 200, m.text);
      assert.equal((m.json['content'] as Array<{ text: string }>)[0]?.text, `hi from ${lane}`);
      const counted = await lanes(gw.url);
      assert.equal(counted.get(`${lane} POST /v1/chat/completions 200`), 1, [...counted.keys()].join('\n'));
      assert.equal(counted.get(`${lane} POST /anthropic/v1/messages 200`), 1);
    }
  });

  it('streams (the lane hands the raw response to the SSE relay)', async () => {
    for (const [lane, gw] of both()) {
      h.mock.enqueue({ text: `streamed by ${lane}` });
      const r = await post(`${gw.url}/v1/chat/completions`, { ...chat, stream: true });
      assert.equal(r.status, 200);
      const text = r.text
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map(
          (l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0],
        )
        .map((c) => c?.delta.content ?? '')
        .join('');
      assert.equal(text, `streamed by ${lane}`);
      assert.ok(r.text.trimEnd().endsWith('data: [DONE]'));
    }
  });

  it('answers bad requests exactly as Fastify and Nest do', async () => {
    const cases: Array<{ name: string; path: string; body: string; headers?: Record<string, string> }> = [
      { name: 'invalid JSON', path: '/v1/chat/completions', body: '{"model": ' },
      { name: 'invalid JSON, Anthropic shape', path: '/v1/messages', body: 'nope' },
      { name: 'empty body', path: '/v1/chat/completions', body: '' },
      { name: 'prototype poisoning', path: '/v1/chat/completions', body: '{"__proto__":{"admin":true}}' },
      {
        name: 'constructor poisoning',
        path: '/v1/chat/completions',
        body: '{"constructor":{"prototype":{}}}',
      },
      {
        name: 'prototype poisoning, escaped',
        path: '/v1/chat/completions',
        body: '{"\\u005f_proto__":{"admin":true},"model":"loopback"}',
      },
      {
        name: 'constructor poisoning, escaped',
        path: '/v1/chat/completions',
        body: '{"constructo\\u0072":{"prototype":{}},"model":"loopback"}',
      },
      {
        name: 'too large',
        path: '/v1/chat/completions',
        body: JSON.stringify({ ...chat, pad: 'x'.repeat(5000) }),
      },
      { name: 'not an object', path: '/v1/chat/completions', body: '[1,2]' },
      { name: 'no model', path: '/v1/messages', body: '{"messages":[]}' },
      {
        name: 'no key',
        path: '/v1/chat/completions',
        body: JSON.stringify(chat),
        headers: { authorization: '' },
      },
      {
        name: 'unknown key',
        path: '/v1/chat/completions',
        body: JSON.stringify(chat),
        headers: { authorization: 'Bearer sk-sluice-nope' },
      },
      {
        name: 'text/plain',
        path: '/v1/chat/completions',
        body: JSON.stringify(chat),
        headers: { 'content-type': 'text/plain' },
      },
      {
        name: 'json-like content type',
        path: '/v1/chat/completions',
        body: JSON.stringify(chat),
        headers: { 'content-type': 'application/jsonx' },
      },
      { name: 'trailing slash', path: '/v1/chat/completions/', body: JSON.stringify(chat) },
      {
        name: 'unknown Gemini method',
        path: '/v1beta/models/gemini-2.0-flash:explode',
        body: '{"contents":[]}',
      },
    ];
    for (const c of cases) {
      const answers: Array<{ status: number; body: Json }> = [];
      for (const [, gw] of both()) {
        const res = await fetch(`${gw.url}${c.path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TEST_MASTER_KEY}`,
            'content-type': 'application/json',
            ...c.headers,
          },
          body: c.body,
        });
        answers.push({ status: res.status, body: (await res.json()) as Json });
      }
      assert.ok(answers[0]!.status >= 400, `${c.name}: ${answers[0]!.status}`);
      assert.deepEqual(answers[0], answers[1], c.name);
    }
    assert.equal(h.mock.lastRequest(), undefined, 'nothing reached the provider');
  });

  it('refuses a chunked body over the limit, as it arrives', async () => {
    for (const [, gw] of both()) {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${gw.url}/v1/chat/completions`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        // No content-length: Transfer-Encoding chunked, 2 KiB at a time.
        for (let i = 0; i < 4; i++) req.write(`${i === 0 ? '{"pad":"' : ''}${'y'.repeat(2048)}`);
        req.end('"}');
      });
      assert.equal(status, 413);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'request_too_large');
    }
  });

  it('serves Gemini generateContent by its path, and leaves an encoded target to Fastify', async () => {
    for (const [lane, gw] of both()) {
      h.mock.enqueue({ text: `gemini via ${lane}` }, { text: `encoded via ${lane}` });
      const plain = await post(`${gw.url}/v1beta/models/gemini-2.0-flash:generateContent`, {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      });
      assert.equal(plain.status, 200, plain.text);
      const encoded = await post(`${gw.url}/v1beta/models/gemini-2.0-flash%3AgenerateContent`, {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      });
      assert.equal(encoded.status, 200, encoded.text);
      const counted = await lanes(gw.url);
      assert.equal(counted.get(`${lane} POST /v1beta/models/:target 200`), lane === 'direct' ? 1 : 2);
      if (lane === 'direct') assert.equal(counted.get('fastify POST /v1beta/models/:target 200'), 1);
    }
  });
});
