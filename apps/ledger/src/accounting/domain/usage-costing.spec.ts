import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PriceRates, TeamPrice } from './price-catalogue';
import { costUsage, exactUsageCostFemtoUsd } from './usage-costing';

const price = fc.bigInt({ min: 0n, max: 100_000_000_000n }); // up to $100 / MTok, any nano precision
const rates: fc.Arbitrary<PriceRates> = fc.record({
  inputNanoUsdPerMTok: price,
  outputNanoUsdPerMTok: price,
  cacheReadNanoUsdPerMTok: price,
  cacheWriteNanoUsdPerMTok: price,
});
const tokens = fc.integer({ min: 0, max: 2_000_000 });
const usage = fc.record({
  inputUncachedTokens: tokens,
  cacheReadTokens: tokens,
  cacheWriteTokens: tokens,
  outputTokens: tokens,
  reasoningTokens: fc.constant(0),
});
const entry = (r: PriceRates) => ({
  provider: 'p',
  pattern: 'm',
  rates: r,
  longContext: null,
  version: 1,
  effectiveFrom: '2026-01-01T00:00:00Z',
  source: 's',
  sourceDate: '2026-01-01',
});

describe('costUsage', () => {
  it('splits every request into legs that add up, with 0-2 nano-USD of rounding (property)', () => {
    fc.assert(
      fc.property(usage, rates, rates, (u, list, team) => {
        const p: TeamPrice = {
          list: entry(list),
          team: { rates: team, longContext: null, basis: 'negotiated', marginBps: 0, version: 1 },
        };
        const c = costUsage(u, p);
        const eTeam = exactUsageCostFemtoUsd(u, team);
        const eList = exactUsageCostFemtoUsd(u, list);
        // The charge is the exact team cost rounded up; the provider is owed the exact list cost rounded down.
        assert.ok(c.chargeNanoUsd * 1_000_000n >= eTeam && (c.chargeNanoUsd - 1n) * 1_000_000n < eTeam);
        assert.ok(
          c.providerCostNanoUsd * 1_000_000n <= eList && (c.providerCostNanoUsd + 1n) * 1_000_000n > eList,
        );
        // The team pays exactly the charge, the provider receives exactly its cost.
        assert.equal(c.providerFromTeamNanoUsd + c.marginNanoUsd + c.roundingNanoUsd, c.chargeNanoUsd);
        assert.equal(c.providerFromTeamNanoUsd + c.subsidyNanoUsd, c.providerCostNanoUsd);
        for (const leg of [c.providerFromTeamNanoUsd, c.marginNanoUsd, c.subsidyNanoUsd])
          assert.ok(leg >= 0n);
        assert.ok(c.roundingNanoUsd >= 0n && c.roundingNanoUsd <= 2n, `rounding ${c.roundingNanoUsd}`);
        // Margin never overstates the exact difference; subsidy only when the team's price is below cost.
        assert.ok(c.marginNanoUsd * 1_000_000n <= (eTeam > eList ? eTeam - eList : 0n));
        if (c.subsidyNanoUsd > 0n) assert.ok(eTeam < eList);
      }),
    );
  });

  it('charges nothing, and owes nothing, for a request without tokens', () => {
    const r = {
      inputNanoUsdPerMTok: 1n,
      outputNanoUsdPerMTok: 1n,
      cacheReadNanoUsdPerMTok: 1n,
      cacheWriteNanoUsdPerMTok: 1n,
    };
    const c = costUsage(
      {
        inputUncachedTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 0,
        reasoningTokens: 0,
      },
      { list: entry(r), team: { rates: r, longContext: null, basis: 'list', marginBps: 0, version: null } },
    );
    assert.deepEqual([c.chargeNanoUsd, c.providerCostNanoUsd, c.roundingNanoUsd], [0n, 0n, 0n]);
  });
});
