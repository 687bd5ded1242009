import { Inject, Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import type { SqlExecutor } from '@sluice/database';
import type { EventStore, NewEvent, ProjectionRunner } from '@sluice/event-store';
import { LEDGER_EVENT_STORE, streamFor } from '../ingest/usage-ingest.service';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { LEDGER_RUNNERS, type LedgerRunners } from '../projections/ledger-runners';
import { SLUICE_LEDGER_NAMESPACE } from './domain/accounts';
import { DEFAULT_PRICE_PUBLICATIONS } from './domain/default-price-catalogue';
import { PRICE_PUBLISHED_V1 } from './domain/price-catalogue';

export const PRICES_STREAM = 'prices';
export const LEDGER_PRODUCER = 'ledger';

/** The event id of a default catalogue version: fixed, so publishing it again at every start is a no-op. */
export const defaultPriceEventId = (version: number): string =>
  uuidv5(`${PRICE_PUBLISHED_V1}/default/v${version}`, SLUICE_LEDGER_NAMESPACE);

/** The event id a command derives from its client-supplied idempotency key. */
export const commandEventId = (type: string, scope: string, idempotencyKey: string): string =>
  uuidv5(`${type}/${scope}/${idempotencyKey}`, SLUICE_LEDGER_NAMESPACE);

/** The shipped catalogue as `price.published.v1` events; `occurredAt` is the publication's effective instant. */
export function defaultPriceEvents(): NewEvent[] {
  return DEFAULT_PRICE_PUBLICATIONS.map((p) => ({
    eventId: defaultPriceEventId(p.version),
    type: PRICE_PUBLISHED_V1,
    subject: PRICES_STREAM,
    occurredAt: p.effectiveFrom,
    producer: LEDGER_PRODUCER,
    correlationId: null,
    data: p,
  }));
}

/** Appends the default catalogue (idempotent by event id); returns how many events were new. */
export async function publishDefaultPrices(tx: SqlExecutor, store: EventStore): Promise<number> {
  return (await store.append(tx, PRICES_STREAM, defaultPriceEvents(), 'any')).length;
}

export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

export type CommandResult = { eventId: string; created: boolean };

/** JSON with object keys sorted: equal for equal data whatever the key order (jsonb reorders keys). */
export const canonicalJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/**
 * Appends a command's event (its id derived from the client's idempotency key). A retry finds it stored and
 * changes nothing (`created: false`); the same key with another type or other data is refused.
 */
export async function appendCommandEvent(
  tx: SqlExecutor,
  store: EventStore,
  streamId: string,
  event: NewEvent,
): Promise<CommandResult> {
  const fresh = await store.append(tx, streamId, [event], 'any');
  if (fresh.length > 0) return { eventId: event.eventId, created: true };
  const [row] = await tx.query<{ type: string; data: unknown }>(
    `SELECT type, data FROM ${LEDGER_SCHEMA}.events WHERE event_id = $1::uuid`,
    [event.eventId],
  );
  if (!row || row.type !== event.type || canonicalJson(row.data) !== canonicalJson(event.data)) {
    throw new IdempotencyConflictError('this idempotency key was already used with other parameters');
  }
  return { eventId: event.eventId, created: false };
}

/**
 * Runs the accounting projector (checkpointed with the ProjectionRunner) and appends the ledger's own
 * commands (top-ups, corrections) to the event store, the same path ingested events take, so the
 * projector is the only writer of the books.
 */
@Injectable()
export class AccountingService {
  readonly runner: ProjectionRunner;
  /** Seals the event store's hash chain, block by block, behind the appends. */
  readonly chainRunner: ProjectionRunner;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) private readonly store: EventStore,
    @Inject(LEDGER_RUNNERS) runners: LedgerRunners,
  ) {
    // Started, woken after each ingested batch and stopped by ProjectionsService; woken here after a command.
    this.runner = runners.accounting;
    this.chainRunner = runners.chain;
  }

  async findEvent(eventId: string): Promise<Array<{ subject: string; type: string }>> {
    if (!/^[0-9a-f-]{36}$/i.test(eventId)) return [];
    return this.rt.db.query<{ subject: string; type: string }>(
      `SELECT subject, type FROM ${LEDGER_SCHEMA}.events WHERE event_id = $1::uuid`,
      [eventId],
    );
  }

  /**
   * Appends one command event. The id derives from the client's idempotency key: a retry finds it stored
   * and changes nothing; the same key with other parameters is refused.
   */
  async append(event: NewEvent): Promise<CommandResult> {
    const result = await this.rt.db.transaction((tx) =>
      appendCommandEvent(tx, this.store, streamFor(event.subject), event),
    );
    this.runner.wake();
    this.chainRunner.wake();
    return result;
  }
}

/** Registered as a provider: Nest awaits it before any `onModuleInit`, so the catalogue is in the store before the consumer appends usage. */
export const ACCOUNTING_BOOTSTRAP = Symbol('ACCOUNTING_BOOTSTRAP');
export const accountingBootstrapProvider = {
  provide: ACCOUNTING_BOOTSTRAP,
  inject: [LEDGER_RUNTIME, LEDGER_EVENT_STORE],
  useFactory: async (rt: LedgerRuntime, store: EventStore): Promise<{ published: number }> => {
    const published = await rt.db.transaction((tx) => publishDefaultPrices(tx, store));
    if (published > 0) rt.logger.info({ published }, 'default price catalogue published');
    return { published };
  },
};
