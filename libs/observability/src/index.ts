export { createLogger, flushLogger, type Logger } from './logger';
export { createMetricsRegistry, Registry } from './metrics';
