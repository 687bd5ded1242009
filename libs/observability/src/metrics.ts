import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per process: in standalone mode the three services share it, so metric names carry
 * the service prefix (`sluice_gateway_…`, `sluice_ledger_…`).
 */
let registry: Registry | null = null;

export function metricsRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  }
  return registry;
}
