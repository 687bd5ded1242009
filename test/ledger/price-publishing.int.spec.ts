import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LedgerServer } from '@sluice/apps/ledger';
import { createTestDatabase, uniqueTopic, waitFor, type TestDatabase } from '@sluice/testing';
import { startTestLedger } from '../helpers/gateway-harness';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';

const PUBLISH = `mutation ($team: String, $from: DateTime!, $entries: [PriceEntryInput!]!, $key: String!) {
  publishPrices(team: $team, effectiveFrom: $from, entries: $entries, idempotencyKey: $key) { eventId version created } }`;
const PRICES = `query ($model: String) { prices(model: $model) { version scope team provider model inputNanoUsdPerMTok outputNanoUsdPerMTok } }`;

type Published = { publishPrices: { eventId: string; version: number; created: boolean } };
type Prices = {
  prices: Array<{
    version: number;
    scope: string;
    team: string | null;
    model: string;
    inputNanoUsdPerMTok: string | null;
    outputNanoUsdPerMTok: string | null;
  }>;
};

const entry = (input: string) => ({
  provider: 'openai',
  model: 'gpt-4o',
  inputUsdPerMTok: input,
  outputUsdPerMTok: '8',
  cacheReadUsdPerMTok: '1',
  cacheWriteUsdPerMTok: '2',
  source: 'contract ACME-2026-11',
  sourceDate: '2026-11-27',
});

/** Prices as a mutation: a team's negotiated rate becomes the next catalogue version, and the gateway's price. */
describe('publishing prices', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let ledger: LedgerServer;

  before(async () => {
    db = await createTestDatabase('prices');
    const topic = uniqueTopic('prices-usage');
    ledger = await startTestLedger(db.url, topic);
  });

  after(async () => {
    await ledger?.stop();
    await db?.drop();
  });

  it('publishes a negotiated rate as the next version, idempotently, and serves it to gateways', async () => {
    const vars = { team: 'acme', from: '2026-11-01T00:00:00Z', entries: [entry('2.00')], key: 'acme-nov' };
    const first = await graphql<Published>(ledger.url, TEST_MASTER_KEY, PUBLISH, vars);
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    assert.equal(first.data?.publishPrices.created, true);
    const version = first.data.publishPrices.version;
    assert.ok(version > 1, 'after the shipped default versions');

    const retry = await graphql<Published>(ledger.url, TEST_MASTER_KEY, PUBLISH, vars);
    assert.deepEqual(retry.data?.publishPrices, { ...first.data.publishPrices, created: false });
    const clash = await graphql<Published>(ledger.url, TEST_MASTER_KEY, PUBLISH, {
      ...vars,
      entries: [entry('2.10')],
    });
    assert.match(clash.errors?.[0]?.message ?? '', /idempotency key/);
    const bad = await graphql<Published>(ledger.url, TEST_MASTER_KEY, PUBLISH, {
      ...vars,
      key: 'bad',
      entries: [{ ...entry('2.0000000001') }],
    });
    assert.ok(bad.errors?.length, 'more than nine decimals is refused, not rounded');

    const listed = (await waitFor(
      'the publication in the catalogue',
      async () =>
        (await graphql<Prices>(ledger.url, TEST_MASTER_KEY, PRICES, { model: 'gpt-4o' })).data?.prices.find(
          (p) => p.version === version,
        ),
      (p) => p !== undefined,
    ))!;
    assert.equal(listed.scope, 'team');
    assert.equal(listed.team, 'acme');
    assert.equal(listed.inputNanoUsdPerMTok, '2000000000');
    assert.equal(listed.outputNanoUsdPerMTok, '8000000000');

    const price = (await (
      await fetch(`${ledger.url}/internal/v1/team-price?team=acme&provider=openai&model=gpt-4o`, {
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}` },
      })
    ).json()) as { priced: boolean; rates: { inputNanoUsdPerMTok: string } };
    assert.equal(price.priced, true);
    assert.equal(price.rates.inputNanoUsdPerMTok, '2000000000', 'the negotiated rate, not the list price');
    const other = (await (
      await fetch(`${ledger.url}/internal/v1/team-price?team=other&provider=openai&model=gpt-4o`, {
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}` },
      })
    ).json()) as { rates: { inputNanoUsdPerMTok: string } };
    assert.equal(other.rates.inputNanoUsdPerMTok, '2500000000', 'other teams keep the list price');
  });
});
