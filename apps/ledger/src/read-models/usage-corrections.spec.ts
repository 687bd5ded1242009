import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { NormalizedUsage, UsageRecordedV1 } from '@sluice/events';
import { accountIds } from '../accounting/domain/accounts';
import { DEFAULT_PRICE_PUBLICATIONS } from '../accounting/domain/default-price-catalogue';
import { buildPriceCatalogue, latestCatalogueVersion } from '../accounting/domain/price-catalogue';
import { postCorrection, postUsage } from '../accounting/domain/posting-recipes';
import type { Transfer } from '../accounting/domain/transfer';
import {
  costFacts,
  HourlyFold,
  negateCorrection,
  usageCorrectionEffect,
  type CorrectedRequest,
} from './read-model-facts';

// A correction's effect on usage per hour must equal what the books post for it: the change in what the
// team paid (its usage legs, net of the reversals) and in what the provider is owed.

const catalogue = buildPriceCatalogue(DEFAULT_PRICE_PUBLICATIONS);
const AT = '2026-11-01T12:34:00.000Z';
const TEAM = 'acme';

function usageEvent(
  usage: NormalizedUsage,
  model = 'gpt-4o',
  provider: string | null = 'openai',
): UsageRecordedV1 {
  return {
    requestId: 'req-1',
    teamId: TEAM,
    keyId: 'k1',
    endpoint: 'openai.chat_completions',
    modelRequested: model,
    modelServed: model,
    provider,
    providerRequestId: null,
    stream: false,
    status: 200,
    errorCode: null,
    usage,
    rawUsage: null,
    receivedAt: AT,
    latencyMs: 10,
    ttfbMs: 5,
    firewall: [],
  };
}

function requestOf(d: UsageRecordedV1): CorrectedRequest {
  const c = costFacts(d, AT, catalogue);
  return {
    teamId: d.teamId,
    provider: d.provider,
    modelServed: d.modelServed,
    modelRequested: d.modelRequested,
    occurredAt: AT,
    costStatus: c.status,
    chargeNanoUsd: c.status === 'priced' ? c.chargeNanoUsd : c.status === 'no_usage' ? 0n : null,
    providerCostNanoUsd: c.status === 'priced' ? c.providerCostNanoUsd : c.status === 'no_usage' ? 0n : null,
    usage: d.usage,
  };
}

/** What the team paid and the provider is owed, net, by a list of transfers (the books' view). */
function net(transfers: readonly Transfer[]): { team: bigint; provider: bigint } {
  const team = accountIds.team(TEAM);
  const provider = accountIds.provider('openai');
  let t = 0n;
  let p = 0n;
  for (const x of transfers) {
    if (x.code === 'overdraft.draw') continue;
    if (x.debitAccountId === team) t += x.amountNanoUsd;
    if (x.creditAccountId === team) t -= x.amountNanoUsd;
    if (x.creditAccountId === provider) p += x.amountNanoUsd;
    if (x.debitAccountId === provider) p -= x.amountNanoUsd;
  }
  return { team: t, provider: p };
}

const usageArb = fc.record({
  inputUncachedTokens: fc.integer({ min: 0, max: 300_000 }),
  cacheReadTokens: fc.integer({ min: 0, max: 50_000 }),
  cacheWriteTokens: fc.integer({ min: 0, max: 20_000 }),
  outputTokens: fc.integer({ min: 0, max: 50_000 }),
  reasoningTokens: fc.integer({ min: 0, max: 1_000 }),
});

describe('corrections in usage per hour', () => {
  it('change cost and provider cost exactly as the books post the correction (property)', () => {
    fc.assert(
      fc.property(
        usageArb,
        fc.option(usageArb, { nil: undefined }),
        fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5'),
        (original, corrected, model) => {
          const provider = model.startsWith('claude') ? 'anthropic' : 'openai';
          const d = usageEvent(original, model, provider);
          const version = latestCatalogueVersion(catalogue);
          const originalTransfers = postUsage({ id: 'e-orig', occurredAt: AT, data: d }, { catalogue });
          const replacement = corrected
            ? postUsage(
                { id: 'e-fix', occurredAt: '2026-11-20T00:00:00.000Z', data: { ...d, usage: corrected } },
                { catalogue, pricedAt: AT, maxCatalogueVersion: version },
              )
            : [];
          const posted = postCorrection(
            {
              id: 'e-fix',
              occurredAt: '2026-11-20T00:00:00.000Z',
              data: { correctsEventId: 'e-orig', reason: 'test', correctedUsage: corrected },
            },
            { originalTransfers: originalTransfers.map((t) => ({ ...t, eventId: 'e-orig' })), replacement },
          );
          const effect = usageCorrectionEffect(requestOf(d), corrected, catalogue, version);
          assert.ok(effect);
          const team = accountIds.team(TEAM);
          const prov = accountIds.provider(provider);
          let t = 0n;
          let p = 0n;
          for (const x of posted) {
            if (x.debitAccountId === team) t += x.amountNanoUsd;
            if (x.creditAccountId === team) t -= x.amountNanoUsd;
            if (x.creditAccountId === prov) p += x.amountNanoUsd;
            if (x.debitAccountId === prov) p -= x.amountNanoUsd;
          }
          assert.equal(effect.delta.costNanoUsd, t);
          assert.equal(effect.delta.providerCostNanoUsd, p);
          assert.equal(effect.reverses, originalTransfers.length > 0);
          assert.equal(effect.booksTransfers, posted.length > 0);
          if (corrected)
            assert.equal(effect.delta.outputTokens, corrected.outputTokens - original.outputTokens);
          else assert.equal(effect.delta.outputTokens, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a refund without corrected usage takes the charge back and leaves the tokens', () => {
    const d = usageEvent({
      inputUncachedTokens: 1000,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 1000,
      reasoningTokens: 0,
    });
    const charged = net(postUsage({ id: 'e', occurredAt: AT, data: d }, { catalogue }));
    const effect = usageCorrectionEffect(requestOf(d), undefined, catalogue, undefined);
    assert.equal(effect?.delta.costNanoUsd, -charged.team);
    assert.equal(effect?.delta.costNanoUsd, -12_500_000n); // 1000 x $2.50 + 1000 x $10 per million, by hand
    assert.equal(effect?.delta.inputUncachedTokens, 0);
    assert.equal(negateCorrection(effect.delta).costNanoUsd, 12_500_000n);
  });

  it('changes nothing when the books refuse or have nothing to correct', () => {
    // Unpriced original (rejected by the books): nothing reversed, nothing repriced.
    const unpriced = requestOf(
      usageEvent(
        {
          inputUncachedTokens: 5,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 5,
          reasoningTokens: 0,
        },
        'no-such-model',
      ),
    );
    assert.equal(unpriced.costStatus, 'price_not_found');
    const e = usageCorrectionEffect(
      unpriced,
      {
        inputUncachedTokens: 1,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 1,
        reasoningTokens: 0,
      },
      catalogue,
      undefined,
    );
    assert.deepEqual(e?.delta.costNanoUsd, 0n);
    assert.equal(e?.reverses, false);
    assert.equal(e?.booksTransfers, false);
    // A replacement the books cannot price at the original's catalogue version: the correction is refused.
    const priced = requestOf(
      usageEvent({
        inputUncachedTokens: 5,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 5,
        reasoningTokens: 0,
      }),
    );
    assert.equal(
      usageCorrectionEffect(
        priced,
        {
          inputUncachedTokens: 1,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 1,
          reasoningTokens: 0,
        },
        catalogue,
        0,
      ),
      null,
    );
  });

  it('adds a correction to its request’s row without counting a request', () => {
    const fold = new HourlyFold();
    const key = {
      hour: '2026-11-01T12:00:00.000Z',
      teamId: TEAM,
      keyId: 'k1',
      model: 'gpt-4o',
      provider: 'openai',
    };
    fold.addCorrection(key, {
      costNanoUsd: -100n,
      providerCostNanoUsd: -90n,
      inputUncachedTokens: -5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 2,
      reasoningTokens: 0,
    });
    const [row] = [...fold.usage.values()];
    assert.equal(row?.requests, 0);
    assert.equal(row?.costNanoUsd, -100n);
    assert.equal(row?.inputUncachedTokens, -5);
    assert.equal(row?.outputTokens, 2);
  });
});
