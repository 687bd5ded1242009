import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { UsageRecordedV1 } from '@sluice/events';
import { buildPriceCatalogue } from '../accounting/domain/price-catalogue';
import { DEFAULT_PRICE_PUBLICATIONS } from '../accounting/domain/default-price-catalogue';
import { postUsageWithCosting } from '../accounting/domain/posting-recipes';
import { csvLine, isFormulaLike, parseCsv } from './csv';
import {
  BUCKET_COUNT,
  bucketIndex,
  emptyBuckets,
  LATENCY_BOUNDS_MS,
  mergeBuckets,
  quantileMs,
} from './histogram';
import { qualityReport, type QualityHour } from './quality-report';
import { costFacts, hourOf, HourlyFold, isProviderError, isRequestError } from './read-model-facts';
import { assembleStatement } from './statement';
import { bucketSlices, bucketStart, nextBucket, rangeProblem } from './time-buckets';

const d = (s: string): Date => new Date(s);

describe('time buckets', () => {
  it('truncates to UTC hours, days and months, and steps over month ends and leap days', () => {
    const at = d('2028-02-29T23:59:59.999Z');
    assert.equal(bucketStart(at, 'hour').toISOString(), '2028-02-29T23:00:00.000Z');
    assert.equal(bucketStart(at, 'day').toISOString(), '2028-02-29T00:00:00.000Z');
    assert.equal(bucketStart(at, 'month').toISOString(), '2028-02-01T00:00:00.000Z');
    assert.equal(nextBucket(d('2028-02-29T00:00:00Z'), 'day').toISOString(), '2028-03-01T00:00:00.000Z');
    assert.equal(nextBucket(d('2026-12-01T00:00:00Z'), 'month').toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(hourOf('2026-11-01T12:59:59.999+02:00'), '2026-11-01T10:00:00.000Z');
  });

  it('refuses ranges that are empty, not whole hours, or too long', () => {
    assert.equal(rangeProblem(d('2026-01-01T00:00:00Z'), d('2026-01-02T00:00:00Z')), null);
    assert.match(rangeProblem(d('2026-01-02T00:00:00Z'), d('2026-01-01T00:00:00Z')) ?? '', /after/);
    assert.match(rangeProblem(d('2026-01-01T00:30:00Z'), d('2026-01-02T00:00:00Z')) ?? '', /whole UTC hours/);
    assert.match(rangeProblem(d('2025-01-01T00:00:00Z'), d('2026-01-03T00:00:00Z')) ?? '', /366 days/);
  });

  it('slices a range into pieces that tile it and never cut a bucket inside the range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 * 400 }),
        fc.integer({ min: 1, max: 24 * 120 }),
        fc.constantFrom('hour' as const, 'day' as const, 'month' as const),
        fc.integer({ min: 1, max: 24 * 40 }),
        (startHour, lengthHours, bucket, sliceHours) => {
          const from = new Date(Date.UTC(2026, 0, 1) + startHour * 3_600_000);
          const to = new Date(from.getTime() + lengthHours * 3_600_000);
          const slices = bucketSlices(from, to, bucket, sliceHours);
          assert.equal(slices[0]!.from.getTime(), from.getTime());
          assert.equal(slices[slices.length - 1]!.to.getTime(), to.getTime());
          for (let i = 0; i < slices.length; i++) {
            const s = slices[i]!;
            assert.ok(s.to.getTime() > s.from.getTime());
            if (i > 0) assert.equal(s.from.getTime(), slices[i - 1]!.to.getTime());
            // Every inner boundary is a bucket boundary.
            if (i > 0) assert.equal(bucketStart(s.from, bucket).getTime(), s.from.getTime());
          }
        },
      ),
    );
  });
});

describe('latency histogram', () => {
  it('puts a duration in the first bucket whose bound is at or above it', () => {
    assert.equal(bucketIndex(0), 0);
    assert.equal(bucketIndex(5), 0);
    assert.equal(bucketIndex(5.001), 1);
    assert.equal(bucketIndex(300_000), LATENCY_BOUNDS_MS.length - 1);
    assert.equal(bucketIndex(300_001), BUCKET_COUNT - 1);
  });

  it('reads percentiles by interpolating inside the bucket, and merging hours equals one histogram', () => {
    const h = emptyBuckets();
    // 100 requests: 50 in (75, 100], 45 in (150, 200], 5 in (1000, 1500].
    h[bucketIndex(90)]! += 50;
    h[bucketIndex(180)]! += 45;
    h[bucketIndex(1200)]! += 5;
    assert.equal(quantileMs(h, 0.5), 100);
    assert.equal(quantileMs(h, 0.95), 200);
    assert.equal(quantileMs(h, 0.96), 1000 + 500 * (1 / 5));
    assert.equal(quantileMs(emptyBuckets(), 0.5), null);
    const overflow = emptyBuckets();
    overflow[BUCKET_COUNT - 1] = 3;
    assert.equal(quantileMs(overflow, 0.5), 300_000);
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 400_000, noNaN: true }), { maxLength: 30 }), {
          maxLength: 5,
        }),
        (hours) => {
          const merged = emptyBuckets();
          const all = emptyBuckets();
          for (const hour of hours) {
            const b = emptyBuckets();
            for (const ms of hour) {
              b[bucketIndex(ms)]! += 1;
              all[bucketIndex(ms)]! += 1;
            }
            mergeBuckets(merged, b);
          }
          assert.deepEqual(merged, all);
        },
      ),
    );
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and parses back to the same fields', () => {
    assert.equal(csvLine(['a', 1, 2n, null, true]), 'a,1,2,,true\r\n');
    assert.equal(
      csvLine(['x,y', 'say "hi"', 'two\nlines', ' pad']),
      '"x,y","say ""hi""","two\nlines"," pad"\r\n',
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 10 }),
        (rows) => {
          // A lone empty field would be an empty line: a CSV cannot tell it from no field.
          fc.pre(rows.every((r) => !(r.length === 1 && r[0] === '')));
          // Text a spreadsheet would run as a formula comes back with the guard's leading quote.
          const expected = rows.map((r) => r.map((f) => (isFormulaLike(f) ? `'${f}` : f)));
          assert.deepEqual(parseCsv(rows.map((r) => csvLine(r)).join('')), expected);
        },
      ),
    );
  });
});

describe('statement assembly', () => {
  it('sorts movements into lines and closes at the opening plus every movement', () => {
    const s = assembleStatement('acme', d('2026-11-01T00:00:00Z'), d('2026-12-01T00:00:00Z'), 5_000n, [
      { code: 'top_up', model: '', netNanoUsd: 10_000n, events: 2 },
      { code: 'usage', model: 'gpt-4o', netNanoUsd: -3_000n, events: 7 },
      { code: 'usage', model: 'claude-sonnet-4-5', netNanoUsd: -1_500n, events: 2 },
      { code: 'correction.reversal', model: '', netNanoUsd: 400n, events: 1 },
      { code: 'credit_expiry', model: '', netNanoUsd: -250n, events: 1 },
      { code: 'overdraft.draw', model: '', netNanoUsd: 100n, events: 1 },
      { code: 'overdraft.repay', model: '', netNanoUsd: -100n, events: 1 },
      { code: 'marketplace.hold', model: '', netNanoUsd: -60n, events: 1 },
    ]);
    assert.equal(s.topUpsNanoUsd, 10_000n);
    assert.deepEqual(
      s.usage.map((u) => [u.model, u.requests, u.amountNanoUsd]),
      [
        ['claude-sonnet-4-5', 2, 1_500n],
        ['gpt-4o', 7, 3_000n],
      ],
    );
    assert.equal(s.usageNanoUsd, 4_500n);
    assert.equal(s.correctionsNanoUsd, 400n);
    assert.equal(s.expiriesNanoUsd, 250n);
    assert.equal(s.overdraftNanoUsd, 0n);
    assert.equal(s.marketplaceNanoUsd, -60n);
    assert.equal(s.closingNanoUsd, 5_000n + 10_000n - 4_500n + 400n - 250n - 60n);
  });
});

const usage = (over: Partial<UsageRecordedV1> = {}): UsageRecordedV1 => ({
  requestId: 'r',
  teamId: 'acme',
  keyId: 'k1',
  endpoint: 'openai.chat_completions',
  modelRequested: 'gpt-4o',
  modelServed: 'gpt-4o',
  provider: 'openai',
  providerRequestId: null,
  stream: true,
  status: 200,
  errorCode: null,
  usage: {
    inputUncachedTokens: 1000,
    cacheReadTokens: 200,
    cacheWriteTokens: 0,
    outputTokens: 300,
    reasoningTokens: 50,
  },
  rawUsage: null,
  receivedAt: '2026-11-01T12:34:56.000Z',
  latencyMs: 1200,
  ttfbMs: 150,
  firewall: [],
  ttftMs: 200,
  gatewayTokens: { input: 1150, output: 240 },
  ...over,
});

describe('read-model facts', () => {
  const catalogue = buildPriceCatalogue(DEFAULT_PRICE_PUBLICATIONS.map((p) => p));

  it('prices a request exactly as the books do, and says why when it cannot', () => {
    const d1 = usage();
    const facts = costFacts(d1, '2026-11-01T12:34:56.000Z', catalogue);
    const books = postUsageWithCosting(
      { id: 'e', occurredAt: '2026-11-01T12:34:56.000Z', data: d1 },
      { catalogue },
    );
    assert.equal(facts.status, 'priced');
    if (facts.status !== 'priced') return;
    assert.equal(facts.chargeNanoUsd, books.costing!.chargeNanoUsd);
    assert.equal(
      books.transfers.reduce((s, t) => s + t.amountNanoUsd, 0n) - (books.costing!.subsidyNanoUsd ?? 0n),
      facts.chargeNanoUsd,
    );
    // gpt-4o: 1000 x $2.50 + 200 x $1.25 + 300 x $10 per million = 5,750,000 nano-USD exactly.
    assert.equal(facts.chargeNanoUsd, 5_750_000n);
    assert.equal(
      costFacts(usage({ provider: 'loopback', modelServed: 'loopback' }), d1.receivedAt, catalogue).status,
      'price_not_found',
    );
    assert.equal(costFacts(usage({ provider: null }), d1.receivedAt, catalogue).status, 'unattributable');
    const none = {
      inputUncachedTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    };
    assert.equal(costFacts(usage({ usage: none }), d1.receivedAt, catalogue).status, 'no_usage');
  });

  it('tells request errors from provider errors', () => {
    assert.equal(isRequestError(200, null), false);
    assert.equal(isRequestError(400, null), true);
    assert.equal(isRequestError(200, 'upstream_stream_error'), true);
    assert.equal(isProviderError(400, 'invalid_request'), false);
    assert.equal(isProviderError(499, 'client_closed'), false);
    assert.equal(isProviderError(200, 'client_closed'), false);
    assert.equal(isProviderError(429, null), true);
    assert.equal(isProviderError(502, null), true);
    assert.equal(isProviderError(200, 'upstream_stream_error'), true);
  });

  it('folds requests into hourly usage and quality, and the report reads them back', () => {
    const fold = new HourlyFold();
    const catalogueCost = (u: UsageRecordedV1) => costFacts(u, u.receivedAt, catalogue);
    const a = usage();
    const b = usage({
      receivedAt: '2026-11-01T12:59:00.000Z',
      latencyMs: 3000,
      ttftMs: 1000,
      status: 502,
      errorCode: 'upstream_error',
    });
    const c = usage({
      receivedAt: '2026-11-01T13:00:00.000Z',
      keyId: null,
      stream: false,
      ttftMs: null,
      latencyMs: 800,
    });
    for (const u of [a, b, c]) fold.add(u, catalogueCost(u));
    const rows = [...fold.usage.values()];
    assert.equal(rows.length, 2);
    const noon = rows.find((r) => r.hour === '2026-11-01T12:00:00.000Z')!;
    assert.equal(noon.requests, 2);
    assert.equal(noon.errors, 1);
    assert.equal(noon.outputTokens, 600);
    assert.equal(noon.costNanoUsd, 2n * 5_750_000n);
    assert.equal(rows.find((r) => r.hour === '2026-11-01T13:00:00.000Z')!.keyId, '');
    const hours: QualityHour[] = [...fold.quality.values()].map((q) => ({ ...q, hour: new Date(q.hour) }));
    const [day] = qualityReport(hours, 'day');
    assert.equal(day!.requests, 3);
    assert.equal(day!.errors, 1);
    assert.equal(day!.latencyMeanMs, (1200 + 3000 + 800) / 3);
    assert.equal(day!.ttftMeanMs, 600);
    // Speed from the two successes: (300 + 300) tokens over (1.0 s + 0.8 s).
    assert.equal(day!.outputTokensPerSecond, 600 / 1.8);
    // Drift over the successes: provider input 1200 vs gateway 1150; visible output 250 vs 240.
    assert.equal(day!.inputTokenDrift, (2400 - 2300) / 2300);
    assert.equal(day!.outputTokenDrift, (500 - 480) / 480);
    assert.equal(
      day!.latencyP50Ms,
      quantileMs(
        hours.reduce((m, h) => mergeBuckets(m, h.latencyBuckets), emptyBuckets()),
        0.5,
      ),
    );
  });
});
