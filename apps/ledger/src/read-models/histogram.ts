// Fixed-bucket latency histograms: the same bounds in every hour and every row, so histograms of any set of
// hours (or providers) merge by adding counts, and percentiles of the merge are as good as of one hour.

/**
 * Upper bounds (inclusive), in milliseconds, of every bucket but the last; the last counts everything
 * above. Roughly 1.5x apart, so an interpolated percentile is within about a third of a bucket's width.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000,
  15_000, 20_000, 30_000, 60_000, 120_000, 300_000,
];

export const BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

export function emptyBuckets(): number[] {
  return new Array<number>(BUCKET_COUNT).fill(0);
}

/** The bucket a duration falls in: the first whose upper bound is at or above it. */
export function bucketIndex(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds histograms bucket by bucket; a shorter one counts as zeros. */
export function mergeBuckets(into: number[], other: readonly number[]): number[] {
  for (let i = 0; i < Math.max(into.length, other.length); i++) into[i] = (into[i] ?? 0) + (other[i] ?? 0);
  return into;
}

/**
 * The q-quantile (0 < q <= 1) estimated from a histogram: the bucket holding the rank q x n, interpolated
 * linearly inside it (from its lower bound, or 0 for the first). The overflow bucket has no upper bound,
 * so a rank there reports its lower bound (the largest finite bound): a floor, not an estimate. null when
 * the histogram is empty.
 */
export function quantileMs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i] ?? 0;
    if (n === 0 || seen + n < rank) {
      seen += n;
      continue;
    }
    const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
    const upper = LATENCY_BOUNDS_MS[i];
    if (upper === undefined) return lower;
    return lower + ((upper - lower) * (rank - seen)) / n;
  }
  return null;
}
