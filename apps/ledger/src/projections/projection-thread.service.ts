import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { isEmbeddedUrl } from '@sluice/database';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';
import { LEDGER_RUNNERS, type LedgerRunnerName, type LedgerRunners } from './ledger-runners';
import type { ProjectionWorkerData, ProjectionWorkerMessage } from './projection-worker';

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** How the runners are spread over N threads (the books, the heaviest, get a thread of their own first). */
const GROUPS: Record<1 | 2 | 3, LedgerRunnerName[][]> = {
  1: [['accounting', 'readModels', 'chain']],
  2: [['accounting'], ['readModels', 'chain']],
  3: [['accounting'], ['readModels'], ['chain']],
};

/** The projection threads to run: none on the embedded database (one session in this process). */
export function projectionThreadGroups(rt: LedgerRuntime): LedgerRunnerName[][] {
  const url = rt.config.databaseUrl;
  const n = rt.config.projectionThreads;
  if (n === 0 || url === undefined || isEmbeddedUrl(url)) return [];
  return GROUPS[n];
}

/**
 * Runs the ledger's projection loops (books, hash chain, read models) in worker threads. In one thread they
 * shared an event loop with the Kafka ingest, the GraphQL API and each other, and the ingest bench showed that
 * thread as the limit (about 170 us of CPU per event, a third of it idle waiting on Postgres while the other
 * core had room). In their own threads their work runs beside the ingest's, each with its own heap and
 * garbage collector (docs/benchmarks.md, "Ledger").
 *
 * The runners built in the main thread stay (tests and rebuilds call `runOnce`/`catchUp`; resolvers and the
 * ingest call `wake`): their loops do not start here, and `wake` is forwarded to the thread that runs them.
 * The advisory lock per projector keeps a batch from being applied twice whichever thread runs it. A thread
 * that dies is replaced after a pause (nothing is lost: every batch commits with its checkpoint).
 */
@Injectable()
export class ProjectionThreadService implements OnModuleInit, OnApplicationShutdown {
  private readonly threads: ProjectionThread[];

  constructor(@Inject(LEDGER_RUNTIME) rt: LedgerRuntime, @Inject(LEDGER_RUNNERS) runners: LedgerRunners) {
    this.threads = projectionThreadGroups(rt).map((names) => new ProjectionThread(rt, names));
    // In the constructor: before any provider's onModuleInit starts a loop in this thread.
    for (const t of this.threads) for (const name of t.names) runners[name].runElsewhere(() => t.wake());
  }

  async onModuleInit(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.start()));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }

  /** Each thread: the runners it runs, its thread id while running, how often it was started again. */
  status(): Array<{ runners: readonly LedgerRunnerName[]; threadId: number | null; restarts: number }> {
    return this.threads.map((t) => ({ runners: t.names, threadId: t.threadId, restarts: t.restarts }));
  }

  /** Ends thread `index` as a crash would (it is started again after the pause); for tests. */
  async terminate(index: number): Promise<void> {
    await this.threads[index]?.terminate();
  }
}

class ProjectionThread {
  private worker: Worker | null = null;
  private stopping = false;
  private wakePending = false;
  private restartMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  restarts = 0;

  constructor(
    private readonly rt: LedgerRuntime,
    readonly names: readonly LedgerRunnerName[],
  ) {}

  /** A thread that cannot start at all (a broken build, a database it cannot reach) fails the start. */
  start(): Promise<void> {
    return this.spawn(true);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    const timer = setTimeout(() => void w.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.worker = null;
  }

  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  /** One message per turn of the event loop, however many runners and batches asked. */
  wake(): void {
    if (this.wakePending || !this.worker) return;
    this.wakePending = true;
    queueMicrotask(() => {
      this.wakePending = false;
      this.worker?.postMessage('wake');
    });
  }

  private spawn(first: boolean): Promise<void> {
    const file = join(__dirname, `projection-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
    const data: ProjectionWorkerData = {
      databaseUrl: this.rt.config.databaseUrl!,
      batchSize: this.rt.config.projectionBatch,
      idleMs: this.rt.config.projectionIdleMs,
      poolSize: this.names.length + 1,
      runners: this.names,
    };
    // From the TypeScript sources (npm start, tests) the thread needs the same on-the-fly compiler.
    const source = file.endsWith('.ts')
      ? `require('@swc-node/register'); require(${JSON.stringify(file)});`
      : `require(${JSON.stringify(file)});`;
    const worker = new Worker(source, { eval: true, workerData: data });
    this.worker = worker;
    const log = { runners: this.names.join(','), threadId: worker.threadId };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: ProjectionWorkerMessage) => {
        if (m.type === 'ready') {
          ready = true;
          this.restartMs = RESTART_MIN_MS;
          this.rt.logger.info(log, 'projection thread running');
          resolve();
        } else if (m.type === 'error') {
          this.rt.logger.warn({ projector: m.projector, err: m.message }, 'projection failed; retrying');
        }
      });
      worker.on('error', (err) =>
        this.rt.logger.error({ ...log, err: err.message }, 'projection thread error'),
      );
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = null;
        if (!ready) reject(new Error(`projection thread exited with code ${code} before it was ready`));
        if (this.stopping || (first && !ready)) return;
        this.rt.logger.error(
          { ...log, code, restartInMs: this.restartMs },
          'projection thread exited; restarting',
        );
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.restarts++;
          // A failed restart exits too, and schedules the next attempt from there.
          this.spawn(false).catch(() => undefined);
        }, this.restartMs);
        this.restartMs = Math.min(RESTART_MAX_MS, this.restartMs * 2);
      });
    });
  }
}
