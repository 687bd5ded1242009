import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { LedgerServer } from '@sluice/apps/ledger';
import type { GatewayServer } from '@sluice/apps/gateway';
import { uniqueTopic } from '@sluice/testing';
import { createKey, createTeamWithKey, GatewayHarness, startTestLedger } from '../helpers/gateway-harness';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';
import { expectedChargeNanoUsd } from './helpers';

// Hard budgets enforced by the gateway with spend leases from the ledger: real Postgres, real Kafka, the
// ledger and two gateway instances in this process, the official SDKs as clients, a scripted mock provider.

const USAGE = {
  inputTokens: 1_000,
  outputTokens: 1_000,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};
// gpt-4o list price, written out by hand in ./helpers (independent of the catalogue code).
const COST = expectedChargeNanoUsd('openai', 'gpt-4o', {
  input: 1_000,
  output: 1_000,
  cacheRead: 0,
  cacheWrite: 0,
});
// Requests reserve their up-front estimate at admission (the body's size and their output limit): the mock's
// usage is 1,000 output tokens, so they say so. A request without a limit would reserve 4,096 output tokens.
const OUTPUT_LIMIT = 1_000;
const SET_BUDGET = `mutation ($b: BudgetInput!, $k: String!) { setBudget(budget: $b, idempotencyKey: $k) { eventId created } }`;
const ALERTS = `query ($team: String) { budgetAlerts(team: $team) { budgetId state } }`;
const BUDGETS = `query ($team: String) { budgets(team: $team) { id unit limit committed state enforcement } }`;

type Team = { id: string; key: string };

describe('hard budgets through the gateway', { timeout: 240_000 }, () => {
  let h: GatewayHarness;
  let ledger: LedgerServer;
  let gw1: GatewayServer;
  let gw2: GatewayServer;
  const maxInFlight = 4;

  before(async () => {
    h = await GatewayHarness.start('budgets');
    const topic = uniqueTopic('budgets-usage');
    ledger = await startTestLedger(h.db.url, topic, {
      // Leases of a tenth of the limit: several syncs per budget, so renewals are exercised.
      SLUICE_BUDGET_LEASE_BPS: '1000',
    });
    const gwEnv = {
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_URL: ledger.url,
      SLUICE_BUDGET_MAX_IN_FLIGHT: String(maxInFlight),
      SLUICE_BUDGET_REFRESH_MS: '200',
    };
    gw1 = await h.gateway(gwEnv);
    gw2 = await h.gateway(gwEnv);
  });

  after(async () => {
    await h?.close();
    await ledger?.stop();
  });

  const team = (name: string): Promise<Team> => createTeamWithKey(gw1.url, name);
  const newKey = (teamId: string): Promise<{ id: string; key: string }> =>
    createKey(gw1.url, teamId, 'second');

  async function setBudget(b: Record<string, unknown>): Promise<void> {
    const r = await graphql<{ setBudget: { created: boolean } }>(ledger.url, TEST_MASTER_KEY, SET_BUDGET, {
      b: { keyId: null, limitUsd: null, limit: null, alertAtBps: null, ...b },
      k: `set-${String(b['id'])}`,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data?.setBudget.created, true);
  }

  it('refuses with 429 insufficient_quota before the provider once a team spent its hard budget', async () => {
    const t = await team('money');
    const limit = COST * 5n; // five requests' worth
    await setBudget({
      id: 'money-month',
      team: t.id,
      unit: 'nano-usd',
      period: 'month',
      limit: limit.toString(),
      enforcement: 'hard',
    });
    h.mock.respondWith(() => ({ text: 'ok', usage: USAGE }));
    const openai = new OpenAI({ apiKey: t.key, baseURL: `${gw1.url}/v1`, maxRetries: 0 });
    let ok = 0;
    let refused: unknown = null;
    const before = h.mock.requestsTo('/v1/chat/completions').length;
    for (let i = 0; i < 20 && !refused; i++) {
      try {
        await openai.chat.completions.create({
          model: 'gpt-4o',
          max_tokens: OUTPUT_LIMIT,
          messages: [{ role: 'user', content: `q${i}` }],
        });
        ok++;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(refused instanceof OpenAI.APIError, `expected a refusal, got ${String(refused)}`);
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'insufficient_quota');
    assert.match(refused.message, /budget 'money-month'/);
    // One instance, one request at a time: the bound is the limit plus one request.
    assert.ok(BigInt(ok) * COST >= limit, `stopped early: ${ok} requests`);
    assert.ok(BigInt(ok) * COST <= limit + COST, `overspent: ${ok} requests`);
    assert.equal(
      h.mock.requestsTo('/v1/chat/completions').length - before,
      ok,
      'the refused request never went upstream',
    );

    // The Responses API is held to the same budget.
    await assert.rejects(
      openai.responses.create({ model: 'gpt-4o', input: 'hi' }),
      (err: unknown) =>
        err instanceof OpenAI.APIError && err.status === 429 && err.code === 'insufficient_quota',
    );
    // Anthropic clients get their own shape for the same refusal.
    const anthropic = new Anthropic({ apiKey: t.key, baseURL: gw1.url, maxRetries: 0 });
    await assert.rejects(
      anthropic.messages.create({
        model: 'gpt-4o',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (err: unknown) => err instanceof Anthropic.APIError && err.status === 429 && /budget/.test(err.message),
    );

    const view = await graphql<{ budgets: Array<{ id: string; committed: string; state: string }> }>(
      ledger.url,
      TEST_MASTER_KEY,
      BUDGETS,
      { team: t.id },
    );
    assert.equal(view.data?.budgets[0]?.state, 'exceeded');
    const alerts = await graphql<{ budgetAlerts: Array<{ budgetId: string; state: string }> }>(
      ledger.url,
      TEST_MASTER_KEY,
      ALERTS,
      { team: t.id },
    );
    assert.deepEqual(
      alerts.data?.budgetAlerts.map((a) => `${a.budgetId} ${a.state}`),
      ['money-month exceeded'],
      'one durable alert per budget, period and state',
    );
  });

  it('refuses a request whose max_tokens cannot fit the budget left before the provider, and lets a small one pass', async () => {
    const t = await team('estimate');
    await setBudget({
      id: 'estimate-month',
      team: t.id,
      unit: 'nano-usd',
      period: 'month',
      limit: (COST * 5n).toString(),
      enforcement: 'hard',
    });
    h.mock.respondWith(() => ({ text: 'ok', usage: USAGE }));
    const openai = new OpenAI({ apiKey: t.key, baseURL: `${gw1.url}/v1`, maxRetries: 0 });
    const before = h.mock.requestsTo('/v1/chat/completions').length;
    // 10,000 output tokens of gpt-4o are $0.10 on their own, the budget $0.0625.
    const big = await openai.chat.completions
      .create({ model: 'gpt-4o', max_tokens: 10_000, messages: [{ role: 'user', content: 'big' }] })
      .then(
        () => null,
        (err: unknown) => err,
      );
    assert.ok(big instanceof OpenAI.APIError, `expected a refusal, got ${String(big)}`);
    assert.equal(big.status, 429);
    assert.equal(big.code, 'insufficient_quota');
    assert.match(big.message, /may cost up to .* more than the monthly budget 'estimate-month'/);
    const small = await openai.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'small' }],
    });
    assert.equal(small.choices[0]?.message.content, 'ok');
    assert.equal(
      h.mock.requestsTo('/v1/chat/completions').length - before,
      1,
      'only the small request went upstream',
    );
  });

  it('records an alert when a soft budget passes its threshold, and lets the requests through', async () => {
    const t = await team('soft');
    await setBudget({
      id: 'soft-month',
      team: t.id,
      unit: 'nano-usd',
      period: 'month',
      limit: (COST * 4n).toString(),
      enforcement: 'soft',
      alertAtBps: 5_000,
    });
    h.mock.respondWith(() => ({ text: 'ok', usage: USAGE }));
    const openai = new OpenAI({ apiKey: t.key, baseURL: `${gw1.url}/v1`, maxRetries: 0 });
    let states: string[] = [];
    // Soft budgets are read from the books (usage posted through Kafka), so the alert follows the spend.
    for (let i = 0; i < 60 && !states.includes('exceeded'); i++) {
      await openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `s${i}` }],
      });
      await new Promise((r) => setTimeout(r, 100));
      const r = await graphql<{ budgetAlerts: Array<{ state: string }> }>(ledger.url, t.key, ALERTS, {});
      states = r.data?.budgetAlerts.map((a) => a.state) ?? [];
    }
    assert.deepEqual(states, ['exceeded', 'alert'], 'the threshold, then the limit; requests never refused');
  });

  it('keeps two instances with concurrent requests within limit + instances x in-flight cap x request cost', async () => {
    const t = await team('concurrent');
    const limit = COST * 30n;
    await setBudget({
      id: 'burst-day',
      team: t.id,
      unit: 'nano-usd',
      period: 'day',
      limit: limit.toString(),
      enforcement: 'hard',
    });
    h.mock.respondWith(() => ({ text: 'ok', usage: USAGE, firstByteDelayMs: 5 }));
    const clients = [gw1, gw2].map(
      (g) => new OpenAI({ apiKey: t.key, baseURL: `${g.url}/v1`, maxRetries: 0 }),
    );
    let ok = 0;
    let budgetRefusals = 0;
    for (let round = 0; round < 40; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) =>
          clients[i % 2]!.chat.completions.create({
            model: 'gpt-4o',
            max_tokens: OUTPUT_LIMIT,
            messages: [{ role: 'user', content: `r${round}-${i}` }],
          }),
        ),
      );
      let roundRefusals = 0;
      for (const r of results) {
        if (r.status === 'fulfilled') ok++;
        else if (r.reason instanceof OpenAI.APIError && r.reason.code === 'insufficient_quota')
          roundRefusals++;
        else if (!(r.reason instanceof OpenAI.APIError && r.reason.code === 'rate_limit_exceeded'))
          throw r.reason;
      }
      budgetRefusals += roundRefusals;
      if (roundRefusals === results.length) break;
    }
    assert.ok(budgetRefusals > 0, 'the budget never refused');
    const spent = BigInt(ok) * COST;
    const bound = limit + 2n * BigInt(maxInFlight) * COST;
    assert.ok(spent >= limit, `budget stranded: spent ${spent} of ${limit}`);
    assert.ok(spent <= bound, `overspend beyond the bound: ${spent} > ${bound}`);
  });

  it('applies a per-key token budget to that key only', async () => {
    const t = await team('keys');
    const limited = await newKey(t.id);
    await setBudget({
      id: 'key-day',
      team: t.id,
      keyId: limited.id,
      unit: 'tokens',
      period: 'day',
      limit: '4000',
      enforcement: 'hard',
    });
    h.mock.respondWith(() => ({ text: 'ok', usage: USAGE }));
    const ask = (key: string): Promise<number> =>
      new OpenAI({ apiKey: key, baseURL: `${gw1.url}/v1`, maxRetries: 0 }).chat.completions
        .create({ model: 'gpt-4o', max_tokens: OUTPUT_LIMIT, messages: [{ role: 'user', content: 'q' }] })
        .then(
          () => 200,
          (err: unknown) => (err instanceof OpenAI.APIError ? Number(err.status) : 0),
        );
    const limitedResults: number[] = [];
    for (let i = 0; i < 4; i++) limitedResults.push(await ask(limited.key));
    // 2,000 tokens a request against 4,000: two admitted, then refused.
    assert.deepEqual(limitedResults, [200, 200, 429, 429]);
    for (let i = 0; i < 4; i++)
      assert.equal(await ask(t.key), 200, 'the other key of the team is not limited');
  });

  it('cuts a long stream off cleanly when a token budget runs out mid-way, and aborts the provider', async () => {
    const t = await team('stream');
    await setBudget({
      id: 'tokens-total',
      team: t.id,
      unit: 'tokens',
      period: 'total',
      limit: '1500',
      enforcement: 'hard',
    });
    const words = Array.from({ length: 3_000 }, (_, i) => `word${i}`).join(' ');
    h.mock.respondWith(() => ({
      text: words,
      chunks: 300,
      chunkDelayMs: 3,
      usage: { inputTokens: 20, outputTokens: 6_000 },
    }));
    const openai = new OpenAI({ apiKey: t.key, baseURL: `${gw1.url}/v1`, maxRetries: 0 });
    // The mock provider ignores max_tokens and streams 6,000 tokens: the cut is the backstop for a provider
    // (or an estimate) that goes past what was reserved.
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      max_tokens: OUTPUT_LIMIT,
      messages: [{ role: 'user', content: 'write a lot' }],
    });
    let received = '';
    let error: unknown = null;
    try {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    } catch (err) {
      error = err;
    }
    assert.ok(
      error instanceof OpenAI.APIError,
      `expected the stream to end with an error, got ${String(error)}`,
    );
    assert.match(error.message, /budget ran out/);
    assert.ok(received.length > 0, 'some of the answer arrived before the cut');
    assert.ok(received.length < words.length / 2, `the stream was not cut early: ${received.length} chars`);
    const upstream = await h.mock.waitFor(
      (r) => r.outcome !== undefined && r.path === '/v1/chat/completions' && r.stream,
    );
    assert.equal(upstream.outcome, 'client-closed', 'the provider stream was aborted');
    // Budget spent within the limit plus what one lease and the stream between two checks can add.
    const next = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'more' }] })
      .then(
        () => null,
        (err: unknown) => err,
      );
    assert.ok(next instanceof OpenAI.APIError && next.status === 429, 'the next request is refused');
  });
});
