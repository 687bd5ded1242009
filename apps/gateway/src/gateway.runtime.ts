import type { GatewayConfig } from '@sluice/config';
import type { Db } from '@sluice/database';
import type { EventTransport } from '@sluice/events';
import type { Logger, Registry } from '@sluice/observability';
import type { LedgerBudgetClient } from './budget/ledger-client';

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
  /** Standalone: the in-process ledger's URL, known once it listens (distributed: config.budgets.ledgerUrl). */
  ledgerUrl?: () => string | null;
  /** Tests: a ledger client to use instead of HTTP. */
  budgetClient?: LedgerBudgetClient;
};

export const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');
