import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describeConfig, describeRouting, loadGatewayConfig, type Env } from '@sluice/config';
import { createLogger, createMetricsRegistry } from '@sluice/observability';
import { createKafkaTransport, newInstanceId, openMigratedDatabase } from '@sluice/platform';
import { createGatewayApp } from './gateway.app';
import { listenFamilyPorts } from './multi-port';

export type GatewayServer = {
  app: NestFastifyApplication;
  url: string;
  /** Multi-port mode only: the per-family ports. */
  familyUrls: Partial<Record<'admin' | 'openai' | 'anthropic' | 'gemini', string>>;
  stop(): Promise<void>;
};

/** The gateway as its own deployment: Postgres and Kafka from DATABASE_URL and KAFKA_BROKERS. */
export async function startGatewayServer(env: Env): Promise<GatewayServer> {
  const config = loadGatewayConfig(env, 'distributed');
  const logger = createLogger('gateway', config.logLevel);
  const db = await openMigratedDatabase({
    url: config.databaseUrl!,
    applicationName: 'sluice-gateway',
    migrationsDir: config.migrationsDir,
    schemas: ['gateway'],
    logger,
  });
  const transport = createKafkaTransport(config, 'sluice-gateway', logger);
  const app = await createGatewayApp({
    config,
    db,
    transport,
    logger,
    metrics: createMetricsRegistry({ processMetrics: true }),
    masterKey: config.masterKey!,
    instanceId: newInstanceId('gateway'),
  });
  await app.listen({ port: config.port, host: config.host });
  const familyPorts = await listenFamilyPorts(app, config);
  const url = await app.getUrl();
  logger.info(
    {
      url,
      familyPorts: familyPorts.urls,
      config: describeConfig(config),
      routing: describeRouting(config.routing),
    },
    'gateway listening',
  );
  return {
    app,
    url,
    familyUrls: familyPorts.urls,
    stop: async () => {
      await familyPorts.close();
      await app.close();
      await transport.close();
      await db.close();
      logger.flush();
    },
  };
}
