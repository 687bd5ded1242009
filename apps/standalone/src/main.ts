import 'reflect-metadata';
import { createLogger } from '@sluice/observability';
import { stopOnSignals } from '@sluice/platform';
import { startStandalone } from './standalone';

startStandalone(process.env)
  .then((s) => stopOnSignals(() => s.stop(), createLogger('sluice', 'info')))
  .catch((err: unknown) => {
    process.stderr.write(`sluice failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
