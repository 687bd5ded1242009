export { createLogger, flushLogger, type Logger } from './logger';
export { createMetricsRegistry, Registry } from './metrics';
export { HotCounter, HotCounterChild, HotHistogram, HotHistogramChild } from './hot-metrics';
