import { loadMarketplaceConfig, type Env } from '@sluice/config';
import { startServiceServer, type ServiceServer } from '@sluice/platform';
import { createMarketplaceApp } from './marketplace.app';

export type MarketplaceServer = ServiceServer;

/** The marketplace as its own deployment. */
export async function startMarketplaceServer(env: Env): Promise<MarketplaceServer> {
  return startServiceServer({
    name: 'marketplace',
    config: loadMarketplaceConfig(env, 'distributed'),
    schemas: ['marketplace'],
    create: (deps) => createMarketplaceApp(deps),
  });
}
