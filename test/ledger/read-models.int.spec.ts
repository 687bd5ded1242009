import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { Client } from 'pg';
import { KafkaTransport } from '@sluice/events';
import { countRequestTokens, countTextTokens, getCodec } from '@sluice/protocols';
import { requireKafkaBrokers, ServiceProcess, uniqueTopic, waitFor } from '@sluice/testing';
import type { GatewayServer } from '@sluice/apps/gateway';
import { parseCsv } from '../../apps/ledger/src/read-models/csv';
import { GatewayHarness } from '../helpers/gateway-harness';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY, usageEvent } from '../helpers/pipe';
import { expectedChargeNanoUsd, type Tokens } from './helpers';

const ROOT = join(__dirname, '../..');
const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const HOUR = 3_600_000;

/** One scripted request, what the client sent and got, and what the books must say about it. */
type Call = {
  name: string;
  team: 'a' | 'b';
  key: 'a1' | 'a2' | 'b1';
  provider: string;
  model: string;
  stream: boolean;
  text: string;
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens?: number };
  error?: { status: number; midStream?: boolean };
  requestId?: string;
  requestBody?: string;
  responseSha256?: string;
};

const CALLS: Call[] = [
  {
    name: 'gpt-4o, cached prompt',
    team: 'a',
    key: 'a1',
    provider: 'openai',
    model: 'gpt-4o',
    stream: false,
    text: 'The quick brown fox jumps over the lazy dog.',
    usage: { inputTokens: 1234, outputTokens: 567, cacheReadTokens: 200 },
  },
  {
    name: 'gpt-4o, streamed',
    team: 'a',
    key: 'a1',
    provider: 'openai',
    model: 'gpt-4o',
    stream: true,
    text: 'Streaming answer with several words in it, arriving one by one.',
    usage: { inputTokens: 2000, outputTokens: 300 },
  },
  {
    name: 'gpt-4o-mini, streamed, other key',
    team: 'a',
    key: 'a2',
    provider: 'openai',
    model: 'gpt-4o-mini',
    stream: true,
    text: 'Mini model speaks briefly.',
    usage: { inputTokens: 50_000, outputTokens: 1000 },
  },
  {
    name: 'claude-sonnet-4-5 through translation, streamed',
    team: 'b',
    key: 'b1',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    stream: true,
    text: 'Claude answers through the OpenAI protocol.',
    usage: { inputTokens: 3000, outputTokens: 700 },
  },
  {
    name: 'gpt-4o refused by the provider (400)',
    team: 'b',
    key: 'b1',
    provider: 'openai',
    model: 'gpt-4o',
    stream: false,
    text: '',
    usage: { inputTokens: 0, outputTokens: 0 },
    error: { status: 400 },
  },
];

const tokensOf = (c: Call): Tokens => ({
  input: c.usage.inputTokens - (c.usage.cacheReadTokens ?? 0),
  output: c.usage.outputTokens,
  cacheRead: c.usage.cacheReadTokens ?? 0,
  cacheWrite: 0,
});
const chargeOf = (c: Call): bigint =>
  c.error ? 0n : expectedChargeNanoUsd(c.provider, c.model, tokensOf(c));

type Audit = {
  id: string;
  eventId: string;
  correctedBy: string[];
  team: string;
  key: string | null;
  modelServed: string | null;
  provider: string | null;
  providerRequestId: string | null;
  stream: boolean;
  status: number;
  ttfbMs: number | null;
  ttftMs: number | null;
  latencyMs: number;
  requestSha256: string | null;
  responseSha256: string | null;
  tokens: { inputUncached: number; cacheRead: number; output: number };
  gatewayTokens: { input: number | null; output: number | null };
  cost: { status: string; chargeNanoUsd: string | null; listPriceVersion: number | null };
  transferIds: string[];
};
const AUDIT_FIELDS = `id eventId correctedBy team key modelServed provider providerRequestId stream status ttfbMs ttftMs latencyMs requestSha256 responseSha256
  tokens { inputUncached cacheRead output } gatewayTokens { input output } cost { status chargeNanoUsd listPriceVersion } transferIds`;
const AUDIT_ONE = `query ($id: ID!) { auditRecord(id: $id) { ${AUDIT_FIELDS} } }`;
const AUDIT_PAGE = `query ($filter: AuditFilterInput, $first: Int, $after: String) {
  auditRecords(filter: $filter, first: $first, after: $after) { items { id team status modelServed } endCursor hasNextPage } }`;
type Page = {
  items: Array<{ id: string; team: string; status: number }>;
  endCursor: string | null;
  hasNextPage: boolean;
};

type UsageRow = {
  bucketStart: string;
  team: string | null;
  key: string | null;
  model: string | null;
  provider: string | null;
  requests: number;
  errors: number;
  inputUncachedTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
  costNanoUsd: string;
  unpricedRequests: number;
};
const USAGE = `query ($from: DateTime!, $to: DateTime!, $bucket: TimeBucket, $groupBy: [UsageDimension!], $team: String) {
  usageReport(from: $from, to: $to, bucket: $bucket, groupBy: $groupBy, team: $team) {
    bucketStart team key model provider requests errors inputUncachedTokens cacheReadTokens outputTokens costNanoUsd unpricedRequests } }`;

type Quality = {
  provider: string;
  model: string;
  requests: number;
  errors: number;
  latencyP50Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  outputTokensPerSecond: number | null;
  inputTokenDrift: number | null;
  outputTokenDrift: number | null;
  driftOutputRequests: number;
};
const QUALITY = `query ($from: DateTime!, $to: DateTime!) { providerQuality(from: $from, to: $to, bucket: MONTH) {
  provider model requests errors latencyP50Ms ttftP50Ms ttftP95Ms outputTokensPerSecond inputTokenDrift outputTokenDrift driftOutputRequests } }`;

type Statement = {
  openingBalanceNanoUsd: string;
  topUpsNanoUsd: string;
  usage: Array<{ model: string; requests: number; amountNanoUsd: string }>;
  usageNanoUsd: string;
  correctionsNanoUsd: string;
  expiriesNanoUsd: string;
  overdraftNanoUsd: string;
  marketplaceNanoUsd: string;
  otherNanoUsd: string;
  closingBalanceNanoUsd: string;
};
const STATEMENT = `query ($team: String!, $from: DateTime!, $to: DateTime!) { statement(team: $team, from: $from, to: $to) {
  openingBalanceNanoUsd topUpsNanoUsd usage { model requests amountNanoUsd } usageNanoUsd correctionsNanoUsd expiriesNanoUsd
  overdraftNanoUsd marketplaceNanoUsd otherNanoUsd closingBalanceNanoUsd } }`;

/**
 * The read models end to end: the official OpenAI SDK through a distributed gateway to the mock upstream,
 * usage over real Kafka into the ledger process on real Postgres; then the audit record, usage per hour,
 * provider quality, statements and CSV exports read back with exact numbers, and the rebuild.
 */
describe('ledger read models through the pipe', { timeout: 300_000 }, () => {
  let h: GatewayHarness;
  let gw: GatewayServer;
  let ledger: ServiceProcess | null = null;
  const topic = uniqueTopic('read-models-usage');
  const teams = { a: '', b: '' };
  const keys: Record<Call['key'], { key: string; id: string }> = {
    a1: { key: '', id: '' },
    a2: { key: '', id: '' },
    b1: { key: '', id: '' },
  };
  let from = '';
  let to = '';
  let tMid = '';
  let oldEventRequestId = '';
  const gql = <T>(query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(ledger!.url, TEST_MASTER_KEY, query, variables);
  const ok = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const r = await gql<T>(query, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${gw.url}/api/v1/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    h = await GatewayHarness.start('ledger_read_models');
    ledger = await ServiceProcess.start('ledger', {
      DATABASE_URL: h.db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
    });
    gw = await h.gateway({ SLUICE_USAGE_TOPIC: topic });
    for (const t of ['a', 'b'] as const)
      teams[t] = (await admin('/teams', { name: `team-${t}` }))['id'] as string;
    for (const k of ['a1', 'a2', 'b1'] as const) {
      const created = await admin(`/teams/${teams[k[0] as 'a' | 'b']}/keys`, { name: k });
      keys[k] = { key: created['key'] as string, id: created['id'] as string };
    }
    const now = Date.now();
    from = new Date(Math.floor(now / HOUR) * HOUR - HOUR).toISOString();
    to = new Date(Math.floor(now / HOUR) * HOUR + 3 * HOUR).toISOString();
  });

  after(async () => {
    await ledger?.kill('SIGKILL');
    await h?.close();
  });

  it('a top-up, then requests with the SDK; every request lands in the audit record', async () => {
    const top = await ok<{ topUp: { eventId: string } }>(
      `mutation ($team: String!) { topUp(team: $team, amountUsd: "10", idempotencyKey: "rm-1") { eventId } }`,
      { team: teams.a },
    );
    assert.ok(top.topUp.eventId);
    await waitFor(
      'the top-up to be booked',
      async () =>
        (
          await gql<{ balances: Array<{ balanceNanoUsd: string }> }>(
            `query ($a: String) { balances(account: $a) { balanceNanoUsd } }`,
            { a: `team:${teams.a}` },
          )
        ).data?.balances ?? [],
      (b) => b[0]?.balanceNanoUsd === '10000000000',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 5));
    tMid = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));

    for (const c of CALLS) {
      h.mock.enqueue({
        text: c.text,
        usage: { ...c.usage },
        chunkDelayMs: c.stream ? 15 : 0,
        ...(c.error ? { error: c.error } : {}),
      });
      // The SDK's own requests, seen on the wire: the exact bytes sent, the bytes received, the request id.
      const sdk = new OpenAI({
        apiKey: keys[c.key].key,
        baseURL: `${gw.url}/v1`,
        maxRetries: 0,
        fetch: async (url: string | URL | Request, init?: RequestInit) => {
          c.requestBody = typeof init?.body === 'string' ? init.body : undefined;
          const res = await fetch(url, init);
          c.requestId = res.headers.get('x-request-id') ?? undefined;
          const copy = res.clone();
          void copy.arrayBuffer().then((b) => (c.responseSha256 = sha256(Buffer.from(b))));
          return res;
        },
      });
      const messages = [{ role: 'user' as const, content: `Question for ${c.name}?` }];
      try {
        if (c.stream) {
          let text = '';
          const s = await sdk.chat.completions.create({ model: c.model, messages, stream: true });
          for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
          assert.equal(text, c.text);
        } else {
          const r = await sdk.chat.completions.create({ model: c.model, messages });
          assert.equal(r.choices[0]?.message.content, c.text);
        }
        assert.equal(c.error, undefined);
      } catch (err) {
        assert.ok(c.error, `${c.name}: ${String(err)}`);
        assert.equal((err as { status?: number }).status, c.error.status);
      }
      await waitFor(
        'the response body to be read',
        async () => c.responseSha256,
        (v) => v !== undefined,
      );
    }

    // An event in the old shape (no hashes, no TTFT, no gateway count) still parses and is projected.
    const old = usageEvent(1, 'team-old');
    oldEventRequestId = old.data.requestId;
    const producer = new KafkaTransport({
      brokers: requireKafkaBrokers(),
      clientId: 'rm-old',
      partitions: 6,
    });
    try {
      await producer.publish(topic, [old]);
    } finally {
      await producer.close();
    }

    const page = await waitFor(
      'every request in the audit record',
      async () =>
        (await gql<{ auditRecords: Page }>(AUDIT_PAGE, { first: 50 })).data?.auditRecords.items ?? [],
      (items) => items.length === CALLS.length + 1,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.deepEqual(
      new Set(page.map((i) => i.id)),
      new Set([...CALLS.map((c) => c.requestId), oldEventRequestId]),
    );
  });

  it('the audit record has the ids, timings, both token counts, the price and the body hashes', async () => {
    for (const c of CALLS) {
      const a = (await ok<{ auditRecord: Audit }>(AUDIT_ONE, { id: c.requestId })).auditRecord;
      assert.equal(a.team, teams[c.team], c.name);
      assert.equal(a.key, keys[c.key].id, c.name);
      assert.equal(a.provider, c.provider, c.name);
      assert.equal(a.modelServed, c.model, c.name);
      assert.equal(a.stream, c.stream, c.name);
      assert.equal(a.status, c.error ? c.error.status : 200, c.name);
      assert.equal(
        a.requestSha256,
        sha256(c.requestBody!),
        `${c.name}: request hash = the bytes the SDK sent`,
      );
      assert.equal(a.responseSha256, c.responseSha256, `${c.name}: response hash = the bytes the SDK got`);
      if (c.error) {
        assert.equal(a.cost.status, 'no_usage');
        assert.equal(a.gatewayTokens.input, null, 'errors are not counted');
        continue;
      }
      assert.ok(a.providerRequestId, `${c.name}: the provider's request id`);
      assert.deepEqual(a.tokens, {
        inputUncached: tokensOf(c).input,
        cacheRead: tokensOf(c).cacheRead,
        output: c.usage.outputTokens,
      });
      assert.equal(a.cost.status, 'priced');
      assert.equal(a.cost.chargeNanoUsd, chargeOf(c).toString(), `${c.name}: charge to the nano-dollar`);
      assert.ok((a.cost.listPriceVersion ?? 0) >= 1);
      assert.ok(a.transferIds.length >= 1, 'the ledger transfers of the request');
      // The gateway's count: the request as decoded, and the answer text, with the o200k tokenizer.
      const ir = getCodec('openai-chat').decodeRequest(JSON.parse(c.requestBody!), {});
      assert.equal(a.gatewayTokens.input, countRequestTokens(ir), c.name);
      assert.equal(a.gatewayTokens.output, countTextTokens(c.text), c.name);
      if (c.stream) {
        assert.ok(
          a.ttftMs !== null && a.ttfbMs !== null && a.ttftMs >= a.ttfbMs,
          `${c.name}: ttft after ttfb`,
        );
        assert.ok(a.ttftMs <= a.latencyMs);
      } else assert.equal(a.ttftMs, null);
    }
    const old = (await ok<{ auditRecord: Audit }>(AUDIT_ONE, { id: oldEventRequestId })).auditRecord;
    assert.equal(old.requestSha256, null);
    assert.equal(old.ttftMs, null);
    assert.deepEqual(old.gatewayTokens, { input: null, output: null });
    assert.equal(old.cost.status, 'price_not_found', 'loopback has no price');
  });

  it('audit by filter, newest first, paged by cursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const p: Page = (
        await ok<{ auditRecords: Page }>(AUDIT_PAGE, { filter: { team: teams.a }, first: 2, after })
      ).auditRecords;
      seen.push(...p.items.map((i) => i.id));
      pages++;
      if (!p.hasNextPage) break;
      after = p.endCursor;
    }
    const teamA = CALLS.filter((c) => c.team === 'a').map((c) => c.requestId!);
    assert.equal(pages, 2);
    assert.deepEqual(seen, [...teamA].reverse(), 'every team-a request once, newest first');
    const byModel = await ok<{ auditRecords: Page }>(AUDIT_PAGE, { filter: { model: 'gpt-4o' } });
    assert.deepEqual(
      new Set(byModel.auditRecords.items.map((i) => i.id)),
      new Set(CALLS.filter((c) => c.model === 'gpt-4o').map((c) => c.requestId)),
    );
    const failed = await ok<{ auditRecords: Page }>(AUDIT_PAGE, {
      filter: { errorsOnly: true, provider: 'openai' },
    });
    assert.deepEqual(
      failed.auditRecords.items.map((i) => i.status),
      [400],
    );
    const byStatusAndKey = await ok<{ auditRecords: Page }>(AUDIT_PAGE, {
      filter: { key: keys.a2.id, status: 200, from, to },
    });
    assert.equal(byStatusAndKey.auditRecords.items.length, 1);
    const bad = await gql(AUDIT_PAGE, { after: 'not-a-cursor' });
    assert.match(bad.errors?.[0]?.message ?? '', /cursor/);
  });

  it('usage per hour by team, key, model and provider: exact sums, any bucket', async () => {
    const rows = (
      await ok<{ usageReport: UsageRow[] }>(USAGE, {
        from,
        to,
        bucket: 'HOUR',
        groupBy: ['TEAM', 'KEY', 'MODEL', 'PROVIDER'],
      })
    ).usageReport;
    const sum = (pred: (r: UsageRow) => boolean, f: (r: UsageRow) => number | bigint): bigint =>
      rows.filter(pred).reduce((s, r) => s + BigInt(f(r)), 0n);
    for (const k of ['a1', 'a2', 'b1'] as const) {
      for (const model of ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5']) {
        const calls = CALLS.filter((c) => c.key === k && c.model === model);
        const mine = (r: UsageRow): boolean => r.key === keys[k].id && r.model === model;
        assert.equal(
          sum(mine, (r) => r.requests),
          BigInt(calls.length),
          `${k}/${model} requests`,
        );
        assert.equal(
          sum(mine, (r) => r.errors),
          BigInt(calls.filter((c) => c.error).length),
        );
        assert.equal(
          sum(mine, (r) => r.outputTokens),
          BigInt(calls.reduce((s, c) => s + c.usage.outputTokens, 0)),
        );
        assert.equal(
          sum(mine, (r) => r.cacheReadTokens),
          BigInt(calls.reduce((s, c) => s + tokensOf(c).cacheRead, 0)),
        );
        assert.equal(
          sum(mine, (r) => BigInt(r.costNanoUsd)),
          calls.reduce((s, c) => s + chargeOf(c), 0n),
        );
      }
    }
    const total = CALLS.reduce((s, c) => s + chargeOf(c), 0n);
    const byTeamMonth = (
      await ok<{ usageReport: UsageRow[] }>(USAGE, { from, to, bucket: 'MONTH', groupBy: ['TEAM'] })
    ).usageReport;
    assert.equal(
      byTeamMonth.reduce((s, r) => s + BigInt(r.costNanoUsd), 0n),
      total,
    );
    assert.equal(byTeamMonth.find((r) => r.team === 'team-old')?.unpricedRequests, 1);
    assert.ok(
      byTeamMonth.every((r) => r.key === null && r.model === null),
      'dimensions not grouped are null',
    );
    const onlyB = (await ok<{ usageReport: UsageRow[] }>(USAGE, { from, to, team: teams.b })).usageReport;
    assert.equal(
      onlyB.reduce((s, r) => s + r.requests, 0),
      2,
    );
    const bad = await gql(USAGE, { from: '2026-11-01T00:30:00Z', to });
    assert.match(bad.errors?.[0]?.message ?? '', /whole UTC hours/);
  });

  it('provider quality: requests, errors, TTFT percentiles, speed, and drift between the two counts', async () => {
    const rows = (await ok<{ providerQuality: Quality[] }>(QUALITY, { from, to })).providerQuality;
    const gpt4o = rows.find((r) => r.provider === 'openai' && r.model === 'gpt-4o')!;
    assert.equal(gpt4o.requests, 3);
    assert.equal(gpt4o.errors, 0, "a 400 is the client's error, not the provider's");
    assert.ok(gpt4o.latencyP50Ms !== null && gpt4o.ttftP50Ms !== null);
    assert.ok(gpt4o.outputTokensPerSecond !== null && gpt4o.outputTokensPerSecond > 0);
    const okCalls = CALLS.filter((c) => c.model === 'gpt-4o' && !c.error);
    const gatewayOut = okCalls.reduce((s, c) => s + countTextTokens(c.text), 0);
    const providerOut = okCalls.reduce((s, c) => s + c.usage.outputTokens, 0);
    assert.equal(gpt4o.driftOutputRequests, 2);
    assert.ok(Math.abs(gpt4o.outputTokenDrift! - (providerOut - gatewayOut) / gatewayOut) < 1e-12);
    const claude = rows.find((r) => r.provider === 'anthropic')!;
    assert.equal(claude.requests, 1);
    assert.ok(claude.ttftP95Ms !== null);
    const teamKey = await graphql(ledger!.url, 'tok_unknown', QUALITY, { from, to });
    assert.ok(teamKey.errors?.length, 'an unknown key is refused');
  });

  it('statements add up (opening + movements = closing) and close at the balance', async () => {
    const [balance] = (
      await ok<{ balances: Array<{ balanceNanoUsd: string }> }>(
        `query ($a: String) { balances(account: $a) { balanceNanoUsd } }`,
        {
          a: `team:${teams.a}`,
        },
      )
    ).balances;
    const whole = (await ok<{ statement: Statement }>(STATEMENT, { team: teams.a, from, to })).statement;
    const spent = CALLS.filter((c) => c.team === 'a').reduce((s, c) => s + chargeOf(c), 0n);
    assert.equal(whole.openingBalanceNanoUsd, '0');
    assert.equal(whole.topUpsNanoUsd, '10000000000');
    assert.equal(whole.usageNanoUsd, spent.toString());
    assert.deepEqual(
      whole.usage.map((u) => [u.model, u.requests, u.amountNanoUsd]),
      [
        ['gpt-4o', 2, (chargeOf(CALLS[0]!) + chargeOf(CALLS[1]!)).toString()],
        ['gpt-4o-mini', 1, chargeOf(CALLS[2]!).toString()],
      ],
    );
    const movements =
      BigInt(whole.topUpsNanoUsd) -
      BigInt(whole.usageNanoUsd) +
      BigInt(whole.correctionsNanoUsd) -
      BigInt(whole.expiriesNanoUsd) +
      BigInt(whole.overdraftNanoUsd) +
      BigInt(whole.marketplaceNanoUsd) +
      BigInt(whole.otherNanoUsd);
    assert.equal(BigInt(whole.closingBalanceNanoUsd), BigInt(whole.openingBalanceNanoUsd) + movements);
    assert.equal(whole.closingBalanceNanoUsd, balance!.balanceNanoUsd, 'closing = the live balance');
    assert.equal(whole.closingBalanceNanoUsd, (10_000_000_000n - spent).toString());
    // From after the top-up: it is in the opening balance, and the closing is the same.
    const later = (await ok<{ statement: Statement }>(STATEMENT, { team: teams.a, from: tMid, to }))
      .statement;
    assert.equal(later.openingBalanceNanoUsd, '10000000000');
    assert.equal(later.topUpsNanoUsd, '0');
    assert.equal(later.closingBalanceNanoUsd, whole.closingBalanceNanoUsd);
  });

  it('CSV exports parse back to the same numbers', async () => {
    const get = async (
      path: string,
      key = TEST_MASTER_KEY,
    ): Promise<{ status: number; type: string; body: string }> => {
      const res = await fetch(`${ledger!.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
    };
    const q = new URLSearchParams({ from, to, bucket: 'hour', groupBy: 'team,key,model,provider' });
    const usage = await get(`/exports/usage.csv?${q.toString()}`);
    assert.equal(usage.status, 200, usage.body);
    assert.match(usage.type, /^text\/csv/);
    const [header, ...rows] = parseCsv(usage.body);
    const col = (name: string): number => header!.indexOf(name);
    assert.ok(col('cost_nano_usd') >= 0 && col('team') >= 0);
    const gqlRows = (
      await ok<{ usageReport: UsageRow[] }>(USAGE, {
        from,
        to,
        bucket: 'HOUR',
        groupBy: ['TEAM', 'KEY', 'MODEL', 'PROVIDER'],
      })
    ).usageReport;
    assert.equal(rows.length, gqlRows.length);
    for (const g of gqlRows) {
      const r = rows.find(
        (x) =>
          x[col('bucket_start')] === g.bucketStart &&
          x[col('team')] === (g.team ?? '') &&
          x[col('key')] === (g.key ?? '') &&
          x[col('model')] === (g.model ?? ''),
      );
      assert.ok(r, `CSV row for ${JSON.stringify(g)}`);
      assert.equal(r[col('requests')], String(g.requests));
      assert.equal(r[col('output_tokens')], String(g.outputTokens));
      assert.equal(r[col('cost_nano_usd')], g.costNanoUsd);
    }
    const st = await get(
      `/exports/statement.csv?${new URLSearchParams({ team: teams.a, from, to }).toString()}`,
    );
    assert.equal(st.status, 200, st.body);
    const lines = parseCsv(st.body).slice(1);
    const amount = (section: string): bigint[] =>
      lines.filter((l) => l[0] === section).map((l) => BigInt(l[3]!));
    const opening = amount('opening_balance')[0]!;
    const closing = amount('closing_balance')[0]!;
    const middle = lines
      .filter((l) => l[0] !== 'opening_balance' && l[0] !== 'closing_balance')
      .reduce((s, l) => s + BigInt(l[3]!), 0n);
    assert.equal(opening + middle, closing);
    const graph = (await ok<{ statement: Statement }>(STATEMENT, { team: teams.a, from, to })).statement;
    assert.equal(closing.toString(), graph.closingBalanceNanoUsd);
    assert.equal(
      amount('usage')
        .reduce((s, x) => s - x, 0n)
        .toString(),
      graph.usageNanoUsd,
    );
    assert.equal((await get(`/exports/usage.csv?${q.toString()}`, 'tok_unknown')).status, 401);
    assert.equal((await get(`/exports/usage.csv?from=${from}&to=${from}`)).status, 400);
  });

  it('a correction: in the audit record, and in the statement as a refund and a repriced charge', async () => {
    const r1 = CALLS[0]!;
    const before = (await ok<{ auditRecord: Audit }>(AUDIT_ONE, { id: r1.requestId })).auditRecord;
    assert.deepEqual(before.correctedBy, []);
    const corrected = { ...tokensOf(r1), output: 500 };
    const fixed = await ok<{ correction: { eventId: string } }>(
      `mutation ($e: ID!, $u: CorrectedUsageInput) { correction(eventId: $e, reason: "provider recount", idempotencyKey: "rm-fix-1", correctedUsage: $u) { eventId } }`,
      {
        e: before.eventId,
        u: {
          inputUncachedTokens: corrected.input,
          cacheReadTokens: corrected.cacheRead,
          cacheWriteTokens: 0,
          outputTokens: corrected.output,
          reasoningTokens: 0,
        },
      },
    );
    const after = await waitFor(
      'the correction to be booked',
      async () => (await ok<{ auditRecord: Audit }>(AUDIT_ONE, { id: r1.requestId })).auditRecord.correctedBy,
      (c) => c.length === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.deepEqual(after, [fixed.correction.eventId]);
    const repriced = expectedChargeNanoUsd('openai', 'gpt-4o', corrected);
    const [balance] = (
      await ok<{ balances: Array<{ balanceNanoUsd: string }> }>(
        `query ($a: String) { balances(account: $a) { balanceNanoUsd } }`,
        { a: `team:${teams.a}` },
      )
    ).balances;
    const s = (await ok<{ statement: Statement }>(STATEMENT, { team: teams.a, from, to })).statement;
    assert.equal(s.correctionsNanoUsd, chargeOf(r1).toString(), 'the original charge refunded');
    const gpt4o = s.usage.find((u) => u.model === 'gpt-4o')!;
    assert.equal(gpt4o.requests, 3, 'two requests and the repriced one');
    assert.equal(gpt4o.amountNanoUsd, (chargeOf(r1) + chargeOf(CALLS[1]!) + repriced).toString());
    const spent = CALLS.filter((c) => c.team === 'a').reduce((sum, c) => sum + chargeOf(c), 0n);
    assert.equal(s.closingBalanceNanoUsd, (10_000_000_000n - spent + chargeOf(r1) - repriced).toString());
    assert.equal(s.closingBalanceNanoUsd, balance!.balanceNanoUsd);
  });

  it("a team key reads its own team's reports only", async () => {
    const asA = <T>(query: string, variables: Record<string, unknown> = {}) =>
      graphql<T>(ledger!.url, keys.a1.key, query, variables);
    // The key reaches the ledger as an identity event: wait until it is accepted.
    const own = await waitFor(
      'the team key on the ledger',
      async () => asA<{ usageReport: UsageRow[] }>(USAGE, { from, to, groupBy: ['TEAM'] }),
      (r) => r.errors === undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.deepEqual(
      own.data?.usageReport.map((r) => r.team),
      [teams.a],
    );
    const other = await asA(STATEMENT, { team: teams.b, from, to });
    assert.equal(other.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const theirs = await asA<{ auditRecord: Audit | null }>(AUDIT_ONE, { id: CALLS[3]!.requestId });
    assert.equal(theirs.data?.auditRecord, null, "another team's request reads as unknown");
    const page = await asA<{ auditRecords: Page }>(AUDIT_PAGE, { first: 50 });
    assert.ok(page.data?.auditRecords.items.every((i) => i.team === teams.a));
    assert.equal((await asA(QUALITY, { from, to })).errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const csv = await fetch(
      `${ledger!.url}/exports/usage.csv?${new URLSearchParams({ from, to, groupBy: 'team' }).toString()}`,
      { headers: { authorization: `Bearer ${keys.a1.key}` } },
    );
    assert.deepEqual(
      parseCsv(await csv.text())
        .slice(1)
        .map((r) => r[1]),
      [teams.a],
    );
  });

  it('rebuild replays the read models and finds no difference, then finds a tampered row', async () => {
    const verify = (): { status: number | null; out: string } => {
      const run = spawnSync('npm', ['run', '--silent', 'ledger:verify', '--', '--rebuild'], {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', DATABASE_URL: h.db.url },
        encoding: 'utf8',
        timeout: 120_000,
      });
      return { status: run.status, out: `${run.stdout}\n${run.stderr}` };
    };
    const clean = verify();
    assert.equal(clean.status, 0, clean.out);
    const report = JSON.parse(clean.out.slice(clean.out.indexOf('{'))) as {
      rebuild: { differences: unknown[]; readModels: { events: number } };
    };
    assert.deepEqual(report.rebuild.differences, []);
    assert.ok(report.rebuild.readModels.events >= CALLS.length + 1);

    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      await pg.query(`UPDATE ledger.usage_hourly SET output_tokens = output_tokens + 1 WHERE team_id = $1`, [
        teams.b,
      ]);
    } finally {
      await pg.end();
    }
    const tampered = verify();
    assert.equal(tampered.status, 1, tampered.out);
    const diff = JSON.parse(tampered.out.slice(tampered.out.indexOf('{'))) as {
      rebuild: { differences: Array<{ table: string; key: string }> };
    };
    assert.ok(diff.rebuild.differences.length >= 1);
    assert.ok(diff.rebuild.differences.every((d) => d.table === 'usage_hourly' && d.key.includes(teams.b)));
  });
});
