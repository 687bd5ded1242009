import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { GatewayServer } from '@sluice/apps/gateway';
import { lastToolResult, type MockUpstream } from '@sluice/testing';
import { seeded, VALID } from '../../libs/firewall/corpus/generators';
import { GatewayHarness, post, type Json } from '../helpers/gateway-harness';
import { TEST_MASTER_KEY } from '../helpers/pipe';

const rng = seeded(2026);
const SECRETS = {
  github: VALID['github_token']!(rng),
  awsId: VALID['aws_access_key_id']!(rng),
  awsSecret: VALID['aws_secret_key']!(rng),
  card: '4111 1111 1111 1111',
  email: 'jane.doe@acme-corp.com',
};
const PROMPT = `Deploy with token ${SECRETS.github}. AWS: aws_access_key_id=${SECRETS.awsId} aws_secret_access_key=${SECRETS.awsSecret}. Bill card ${SECRETS.card}, receipt to ${SECRETS.email}.`;
const PLANTED = Object.values(SECRETS);

/** Every client protocol, streamed and not; the model (mock) echoes the last user text back. */
const ENDPOINTS: Array<{ name: string; path: string; body: (stream: boolean) => Json }> = [
  {
    name: 'responses (OpenAI upstream)',
    path: '/v1/responses',
    body: (stream) => ({ model: 'gpt-fw', stream, input: PROMPT }),
  },
  {
    name: 'responses (Anthropic upstream)',
    path: '/v1/responses',
    body: (stream) => ({ model: 'claude-fw', stream, input: PROMPT }),
  },
  {
    name: 'chat completions',
    path: '/v1/chat/completions',
    body: (stream) => ({ model: 'gpt-fw', stream, messages: [{ role: 'user', content: PROMPT }] }),
  },
  {
    name: 'anthropic messages',
    path: '/v1/messages',
    body: (stream) => ({
      model: 'claude-fw',
      stream,
      max_tokens: 500,
      messages: [{ role: 'user', content: PROMPT }],
    }),
  },
  {
    name: 'gemini',
    path: '/v1beta/models/gemini-fw:generateContent',
    body: () => ({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }),
  },
  {
    name: 'gemini stream',
    path: '/v1beta/models/gemini-fw:streamGenerateContent?alt=sse',
    body: () => ({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }),
  },
];

describe('prompt firewall through the gateway', { timeout: 240_000 }, () => {
  let h: GatewayHarness;
  let mock: MockUpstream;
  const gateway = (extra: Record<string, string>): Promise<GatewayServer> => h.gateway(extra);

  before(async () => {
    h = await GatewayHarness.start('firewall_e2e');
    mock = h.mock;
  });
  beforeEach(() => mock.reset());
  after(async () => {
    await h?.close();
  });

  describe('redact mode', () => {
    let gw: GatewayServer;
    before(async () => {
      gw = await gateway({ SLUICE_FIREWALL_MODE: 'redact' });
    });

    for (const ep of ENDPOINTS) {
      for (const stream of ep.name.startsWith('gemini') ? [ep.name.endsWith('stream')] : [false, true]) {
        it(`${ep.name}${stream ? ' (stream)' : ''}: the provider sees only placeholders, the client gets its values back`, async () => {
          const r = await post(`${gw.url}${ep.path}`, ep.body(stream));
          assert.equal(r.status, 200, r.text.slice(0, 300));
          const upstream = mock.lastRequest()!.rawBody;
          for (const v of PLANTED)
            assert.ok(!upstream.includes(v), `the provider never sees ${v.slice(0, 8)}…`);
          assert.match(upstream, /\[GITHUB_[A-Z_]*[0-9a-f]{6}\]/);
          // The echo came back with placeholders; the gateway restored them (JSON-escaped in the body).
          const received = r.text.replace(/\\n/g, '\n');
          for (const v of PLANTED) assert.ok(received.includes(v), `the client gets ${v.slice(0, 8)}… back`);
        });
      }
    }

    it('an agent reads a secret, the model writes its placeholder into a tool call, the agent receives the value', async () => {
      const fileText = `AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecret}\nAWS_ACCESS_KEY_ID=${SECRETS.awsId}\n`;
      mock.respondWith((req) => {
        const seen = lastToolResult(req)?.content ?? '';
        const placeholder = /\[AWS_SECRET_KEY_[0-9a-f]{6,}\]/.exec(seen)?.[0] ?? 'NONE';
        return { toolCalls: [{ name: 'write_env', arguments: { path: '.env.prod', value: placeholder } }] };
      });
      const body = {
        model: 'gpt-fw',
        tools: [
          {
            type: 'function',
            function: {
              name: 'write_env',
              parameters: {
                type: 'object',
                properties: { path: { type: 'string' }, value: { type: 'string' } },
              },
            },
          },
        ],
        messages: [
          { role: 'user', content: 'Copy the AWS secret from .env into .env.prod' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":".env"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: fileText },
        ],
      };
      for (const stream of [false, true]) {
        const r = await post(`${gw.url}/v1/chat/completions`, { ...body, stream });
        assert.equal(r.status, 200);
        assert.ok(
          !mock.lastRequest()!.rawBody.includes(SECRETS.awsSecret),
          'the provider only saw the placeholder',
        );
        let args: string;
        if (stream) {
          args = r.text
            .split('\n')
            .filter((l) => l.startsWith('data: {'))
            .map(
              (l) =>
                (
                  JSON.parse(l.slice(6)) as {
                    choices: Array<{ delta: { tool_calls?: Array<{ function?: { arguments?: string } }> } }>;
                  }
                ).choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '',
            )
            .join('');
        } else {
          const choice = (
            r.json['choices'] as Array<{
              message: { tool_calls: Array<{ function: { arguments: string } }> };
            }>
          )[0]!;
          args = choice.message.tool_calls[0]!.function.arguments;
        }
        assert.deepEqual(
          JSON.parse(args),
          { path: '.env.prod', value: SECRETS.awsSecret },
          `the agent receives the real value (stream: ${stream})`,
        );
      }
    });

    it('the same value gets the same placeholder in every turn', async () => {
      const chatEp = ENDPOINTS.find((e) => e.path === '/v1/chat/completions')!;
      await post(`${gw.url}/v1/chat/completions`, chatEp.body(false));
      const first = /\[GITHUB_[A-Z_]*[0-9a-f]{6}\]/.exec(mock.lastRequest()!.rawBody)?.[0];
      await post(`${gw.url}/v1/chat/completions`, chatEp.body(false));
      assert.equal(/\[GITHUB_[A-Z_]*[0-9a-f]{6}\]/.exec(mock.lastRequest()!.rawBody)?.[0], first);
    });
  });

  describe('per-team and per-key policies', () => {
    it('a team override and a key override apply over the global mode, changed at once through the admin API', async () => {
      const gw = await gateway({ SLUICE_FIREWALL_MODE: 'monitor' });
      const admin = async (
        method: string,
        path: string,
        body?: unknown,
      ): Promise<{ status: number; json: Json }> => {
        const res = await fetch(`${gw.url}/api/v1/admin${path}`, {
          method,
          headers: {
            authorization: `Bearer ${TEST_MASTER_KEY}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: (await res.json()) as Json };
      };
      const team = (await admin('POST', '/teams', { name: 'fw-team' })).json;
      const key = (await admin('POST', `/teams/${team['id'] as string}/keys`, { name: 'k' })).json;
      let lastBody = '';
      const chatAs = async (): Promise<number> => {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key['key'] as string}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-fw', messages: [{ role: 'user', content: PROMPT }] }),
        });
        lastBody = await res.text();
        return res.status;
      };

      mock.enqueue({ text: 'a' });
      assert.equal(await chatAs(), 200, 'global monitor lets it through');
      assert.ok(mock.lastRequest()!.rawBody.includes(SECRETS.github), 'monitor does not change the request');

      assert.equal(
        (await admin('PUT', `/teams/${team['id'] as string}/firewall`, { mode: 'enforce' })).status,
        200,
      );
      assert.equal(await chatAs(), 403, 'the team override blocks');

      const keyPolicy = await admin('PUT', `/keys/${key['id'] as string}/firewall`, {
        mode: 'redact',
        actions: { email: 'monitor' },
      });
      assert.equal(keyPolicy.status, 200, JSON.stringify(keyPolicy.json));
      mock.enqueue({ text: 'b' });
      assert.equal(await chatAs(), 200, `the key override redacts instead: ${lastBody}`);
      const seen = mock.lastRequest()!.rawBody;
      assert.ok(!seen.includes(SECRETS.github));
      assert.ok(seen.includes(SECRETS.email), 'the per-detector action keeps e-mail in monitor');

      assert.equal(
        (await admin('PUT', `/keys/${key['id'] as string}/firewall`, { actions: { nope: 'block' } })).status,
        400,
      );
      assert.equal((await admin('PUT', `/teams/team_missing/firewall`, { mode: 'off' })).status, 404);
      assert.equal((await admin('DELETE', `/keys/${key['id'] as string}/firewall`)).status, 200);
      assert.equal((await admin('DELETE', `/teams/${team['id'] as string}/firewall`)).status, 200);
      mock.enqueue({ text: 'c' });
      assert.equal(await chatAs(), 200, 'back to the global policy');
    });
  });

  describe('external analyzer (Presidio-compatible HTTP filter)', () => {
    let analyzer: Server;
    let analyzerUrl = '';
    let down = false;
    before(async () => {
      // Finds person names the way an NLP sidecar would; offsets in code points of the text it got.
      analyzer = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          if (down) {
            res.writeHead(500);
            res.end('down');
            return;
          }
          const text =
            (JSON.parse(raw) as { input?: string; text?: string }).input ??
            (JSON.parse(raw) as { text?: string }).text ??
            '';
          const entities = [...text.matchAll(/John Smith/g)].map((m) => ({
            type: 'PERSON',
            start: [...text.slice(0, m.index)].length,
            end: [...text.slice(0, m.index)].length + 10,
          }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ allowed: true, entities }));
        });
      });
      await new Promise<void>((r) => analyzer.listen(0, '127.0.0.1', r));
      analyzerUrl = `http://127.0.0.1:${(analyzer.address() as AddressInfo).port}/filter`;
    });
    after(async () => {
      analyzer.closeAllConnections();
      await new Promise<void>((r) => analyzer.close(() => r()));
    });

    it('redacts what the analyzer finds, and restores it in the answer', async () => {
      const gw = await gateway({ SLUICE_FIREWALL_MODE: 'redact', SLUICE_FIREWALL_ANALYZER_URL: analyzerUrl });
      const r = await post(`${gw.url}/v1/chat/completions`, {
        model: 'gpt-fw',
        messages: [{ role: 'user', content: 'Write to John Smith about token ' + SECRETS.github }],
      });
      assert.equal(r.status, 200, r.text);
      const upstream = mock.lastRequest()!.rawBody;
      assert.ok(!upstream.includes('John Smith'), 'the name never reaches the provider');
      assert.ok(!upstream.includes(SECRETS.github), 'local detectors still apply');
      assert.match(upstream, /\[PERSON_[0-9a-f]{6}\]/);
      assert.ok(r.text.includes('John Smith'), 'the client gets the name back');
    });

    it('on analyzer failure: allow keeps serving on local detectors, block refuses with 503', async () => {
      down = true;
      try {
        const allow = await gateway({
          SLUICE_FIREWALL_MODE: 'redact',
          SLUICE_FIREWALL_ANALYZER_URL: analyzerUrl,
          SLUICE_FIREWALL_ANALYZER_ON_ERROR: 'allow',
        });
        const ok = await post(`${allow.url}/v1/chat/completions`, {
          model: 'gpt-fw',
          messages: [{ role: 'user', content: 'hi John Smith' }],
        });
        assert.equal(ok.status, 200);
        const block = await gateway({
          SLUICE_FIREWALL_MODE: 'redact',
          SLUICE_FIREWALL_ANALYZER_URL: analyzerUrl,
          SLUICE_FIREWALL_ANALYZER_ON_ERROR: 'block',
        });
        const refused = await post(`${block.url}/v1/chat/completions`, {
          model: 'gpt-fw',
          messages: [{ role: 'user', content: 'hi John Smith' }],
        });
        assert.equal(refused.status, 503);
      } finally {
        down = false;
      }
    });
  });

  describe('enforce mode', () => {
    it('blocks in the caller protocol, naming detectors and places but never values; nothing goes upstream', async () => {
      const gw = await gateway({ SLUICE_FIREWALL_MODE: 'enforce' });
      const chatEp = ENDPOINTS.find((e) => e.path === '/v1/chat/completions')!;
      const openai = await post(`${gw.url}/v1/chat/completions`, chatEp.body(false));
      assert.equal(openai.status, 403);
      const message = (openai.json['error'] as Json)['message'] as string;
      assert.match(message, /github/);
      assert.match(message, /messages\[0\]/);
      for (const v of PLANTED) assert.ok(!openai.text.includes(v), 'no value in the error');
      const anthropic = await post(
        `${gw.url}/v1/messages`,
        ENDPOINTS.find((e) => e.path === '/v1/messages')!.body(false),
      );
      assert.equal(anthropic.status, 403);
      assert.equal(anthropic.json['type'], 'error');
      const geminiEp = ENDPOINTS.find((e) => e.name === 'gemini')!;
      const gemini = await post(`${gw.url}${geminiEp.path}`, geminiEp.body(false));
      const responses = await post(`${gw.url}/v1/responses`, ENDPOINTS[0]!.body(false));
      assert.equal(responses.status, 403);
      assert.equal(gemini.status, 403);
      assert.equal((gemini.json['error'] as Json)['status'], 'PERMISSION_DENIED');
      assert.equal(mock.requests.length, 0);
    });

    it('lets clean requests through', async () => {
      const gw = await gateway({ SLUICE_FIREWALL_MODE: 'enforce' });
      mock.enqueue({ text: 'fine' });
      const r = await post(`${gw.url}/v1/chat/completions`, {
        model: 'gpt-fw',
        messages: [{ role: 'user', content: 'What is 2+2?' }],
      });
      assert.equal(r.status, 200);
    });
  });
});
