import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGatewayApp, listenFamilyPorts } from '@sluice/apps/gateway';
import { createLedgerApp, identityConsumerGroup } from '@sluice/apps/ledger';
import { createMarketplaceApp } from '@sluice/apps/marketplace';
import { describeConfig, describeRouting, loadStandaloneConfig, type Env } from '@sluice/config';
import { EmbeddedPostgres } from '@sluice/database';
import { identityTopicFor, InProcessTransport, type EventTransport } from '@sluice/events';
import { loadOrCreateMasterKey } from '@sluice/identity';
import { createLogger, createMetricsRegistry } from '@sluice/observability';
import { createKafkaTransport, newInstanceId, openMigratedDatabase } from '@sluice/platform';

export type Standalone = {
  gateway: NestFastifyApplication;
  ledger: NestFastifyApplication;
  marketplace: NestFastifyApplication;
  urls: { gateway: string; ledger: string; marketplace: string };
  /** Multi-port mode only: the per-family gateway ports. */
  familyUrls: Partial<Record<'admin' | 'openai' | 'anthropic' | 'gemini', string>>;
  masterKey: string;
  stop(): Promise<void>;
};

/**
 * Standalone mode (the default of `npm start`): gateway, ledger and marketplace in one process,
 * sharing one database (embedded PGlite in the data folder unless DATABASE_URL is set) and one
 * event transport (in-process unless KAFKA_BROKERS is set). Same modules, same migrations, same
 * consumer code as the distributed deployment.
 */
export async function startStandalone(
  env: Env,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<Standalone> {
  const config = loadStandaloneConfig(env);
  const logger = createLogger('sluice', config.gateway.logLevel);
  const dataDir = config.gateway.dataDir;

  const embedded = config.gateway.databaseUrl ? null : await EmbeddedPostgres.start(join(dataDir, 'pg'));
  const databaseUrl = config.gateway.databaseUrl ?? embedded!.url;
  const db = await openMigratedDatabase({
    url: databaseUrl,
    applicationName: 'sluice-standalone',
    migrationsDir: config.gateway.migrationsDir,
    schemas: ['gateway', 'ledger', 'marketplace'],
    logger,
  }).catch(async (err: unknown) => {
    await embedded?.stop();
    throw err;
  });

  const master = loadOrCreateMasterKey(config.gateway.masterKey, dataDir);
  if (master.source === 'generated') {
    // Shown once, on the first start; afterwards it is only in the data folder (mode 0600).
    out(
      `Sluice admin key (shown once, kept in ${join(dataDir, 'master.key')} with mode 0600):\n  ${master.key}`,
    );
  }

  const transport: EventTransport = config.gateway.kafkaBrokers
    ? createKafkaTransport(config.gateway, 'sluice-standalone', logger)
    : new InProcessTransport({
        [config.ledger.usageTopic]: [config.ledger.consumerGroup],
        [identityTopicFor(config.ledger.usageTopic)]: [identityConsumerGroup(config.ledger)],
      });
  const metrics = createMetricsRegistry({ processMetrics: true });
  const shared = { db, transport, logger, metrics, masterKey: master.key };

  // The ledger first: its consumer must be subscribed before the gateway's relay publishes.
  const ledger = await createLedgerApp({ ...shared, config: config.ledger });
  const marketplace = await createMarketplaceApp({ ...shared, config: config.marketplace });
  // Budgets: the gateway leases from this process's ledger over its HTTP API, as it would across machines.
  let ledgerUrl: string | null = config.gateway.budgets.ledgerUrl ?? null;
  const gateway = await createGatewayApp({
    ...shared,
    config: config.gateway,
    instanceId: newInstanceId('gateway'),
    ledgerUrl: () => ledgerUrl,
  });
  await ledger.listen({ port: config.ledger.port, host: config.ledger.host });
  ledgerUrl ??= await ledger.getUrl();
  await marketplace.listen({ port: config.marketplace.port, host: config.marketplace.host });
  await gateway.listen({ port: config.gateway.port, host: config.gateway.host });
  const familyPorts = await listenFamilyPorts(gateway, config.gateway);
  const urls = {
    gateway: await gateway.getUrl(),
    ledger: await ledger.getUrl(),
    marketplace: await marketplace.getUrl(),
  };
  logger.info(
    {
      urls,
      familyPorts: familyPorts.urls,
      config: describeConfig(config.gateway),
      routing: describeRouting(config.gateway.routing),
    },
    'sluice standalone listening',
  );
  out(
    `Sluice is running: gateway ${urls.gateway}  ledger ${urls.ledger}/graphql  marketplace ${urls.marketplace}/graphql`,
  );

  let stopped = false;
  return {
    gateway,
    ledger,
    marketplace,
    urls,
    familyUrls: familyPorts.urls,
    masterKey: master.key,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Gateway first: it drains its usage events into the ledger, which must still be consuming.
      await familyPorts.close();
      await gateway.close();
      await ledger.close();
      await marketplace.close();
      await transport.close();
      await db.close();
      await embedded?.stop();
      logger.flush();
    },
  };
}
