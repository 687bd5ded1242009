import type { GatewayConfig } from '@sluice/config';
import type { Db } from '@sluice/database';
import type { EventTransport } from '@sluice/events';
import type { Logger, Registry } from '@sluice/observability';

/** What the gateway is started with: built by an entry point (distributed or standalone). */
export type GatewayRuntime = {
  config: GatewayConfig;
  db: Db;
  transport: EventTransport;
  logger: Logger;
  metrics: Registry;
  masterKey: string;
  /** Names this process in outbox claims and logs. */
  instanceId: string;
};

export const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');
