import type { Registry } from 'prom-client';

/**
 * A counter and a histogram for the request path, registered in a prom-client `Registry` and exposed
 * by it (prom-client formats them, so `/metrics` reads exactly as with its own Counter and Histogram;
 * hot-metrics.spec.ts compares the two expositions). What differs is the cost of counting: a child is
 * resolved once per label set and then counts in plain fields. prom-client's labelled `inc` and
 * `observe` validate and hash the label object on every call: about 1.3-2.2 µs per request for one
 * of each here, ~1% of the gateway's CPU on a translated stream.
 */

type LabelValues<L extends string> = Readonly<Record<L, string>>;

/** A value as prom-client's registry reads it from `getForPromString()`. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName?: string;
  /** prom-client's buckets carry `exemplar: null` (none recorded); its JSON shows it. */
  exemplar?: null;
}

interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

/**
 * A child's own copy of its label values, in the order of `labelNames` (prom-client keeps the caller's
 * object and its order; `Exchanges` passes its labels in `labelNames` order, so the two read the same).
 */
function ownLabels<L extends string>(
  labelNames: readonly L[],
  labels: LabelValues<L>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (typeof value !== 'string') throw new Error(`label "${name}" has no value`);
    out[name] = value;
  }
  for (const name of Object.keys(labels)) {
    if (!labelNames.includes(name as L))
      throw new Error(`label "${name}" is not among ${labelNames.join(', ')}`);
  }
  return out;
}

function keyOf<L extends string>(labelNames: readonly L[], labels: LabelValues<L>): string {
  let key = '';
  for (const name of labelNames) key += `${labels[name]}\u0000`;
  return key;
}

function checkFinite(value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
}

export class HotCounterChild {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    checkFinite(by);
    if (by < 0) throw new Error('It is not possible to decrease a counter');
    this.value += by;
  }
}

export class HotCounter<L extends string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly children = new Map<string, HotCounterChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child of one label set (its labels checked when first seen): keep it, and `inc` it on the hot path. */
  labels(labels: LabelValues<L>): HotCounterChild {
    const key = keyOf(this.labelNames, labels);
    let child = this.children.get(key);
    if (child === undefined) {
      child = new HotCounterChild(ownLabels(this.labelNames, labels));
      this.children.set(key, child);
    }
    return child;
  }

  get(): Exported {
    const values: ExportedValue[] = [];
    for (const child of this.children.values())
      values.push({ labels: { ...child.labels }, value: child.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every series (held children stay valid, so a series seen stays listed, at 0). */
  reset(): void {
    for (const child of this.children.values()) child.value = 0;
  }
}

export class HotHistogramChild {
  /** Observations per bucket, not cumulative: `counts[i]` for `bounds[i]`, the last for +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    checkFinite(value);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export class HotHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly children = new Map<string, HotHistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    registry.registerMetric(this as never);
  }

  labels(labels: LabelValues<L>): HotHistogramChild {
    const key = keyOf(this.labelNames, labels);
    let child = this.children.get(key);
    if (child === undefined) {
      child = new HotHistogramChild(this.bounds, ownLabels(this.labelNames, labels));
      this.children.set(key, child);
    }
    return child;
  }

  /** As prom-client's Histogram gives it to the registry's text format: `le` apart from the child's labels. */
  getForPromString(): Exported {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const child of this.children.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += child.counts[i]!;
        values.push({
          labels: { le: this.bounds[i]! },
          sharedLabels: child.labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      }
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: child.labels,
          value: child.count,
          metricName: bucket,
          exemplar: null,
        },
        { labels: {}, sharedLabels: child.labels, value: child.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: child.labels, value: child.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's Histogram gives it for JSON: every value with all its labels. */
  get(): Exported {
    const data = this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }

  /** Zeroes every series (held children stay valid, so a series seen stays listed, at 0). */
  reset(): void {
    for (const child of this.children.values()) child.reset();
  }
}
