export { createLogger, flushLogger, type Logger } from './logger';
export { metricsRegistry } from './metrics';
