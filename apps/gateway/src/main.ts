import 'reflect-metadata';
import { createLogger } from '@sluice/observability';
import { stopOnSignals } from '@sluice/platform';
import { startGatewayServer } from './gateway.server';

// The only place the gateway reads process.env: everything else receives the parsed config.
startGatewayServer(process.env)
  .then((server) => stopOnSignals(() => server.stop(), createLogger('gateway', 'info')))
  .catch((err: unknown) => {
    process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
