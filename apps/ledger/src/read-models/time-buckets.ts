// UTC time buckets over the hourly tables: a report's buckets are whole hours, days or months, and its
// range must start and end on whole hours (the hourly tables cannot split an hour).

export type TimeBucket = 'hour' | 'day' | 'month';

const HOUR_MS = 3_600_000;
export const MAX_RANGE_MS = 366 * 24 * HOUR_MS;

/** The start of the bucket an instant falls in (UTC). */
export function bucketStart(at: Date, bucket: TimeBucket): Date {
  const ms = at.getTime();
  switch (bucket) {
    case 'hour':
      return new Date(ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS));
    case 'day':
      return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
    case 'month':
      return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  }
}

/** The start of the next bucket. */
export function nextBucket(start: Date, bucket: TimeBucket): Date {
  switch (bucket) {
    case 'hour':
      return new Date(start.getTime() + HOUR_MS);
    case 'day':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1));
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** Why a report range is refused, or null when it is fine. */
export function rangeProblem(from: Date, to: Date, maxMs = MAX_RANGE_MS): string | null {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return '`from` and `to` must be timestamps';
  if (!(to.getTime() > from.getTime())) return '`to` must be after `from`';
  if (from.getTime() % HOUR_MS !== 0 || to.getTime() % HOUR_MS !== 0)
    return '`from` and `to` must be whole UTC hours (the tables are hourly)';
  if (to.getTime() - from.getTime() > maxMs) return 'the range may span at most 366 days';
  return null;
}

/**
 * Splits [from, to) into consecutive slices that never cut a bucket (except where the range itself does),
 * each at most about `sliceHours` long but at least one bucket: an export reads and writes one slice at
 * a time instead of holding the whole report.
 */
export function bucketSlices(
  from: Date,
  to: Date,
  bucket: TimeBucket,
  sliceHours: number,
): Array<{ from: Date; to: Date }> {
  const out: Array<{ from: Date; to: Date }> = [];
  let start = from;
  while (start.getTime() < to.getTime()) {
    let end = nextBucket(bucketStart(start, bucket), bucket);
    for (;;) {
      const further = nextBucket(end, bucket);
      if (further.getTime() - start.getTime() > sliceHours * HOUR_MS || end.getTime() >= to.getTime()) break;
      end = further;
    }
    if (end.getTime() > to.getTime()) end = to;
    out.push({ from: start, to: end });
    start = end;
  }
  return out;
}
