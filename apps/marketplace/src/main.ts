import 'reflect-metadata';
import { createLogger } from '@sluice/observability';
import { stopOnSignals } from '@sluice/platform';
import { startMarketplaceServer } from './marketplace.server';

startMarketplaceServer(process.env)
  .then((server) => stopOnSignals(() => server.stop(), createLogger('marketplace', 'info')))
  .catch((err: unknown) => {
    process.stderr.write(
      `marketplace failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  });
