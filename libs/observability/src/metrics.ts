import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A registry per application instance (tests start several in one process, and prom-client refuses
 * a metric name twice in one registry). Names carry the service: `sluice_gateway_…`.
 */
export function createMetricsRegistry(options: { processMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  return registry;
}

export { Registry } from 'prom-client';
