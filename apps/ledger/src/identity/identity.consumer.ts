import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { LedgerConfig } from '@sluice/config';
import { identityTopicFor, type Subscription } from '@sluice/events';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';
import { IdentityIngestService } from './identity-ingest.service';

/**
 * Its own consumer group on its own topic: identity events never wait behind a usage backlog, and
 * the usage ingest never sees them.
 */
export function identityConsumerGroup(config: LedgerConfig): string {
  return `${config.consumerGroup}-identity`;
}

/** Thin transport adapter: the identity topic's batches go to the identity ingest, nothing else. */
@Injectable()
export class IdentityConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    private readonly ingest: IdentityIngestService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.rt.transport.subscribe({
      groupId: identityConsumerGroup(this.rt.config),
      topic: identityTopicFor(this.rt.config.usageTopic),
      handler: (batch) => this.ingest.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
