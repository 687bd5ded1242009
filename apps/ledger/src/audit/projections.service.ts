import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ProjectionRunner } from '@sluice/event-store';
import { UsageIngestService } from '../ingest/usage-ingest.service';
import { LEDGER_RUNNERS, type LedgerRunners } from '../projections/ledger-runners';

/** Starts the read-model projector (audit record, usage per hour, provider quality) and wakes it after each ingested batch. */
@Injectable()
export class ProjectionsService implements OnModuleInit, OnApplicationShutdown {
  readonly runners: ProjectionRunner[];

  constructor(ingest: UsageIngestService, @Inject(LEDGER_RUNNERS) runners: LedgerRunners) {
    this.runners = [runners.readModels];
    ingest.onApplied(() => this.runners.forEach((r) => r.wake()));
  }

  onModuleInit(): void {
    this.runners.forEach((r) => r.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
