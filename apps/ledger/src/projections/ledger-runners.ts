import type { Db } from '@sluice/database';
import { ProjectionRunner, type EventStore, type Projector, type SharedReads } from '@sluice/event-store';
import { AccountingProjector } from '../accounting/accounting.projector';
import { EventChainProjector } from '../accounting/event-chain';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import { ReadModelsProjector } from '../read-models/read-models.projector';

/** The ledger's three asynchronous projections of its event store. */
export type LedgerRunners = {
  /** The double-entry books. */
  accounting: ProjectionRunner;
  /** Seals the event store's hash chain, block by block, behind the appends. */
  chain: ProjectionRunner;
  /** Audit record, usage per hour, provider quality. */
  readModels: ProjectionRunner;
};

export const LEDGER_RUNNERS = Symbol('LEDGER_RUNNERS');

export type LedgerRunnerOptions = {
  batchSize: number;
  idleMs: number;
  onError: (projector: string, err: unknown) => void;
};

export type LedgerRunnerName = keyof LedgerRunners;

const projectors: Record<LedgerRunnerName, () => Projector> = {
  accounting: () => new AccountingProjector(LEDGER_SCHEMA),
  chain: () => new EventChainProjector(LEDGER_SCHEMA),
  readModels: () => new ReadModelsProjector(LEDGER_SCHEMA),
};

/** One of the ledger's runners; `shared` is the reader it shares batches through (registered here). */
export function createLedgerRunner(
  name: LedgerRunnerName,
  db: Db,
  store: EventStore,
  shared: SharedReads,
  options: LedgerRunnerOptions,
): ProjectionRunner {
  const projector = projectors[name]();
  return new ProjectionRunner(db, store, LEDGER_SCHEMA, projector, {
    batchSize: options.batchSize,
    idleMs: options.idleMs,
    shared,
    onError: (err: unknown) => options.onError(projector.name, err),
  });
}

/**
 * Built the same way in the main thread (where tests, rebuilds and the resolvers' wake-ups use them) and in
 * the projection threads (where their loops run, see projection-thread.service.ts). Runners built with the
 * same `shared` read each batch of the store once between them.
 */
export function createLedgerRunners(
  db: Db,
  store: EventStore,
  shared: SharedReads,
  options: LedgerRunnerOptions,
): LedgerRunners {
  return {
    accounting: createLedgerRunner('accounting', db, store, shared, options),
    chain: createLedgerRunner('chain', db, store, shared, options),
    readModels: createLedgerRunner('readModels', db, store, shared, options),
  };
}

export const allRunners = (r: LedgerRunners): ProjectionRunner[] => [r.accounting, r.chain, r.readModels];
