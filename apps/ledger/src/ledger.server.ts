import { loadLedgerConfig, type Env } from '@sluice/config';
import { startServiceServer, type ServiceServer } from '@sluice/platform';
import { createLedgerApp } from './ledger.app';
import { LEDGER_SCHEMA } from './ledger.runtime';

export type LedgerServer = ServiceServer;

/** The ledger as its own deployment: consumes the usage topic from Kafka into Postgres. */
export async function startLedgerServer(env: Env): Promise<LedgerServer> {
  return startServiceServer({
    name: 'ledger',
    config: loadLedgerConfig(env, 'distributed'),
    schemas: [LEDGER_SCHEMA],
    create: (deps) => createLedgerApp(deps),
  });
}
