import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { countRequestTokens, countTextTokens, decodeResponsesRequest } from '@sluice/protocols';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { lastToolResult, MockUpstream, toolResults, waitFor } from '@sluice/testing';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../../apps/gateway/src/gateway.runtime';
import { ResponsesStore } from '../../apps/gateway/src/responses/responses-store.service';
import { graphql, REQUEST_QUERY, type AuditView } from '../helpers/graphql';
import {
  CUSTOM_CALL_SEQUENCE,
  eventShape,
  FUNCTION_CALL_SEQUENCE,
  streamAll,
  TEXT_SEQUENCE,
  WEATHER_TOOL,
} from '../helpers/responses-events';

const UPSTREAMS = [
  {
    name: 'openai (Responses passthrough)',
    model: 'gpt-resp',
    path: '/v1/responses',
    protocol: 'openai-responses',
  },
  {
    name: 'openai-compatible (Chat)',
    model: 'compat-resp',
    path: '/v1/chat/completions',
    protocol: 'openai-chat',
  },
  { name: 'anthropic', model: 'claude-resp', path: '/v1/messages', protocol: 'anthropic' },
  { name: 'gemini', model: 'gemini-resp', path: '/v1beta/models/gemini-resp', protocol: 'gemini' },
] as const;

/**
 * Issue 4's Responses API through the gateway, with the OpenAI SDK as Codex uses it: on an OpenAI
 * upstream (passthrough to its /v1/responses), on an OpenAI-compatible server that only has Chat
 * Completions, on Anthropic and on Gemini (translation); the stored conversation across a restart.
 */
describe('Responses API', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-responses-'));
  const configFile = join(dataDir, 'sluice.yaml');
  let mock: MockUpstream;
  let s: Standalone;
  let client: OpenAI;
  let env: Record<string, string>;

  const start = async (): Promise<void> => {
    s = await startStandalone(env, () => undefined);
    client = new OpenAI({ apiKey: s.masterKey, baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
  };

  const audit = (id: string): Promise<AuditView | null> =>
    waitFor(
      `request ${id} in the ledger`,
      async () =>
        (await graphql<{ request: AuditView | null }>(s.urls.ledger, s.masterKey, REQUEST_QUERY, { id })).data
          ?.request ?? null,
      (r) => r !== null,
      { timeoutMs: 5_000, intervalMs: 20 },
    );

  before(async () => {
    mock = await MockUpstream.start({
      keys: { openai: 'sk-up-openai', anthropic: 'sk-up-anthropic', gemini: 'up-gemini' },
    });
    writeFileSync(
      configFile,
      [
        'providers:',
        '  - name: compat',
        '    type: openai',
        `    base_url: ${mock.url}/v1`,
        '    api_key: sk-up-openai',
        'routes:',
        '  - { model: "gpt-*", provider: openai }',
        '  - { model: "compat-*", provider: compat }',
        '  - { model: "claude-*", provider: anthropic }',
        '  - { model: "gemini-*", provider: gemini }',
        '  - { model: "fallback-resp", providers: [anthropic, gemini] }',
        'aliases:',
        '  gpt-alias: gpt-resp-served',
        '',
      ].join('\n'),
    );
    env = {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_CONFIG: configFile,
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
      SLUICE_RESPONSES_VIA_CHAT: 'compat',
    };
    await start();
  });

  beforeEach(() => mock.reset());

  after(async () => {
    await s?.stop();
    await mock?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const up of UPSTREAMS) {
    describe(`-> ${up.name}`, () => {
      it('text', async () => {
        mock.enqueue({ text: `hello from ${up.name}`, usage: { inputTokens: 12, outputTokens: 4 } });
        const { data, response } = await client.responses
          .create({ model: up.model, input: 'hi', instructions: 'be brief' })
          .withResponse();
        assert.equal(data.object, 'response');
        assert.equal(data.status, 'completed');
        assert.equal(data.output_text, `hello from ${up.name}`);
        assert.equal(data.usage?.input_tokens, 12);
        assert.equal(data.usage?.output_tokens, 4);
        const req = mock.lastRequest()!;
        assert.ok(req.path.startsWith(up.path), `${req.path} is the ${up.name} endpoint`);
        assert.equal(req.protocol, up.protocol);
        assert.equal(req.stream, false);

        const row = await audit(response.headers.get('x-request-id')!);
        assert.equal(row?.endpoint, 'openai.responses');
        assert.equal(row?.model, up.model);
        assert.equal(row?.status, 200);
        assert.equal(row?.stream, false);
        assert.equal(row?.tokens.input, 12);
        assert.equal(row?.tokens.output, 4);
      });

      it('stream: the exact event sequence, usage in the ledger', async () => {
        mock.enqueue({ text: 'one two three four', chunks: 4, usage: { inputTokens: 7, outputTokens: 5 } });
        const { data: stream, response } = await client.responses
          .create({ model: up.model, input: 'count', stream: true })
          .withResponse();
        const events: OpenAI.Responses.ResponseStreamEvent[] = [];
        for await (const ev of stream) events.push(ev);
        assert.deepEqual(eventShape(events), TEXT_SEQUENCE);
        assert.deepEqual(
          events.map((e) => e.sequence_number),
          events.map((_, i) => i),
          'sequence numbers count from 0',
        );
        const deltas = events.filter((e) => e.type === 'response.output_text.delta');
        assert.ok(deltas.length >= 2, `text arrived in pieces (${deltas.length})`);
        const done = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
        assert.equal(done.response.output_text ?? textOf(done.response), 'one two three four');
        assert.equal(done.response.usage?.output_tokens, 5);
        const itemIds = new Set(
          events.flatMap((e) => ('item_id' in e && typeof e.item_id === 'string' ? [e.item_id] : [])),
        );
        assert.equal(itemIds.size, 1, 'one message item, one id');
        assert.equal(mock.lastRequest()!.stream, true);

        const id = response.headers.get('x-request-id')!;
        const row = await audit(id);
        assert.equal(row?.stream, true);
        assert.equal(row?.tokens.input, 7);
        assert.equal(row?.tokens.output, 5);
        // The gateway's own count beside the provider's: the input as decoded for the provider, the
        // answer as relayed.
        type Own = { gatewayTokens: { input: number | null; output: number | null } };
        const own = await waitFor(
          `the audit record of ${id}`,
          async () =>
            (
              await graphql<{ auditRecord: Own | null }>(
                s.urls.ledger,
                s.masterKey,
                `
                  query ($id: ID!) {
                    auditRecord(id: $id) {
                      gatewayTokens {
                        input
                        output
                      }
                    }
                  }
                `,
                { id },
              )
            ).data?.auditRecord ?? null,
          (r) => r !== null,
          { timeoutMs: 5_000, intervalMs: 20 },
        );
        assert.equal(own?.gatewayTokens.output, countTextTokens('one two three four'));
        assert.equal(
          own?.gatewayTokens.input,
          countRequestTokens(decodeResponsesRequest({ model: up.model, input: 'count', stream: true }).ir),
        );
      });

      it('tool round trip: function call, function_call_output, text', async () => {
        mock.respondWith((req) =>
          toolResults(req).length === 0
            ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }
            : { text: `It is ${lastToolResult(req)?.content ?? '?'}` },
        );
        const first = await streamAll(client, {
          model: up.model,
          input: 'Weather in Paris?',
          tools: [WEATHER_TOOL],
        });
        assert.deepEqual(eventShape(first.events), FUNCTION_CALL_SEQUENCE);
        const call = first.final.output.find(
          (o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call',
        );
        assert.ok(call, 'a function_call item');
        assert.equal(call.name, 'get_weather');
        assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
        assert.ok(call.call_id.length > 0);

        const second = await client.responses.create({
          model: up.model,
          tools: [WEATHER_TOOL],
          input: [
            { role: 'user', content: 'Weather in Paris?' },
            ...(first.final.output as OpenAI.Responses.ResponseInputItem[]),
            { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' },
          ],
        });
        // Gemini carries a tool result as an object (`{ output: "..." }`): the text is inside.
        assert.match(second.output_text, /^It is .*sunny, 21C/);
        const upstream = mock.requests.at(-1)!;
        assert.equal(toolResults(upstream).length, 1, 'the upstream received the tool result');
        assert.match(toolResults(upstream)[0]!.content, /sunny, 21C/);
      });

      it('stream is not buffered', async () => {
        mock.enqueue({ text: 'a b c d', chunks: 4, chunkDelayMs: 150 });
        const seen: number[] = [];
        const stream = await client.responses.create({ model: up.model, input: 'x', stream: true });
        for await (const ev of stream)
          if (ev.type === 'response.output_text.delta') seen.push(performance.timeOrigin + performance.now());
        const req = await mock.finished(mock.lastRequest()!);
        const lastWrite = req.writes.at(-1)!.atMs;
        assert.ok(seen.length >= 2, `text arrived in pieces (${seen.length})`);
        assert.ok(
          seen[0]! < lastWrite - 100,
          'the first piece reached the client while the provider was still writing',
        );
      });

      it('an error in the middle of the stream ends it with error + response.failed, recorded', async () => {
        mock.enqueue({ text: 'a b c d e f', error: { status: 500, message: 'boom', midStream: true } });
        const res = await fetch(`${s.urls.gateway}/v1/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: up.model, input: 'x', stream: true }),
        });
        assert.equal(res.status, 200);
        const types = [...(await res.text()).matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
        assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
        assert.deepEqual(types.slice(-2), ['error', 'response.failed']);
        const row = await audit(res.headers.get('x-request-id')!);
        assert.ok(row?.errorCode, 'the usage event names the failure');
      });

      it('upstream error keeps its status, in the OpenAI shape', async () => {
        mock.enqueue({ error: { status: 400, message: 'scripted bad request' } });
        await assert.rejects(client.responses.create({ model: up.model, input: 'x' }), (err: unknown) => {
          assert.ok(err instanceof OpenAI.BadRequestError, String(err));
          assert.equal(err.status, 400);
          assert.match(err.message, /scripted bad request/);
          return true;
        });
      });
    });
  }

  it('retries a 429 (retry-after) before the first byte, then answers the stream', async () => {
    mock.enqueue({ error: { status: 429, retryAfterSeconds: 0 } }, { text: 'after retry' });
    const { events, final } = await streamAll(client, { model: 'claude-resp', input: 'x' });
    assert.deepEqual(eventShape(events), TEXT_SEQUENCE);
    assert.equal(final.output_text, 'after retry');
    assert.equal(mock.requests.length, 2);
  });

  it('falls back to the next provider of the route when one keeps failing', async () => {
    mock.enqueueFor(
      { protocol: 'anthropic' },
      { error: { status: 503 } },
      { error: { status: 503 } },
      { error: { status: 503 } },
    );
    mock.enqueueFor({ protocol: 'gemini' }, { text: 'from the fallback' });
    const { data, response } = await client.responses
      .create({ model: 'fallback-resp', input: 'x' })
      .withResponse();
    assert.equal(data.output_text, 'from the fallback');
    assert.deepEqual(
      mock.requests.map((r) => r.protocol),
      ['anthropic', 'anthropic', 'anthropic', 'gemini'],
    );
    const row = await audit(response.headers.get('x-request-id')!);
    assert.equal(row?.provider, 'gemini');
  });

  it('a client that hangs up mid-stream stops the upstream call and is recorded as 499', async () => {
    mock.enqueue({ text: 'a b c d e f g h', chunks: 8, chunkDelayMs: 200 });
    const abort = new AbortController();
    const res = await fetch(`${s.urls.gateway}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-resp', input: 'x', stream: true }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('response.output_text.delta')) {
      const { value } = await reader.read();
      seen += new TextDecoder().decode(value);
    }
    abort.abort();
    const upstream = await mock.finished(mock.lastRequest()!);
    assert.equal(upstream.outcome, 'client-closed');
    const row = await audit(res.headers.get('x-request-id')!);
    assert.equal(row?.status, 499);
  });

  it('a client that hangs up before the first byte cancels the upstream call and is recorded as 499 client_closed', async () => {
    mock.enqueue({ text: 'too late', firstByteDelayMs: 400 });
    // No response header ever reaches the client: the record is found by the request's hash.
    const body = JSON.stringify({ model: 'claude-resp', input: `hang up ${Date.now()}`, stream: true });
    const abort = new AbortController();
    const pending = fetch(`${s.urls.gateway}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body,
      signal: abort.signal,
    });
    await waitFor(
      'the upstream call',
      async () => mock.requests.length,
      (n) => n > 0,
      {
        timeoutMs: 2_000,
        intervalMs: 5,
      },
    );
    abort.abort();
    await assert.rejects(pending);
    const upstream = await mock.finished(mock.lastRequest()!);
    assert.equal(upstream.outcome, 'client-closed');
    const sha = createHash('sha256').update(body).digest('hex');
    type Row = { status: number; errorCode: string | null; requestSha256: string | null };
    const row = await waitFor(
      'the hung-up request in the ledger',
      async () =>
        (
          await graphql<{ auditRecords: { items: Row[] } }>(
            s.urls.ledger,
            s.masterKey,
            `
              query {
                auditRecords(filter: { status: 499 }, first: 50) {
                  items {
                    status
                    errorCode
                    requestSha256
                  }
                }
              }
            `,
            {},
          )
        ).data?.auditRecords.items.find((r) => r.requestSha256 === sha),
      (r) => r !== undefined,
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    assert.equal(row?.status, 499);
    assert.equal(row?.errorCode, 'client_closed');
  });

  it('passthrough forwards the body as it came, model renamed only', async () => {
    mock.enqueue({ text: 'ok' });
    const body = {
      model: 'gpt-alias',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] }],
      previous_response_id: 'resp_upstream_owned',
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'high', summary: 'auto' },
      store: false,
      client_metadata: { session: 's1' },
    };
    const res = await fetch(`${s.urls.gateway}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(mock.lastRequest()!.body, { ...body, model: 'gpt-resp-served' });
  });

  it('freeform (custom) tools on Anthropic come back as custom_tool_call items', async () => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n';
    mock.enqueue({ toolCalls: [{ type: 'custom', name: 'apply_patch', input: patch }] });
    const { events, final } = await streamAll(client, {
      model: 'claude-resp',
      input: 'add a.txt',
      tools: [{ type: 'custom', name: 'apply_patch', description: 'edit files' }],
    });
    assert.deepEqual(eventShape(events), CUSTOM_CALL_SEQUENCE);
    const item = final.output[0] as OpenAI.Responses.ResponseCustomToolCall;
    assert.equal(item.type, 'custom_tool_call');
    assert.equal(item.name, 'apply_patch');
    assert.equal(item.input, patch);
  });

  it('the loopback model answers through the Responses encoder', async () => {
    const r = await client.responses.create({ model: 'loopback', input: 'echo me' });
    assert.equal(r.output_text, 'echo me');
    const { events, final } = await streamAll(client, { model: 'loopback', input: 'one two' });
    assert.deepEqual(eventShape(events), TEXT_SEQUENCE);
    assert.equal(final.output_text, 'one two');
  });

  it('a stream cut by the upstream ends with response.failed', async () => {
    mock.enqueue({ text: 'a b c d e f', chunks: 6, dropAfterFrames: 4 });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    const stream = await client.responses.create({ model: 'claude-resp', input: 'x', stream: true });
    for await (const ev of stream) events.push(ev);
    assert.equal(events.at(-1)?.type, 'response.failed');
  });

  it('previous_response_id, GET and DELETE on a translated upstream, across a restart', async () => {
    mock.respondWith((req) => ({ text: `turn ${mock.requests.indexOf(req) + 1}` }));
    const first = await client.responses.create({ model: 'claude-resp', input: 'My name is Ada.' });
    assert.match(first.id, /^resp_/);
    assert.equal(first.output_text, 'turn 1');

    await s.stop();
    await start();

    const second = await client.responses.create({
      model: 'claude-resp',
      input: 'What is my name?',
      previous_response_id: first.id,
    });
    assert.equal(second.previous_response_id, first.id);
    assert.deepEqual(anthropicTexts(mock.lastRequest()!.body), [
      ['user', 'My name is Ada.'],
      ['assistant', 'turn 1'],
      ['user', 'What is my name?'],
    ]);

    const got = await client.responses.retrieve(second.id);
    assert.equal(got.id, second.id);
    assert.equal(got.output_text ?? textOf(got), second.output_text);

    // Another team's key sees nothing.
    const other = await otherTeamClient(s);
    await assert.rejects(
      other.responses.retrieve(first.id),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
    await assert.rejects(
      other.responses.create({ model: 'claude-resp', input: 'x', previous_response_id: first.id }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'previous_response_not_found',
    );

    await client.responses.delete(first.id);
    await assert.rejects(
      client.responses.retrieve(first.id),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
    await assert.rejects(
      client.responses.delete(first.id),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
    await assert.rejects(
      client.responses.create({ model: 'claude-resp', input: 'x', previous_response_id: first.id }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'previous_response_not_found',
    );
  });

  it('store: false is not kept; expired rows are ignored and swept', async () => {
    mock.enqueue({ text: 'a' }, { text: 'b' });
    const unstored = await client.responses.create({ model: 'gemini-resp', input: 'x', store: false });
    await assert.rejects(
      client.responses.retrieve(unstored.id),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );

    const kept = await client.responses.create({ model: 'gemini-resp', input: 'y' });
    assert.equal((await client.responses.retrieve(kept.id)).id, kept.id);
    const rt = s.gateway.get<symbol, GatewayRuntime>(GATEWAY_RUNTIME);
    await rt.db.query(`UPDATE gateway.responses SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      kept.id,
    ]);
    await assert.rejects(
      client.responses.retrieve(kept.id),
      (e: unknown) => e instanceof OpenAI.NotFoundError,
    );
    assert.ok((await s.gateway.get(ResponsesStore).sweep()) >= 1);
    const left = await rt.db.query(`SELECT id FROM gateway.responses WHERE id = $1`, [kept.id]);
    assert.equal(left.length, 0);
  });

  it('GET of an unknown id is a 404 in the OpenAI shape', async () => {
    const res = await fetch(`${s.urls.gateway}/v1/responses/resp_nope`, {
      headers: { authorization: `Bearer ${s.masterKey}` },
    });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /resp_nope/);
  });
});

function textOf(r: OpenAI.Responses.Response): string {
  return r.output
    .flatMap((o) => (o.type === 'message' ? o.content : []))
    .map((c) => (c.type === 'output_text' ? c.text : ''))
    .join('');
}

/** Role and text of each message of an Anthropic request body (string or text blocks). */
function anthropicTexts(body: unknown): Array<[string, string]> {
  const messages = (body as { messages: Array<{ role: string; content: unknown }> }).messages;
  return messages.map((m) => [
    m.role,
    typeof m.content === 'string'
      ? m.content
      : (m.content as Array<{ type: string; text?: string }>)
          .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
          .join(''),
  ]);
}

async function otherTeamClient(s: Standalone): Promise<OpenAI> {
  const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${s.urls.gateway}/api/v1/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Record<string, unknown>;
  };
  const team = await admin('/teams', { name: `other-${Date.now()}` });
  const key = await admin(`/teams/${String(team['id'])}/keys`, { name: 'k' });
  return new OpenAI({ apiKey: String(key['key']), baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
}
