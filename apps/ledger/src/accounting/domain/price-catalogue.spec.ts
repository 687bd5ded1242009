import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatNanoUsd } from '@sluice/money';
import { isAccountingError } from './accounting.errors';
import { DEFAULT_PRICE_PUBLICATIONS } from './default-price-catalogue';
import {
  applyMarginBps,
  applyPricePublished,
  buildPriceCatalogue,
  compareSpecificity,
  findPrice,
  modelMatches,
  priceFor,
  pricePublishedV1Schema,
  type PricePublishedV1,
  type PriceRatesData,
} from './price-catalogue';
import { costUsage } from './usage-costing';

const AT = '2026-11-01T12:00:00Z';
const defaults = buildPriceCatalogue(DEFAULT_PRICE_PUBLICATIONS);
const r = (input: string, output = '0', cacheRead = '0', cacheWrite = '0'): PriceRatesData => ({
  inputNanoUsdPerMTok: input,
  outputNanoUsdPerMTok: output,
  cacheReadNanoUsdPerMTok: cacheRead,
  cacheWriteNanoUsdPerMTok: cacheWrite,
});
const pub = (
  version: number,
  effectiveFrom: string,
  entries: Array<[string, string, PriceRatesData | null]>,
  scope: PricePublishedV1['scope'] = { kind: 'list' },
): PricePublishedV1 => ({
  version,
  effectiveFrom,
  scope,
  entries: entries.map(([provider, model, rates]) => ({
    provider,
    model,
    rates,
    longContext: null,
    source: 'test',
    sourceDate: '2026-01-01',
  })),
});
const inputPrice = (
  state: ReturnType<typeof buildPriceCatalogue>,
  model: string,
  teamId: string | null = null,
  occurredAt = AT,
): string | undefined => {
  const p = findPrice(state, { provider: 'p', model, teamId, occurredAt });
  return p?.team.rates.inputNanoUsdPerMTok.toString();
};

describe('model patterns', () => {
  it('match exactly or by * wildcard', () => {
    assert.ok(modelMatches('gpt-4o', 'gpt-4o'));
    assert.ok(!modelMatches('gpt-4o', 'gpt-4o-mini'));
    assert.ok(modelMatches('gpt-4o-20*', 'gpt-4o-2024-08-06'));
    assert.ok(modelMatches('gpt-5*-chat*', 'gpt-5.4-chat-latest'));
    assert.ok(!modelMatches('gemini-2.5-flash*', 'gemini-2.5-pro'));
    assert.ok(modelMatches('a.b*', 'a.bc') && !modelMatches('a.b*', 'axbc'), 'dots are literal');
  });

  it('order by specificity: exact first, then longer literal, then fewer wildcards, then text', () => {
    const sorted = ['gpt-*', 'gpt-4o*', '*', 'gpt-4o', 'gpt-4o-*', 'g*t-4o*'].sort(compareSpecificity);
    assert.deepEqual(sorted, ['gpt-4o', 'gpt-4o-*', 'gpt-4o*', 'g*t-4o*', 'gpt-*', '*']);
  });
});

describe('priceFor', () => {
  const state = buildPriceCatalogue([
    pub(1, '2026-01-01T00:00:00Z', [
      ['p', 'm*', r('100')],
      ['p', 'm-large*', r('200')],
      ['p', 'm-large', r('300')],
    ]),
  ]);

  it('prefers the exact name, then the most specific pattern', () => {
    assert.equal(inputPrice(state, 'm-large'), '300');
    assert.equal(inputPrice(state, 'm-large-2026'), '200');
    assert.equal(inputPrice(state, 'm-small'), '100');
    assert.equal(inputPrice(state, 'x'), undefined);
    assert.throws(
      () => priceFor(state, { provider: 'p', model: 'x', teamId: null, occurredAt: AT }),
      (e: unknown) => isAccountingError(e, 'price_not_found'),
    );
    assert.equal(
      findPrice(state, { provider: 'other', model: 'm-large', teamId: null, occurredAt: AT }),
      undefined,
    );
  });

  it('uses the price in force when the usage happened, and can be pinned to a version', () => {
    const v2 = applyPricePublished(state, pub(2, '2026-06-01T00:00:00Z', [['p', 'm-large', r('350')]]));
    assert.equal(inputPrice(v2, 'm-large', null, '2026-05-31T23:59:59.999Z'), '300');
    assert.equal(inputPrice(v2, 'm-large', null, '2026-06-01T00:00:00Z'), '350');
    assert.equal(
      findPrice(v2, { provider: 'p', model: 'm-large', teamId: null, occurredAt: AT, maxVersion: 1 })?.list
        .version,
      1,
    );
    assert.equal(
      inputPrice(v2, 'm-large', null, '2025-12-31T00:00:00Z'),
      undefined,
      'nothing before the first publication',
    );
  });

  it('lets a withdrawal fall back to the next most specific pattern', () => {
    const withdrawn = applyPricePublished(state, pub(2, '2026-06-01T00:00:00Z', [['p', 'm-large', null]]));
    assert.equal(inputPrice(withdrawn, 'm-large'), '200');
  });

  it('gives a team its negotiated rate over any list price, and margin to everyone else', () => {
    const s = buildPriceCatalogue([
      pub(1, '2026-01-01T00:00:00Z', [['p', 'm-large', r('300')]]),
      pub(2, '2026-01-01T00:00:00Z', [['p', 'm*', r('150')]], { kind: 'team', teamId: 'acme' }),
      { ...pub(3, '2026-01-01T00:00:00Z', []), marginBps: 1000 },
      { ...pub(4, '2026-01-01T00:00:00Z', [], { kind: 'team', teamId: 'beta' }), marginBps: 500 },
    ]);
    const acme = priceFor(s, { provider: 'p', model: 'm-large', teamId: 'acme', occurredAt: AT });
    assert.deepEqual(
      [
        acme.team.basis,
        acme.team.rates.inputNanoUsdPerMTok,
        acme.list.rates.inputNanoUsdPerMTok,
        acme.team.version,
      ],
      ['negotiated', 150n, 300n, 2],
    );
    assert.equal(inputPrice(s, 'm-large', 'other'), '330');
    assert.equal(inputPrice(s, 'm-large', 'beta'), '315');
    assert.equal(inputPrice(s, 'm-large', null), '330');
  });

  it('rounds margin up to a whole nano-USD per million tokens', () => {
    assert.equal(applyMarginBps(2_500_000_000n, 1500), 2_875_000_000n);
    assert.equal(applyMarginBps(1n, 1), 2n);
    assert.equal(applyMarginBps(10_000n, 1), 10_001n);
    assert.equal(applyMarginBps(1000n, -10_000), 0n);
  });

  it('is idempotent per version and refuses a version reused with other content', () => {
    const p = pub(2, '2026-06-01T00:00:00Z', [['p', 'm-large', r('350')]]);
    const once = applyPricePublished(state, p);
    assert.equal(applyPricePublished(once, structuredClone(p)), once);
    assert.throws(
      () => applyPricePublished(once, pub(2, '2026-06-01T00:00:00Z', [['p', 'm-large', r('351')]])),
      (e: unknown) => isAccountingError(e, 'price_publication_conflict'),
    );
    assert.throws(
      () => applyPricePublished(once, { version: 0 }),
      (e: unknown) => isAccountingError(e, 'price_publication_invalid'),
    );
  });

  it('answers the same whatever order publications arrive in (property)', () => {
    const models = ['m', 'm-1', 'm-1-x', 'n'];
    const patterns = ['m', 'm*', 'm-1', 'm-1*', 'm-1-x', '*', 'n*'];
    const publication = (version: number) =>
      fc
        .record({
          day: fc.integer({ min: 1, max: 28 }),
          team: fc.constantFrom<string | null>(null, 'acme'),
          entries: fc.array(
            fc.tuple(
              fc.constantFrom(...patterns),
              fc.option(fc.integer({ min: 0, max: 999 }), { nil: null }),
            ),
            { minLength: 1, maxLength: 4 },
          ),
        })
        .map(({ day, team, entries }) =>
          pub(
            version,
            `2026-02-${String(day).padStart(2, '0')}T00:00:00Z`,
            entries.map(([m, price]) => ['p', m, price === null ? null : r(String(price))]),
            team === null ? { kind: 'list' } : { kind: 'team', teamId: team },
          ),
        );
    const publications = fc
      .integer({ min: 1, max: 6 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => publication(i + 1))));
    fc.assert(
      fc.property(publications, fc.func(fc.integer()), (pubs, order) => {
        const shuffled = [...pubs].sort(
          (a, b) => order(a.version) - order(b.version) || a.version - b.version,
        );
        const s1 = buildPriceCatalogue(pubs);
        const s2 = buildPriceCatalogue(shuffled);
        for (const model of models) {
          for (const teamId of [null, 'acme']) {
            for (const day of ['05', '15', '28']) {
              const q = { provider: 'p', model, teamId, occurredAt: `2026-02-${day}T12:00:00Z` };
              assert.deepEqual(findPrice(s1, q), findPrice(s2, q));
            }
          }
        }
      }),
    );
  });
});

describe('default catalogue', () => {
  it('parses, and every price is a whole nano-USD per million tokens', () => {
    for (const p of DEFAULT_PRICE_PUBLICATIONS) {
      const parsed = pricePublishedV1Schema.parse(p);
      for (const e of parsed.entries)
        assert.ok(e.rates && e.source.length > 0 && /^\d{4}-\d{2}-\d{2}$/.test(e.sourceDate), e.model);
    }
  });

  it('prices current models of each provider at their list prices', () => {
    const price = (provider: string, model: string, occurredAt = AT) => {
      const p = priceFor(defaults, { provider, model, teamId: 'acme', occurredAt }).team.rates;
      return [
        p.inputNanoUsdPerMTok,
        p.outputNanoUsdPerMTok,
        p.cacheReadNanoUsdPerMTok,
        p.cacheWriteNanoUsdPerMTok,
      ]
        .map((n) => formatNanoUsd(n))
        .join(' ');
    };
    assert.equal(price('openai', 'gpt-5.5'), '5.00 30.00 0.50 5.00');
    assert.equal(price('openai', 'gpt-5.4-mini-2026-03-17'), '0.75 4.50 0.075 0.75');
    assert.equal(price('openai', 'gpt-4o-mini'), '0.15 0.60 0.075 0.15');
    assert.equal(price('openai', 'gpt-4o-2024-08-06'), '2.50 10.00 1.25 2.50');
    assert.equal(price('anthropic', 'claude-sonnet-4-5-20250929'), '3.00 15.00 0.30 3.75');
    assert.equal(price('anthropic', 'claude-opus-4-1-20250805'), '15.00 75.00 1.50 18.75');
    assert.equal(price('anthropic', 'claude-opus-4-5-20251101'), '5.00 25.00 0.50 6.25');
    assert.equal(price('anthropic', 'claude-haiku-4-5-20251001'), '1.00 5.00 0.10 1.25');
    assert.equal(price('gemini', 'gemini-2.5-flash'), '0.30 2.50 0.03 0.30');
    assert.equal(price('gemini', 'gemini-2.5-flash-lite'), '0.10 0.40 0.01 0.10');
    assert.equal(price('gemini', 'gemini-3-pro-preview'), '2.00 12.00 0.20 2.00');
  });

  it('versions a price change: Sonnet 5.5 cache reads before and after 2026-10-07', () => {
    const cacheRead = (at: string) =>
      priceFor(defaults, { provider: 'anthropic', model: 'claude-sonnet-5-5', teamId: null, occurredAt: at })
        .list;
    assert.deepEqual(
      [
        cacheRead('2026-10-06T23:59:59Z').rates.cacheReadNanoUsdPerMTok,
        cacheRead('2026-10-06T23:59:59Z').version,
      ],
      [200_000_000n, 1],
    );
    assert.deepEqual(
      [
        cacheRead('2026-10-07T00:00:00Z').rates.cacheReadNanoUsdPerMTok,
        cacheRead('2026-10-07T00:00:00Z').version,
      ],
      [100_000_000n, 2],
    );
  });

  it('bills a long prompt at the long-context rates for the whole request', () => {
    const p = priceFor(defaults, {
      provider: 'gemini',
      model: 'gemini-2.5-pro',
      teamId: null,
      occurredAt: AT,
    });
    const short = costUsage(
      {
        inputUncachedTokens: 200_000,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 1000,
        reasoningTokens: 0,
      },
      p,
    );
    const long = costUsage(
      {
        inputUncachedTokens: 200_001,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 1000,
        reasoningTokens: 0,
      },
      p,
    );
    assert.deepEqual([short.tier, short.chargeNanoUsd], ['standard', 260_000_000n]); // 200k x $1.25 + 1k x $10
    assert.deepEqual([long.tier, long.chargeNanoUsd], ['long-context', 515_002_500n]); // 200,001 x $2.50 + 1k x $15
  });
});
