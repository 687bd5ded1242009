import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Client } from 'pg';
import type { LedgerServer } from '@sluice/apps/ledger';
import type { GatewayServer } from '@sluice/apps/gateway';
import { uniqueTopic, waitFor } from '@sluice/testing';
import { createTeamWithKey, GatewayHarness, startTestLedger } from '../helpers/gateway-harness';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';

// The "done when": 1,000 requests through the real gateway (official OpenAI and Anthropic SDKs as
// clients, OpenAI-, Anthropic- and Gemini-shaped upstreams from the mock, streamed and not), real Kafka, the
// ledger on real Postgres, land in the books with every team's balance equal to what the published price
// catalogue says, to the nano-dollar. The expected amounts are computed here from the mock's token counts and
// the prices the ledger publishes (GraphQL `prices`), with the documented rule (exact femto-USD per request,
// the charge rounded up, the provider's share rounded down), not with the projector's code. Then
// `npm run ledger:verify -- --rebuild` passes, and catches a tampered row.

const ROOT = join(__dirname, '../..');
const REQUESTS = 1_000;
const CONCURRENCY = 8;
const TOP_UP_USD = 500n;
const MODELS = [
  { model: 'gpt-4o', provider: 'openai' },
  { model: 'gpt-4o-mini', provider: 'openai' },
  { model: 'claude-sonnet-4-6', provider: 'anthropic' },
  { model: 'claude-haiku-4-5', provider: 'anthropic' },
  { model: 'gemini-2.5-flash', provider: 'gemini' },
  { model: 'gemini-2.0-flash', provider: 'gemini' },
] as const;

type Usage = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
};
type Call = {
  i: number;
  team: number;
  client: 'openai' | 'anthropic';
  model: (typeof MODELS)[number];
  stream: boolean;
};
type Price = { input: bigint; output: bigint; cacheRead: bigint; cacheWrite: bigint };
type PriceView = {
  version: number;
  scope: string;
  provider: string;
  model: string;
  withdrawn: boolean;
  inputNanoUsdPerMTok: string | null;
  outputNanoUsdPerMTok: string | null;
  cacheReadNanoUsdPerMTok: string | null;
  cacheWriteNanoUsdPerMTok: string | null;
};
type Balance = { account: string; balanceNanoUsd: string };

/** Every combination of client, model, streaming and team, cycled. */
const call = (i: number): Call => ({
  i,
  client: i % 2 === 0 ? 'openai' : 'anthropic',
  model: MODELS[Math.floor(i / 2) % MODELS.length]!,
  stream: Math.floor(i / 12) % 2 === 1,
  team: Math.floor(i / 24) % 4,
});

/** The mock's token counts for request i (input includes the cache parts, as the mock's `inputTokens` does). */
function usageFor(c: Call): Usage {
  const input = 20 + ((c.i * 7919) % 30_000);
  const cacheRead = c.i % 3 === 0 ? (c.i * 31) % Math.floor(input / 2) : 0;
  // Only Anthropic reports cache writes (the Gemini wire format has no field for them).
  const cacheWrite =
    c.model.provider === 'anthropic' && c.i % 4 === 0 ? (c.i * 13) % Math.floor(input / 3) : 0;
  return {
    inputTokens: input,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: 1 + ((c.i * 104_729) % 3_000),
    reasoningTokens: 0,
  };
}

/** Exact cost in femto-USD (tokens x nano-USD per million tokens). */
function exactFemtoUsd(u: Usage, p: Price): bigint {
  const uncached = BigInt(u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens);
  return (
    uncached * p.input +
    BigInt(u.cacheReadTokens) * p.cacheRead +
    BigInt(u.cacheWriteTokens) * p.cacheWrite +
    BigInt(u.outputTokens) * p.output
  );
}
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

function verify(databaseUrl: string): { code: number | null; report: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/start.cjs'), 'ledger-verify', '--rebuild'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 120_000,
  });
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    assert.fail(`ledger:verify printed no report (exit ${String(r.status)}): ${r.stderr}`);
  }
  return { code: r.status, report };
}

describe(
  '1,000 requests through the gateway land in the books to the nano-dollar',
  { timeout: 600_000 },
  () => {
    let h: GatewayHarness;
    let ledger: LedgerServer;
    let gw: GatewayServer;
    const teams: Array<{ id: string; key: string }> = [];
    const gql = <T>(query: string, variables: Record<string, unknown> = {}) =>
      graphql<T>(ledger.url, TEST_MASTER_KEY, query, variables);

    before(async () => {
      h = await GatewayHarness.start('ledger_books_e2e');
      const topic = uniqueTopic('ledger-books-usage');
      ledger = await startTestLedger(h.db.url, topic);
      gw = await h.gateway({ SLUICE_USAGE_TOPIC: topic });
      for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
        const t = await createTeamWithKey(gw.url, name);
        teams.push({ id: t.id, key: t.key });
      }
      // The mock answers request i (its prompt says "req#i#") with request i's token counts, in the protocol
      // of the upstream the gateway called.
      h.mock.respondWith((req) => {
        const m = /req#(\d+)#/.exec(JSON.stringify(req.body));
        return { text: 'ok, noted', usage: usageFor(call(Number(m?.[1] ?? -1))) };
      });
    });

    after(async () => {
      await h?.close();
      await ledger?.stop();
    });

    it('books every request at the published price; teams, providers and rounding to the nano-dollar', async () => {
      for (const [n, t] of teams.entries()) {
        const r = await gql<{ topUp: { created: boolean } }>(
          `mutation ($team: String!, $amount: String!, $key: String!) { topUp(team: $team, amountUsd: $amount, idempotencyKey: $key) { created } }`,
          { team: t.id, amount: TOP_UP_USD.toString(), key: `seed-${n}` },
        );
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      }

      // The catalogue as the ledger publishes it: for each model the newest list entry that names it.
      const prices = new Map<string, Price>();
      for (const { model } of MODELS) {
        const r = await gql<{ prices: PriceView[] }>(
          `query ($m: String) { prices(model: $m) { version scope provider model withdrawn inputNanoUsdPerMTok outputNanoUsdPerMTok cacheReadNanoUsdPerMTok cacheWriteNanoUsdPerMTok } }`,
          { m: model },
        );
        const entries = (r.data?.prices ?? []).filter((p) => p.scope === 'list' && !p.withdrawn);
        const newest = Math.max(...entries.map((p) => p.version));
        const chosen = entries.filter((p) => p.version === newest);
        assert.equal(chosen.length, 1, `one list entry names ${model}: ${JSON.stringify(entries)}`);
        const p = chosen[0]!;
        prices.set(model, {
          input: BigInt(p.inputNanoUsdPerMTok!),
          output: BigInt(p.outputNanoUsdPerMTok!),
          cacheRead: BigInt(p.cacheReadNanoUsdPerMTok!),
          cacheWrite: BigInt(p.cacheWriteNanoUsdPerMTok!),
        });
      }

      const openai = teams.map((t) => new OpenAI({ apiKey: t.key, baseURL: `${gw.url}/v1`, maxRetries: 0 }));
      const anthropic = teams.map((t) => new Anthropic({ apiKey: t.key, baseURL: gw.url, maxRetries: 0 }));
      const send = async (c: Call): Promise<void> => {
        const prompt = `req#${c.i}# what is in the diff?`;
        const model = c.model.model;
        if (c.client === 'openai') {
          const client = openai[c.team]!;
          if (c.stream) {
            const s = await client.chat.completions.create({
              model,
              stream: true,
              messages: [{ role: 'user', content: prompt }],
            });
            let text = '';
            for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
            assert.match(text, /ok/);
          } else {
            const r = await client.chat.completions.create({
              model,
              messages: [{ role: 'user', content: prompt }],
            });
            assert.match(r.choices[0]?.message.content ?? '', /ok/);
          }
        } else {
          const client = anthropic[c.team]!;
          if (c.stream) {
            const s = await client.messages.create({
              model,
              max_tokens: 4_096,
              stream: true,
              messages: [{ role: 'user', content: prompt }],
            });
            let text = '';
            for await (const ev of s)
              if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
            assert.match(text, /ok/);
          } else {
            const r = await client.messages.create({
              model,
              max_tokens: 4_096,
              messages: [{ role: 'user', content: prompt }],
            });
            assert.equal(r.content[0]?.type, 'text');
          }
        }
      };
      const calls = Array.from({ length: REQUESTS }, (_, i) => call(i));
      let next = 0;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let c = calls[next++]; c; c = calls[next++]) {
            try {
              await send(c);
            } catch (err) {
              failures.push(`${JSON.stringify(c)}: ${String(err)}`);
            }
          }
        }),
      );
      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} requests failed`);
      const upstream = new Set(h.mock.requests.map((r) => r.protocol));
      assert.deepEqual(
        [...upstream].sort(),
        ['anthropic', 'gemini', 'openai-chat'],
        'every upstream shape was called',
      );

      // Expected books, computed here.
      const chargeByTeam = new Map<string, bigint>();
      const owedByProvider = new Map<string, bigint>();
      let rounding = 0n;
      for (const c of calls) {
        const femto = exactFemtoUsd(usageFor(c), prices.get(c.model.model)!);
        const charge = ceilDiv(femto, 1_000_000n);
        const providerShare = femto / 1_000_000n;
        const team = `team:${teams[c.team]!.id}`;
        chargeByTeam.set(team, (chargeByTeam.get(team) ?? 0n) + charge);
        owedByProvider.set(
          `provider:${c.model.provider}`,
          (owedByProvider.get(`provider:${c.model.provider}`) ?? 0n) + providerShare,
        );
        rounding += charge - providerShare;
      }
      const expected = new Map<string, bigint>([
        ...[...chargeByTeam].map(([team, charge]): [string, bigint] => [
          team,
          TOP_UP_USD * 1_000_000_000n - charge,
        ]),
        ...owedByProvider,
        ['platform:rounding', rounding],
      ]);

      const booked = await waitFor(
        'every request to be booked',
        async () =>
          Number(
            (
              await sql<{ n: string }>(
                h.db.url,
                `SELECT count(*)::text AS n FROM ledger.accounting_inbox WHERE type = 'usage.recorded.v1'`,
              )
            )[0]?.n ?? 0,
          ),
        (n) => n >= REQUESTS,
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      assert.equal(booked, REQUESTS);
      const rejected = await sql(
        h.db.url,
        `SELECT event_id, error_code FROM ledger.accounting_inbox WHERE status <> 'applied'`,
      );
      assert.deepEqual(rejected, []);

      const balances =
        (await gql<{ balances: Balance[] }>(`{ balances { account balanceNanoUsd } }`)).data?.balances ?? [];
      const actual = new Map(balances.map((b) => [b.account, BigInt(b.balanceNanoUsd)]));
      for (const [account, amount] of expected) assert.equal(actual.get(account), amount, account);
      // Prepaid teams that never overran owe nothing.
      for (const t of teams) assert.equal(actual.get(`receivable:${t.id}`) ?? 0n, 0n);

      // The audit trail has every request with its cost from the same books.
      const audit = await sql<{ n: string; charged: string }>(
        h.db.url,
        `SELECT count(*)::text AS n, coalesce(sum(charge_nano_usd), 0)::text AS charged FROM ledger.request_audit`,
      );
      assert.equal(Number(audit[0]?.n), REQUESTS);
      assert.equal(
        BigInt(audit[0]?.charged ?? '0'),
        [...chargeByTeam.values()].reduce((a, b) => a + b, 0n),
      );
    });

    it('npm run ledger:verify -- --rebuild: balanced, chain intact, a replay equals the live books', () => {
      const { code, report } = verify(h.db.url);
      assert.equal(code, 0, JSON.stringify(report).slice(0, 2000));
      assert.equal(report['balanced'], true);
      assert.deepEqual((report['rebuild'] as { differences: unknown[] }).differences, []);
    });

    it('ledger:verify catches a transfer edited behind the triggers, and the rebuild names the row', async () => {
      const [victim] = await sql<{ id: string; credit_account_id: string }>(
        h.db.url,
        `SELECT id::text AS id, credit_account_id FROM ledger.transfers WHERE code = 'usage.provider_cost' ORDER BY seq LIMIT 1`,
      );
      assert.ok(victim);
      // What an attacker with superuser rights could do: switch the triggers off and shave one nano-dollar.
      const c = new Client({ connectionString: h.db.url });
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query('SET LOCAL session_replication_role = replica');
        await c.query(`UPDATE ledger.transfers SET amount_nano_usd = amount_nano_usd - 1 WHERE id = $1`, [
          victim.id,
        ]);
        await c.query('COMMIT');
      } finally {
        await c.end();
      }
      const { code, report } = verify(h.db.url);
      assert.equal(code, 1);
      assert.equal(report['ok'], false);
      const accounts = (report['discrepancies'] as Array<{ accountId: string }>)
        .map((d) => d.accountId)
        .sort();
      assert.ok(accounts.includes(victim.credit_account_id), JSON.stringify(accounts));
      const diffs = (report['rebuild'] as { differences: Array<{ table: string; key: string }> }).differences;
      assert.ok(
        diffs.some((d) => d.table === 'transfers' && d.key === victim.id),
        JSON.stringify(diffs).slice(0, 1000),
      );
    });
  },
);
