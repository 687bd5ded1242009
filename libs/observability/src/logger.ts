import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout through pino's asynchronous destination (no synchronous write on the request
 * path). Header values that carry keys are redacted; callers never log prompt text or key values.
 */
export function createLogger(name: string, level: string): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers["x-goog-api-key"]',
          'headers.authorization',
          'headers["x-api-key"]',
          'headers["x-goog-api-key"]',
          '*.apiKey',
          '*.masterKey',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ sync: false }),
  );
}

/** Flushes the asynchronous destination; call on shutdown so the last lines are not lost. */
export function flushLogger(logger: Logger): void {
  logger.flush();
}
