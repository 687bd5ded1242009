import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describeConfig, loadMarketplaceConfig, type Env } from '@sluice/config';
import { createLogger, createMetricsRegistry } from '@sluice/observability';
import { createKafkaTransport, openMigratedDatabase } from '@sluice/platform';
import { createMarketplaceApp } from './marketplace.app';

export type MarketplaceServer = { app: NestFastifyApplication; url: string; stop(): Promise<void> };

export async function startMarketplaceServer(env: Env): Promise<MarketplaceServer> {
  const config = loadMarketplaceConfig(env, 'distributed');
  const logger = createLogger('marketplace', config.logLevel);
  const db = await openMigratedDatabase({
    url: config.databaseUrl!,
    applicationName: 'sluice-marketplace',
    migrationsDir: config.migrationsDir,
    schemas: ['marketplace'],
    logger,
  });
  const transport = createKafkaTransport(config, 'sluice-marketplace', logger);
  const app = await createMarketplaceApp({
    config,
    db,
    transport,
    logger,
    metrics: createMetricsRegistry({ processMetrics: true }),
    masterKey: config.masterKey!,
  });
  await app.listen({ port: config.port, host: config.host });
  const url = await app.getUrl();
  logger.info({ url, config: describeConfig(config) }, 'marketplace listening');
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
