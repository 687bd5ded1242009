import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describeConfig, type SharedConfig } from '@sluice/config';
import type { Db } from '@sluice/database';
import type { EventTransport } from '@sluice/events';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@sluice/observability';
import { createKafkaTransport, openMigratedDatabase } from './boot';

/** What every service gets from its distributed entry point. */
export type ServiceDeps<C> = {
  config: C;
  db: Db;
  transport: EventTransport;
  logger: Logger;
  metrics: Registry;
  masterKey: string;
};

export type ServiceServer = {
  app: NestFastifyApplication;
  url: string;
  logger: Logger;
  /** Graceful: the app (requests, consumers, outbox drain), then the transport, then the database. */
  stop(): Promise<void>;
};

/**
 * One service as its own deployment: its schema migrated on Postgres, Kafka as the transport, the
 * Nest app built by `create`, listening, with the effective configuration logged (secrets masked).
 */
export async function startServiceServer<C extends SharedConfig & { port: number }>(options: {
  name: 'gateway' | 'ledger' | 'marketplace';
  config: C;
  schemas: readonly string[];
  create: (deps: ServiceDeps<C>) => Promise<NestFastifyApplication>;
  /** Extra fields for the "listening" log line. */
  describe?: () => Record<string, unknown>;
}): Promise<ServiceServer> {
  const { name, config } = options;
  const logger = createLogger(name, config.logLevel);
  const db = await openMigratedDatabase({
    url: config.databaseUrl!,
    applicationName: `sluice-${name}`,
    migrationsDir: config.migrationsDir,
    schemas: options.schemas,
    logger,
  });
  const transport = createKafkaTransport(config, `sluice-${name}`, logger);
  const app = await options.create({
    config,
    db,
    transport,
    logger,
    metrics: createMetricsRegistry({ processMetrics: true }),
    masterKey: config.masterKey!,
  });
  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  logger.info({ url, config: describeConfig(config), ...options.describe?.() }, `${name} listening`);
  return {
    app,
    url,
    logger,
    stop: async () => {
      await app.close();
      await transport.close();
      await db.close();
      logger.flush();
    },
  };
}
