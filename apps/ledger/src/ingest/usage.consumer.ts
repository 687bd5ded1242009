import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@sluice/events';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';
import { UsageIngestService } from './usage-ingest.service';

/** Thin transport adapter: the usage topic's batches go to the ingest service, nothing else. */
@Injectable()
export class UsageConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    private readonly ingest: UsageIngestService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.rt.transport.subscribe({
      groupId: this.rt.config.consumerGroup,
      topic: this.rt.config.usageTopic,
      handler: (batch) => this.ingest.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
