import type { MarketplaceConfig } from '@sluice/config';
import type { Db } from '@sluice/database';
import type { EventTransport } from '@sluice/events';
import type { Logger, Registry } from '@sluice/observability';

export type MarketplaceRuntime = {
  config: MarketplaceConfig;
  db: Db;
  transport: EventTransport;
  logger: Logger;
  metrics: Registry;
  masterKey: string;
};

export const MARKETPLACE_RUNTIME = Symbol('MARKETPLACE_RUNTIME');
