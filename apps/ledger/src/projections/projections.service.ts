import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ProjectionRunner } from '@sluice/event-store';
import { UsageIngestService } from '../ingest/usage-ingest.service';
import { allRunners, LEDGER_RUNNERS, type LedgerRunners } from './ledger-runners';

/**
 * Starts the ledger's projection loops (books, hash chain, read models), wakes them after each ingested batch
 * and stops them. Where the loops run is ProjectionThreadService's business: in a worker thread `start` does
 * nothing here and `wake` is forwarded there.
 */
@Injectable()
export class ProjectionsService implements OnModuleInit, OnApplicationShutdown {
  readonly runners: ProjectionRunner[];

  constructor(ingest: UsageIngestService, @Inject(LEDGER_RUNNERS) runners: LedgerRunners) {
    this.runners = allRunners(runners);
    ingest.onApplied(() => this.runners.forEach((r) => r.wake()));
  }

  onModuleInit(): void {
    this.runners.forEach((r) => r.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
