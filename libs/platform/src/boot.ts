import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { SharedConfig } from '@sluice/config';
import { migrate, openDatabase, type Db } from '@sluice/database';
import { KafkaTransport } from '@sluice/events';
import type { Logger } from '@sluice/observability';

/** Opens the service's database and brings the given schemas up to date (migrations run at start). */
export async function openMigratedDatabase(options: {
  url: string;
  applicationName: string;
  migrationsDir: string;
  schemas: readonly string[];
  logger: Logger;
}): Promise<Db> {
  const db = await openDatabase({ url: options.url, applicationName: options.applicationName });
  try {
    for (const schema of options.schemas) {
      const result = await migrate(db, options.migrationsDir, schema);
      if (result.applied.length > 0)
        options.logger.info({ schema, applied: result.applied }, 'migrations applied');
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

export function createKafkaTransport(config: SharedConfig, clientId: string, logger: Logger): KafkaTransport {
  if (!config.kafkaBrokers) throw new Error('KAFKA_BROKERS is not set');
  return new KafkaTransport({
    brokers: config.kafkaBrokers,
    clientId,
    partitions: config.kafkaPartitions,
    log: (level, message, extra) => logger[level]({ ...extra }, message),
  });
}

/** Names this process in logs and outbox claims. */
export function newInstanceId(service: string): string {
  return `${service}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * SIGTERM / SIGINT run `stop` once (graceful: finish requests, drain events), then exit. A second
 * signal exits at once.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop()
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'error while stopping');
        logger.flush();
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
