import type { SqlExecutor } from '@sluice/database';
import type { EventStore, NewEvent } from '@sluice/event-store';
import { usdToNano } from '@sluice/money';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import {
  canonicalJson,
  commandEventId,
  IdempotencyConflictError,
  LEDGER_PRODUCER,
  PRICES_STREAM,
} from './accounting.service';
import { PRICE_PUBLISHED_V1, pricePublishedV1Schema, type PricePublishedV1 } from './domain/price-catalogue';

/** Per-million-token USD prices as people write them ("2.50"), turned into nano-USD strings. */
export type UsdRates = { input: string; output: string; cacheRead: string; cacheWrite: string };

export type PublishPricesCommand = {
  scope: { kind: 'list' } | { kind: 'team'; teamId: string };
  effectiveFrom: string;
  entries: Array<{
    provider: string;
    model: string;
    /** null withdraws the pattern from effectiveFrom on. */
    usdPerMTok: UsdRates | null;
    longContext: { aboveInputTokens: number; usdPerMTok: UsdRates } | null;
    source: string;
    sourceDate: string;
  }>;
  marginBps?: number;
};

const nano = (usd: string): string => usdToNano(usd).toString();
const rates = (r: UsdRates) => ({
  inputNanoUsdPerMTok: nano(r.input),
  outputNanoUsdPerMTok: nano(r.output),
  cacheReadNanoUsdPerMTok: nano(r.cacheRead),
  cacheWriteNanoUsdPerMTok: nano(r.cacheWrite),
});

/**
 * Publishes a catalogue version (`price.published.v1`) as the next version number. Versions are taken
 * under a transaction-scoped advisory lock from the store itself (not the projection, which lags), so two
 * publications never claim the same number. Idempotent by the client's key: a retry returns the version
 * the first attempt got.
 */
export async function publishPrices(
  tx: SqlExecutor,
  store: EventStore,
  cmd: PublishPricesCommand,
  idempotencyKey: string,
): Promise<{ eventId: string; version: number; created: boolean }> {
  const eventId = commandEventId(PRICE_PUBLISHED_V1, 'prices', idempotencyKey);
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('sluice.prices.version'))`);
  const draft = {
    version: 1,
    effectiveFrom: cmd.effectiveFrom,
    scope: cmd.scope,
    entries: cmd.entries.map((e) => ({
      provider: e.provider,
      model: e.model,
      rates: e.usdPerMTok ? rates(e.usdPerMTok) : null,
      longContext: e.longContext
        ? { aboveInputTokens: e.longContext.aboveInputTokens, rates: rates(e.longContext.usdPerMTok) }
        : null,
      source: e.source,
      sourceDate: e.sourceDate,
    })),
    ...(cmd.marginBps !== undefined ? { marginBps: cmd.marginBps } : {}),
  };
  const [existing] = await tx.query<{ data: PricePublishedV1 }>(
    `SELECT data FROM ${LEDGER_SCHEMA}.events WHERE event_id = $1::uuid`,
    [eventId],
  );
  if (existing) {
    const parsed = pricePublishedV1Schema.parse(draft);
    if (canonicalJson({ ...existing.data, version: 0 }) !== canonicalJson({ ...parsed, version: 0 }))
      throw new IdempotencyConflictError('this idempotency key was already used with other parameters');
    return { eventId, version: existing.data.version, created: false };
  }
  const [row] = await tx.query<{ v: number | null }>(
    `SELECT max((data->>'version')::int) AS v FROM ${LEDGER_SCHEMA}.events WHERE type = $1`,
    [PRICE_PUBLISHED_V1],
  );
  const data = pricePublishedV1Schema.parse({ ...draft, version: (row?.v ?? 0) + 1 });
  const event: NewEvent = {
    eventId,
    type: PRICE_PUBLISHED_V1,
    subject: PRICES_STREAM,
    occurredAt: new Date().toISOString(),
    producer: LEDGER_PRODUCER,
    correlationId: idempotencyKey,
    data,
  };
  await store.append(tx, PRICES_STREAM, [event], 'any');
  return { eventId, version: data.version, created: true };
}
