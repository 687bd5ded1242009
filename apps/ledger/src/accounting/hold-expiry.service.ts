import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EventStore } from '@sluice/event-store';
import { LEDGER_EVENT_STORE } from '../ingest/usage-ingest.service';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { AccountingService } from './accounting.service';
import { sweepExpiredHolds, type HoldExpirySweep } from './hold-expiry';

/** How often the ledger looks for holds past their timeout. Holds live minutes; a few seconds late is fine. */
export const HOLD_SWEEP_INTERVAL_MS = 5_000;

/** Runs the hold expiry sweep on a timer and wakes the accounting projector when it appended anything. */
@Injectable()
export class HoldExpiryService implements OnModuleInit, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) private readonly store: EventStore,
    private readonly accounting: AccountingService,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) =>
          this.rt.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'hold expiry sweep failed',
          ),
        )
        .finally(() => {
          this.running = null;
        });
    }, HOLD_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sweep at `now` (the wall clock by default; tests pass their own instant). */
  async sweep(now = new Date()): Promise<HoldExpirySweep> {
    const result = await this.rt.db.transaction((tx) =>
      sweepExpiredHolds(tx, this.store, LEDGER_SCHEMA, now),
    );
    if (result.appended > 0) {
      this.rt.logger.info(result, 'expired holds appended');
      this.accounting.runner.wake();
    }
    return result;
  }
}
