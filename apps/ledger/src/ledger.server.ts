import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describeConfig, loadLedgerConfig, type Env } from '@sluice/config';
import { createLogger, createMetricsRegistry } from '@sluice/observability';
import { createKafkaTransport, openMigratedDatabase } from '@sluice/platform';
import { createLedgerApp } from './ledger.app';
import { LEDGER_SCHEMA } from './ledger.runtime';

export type LedgerServer = { app: NestFastifyApplication; url: string; stop(): Promise<void> };

/** The ledger as its own deployment: consumes the usage topic from Kafka into Postgres. */
export async function startLedgerServer(env: Env): Promise<LedgerServer> {
  const config = loadLedgerConfig(env, 'distributed');
  const logger = createLogger('ledger', config.logLevel);
  const db = await openMigratedDatabase({
    url: config.databaseUrl!,
    applicationName: 'sluice-ledger',
    migrationsDir: config.migrationsDir,
    schemas: [LEDGER_SCHEMA],
    logger,
  });
  const transport = createKafkaTransport(config, 'sluice-ledger', logger);
  const app = await createLedgerApp({
    config,
    db,
    transport,
    logger,
    metrics: createMetricsRegistry({ processMetrics: true }),
    masterKey: config.masterKey!,
  });
  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  logger.info({ url, config: describeConfig(config) }, 'ledger listening');
  return {
    app,
    url,
    stop: async () => {
      await app.close();
      await transport.close();
      await db.close();
      logger.flush();
    },
  };
}
