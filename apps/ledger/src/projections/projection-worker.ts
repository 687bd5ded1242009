// The ledger's projection thread (see projection-thread.service.ts): runs the three projection loops on their
// own event loop and heap, beside the main thread's Kafka ingest and GraphQL. Messages in: 'wake' (a batch
// was appended), 'stop'. Out: 'ready', { error } per failed batch (logged by the main thread), 'stopped'.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '@sluice/database';
import { EventStore, SharedReads } from '@sluice/event-store';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import { createLedgerRunner, type LedgerRunnerName } from './ledger-runners';

export type ProjectionWorkerData = {
  databaseUrl: string;
  batchSize: number;
  idleMs: number;
  poolSize: number;
  /** Which of the ledger's runners this thread runs (keys of LedgerRunners). */
  runners: readonly LedgerRunnerName[];
};

export type ProjectionWorkerMessage =
  { type: 'ready' } | { type: 'error'; projector: string; message: string } | { type: 'stopped' };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('projection-worker.ts runs only as a worker thread');
  const data = workerData as ProjectionWorkerData;
  const post = (m: ProjectionWorkerMessage): void => port.postMessage(m);
  const db = await openDatabase({
    url: data.databaseUrl,
    applicationName: 'sluice-ledger-projections',
    poolSize: data.poolSize,
  });
  const store = new EventStore(LEDGER_SCHEMA);
  // The runners of this thread share their reads (one read of each batch between them).
  const shared = new SharedReads(store);
  const runners = data.runners.map((name) =>
    createLedgerRunner(name, db, store, shared, {
      batchSize: data.batchSize,
      idleMs: data.idleMs,
      // Only the message: errors here come from the database or a bug, never with event data in them.
      onError: (projector, err) =>
        post({ type: 'error', projector, message: err instanceof Error ? err.message : String(err) }),
    }),
  );
  port.on('message', (m: unknown) => {
    if (m === 'wake') for (const r of runners) r.wake();
    else if (m === 'stop')
      void Promise.all(runners.map((r) => r.stop()))
        .then(() => db.close())
        .finally(() => {
          post({ type: 'stopped' });
          port.close();
        });
  });
  for (const r of runners) r.start();
  post({ type: 'ready' });
}

void main().catch((err: unknown) => {
  // The main thread sees the exit and starts a new thread after a pause.
  process.stderr.write(
    `projection thread failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
