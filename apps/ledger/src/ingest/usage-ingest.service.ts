import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { SqlExecutor } from '@sluice/database';
import { EventStore, type NewEvent } from '@sluice/event-store';
import { USAGE_RECORDED_V1, type DeliveredEvent } from '@sluice/events';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { parseUsageRecordedV1 } from './usage-recorded.parser';

export const LEDGER_EVENT_STORE = Symbol('LEDGER_EVENT_STORE');

/** A payer's events live in one stream, so its order is kept and appends to it serialise. */
export function streamFor(subject: string): string {
  return `payer-${subject}`;
}

/**
 * Applies one delivered batch in ONE transaction: each valid event is appended to the event store
 * (an id seen before is skipped there, inside the same transaction, which is what makes redelivery
 * harmless); a message that is not a valid event is kept in `rejected_events` rather than dropped or
 * allowed to stall the partition. The transport acknowledges only after this resolves.
 */
@Injectable()
export class UsageIngestService {
  private readonly listeners: Array<() => void> = [];
  private readonly ingested: Counter;
  private readonly duplicates: Counter;
  private readonly rejected: Counter;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) private readonly store: EventStore,
  ) {
    this.ingested = new Counter({
      name: 'sluice_ledger_events_ingested_total',
      help: 'Events appended to the event store',
      registers: [rt.metrics],
    });
    this.duplicates = new Counter({
      name: 'sluice_ledger_events_duplicate_total',
      help: 'Redelivered events skipped by id',
      registers: [rt.metrics],
    });
    this.rejected = new Counter({
      name: 'sluice_ledger_events_rejected_total',
      help: 'Messages kept in rejected_events',
      registers: [rt.metrics],
    });
  }

  /** Called after each committed batch (the projectors wake up instead of waiting for their poll). */
  onApplied(listener: () => void): void {
    this.listeners.push(listener);
  }

  async handle(batch: readonly DeliveredEvent[]): Promise<void> {
    const result = await this.rt.db.transaction(async (tx) => {
      const events: Array<NewEvent & { streamId: string }> = [];
      let rejected = 0;
      for (const d of batch) {
        const source = `${d.topic}/${d.partition}/${d.offset}`;
        const e = d.envelope;
        if (!e) {
          rejected += await reject(tx, source, 'not a valid event envelope', d.raw);
          continue;
        }
        if (e.type === USAGE_RECORDED_V1) {
          const parsed = parseUsageRecordedV1(e.data);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            rejected += await reject(
              tx,
              source,
              `invalid ${USAGE_RECORDED_V1}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
              JSON.stringify(e),
            );
            continue;
          }
        }
        events.push({
          streamId: streamFor(e.subject),
          eventId: e.id,
          type: e.type,
          subject: e.subject,
          occurredAt: e.occurredAt,
          producer: e.producer,
          correlationId: e.correlationId,
          data: e.data,
        });
      }
      // All payers of the batch in three statements (a batch spans many streams).
      const appended = (await this.store.appendMany(tx, events)).length;
      const offered = events.length;
      return { appended, duplicates: offered - appended, rejected };
    });
    this.ingested.inc(result.appended);
    this.duplicates.inc(result.duplicates);
    this.rejected.inc(result.rejected);
    for (const l of this.listeners) l();
  }
}

async function reject(tx: SqlExecutor, source: string, reason: string, raw: string | null): Promise<number> {
  const rows = await tx.query(
    `INSERT INTO ${LEDGER_SCHEMA}.rejected_events (source, reason, raw) VALUES ($1, $2, $3) ON CONFLICT (source) DO NOTHING RETURNING id`,
    [source, reason.slice(0, 500), raw],
  );
  return rows.length;
}
