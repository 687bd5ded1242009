import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { waitFor } from '@sluice/testing';
import { graphql, REQUEST_QUERY, type AuditView } from '../helpers/graphql';

const PORTS = {
  SLUICE_GATEWAY_PORT: '0',
  SLUICE_LEDGER_PORT: '0',
  SLUICE_MARKETPLACE_PORT: '0',
  SLUICE_LOG_LEVEL: 'warn',
};

async function findRequest(ledgerUrl: string, key: string, id: string): Promise<AuditView | null> {
  const r = await graphql<{ request: AuditView | null }>(ledgerUrl, key, REQUEST_QUERY, { id });
  return r.data?.request ?? null;
}

/**
 * The quick start as a new user lives it: standalone mode on its embedded defaults (PGlite in a
 * data folder, in-process events, the loopback model), the official OpenAI SDK as the client, the
 * request found in the ledger's GraphQL by its x-request-id; then a restart from the same folder.
 */
describe('standalone mode with the OpenAI SDK', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-standalone-'));
  const printed: string[] = [];
  let s: Standalone;
  let openai: OpenAI;

  before(async () => {
    s = await startStandalone({ ...PORTS, SLUICE_DATA_DIR: dataDir }, (line) => printed.push(line));
    openai = new OpenAI({ apiKey: s.masterKey, baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
  });

  after(async () => {
    await s?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the admin key on first start, prints it once, keeps it with mode 0600', () => {
    assert.match(s.masterKey, /^tok_[0-9A-Za-z]{43}$/);
    assert.equal(printed.filter((l) => l.includes(s.masterKey)).length, 1);
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  });

  it('answers a chat completion from the loopback model, and the ledger has it within a second', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'loopback',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello from the SDK' },
        ],
      })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0]?.message.content, 'hello from the SDK');
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.ok(
      data.usage && data.usage.prompt_tokens > 0 && data.usage.completion_tokens === 4,
      JSON.stringify(data.usage),
    );
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId, 'x-request-id header');

    const started = Date.now();
    const audit = await waitFor(
      'the request in the ledger',
      () => findRequest(s.urls.ledger, s.masterKey, requestId),
      (r) => r !== null,
      {
        timeoutMs: 1_000,
        intervalMs: 20,
      },
    );
    assert.ok(Date.now() - started <= 1_000);
    assert.equal(audit?.id, requestId);
    assert.equal(audit?.team, 'default');
    assert.equal(audit?.key, 'master');
    assert.equal(audit?.endpoint, 'openai.chat_completions');
    assert.equal(audit?.model, 'loopback');
    assert.equal(audit?.provider, 'loopback');
    assert.equal(audit?.status, 200);
    assert.equal(audit?.stream, false);
    assert.equal(audit?.tokens.input, data.usage.prompt_tokens);
    assert.equal(audit?.tokens.output, data.usage.completion_tokens);
    assert.ok(audit && audit.ttfbMs !== null && audit.ttfbMs <= audit.latencyMs);
  });

  it('streams with a final usage chunk when include_usage is set, and records the stream', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'loopback',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'one two three four' }],
      })
      .withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) {
        usage = chunk.usage;
        assert.deepEqual(chunk.choices, [], 'the usage chunk has no choices');
      }
    }
    assert.equal(text, 'one two three four');
    assert.equal(finish, 'stop');
    assert.ok(chunks >= 6, `the answer came in pieces (${chunks} chunks)`);
    assert.equal(usage?.completion_tokens, 4);
    const requestId = response.headers.get('x-request-id')!;
    const audit = await waitFor(
      'the streamed request in the ledger',
      () => findRequest(s.urls.ledger, s.masterKey, requestId),
      (r) => r !== null,
      {
        timeoutMs: 2_000,
      },
    );
    assert.equal(audit?.stream, true);
    assert.equal(audit?.tokens.output, 4);
  });

  it('without include_usage there is no usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'loopback',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const chunk of stream) assert.equal(chunk.usage ?? null, null);
  });

  it('rejects an unknown key with 401 in the OpenAI shape, and an unrouted model with 404', async () => {
    const bad = new OpenAI({
      apiKey: 'tok_unknownunknownunknownunknown',
      baseURL: `${s.urls.gateway}/v1`,
      maxRetries: 0,
    });
    await assert.rejects(
      bad.chat.completions.create({ model: 'loopback', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.AuthenticationError);
        assert.equal(err.status, 401);
        assert.equal((err.error as { type?: string }).type, 'authentication_error');
        return true;
      },
    );
    await assert.rejects(
      openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.NotFoundError);
        assert.equal(err.code, 'model_not_found');
        return true;
      },
    );
  });

  it('lists the loopback model', async () => {
    const models = await openai.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['loopback'],
    );
  });

  it('groups usage by team, key, model and provider over a period', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const q = `query ($from: DateTime!, $to: DateTime!, $by: [UsageDimension!]) {
      usage(from: $from, to: $to, groupBy: $by) { team key model provider requests inputTokens outputTokens } }`;
    type Row = {
      team: string | null;
      key: string | null;
      model: string | null;
      provider: string | null;
      requests: number;
      inputTokens: number;
      outputTokens: number;
    };
    const usage = async (by: string[]): Promise<Row[]> =>
      (await graphql<{ usage: Row[] }>(s.urls.ledger, s.masterKey, q, { from, to, by })).data?.usage ?? [];
    // The earlier tests' usage events are still arriving: the total and the groups are read until a
    // total is the same before and after the groups (one state of the books), then compared.
    const { total, byModel } = await waitFor(
      'the usage so far, unchanged while it is grouped',
      async () => {
        const before = await usage([]);
        const byModel = await usage(['TEAM', 'MODEL', 'PROVIDER']);
        const after = await usage([]);
        return { total: before, byModel, stable: before[0]?.requests === after[0]?.requests };
      },
      (r) => r.stable && r.total.length === 1 && r.total[0]!.requests >= 4,
    );
    assert.equal(
      byModel.reduce((n, r) => n + r.requests, 0),
      total[0]!.requests,
      'the groups add up to the total',
    );
    const loopback = byModel.find((r) => r.model === 'loopback')!;
    assert.equal(loopback.team, 'default');
    assert.equal(loopback.provider, 'loopback');
    assert.equal(loopback.key, null, 'not grouped by key');
    assert.ok(loopback.inputTokens > 0 && loopback.outputTokens > 0);
    const bad = await graphql<{ usage: Row[] }>(s.urls.ledger, s.masterKey, q, {
      from: to,
      to: from,
      by: [],
    });
    assert.match(bad.errors?.[0]?.message ?? '', /after/);
    const anon = await graphql<{ usage: Row[] }>(s.urls.ledger, 'tok_wrongwrongwrongwrongwrong', q, {
      from,
      to,
      by: [],
    });
    assert.equal(anon.data, null, 'the admin key is required');
  });

  it('keeps everything across a restart from the same data folder', async () => {
    const sdkCalls = 120;
    const ids = await Promise.all(
      Array.from({ length: sdkCalls }, async (_, i) => {
        const { response } = await openai.chat.completions
          .create({ model: 'loopback', messages: [{ role: 'user', content: `n${i}` }] })
          .withResponse();
        return response.headers.get('x-request-id')!;
      }),
    );
    await s.stop();
    printed.length = 0;
    s = await startStandalone({ ...PORTS, SLUICE_DATA_DIR: dataDir }, (line) => printed.push(line));
    assert.equal(
      printed.some((l) => l.includes(s.masterKey)),
      false,
      'the key is not printed again',
    );
    for (const id of ids)
      assert.ok(await findRequest(s.urls.ledger, s.masterKey, id), `request ${id} survived the restart`);
    openai = new OpenAI({ apiKey: s.masterKey, baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
    const again = await openai.chat.completions.create({
      model: 'loopback',
      messages: [{ role: 'user', content: 'after restart' }],
    });
    assert.equal(again.choices[0]?.message.content, 'after restart');
  });
});
