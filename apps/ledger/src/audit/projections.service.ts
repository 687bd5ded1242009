import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ProjectionRunner, type EventStore, type SharedReads } from '@sluice/event-store';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { LEDGER_EVENT_STORE, LEDGER_SHARED_READS, UsageIngestService } from '../ingest/usage-ingest.service';
import { ReadModelsProjector } from '../read-models/read-models.projector';

/** Starts the ledger's asynchronous projectors and wakes them after each ingested batch. */
@Injectable()
export class ProjectionsService implements OnModuleInit, OnApplicationShutdown {
  readonly runners: ProjectionRunner[];

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) store: EventStore,
    ingest: UsageIngestService,
    @Inject(LEDGER_SHARED_READS) shared: SharedReads,
  ) {
    const options = {
      batchSize: rt.config.projectionBatch,
      idleMs: rt.config.projectionIdleMs,
      shared,
      onError: (err: unknown) =>
        rt.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'projection failed; retrying',
        ),
    };
    this.runners = [
      new ProjectionRunner(rt.db, store, LEDGER_SCHEMA, new ReadModelsProjector(LEDGER_SCHEMA), options),
    ];
    ingest.onApplied(() => this.runners.forEach((r) => r.wake()));
  }

  onModuleInit(): void {
    this.runners.forEach((r) => r.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
