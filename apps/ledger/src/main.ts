import 'reflect-metadata';
import { createLogger } from '@sluice/observability';
import { stopOnSignals } from '@sluice/platform';
import { startLedgerServer } from './ledger.server';

startLedgerServer(process.env)
  .then((server) => stopOnSignals(() => server.stop(), createLogger('ledger', 'info')))
  .catch((err: unknown) => {
    process.stderr.write(`ledger failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
