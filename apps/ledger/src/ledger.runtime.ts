import type { LedgerConfig } from '@sluice/config';
import type { Db } from '@sluice/database';
import type { EventTransport } from '@sluice/events';
import type { Logger, Registry } from '@sluice/observability';

export type LedgerRuntime = {
  config: LedgerConfig;
  db: Db;
  transport: EventTransport;
  logger: Logger;
  metrics: Registry;
  masterKey: string;
};

export const LEDGER_RUNTIME = Symbol('LEDGER_RUNTIME');
export const LEDGER_SCHEMA = 'ledger';
