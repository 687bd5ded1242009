import { describeRouting, loadGatewayConfig, type Env } from '@sluice/config';
import { newInstanceId, startServiceServer, type ServiceServer } from '@sluice/platform';
import { createGatewayApp } from './gateway.app';
import { listenFamilyPorts } from './multi-port';

export type GatewayServer = ServiceServer & {
  /** Multi-port mode only: the per-family ports. */
  familyUrls: Partial<Record<'admin' | 'openai' | 'anthropic' | 'gemini', string>>;
};

/** The gateway as its own deployment: Postgres and Kafka from DATABASE_URL and KAFKA_BROKERS. */
export async function startGatewayServer(env: Env): Promise<GatewayServer> {
  const config = loadGatewayConfig(env, 'distributed');
  const server = await startServiceServer({
    name: 'gateway',
    config,
    schemas: ['gateway'],
    create: (deps) => createGatewayApp({ ...deps, instanceId: newInstanceId('gateway') }),
    describe: () => ({ routing: describeRouting(config.routing) }),
  });
  const familyPorts = await listenFamilyPorts(server.app, config);
  if (config.multiPort)
    server.logger.info({ familyPorts: familyPorts.urls }, 'gateway family ports listening');
  return {
    ...server,
    familyUrls: familyPorts.urls,
    stop: async () => {
      await familyPorts.close();
      await server.stop();
    },
  };
}
