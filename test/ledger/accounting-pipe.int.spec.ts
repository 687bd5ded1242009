import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { KafkaTransport } from '@sluice/events';
import {
  createTestDatabase,
  requireKafkaBrokers,
  ServiceProcess,
  uniqueTopic,
  waitFor,
  type TestDatabase,
} from '@sluice/testing';
import { formatNanoUsd } from '@sluice/money';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';
import { expectedChargeNanoUsd, pricedUsageEvent, usageMix } from './helpers';

const ROOT = join(__dirname, '../..');

type Balance = {
  account: string;
  balanceNanoUsd: string;
  availableNanoUsd: string;
  debitsPostedNanoUsd: string;
};
type TransferItem = {
  id: string;
  seq: string;
  amountNanoUsd: string;
  code: string;
  eventId: string;
  debitAccount: string;
};
type Page = { items: TransferItem[]; endCursor: string | null; hasNextPage: boolean };

const BALANCES = `query ($account: String) { balances(account: $account) { account balanceNanoUsd availableNanoUsd debitsPostedNanoUsd } }`;
const TRANSFERS = `query ($account: String, $first: Int, $after: String) { transfers(account: $account, first: $first, after: $after) { items { id seq amountNanoUsd code eventId debitAccount } endCursor hasNextPage } }`;
const TOP_UP = `mutation ($team: String!, $amount: String!, $key: String!) { topUp(team: $team, amountUsd: $amount, idempotencyKey: $key) { eventId created } }`;

async function sql<T extends object>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/**
 * The ledger as its own process on real Kafka and Postgres: usage published to the topic (with producer
 * retries and a redelivery after a kill) lands as transfers priced to the nano-dollar; top-ups through
 * GraphQL are idempotent; `npm run ledger:verify -- --rebuild` finds the books balanced and equal to a
 * replay.
 */
describe('accounting through the pipe', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  let producer: KafkaTransport;
  let ledger: ServiceProcess | null = null;
  const topic = uniqueTopic('usage-accounting');
  let env: Record<string, string>;
  const gql = <T>(query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(ledger!.url, TEST_MASTER_KEY, query, variables);

  before(async () => {
    db = await createTestDatabase('ledger_accounting_pipe');
    env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_USAGE_TOPIC: topic,
      SLUICE_LEDGER_GROUP: `${topic}-ledger`,
      SLUICE_LEDGER_PORT: '0',
      SLUICE_KAFKA_PARTITIONS: '3',
    };
    producer = new KafkaTransport({
      brokers: requireKafkaBrokers(),
      clientId: 'test-producer',
      partitions: 3,
    });
    ledger = await ServiceProcess.start('ledger', env);
  });

  after(async () => {
    await ledger?.kill('SIGKILL');
    await producer?.close();
    await db?.drop();
  });

  const teams = ['acme', 'globex', 'initech'];
  const usage = Array.from({ length: 300 }, (_, i) => {
    const m = usageMix(i);
    return { m, e: pricedUsageEvent(i, teams[i % teams.length]!, m.provider, m.model, m.tokens) };
  });

  it('tops up idempotently by the client key', async () => {
    const first = await gql<{ topUp: { eventId: string; created: boolean } }>(TOP_UP, {
      team: 'acme',
      amount: '25.5',
      key: 'invoice-1',
    });
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(first.data?.topUp.created, true);
    const again = await gql<{ topUp: { eventId: string; created: boolean } }>(TOP_UP, {
      team: 'acme',
      amount: '25.5',
      key: 'invoice-1',
    });
    assert.deepEqual(again.data?.topUp, { eventId: first.data?.topUp.eventId, created: false });
    const conflict = await gql(TOP_UP, { team: 'acme', amount: '99', key: 'invoice-1' });
    assert.match(conflict.errors?.[0]?.message ?? '', /already used/);
    const bad = await gql(TOP_UP, { team: 'acme', amount: '0.0000000001', key: 'x' });
    assert.ok(bad.errors?.length, 'more than nine decimals is refused');
    const unauthenticated = await graphql(ledger!.url, 'tok_wrong', BALANCES);
    assert.ok(unauthenticated.errors?.length);

    const acme = await waitFor(
      'the top-up to be booked',
      async () =>
        (await gql<{ balances: Balance[] }>(BALANCES, { account: 'team:acme' })).data?.balances ?? [],
      (b) => b.length === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    assert.equal(acme[0]?.balanceNanoUsd, '25500000000');
  });

  it('books usage from Kafka at the catalogue price; duplicates and redeliveries change nothing', async () => {
    for (let i = 0; i < usage.length; i += 50) {
      const slice = usage.slice(i, i + 50).map((u) => u.e);
      await producer.publish(topic, slice);
      if (i === 100) await producer.publish(topic, slice.slice(0, 20)); // a producer retry
      if (i === 150) {
        // Killed mid-stream: what was not committed is delivered again to the restarted consumer.
        await ledger!.kill('SIGKILL');
        ledger = await ServiceProcess.start('ledger', env);
      }
    }
    const handled = await waitFor(
      'every usage event to be projected',
      async () =>
        Number(
          (
            await sql<{ n: string }>(
              db.url,
              `SELECT count(*)::text AS n FROM ledger.accounting_inbox WHERE type = 'usage.recorded.v1'`,
            )
          )[0]?.n ?? 0,
        ),
      (n) => n >= usage.length,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    assert.equal(handled, usage.length);
    const rejected = await sql(db.url, `SELECT * FROM ledger.accounting_inbox WHERE status = 'rejected'`);
    assert.deepEqual(rejected, []);

    // Every request's charge, from the journal, equals the hand-computed price.
    const charges = new Map(
      (
        await sql<{ event_id: string; charged: string }>(
          db.url,
          `SELECT event_id::text AS event_id, sum(amount_nano_usd)::text AS charged FROM ledger.transfers
            WHERE debit_account_id LIKE 'team:%' AND code LIKE 'usage.%' GROUP BY event_id`,
        )
      ).map((r) => [r.event_id, BigInt(r.charged)]),
    );
    assert.equal(charges.size, usage.length);
    for (const { m, e } of usage) {
      assert.equal(charges.get(e.id), expectedChargeNanoUsd(m.provider, m.model, m.tokens), e.id);
    }
    // Provider payables through GraphQL equal the sum of their requests' prices.
    for (const provider of ['openai', 'anthropic']) {
      const expected = usage
        .filter((u) => u.m.provider === provider)
        .reduce((s, u) => s + expectedChargeNanoUsd(u.m.provider, u.m.model, u.m.tokens), 0n);
      const r = await gql<{ balances: Balance[] }>(BALANCES, { account: `provider:${provider}` });
      assert.equal(r.data?.balances[0]?.balanceNanoUsd, expected.toString(), provider);
    }
    // acme: prepaid credit first, the overrun on its receivable.
    const acmeSpend = usage
      .filter((u) => u.e.data.teamId === 'acme')
      .reduce((s, u) => s + expectedChargeNanoUsd(u.m.provider, u.m.model, u.m.tokens), 0n);
    const all = (await gql<{ balances: Balance[] }>(BALANCES)).data?.balances ?? [];
    const bal = (id: string): bigint => BigInt(all.find((b) => b.account === id)?.balanceNanoUsd ?? '0');
    assert.equal(bal('team:acme') - bal('receivable:acme'), 25_500_000_000n - acmeSpend);
  });

  it('pages the journal', async () => {
    const seen: TransferItem[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const r: { data: { transfers: Page } | null } = await gql<{ transfers: Page }>(TRANSFERS, {
        account: 'team:globex',
        first: 37,
        after,
      });
      const page = r.data!.transfers;
      seen.push(...page.items);
      after = page.endCursor;
      if (!page.hasNextPage) break;
    }
    const [n] = await sql<{ n: string }>(
      db.url,
      `SELECT count(*)::text AS n FROM ledger.transfers WHERE debit_account_id = 'team:globex' OR credit_account_id = 'team:globex'`,
    );
    assert.equal(seen.length, Number(n?.n));
    assert.equal(new Set(seen.map((t) => t.id)).size, seen.length, 'no transfer twice');
    const seqs = seen.map((t) => BigInt(t.seq));
    assert.ok(
      seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'journal order',
    );
  });

  it('reconciles a provider export with planted mismatches: exactly those findings, with evidence', async () => {
    await waitFor(
      'the audit rows',
      async () =>
        Number(
          (await sql<{ n: string }>(db.url, `SELECT count(*)::text AS n FROM ledger.request_audit`))[0]?.n ??
            0,
        ),
      (n) => n >= usage.length,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const openai = usage.filter((u) => u.m.provider === 'openai');
    const total = (model: string, f: (u: (typeof usage)[number]) => number): number =>
      openai.filter((u) => u.m.model === model).reduce((s, u) => s + f(u), 0);
    const input = (u: (typeof usage)[number]): number =>
      u.m.tokens.input + u.m.tokens.cacheRead + u.m.tokens.cacheWrite;
    const costOf = (model: string): bigint =>
      openai
        .filter((u) => u.m.model === model)
        .reduce((s, u) => s + expectedChargeNanoUsd(u.m.provider, u.m.model, u.m.tokens), 0n);
    const csv = [
      'date,model,requests,input_tokens,output_tokens,cost_usd',
      // Agrees with the ledger to the token and the nano-dollar.
      `2026-11-01,gpt-4o,${total('gpt-4o', () => 1)},${total('gpt-4o', input)},${total('gpt-4o', (u) => u.m.tokens.output)},${formatNanoUsd(costOf('gpt-4o'))}`,
      // Planted: the provider counts 5 more output tokens.
      `2026-11-01,gpt-4o-mini,${total('gpt-4o-mini', () => 1)},${total('gpt-4o-mini', input)},${total('gpt-4o-mini', (u) => u.m.tokens.output) + 5},`,
      // Planted: a model the ledger never saw.
      '2026-11-01,o3,2,40,10,',
    ].join('\n');
    const RECONCILE = `mutation ($content: String!) { reconcile(provider: "openai", format: "csv", content: $content) { days exportRows ledgerRequests findings { kind day model deltas evidence evidenceRequests { requestId status providerTokens gatewayTokens listPriceVersion providerCostNanoUsd requestSha256 } } } }`;
    const r = await gql<{
      reconcile: {
        days: string[];
        exportRows: number;
        ledgerRequests: number;
        findings: Array<{
          kind: string;
          day: string;
          model: string;
          deltas: string;
          evidence: string[];
          evidenceRequests: Array<{
            requestId: string;
            status: number;
            providerTokens: string;
            listPriceVersion: number | null;
            providerCostNanoUsd: string | null;
          }>;
        }>;
      };
    }>(RECONCILE, { content: csv });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const report = r.data!.reconcile;
    assert.deepEqual(report.days, ['2026-11-01']);
    assert.equal(report.ledgerRequests, openai.length);
    assert.deepEqual(
      report.findings.map((f) => `${f.kind} ${f.model} ${f.deltas}`),
      [
        'tokens_differ gpt-4o-mini {"outputTokens":"5"}',
        'missing_in_ledger o3 {"requests":"2","inputTokens":"40","outputTokens":"10"}',
      ],
    );
    const miniIds = openai.filter((u) => u.m.model === 'gpt-4o-mini').map((u) => u.e.data.requestId);
    assert.equal(report.findings[0]!.evidence.length, Math.min(50, miniIds.length));
    assert.ok(report.findings[0]!.evidence.every((id) => miniIds.includes(id)));
    // Each evidence request comes with its audit record: the provider's token counts, price version, cost.
    const records = report.findings[0]!.evidenceRequests;
    assert.deepEqual(
      records.map((x) => x.requestId),
      report.findings[0]!.evidence,
    );
    for (const rec of records) {
      const u = openai.find((x) => x.e.data.requestId === rec.requestId)!;
      assert.deepEqual(JSON.parse(rec.providerTokens), {
        input: u.m.tokens.input,
        output: u.m.tokens.output,
        cacheRead: u.m.tokens.cacheRead,
        cacheWrite: u.m.tokens.cacheWrite,
      });
      assert.ok(rec.listPriceVersion !== null && rec.providerCostNanoUsd !== null);
    }
    const bad = await gql(RECONCILE.replace('"csv"', '"xlsx"'), { content: csv });
    assert.match(bad.errors?.[0]?.message ?? '', /format must be one of/);
  });

  it('corrects a usage event through GraphQL: reversed, repriced at the original price, once per key', async () => {
    const { m, e } = usage.find((u) => u.e.data.teamId === 'acme' && u.m.model === 'gpt-4o')!;
    const CORRECT = `mutation ($id: ID!, $key: String!, $usage: CorrectedUsageInput) { correction(eventId: $id, reason: "provider re-reported", idempotencyKey: $key, correctedUsage: $usage) { eventId created } }`;
    const corrected = {
      inputUncachedTokens: 1000,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 100,
    };
    const first = await gql<{ correction: { eventId: string; created: boolean } }>(CORRECT, {
      id: e.id,
      key: 'fix-1',
      usage: corrected,
    });
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(first.data?.correction.created, true);
    const again = await gql<{ correction: { created: boolean } }>(CORRECT, {
      id: e.id,
      key: 'fix-1',
      usage: corrected,
    });
    assert.equal(again.data?.correction.created, false);
    const unknown = await gql(CORRECT, { id: '00000000-0000-4000-8000-000000000000', key: 'fix-2' });
    assert.match(unknown.errors?.[0]?.message ?? '', /no event/);

    const correctionId = first.data.correction.eventId;
    await waitFor(
      'the correction to be projected',
      () => sql(db.url, `SELECT 1 FROM ledger.accounting_inbox WHERE event_id = $1::uuid`, [correctionId]),
      (rows) => rows.length === 1,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const rows = await sql<{
      code: string;
      debit_account_id: string;
      credit_account_id: string;
      amount: string;
    }>(
      db.url,
      `SELECT code, debit_account_id, credit_account_id, amount_nano_usd::text AS amount FROM ledger.transfers
        WHERE event_id = $1::uuid ORDER BY seq`,
      [correctionId],
    );
    const refunded = rows
      .filter((r) => r.code === 'correction.reversal' && r.credit_account_id === 'team:acme')
      .reduce((s, r) => s + BigInt(r.amount), 0n);
    assert.equal(
      refunded,
      expectedChargeNanoUsd(m.provider, m.model, m.tokens),
      'the original charge refunded',
    );
    const recharged = rows
      .filter((r) => r.code.startsWith('usage.') && r.debit_account_id === 'team:acme')
      .reduce((s, r) => s + BigInt(r.amount), 0n);
    assert.equal(
      recharged,
      expectedChargeNanoUsd(m.provider, m.model, { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 }),
    );
  });

  it('npm run ledger:verify -- --rebuild: balanced, and a replay equals the live books', async () => {
    const run = spawnSync('npm', ['run', '--silent', 'ledger:verify', '--', '--rebuild'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', DATABASE_URL: db.url },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      balanced: boolean;
      transfers: number;
      debitsPostedUsd: string;
      creditsPostedUsd: string;
      rebuild: { events: number; differences: unknown[] };
      eventChain: { blocks: number; events: number; firstBroken: unknown };
    };
    assert.equal(report.ok, true);
    assert.equal(report.debitsPostedUsd, report.creditsPostedUsd);
    assert.ok(report.transfers >= usage.length);
    assert.ok(report.rebuild.events >= usage.length + 4);
    assert.deepEqual(report.rebuild.differences, []);
    assert.equal(report.eventChain.firstBroken, null);
    assert.ok(
      report.eventChain.blocks > 0 && report.eventChain.events > 0,
      JSON.stringify(report.eventChain),
    );

    await assert.rejects(
      sql(db.url, `UPDATE ledger.transfers SET amount_nano_usd = 1 WHERE code = 'top_up'`),
      /append-only/,
    );
  });
});
