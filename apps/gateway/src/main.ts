import 'reflect-metadata';
import cluster from 'node:cluster';
import { loadGatewayConfig } from '@sluice/config';
import { createLogger } from '@sluice/observability';
import { stopOnSignals } from '@sluice/platform';
import { startGatewayServer } from './gateway.server';

/**
 * The gateway as its own deployment. With SLUICE_GATEWAY_WORKERS > 1 the primary process forks
 * that many workers (Node cluster) that share the port; each is a whole gateway with its own
 * upstream pools and its own usage-event batching (the outbox is shared through Postgres). A
 * worker that dies is replaced; SIGTERM drains every worker.
 */
function main(): void {
  // The only place the gateway reads process.env: everything else receives the parsed config.
  const env = process.env;
  const workers = cluster.isPrimary ? loadGatewayConfig(env, 'distributed').workers : 1;
  if (cluster.isPrimary && workers > 1) {
    const logger = createLogger('gateway', 'info');
    let stopping = false;
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      logger.error({ pid: worker.process.pid, code, signal }, 'gateway worker died; starting another');
      cluster.fork();
    });
    const stop = async (): Promise<void> => {
      stopping = true;
      const all = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      await Promise.all(
        all.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    };
    stopOnSignals(stop, logger);
    logger.info({ workers }, 'gateway primary started its workers');
    return;
  }
  startGatewayServer(env)
    .then((server) => stopOnSignals(() => server.stop(), createLogger('gateway', 'info')))
    .catch((err: unknown) => {
      process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}

main();
