import { bucketStart, type TimeBucket } from './time-buckets';
import { mergeBuckets, quantileMs } from './histogram';

/** One row of provider_quality_hourly. */
export type QualityHour = {
  hour: Date;
  provider: string;
  model: string;
  requests: number;
  errors: number;
  latencyBuckets: number[];
  latencySumUs: number;
  ttftBuckets: number[];
  ttftCount: number;
  ttftSumUs: number;
  speedOutputTokens: number;
  speedGenerationUs: number;
  driftInputRequests: number;
  providerInputTokens: number;
  gatewayInputTokens: number;
  driftOutputRequests: number;
  providerOutputTokens: number;
  gatewayOutputTokens: number;
};

export type QualityReportRow = {
  bucketStart: Date;
  provider: string;
  model: string;
  requests: number;
  errors: number;
  /** errors / requests, 0-1. */
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyMeanMs: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  ttftMeanMs: number | null;
  /** Output tokens per second of generation (after the first token), successful requests. */
  outputTokensPerSecond: number | null;
  /** (provider-reported − gateway-counted) / gateway-counted over requests both counted; null: none. */
  inputTokenDrift: number | null;
  outputTokenDrift: number | null;
  driftInputRequests: number;
  driftOutputRequests: number;
};

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/**
 * Merges hourly quality rows into buckets per (provider, model): counts and sums add, histograms add bucket
 * by bucket, and the percentiles are read from the merged histograms. Ordered by bucket, provider, model.
 */
export function qualityReport(hours: readonly QualityHour[], bucket: TimeBucket): QualityReportRow[] {
  const merged = new Map<string, QualityHour>();
  for (const h of hours) {
    const start = bucketStart(h.hour, bucket);
    const key = JSON.stringify([start.getTime(), h.provider, h.model]);
    const m = merged.get(key);
    if (!m) {
      merged.set(key, {
        ...h,
        hour: start,
        latencyBuckets: [...h.latencyBuckets],
        ttftBuckets: [...h.ttftBuckets],
      });
      continue;
    }
    m.requests += h.requests;
    m.errors += h.errors;
    mergeBuckets(m.latencyBuckets, h.latencyBuckets);
    m.latencySumUs += h.latencySumUs;
    mergeBuckets(m.ttftBuckets, h.ttftBuckets);
    m.ttftCount += h.ttftCount;
    m.ttftSumUs += h.ttftSumUs;
    m.speedOutputTokens += h.speedOutputTokens;
    m.speedGenerationUs += h.speedGenerationUs;
    m.driftInputRequests += h.driftInputRequests;
    m.providerInputTokens += h.providerInputTokens;
    m.gatewayInputTokens += h.gatewayInputTokens;
    m.driftOutputRequests += h.driftOutputRequests;
    m.providerOutputTokens += h.providerOutputTokens;
    m.gatewayOutputTokens += h.gatewayOutputTokens;
  }
  return [...merged.values()]
    .sort(
      (a, b) =>
        a.hour.getTime() - b.hour.getTime() ||
        (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0) ||
        (a.model < b.model ? -1 : a.model > b.model ? 1 : 0),
    )
    .map((m) => ({
      bucketStart: m.hour,
      provider: m.provider,
      model: m.model,
      requests: m.requests,
      errors: m.errors,
      errorRate: ratio(m.errors, m.requests) ?? 0,
      latencyP50Ms: quantileMs(m.latencyBuckets, 0.5),
      latencyP95Ms: quantileMs(m.latencyBuckets, 0.95),
      latencyMeanMs: ratio(m.latencySumUs / 1000, m.requests),
      ttftP50Ms: quantileMs(m.ttftBuckets, 0.5),
      ttftP95Ms: quantileMs(m.ttftBuckets, 0.95),
      ttftMeanMs: ratio(m.ttftSumUs / 1000, m.ttftCount),
      outputTokensPerSecond: ratio(m.speedOutputTokens * 1_000_000, m.speedGenerationUs),
      inputTokenDrift: ratio(m.providerInputTokens - m.gatewayInputTokens, m.gatewayInputTokens),
      outputTokenDrift: ratio(m.providerOutputTokens - m.gatewayOutputTokens, m.gatewayOutputTokens),
      driftInputRequests: m.driftInputRequests,
      driftOutputRequests: m.driftOutputRequests,
    }));
}
