import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { seeded } from '@sluice/testing';
import { HotCounter, HotHistogram } from './hot-metrics';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The same observations into prom-client's metrics and into the hot ones, each in its own registry. */
function both(seed: number, defaultLabels?: Record<string, string>) {
  const promRegistry = new Registry();
  const hotRegistry = new Registry();
  if (defaultLabels) {
    promRegistry.setDefaultLabels(defaultLabels);
    hotRegistry.setDefaultLabels(defaultLabels);
  }
  const names = ['route', 'method', 'status', 'lane'] as const;
  const promCounter = new Counter({
    name: 'req_total',
    help: 'Requests "quoted" \\ help',
    labelNames: names,
    registers: [promRegistry],
  });
  const promHistogram = new Histogram({
    name: 'req_seconds',
    help: 'Durations',
    labelNames: ['route'],
    buckets: BUCKETS,
    registers: [promRegistry],
  });
  const hotCounter = new HotCounter('req_total', 'Requests "quoted" \\ help', names, hotRegistry);
  const hotHistogram = new HotHistogram('req_seconds', 'Durations', ['route'], BUCKETS, hotRegistry);
  const rnd = seeded(seed);
  const routes = ['/v1/responses', '/v1/chat/completions', '/anthropic/v1/messages', 'a "quoted"\\route\n'];
  for (let i = 0; i < 2000; i++) {
    const route = routes[Math.floor(rnd() * routes.length)]!;
    const labels = {
      route,
      method: rnd() < 0.9 ? 'POST' : 'GET',
      status: rnd() < 0.95 ? '200' : '429',
      lane: 'direct',
    };
    // Exact bounds, values between them, zero and past the last bucket.
    const pick = rnd();
    const value =
      pick < 0.2
        ? BUCKETS[Math.floor(rnd() * BUCKETS.length)]!
        : pick < 0.25
          ? 0
          : pick < 0.3
            ? 500 * rnd() + 120
            : rnd() * 3;
    const by = rnd() < 0.1 ? Math.floor(rnd() * 5) : 1;
    promCounter.labels(labels).inc(by);
    hotCounter.labels(labels).inc(by);
    promHistogram.labels({ route }).observe(value);
    hotHistogram.labels({ route }).observe(value);
  }
  return { promRegistry, hotRegistry, hotCounter, hotHistogram };
}

describe('hot metrics', () => {
  for (const seed of [1, 2, 3]) {
    it(`expose exactly what prom-client's Counter and Histogram expose for the same observations (seed ${seed})`, async () => {
      const { promRegistry, hotRegistry } = both(seed);
      const expected = await promRegistry.metrics();
      assert.match(expected, /req_seconds_bucket\{le="0.005",route="\/v1\/responses"\} \d+/);
      assert.equal(await hotRegistry.metrics(), expected);
      // As JSON goes on the wire (prom-client's sum and count carry `exemplar: undefined`).
      const wire = async (r: Registry): Promise<unknown> =>
        JSON.parse(JSON.stringify(await r.getMetricsAsJSON()));
      assert.deepEqual(await wire(hotRegistry), await wire(promRegistry));
    });
  }

  it('expose the same with default labels', async () => {
    const { promRegistry, hotRegistry } = both(7, { instance: 'gw-1' });
    assert.equal(await hotRegistry.metrics(), await promRegistry.metrics());
  });

  it('refuse what prom-client refuses: a non-finite value, a negative increment, a wrong label', () => {
    const registry = new Registry();
    const counter = new HotCounter('c_total', 'c', ['route'], registry);
    const histogram = new HotHistogram('h_seconds', 'h', ['route'], BUCKETS, registry);
    assert.throws(() => histogram.labels({ route: 'a' }).observe(Number.NaN), TypeError);
    assert.throws(() => counter.labels({ route: 'a' }).inc(-1), /decrease/);
    // Checked when a label set is first seen (a child is then held and counted without a lookup).
    assert.throws(() => counter.labels({ route: 'b', other: 'x' } as never), /not among/);
    assert.throws(() => counter.labels({} as never), /no value/);
    assert.throws(() => new HotCounter('c_total', 'again', ['route'], registry), /already been registered/);
  });

  it('zero on reset, and a child held from before keeps counting into the exposition', async () => {
    const registry = new Registry();
    const histogram = new HotHistogram('h_seconds', 'h', ['route'], [1, 2], registry);
    const child = histogram.labels({ route: 'a' });
    child.observe(1.5);
    registry.resetMetrics();
    child.observe(0.5);
    const text = await registry.metrics();
    assert.match(text, /h_seconds_bucket\{le="1",route="a"\} 1\n/);
    assert.match(text, /h_seconds_bucket\{le="2",route="a"\} 1\n/);
    assert.match(text, /h_seconds_sum\{route="a"\} 0.5\n/);
    assert.match(text, /h_seconds_count\{route="a"\} 1/);
  });
});
