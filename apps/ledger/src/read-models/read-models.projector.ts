import { quoteIdent, type SqlExecutor } from '@sluice/database';
import type { Projector, StoredEvent } from '@sluice/event-store';
import { USAGE_RECORDED_V1, type UsageRecordedV1 } from '@sluice/events';
import { isAccountingError } from '../accounting/domain/accounting.errors';
import {
  LEDGER_CORRECTION_V1,
  ledgerCorrectionV1Schema,
  type LedgerCorrectionV1,
} from '../accounting/domain/ledger-events';
import {
  EMPTY_PRICE_CATALOGUE,
  PRICE_PUBLISHED_V1,
  applyPricePublished,
  type PriceCatalogueState,
} from '../accounting/domain/price-catalogue';
import { parseUsageRecordedV1 } from '../ingest/usage-recorded.parser';
import {
  costFacts,
  HourlyFold,
  negateCorrection,
  usageCorrectionEffect,
  usageHourKey,
  ZERO_CORRECTION,
  type CorrectionEffect,
  type CostFacts,
  type UsageCorrectionDelta,
  type UsageHourKey,
} from './read-model-facts';

export const READ_MODELS_PROJECTOR = 'read_models';
export const READ_MODEL_EVENT_TYPES = [PRICE_PUBLISHED_V1, USAGE_RECORDED_V1, LEDGER_CORRECTION_V1] as const;
/** The tables this projector writes, all rebuilt and compared by `rebuild`. */
export const READ_MODEL_TABLES = [
  'read_model_prices',
  'request_audit',
  'usage_hourly',
  'provider_quality_hourly',
  'usage_corrections',
] as const;

const AUDIT_COLUMNS = [
  'request_id',
  'event_id',
  'team_id',
  'key_id',
  'endpoint',
  'model_requested',
  'model_served',
  'provider',
  'provider_request_id',
  'stream',
  'status',
  'error_code',
  'input_uncached_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'raw_usage',
  'latency_ms',
  'ttfb_ms',
  'received_at',
  'event_position',
  'occurred_at',
  'request_sha256',
  'response_sha256',
  'ttft_ms',
  'gateway_input_tokens',
  'gateway_output_tokens',
  'firewall',
  'cost_status',
  'list_price_version',
  'team_price_version',
  'price_basis',
  'price_tier',
  'charge_nano_usd',
  'provider_cost_nano_usd',
  'margin_nano_usd',
  'subsidy_nano_usd',
  'rounding_nano_usd',
  'team_exact_femto_usd',
  'provider_exact_femto_usd',
] as const;

/** Rows per INSERT, so that a large batch stays under Postgres' 65,535 parameters. */
const AUDIT_ROWS_PER_INSERT = 500;

type Usage = { e: StoredEvent; d: UsageRecordedV1; cost: CostFacts };
/** A correction with the catalogue as of its place in the stream (the books reprice with that one). */
type Correction = { e: StoredEvent; d: LedgerCorrectionV1; catalogue: PriceCatalogueState };

type AuditTarget = {
  received_at: Date;
  occurred_at: Date;
  team_id: string;
  key_id: string | null;
  model_served: string | null;
  model_requested: string | null;
  provider: string | null;
  cost_status: CostFacts['status'];
  charge_nano_usd: string | null;
  provider_cost_nano_usd: string | null;
  input_uncached_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  catalogue_version: number | null;
};

type CorrectionRow = {
  request_event_id: string;
  hour: Date;
  team_id: string;
  key_id: string;
  model: string;
  provider: string;
  books_transfers: boolean;
  cost_nano_usd: string;
  provider_cost_nano_usd: string;
  input_uncached_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
};

// The placeholder tuple of the n-th row of an audit INSERT ("($42, $43, ...)"), the same for every batch:
// built once rather than 41 template strings per row.
const AUDIT_TUPLES: string[] = [];
function auditTuple(row: number): string {
  let t = AUDIT_TUPLES[row];
  if (t === undefined) {
    const base = row * AUDIT_COLUMNS.length;
    t = `(${AUDIT_COLUMNS.map((_, i) => `$${base + i + 1}`).join(', ')})`;
    AUDIT_TUPLES[row] = t;
  }
  return t;
}

/**
 * The request audit record, usage per hour and provider quality per hour, from `usage.recorded.v1`, priced
 * with the catalogue as of each event (`price.published.v1` in stream order, kept in `read_model_prices`):
 * never the clock, never the live catalogue. Idempotent: the audit row (one per request and event) is
 * inserted first and only the rows actually inserted are added to the hourly tables, all in the runner's
 * transaction with the checkpoint, so a replayed event adds nothing twice.
 */
export class ReadModelsProjector implements Projector {
  readonly name = READ_MODELS_PROJECTOR;
  readonly types = READ_MODEL_EVENT_TYPES;
  private readonly s: string;
  private readonly events: string;

  /** `schema`: where the read-model tables are (a scratch schema for a rebuild); events come from `eventSchema`. */
  constructor(schema: string, eventSchema: string = schema) {
    this.s = quoteIdent(schema);
    this.events = `${quoteIdent(eventSchema)}.events`;
  }

  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    let catalogue = await this.loadCatalogue(tx);
    const published: StoredEvent[] = [];
    const usage: Usage[] = [];
    const corrections: Correction[] = [];
    for (const e of events) {
      if (e.type === PRICE_PUBLISHED_V1) {
        try {
          const next = applyPricePublished(catalogue, e.data);
          if (next !== catalogue) published.push(e);
          catalogue = next;
        } catch (err) {
          // The books refuse an invalid or conflicting publication too: it prices nothing.
          if (!isAccountingError(err)) throw err;
        }
        continue;
      }
      if (e.type === LEDGER_CORRECTION_V1) {
        // An invalid correction is refused by the books too: it corrects nothing.
        const c = ledgerCorrectionV1Schema.safeParse(e.data);
        if (c.success) corrections.push({ e, d: c.data, catalogue });
        continue;
      }
      const parsed = parseUsageRecordedV1(e.data);
      if (!parsed.success) continue;
      usage.push({ e, d: parsed.data, cost: costFacts(parsed.data, e.occurredAt, catalogue) });
    }
    if (published.length > 0) {
      await tx.query(
        `INSERT INTO ${this.s}.read_model_prices (version, data, event_id)
         SELECT (d->>'version')::integer, d, id FROM unnest($1::jsonb[], $2::uuid[]) AS u(d, id)
         ON CONFLICT (version) DO NOTHING`,
        [published.map((e) => JSON.stringify(e.data)), published.map((e) => e.eventId)],
      );
    }
    const inserted = new Set<string>();
    for (let i = 0; i < usage.length; i += AUDIT_ROWS_PER_INSERT) {
      for (const id of await this.insertAudit(tx, usage.slice(i, i + AUDIT_ROWS_PER_INSERT)))
        inserted.add(id);
    }
    const fold = new HourlyFold();
    for (const u of usage) {
      // A request id seen twice in one batch (or before) is inserted once: the set holds its first event.
      if (inserted.delete(u.e.eventId)) fold.add(u.d, u.cost);
    }
    // After the batch's audit rows: a correction may name a request of this very batch.
    for (const c of corrections) await this.correct(tx, c, fold);
    await this.addUsage(tx, fold);
    await this.addQuality(tx, fold);
  }

  /**
   * A correction in usage per hour, as the books post it: counted in the hour and row of the request it
   * comes down to (a correction of a correction takes back what that one added), once per correction event
   * (its `usage_corrections` row is the dedupe row), and not at all when the books refuse it (a second
   * reversal of the same event, a replacement that cannot be priced). Corrections of anything but usage
   * (top-ups, expiries, holds) are not usage and change nothing here.
   */
  private async correct(tx: SqlExecutor, c: Correction, fold: HourlyFold): Promise<void> {
    const target = c.d.correctsEventId;
    let key: UsageHourKey;
    let requestEventId: string;
    let effect: CorrectionEffect | null;
    const [audit] = await tx.query<AuditTarget>(
      `SELECT a.received_at, a.occurred_at, a.team_id, a.key_id, a.model_served, a.model_requested, a.provider,
              a.cost_status, a.charge_nano_usd::text AS charge_nano_usd,
              a.provider_cost_nano_usd::text AS provider_cost_nano_usd,
              a.input_uncached_tokens::text AS input_uncached_tokens, a.cache_read_tokens::text AS cache_read_tokens,
              a.cache_write_tokens::text AS cache_write_tokens, a.output_tokens::text AS output_tokens,
              a.reasoning_tokens::text AS reasoning_tokens,
              -- The latest catalogue version projected before the request: the books reprice at it.
              (SELECT max(p.version) FROM ${this.s}.read_model_prices p
                 JOIN ${this.events} pe ON pe.event_id = p.event_id
                 JOIN ${this.events} oe ON oe.event_id = a.event_id
                WHERE (pe.tx_id, pe.position) < (oe.tx_id, oe.position)) AS catalogue_version
         FROM ${this.s}.request_audit a WHERE a.event_id = $1::uuid`,
      [target],
    );
    if (audit) {
      key = usageHourKey({
        receivedAt: audit.received_at.toISOString(),
        teamId: audit.team_id,
        keyId: audit.key_id,
        modelServed: audit.model_served,
        modelRequested: audit.model_requested,
        provider: audit.provider,
      });
      requestEventId = target;
      effect = usageCorrectionEffect(
        {
          teamId: audit.team_id,
          provider: audit.provider,
          modelServed: audit.model_served,
          modelRequested: audit.model_requested,
          occurredAt: audit.occurred_at.toISOString(),
          costStatus: audit.cost_status,
          chargeNanoUsd: audit.charge_nano_usd === null ? null : BigInt(audit.charge_nano_usd),
          providerCostNanoUsd:
            audit.provider_cost_nano_usd === null ? null : BigInt(audit.provider_cost_nano_usd),
          usage: {
            inputUncachedTokens: Number(audit.input_uncached_tokens),
            cacheReadTokens: Number(audit.cache_read_tokens),
            cacheWriteTokens: Number(audit.cache_write_tokens),
            outputTokens: Number(audit.output_tokens),
            reasoningTokens: Number(audit.reasoning_tokens),
          },
        },
        c.d.correctedUsage,
        c.catalogue,
        audit.catalogue_version ?? 0,
      );
    } else {
      const [prior] = await tx.query<CorrectionRow>(
        `SELECT request_event_id::text AS request_event_id, hour, team_id, key_id, model, provider, books_transfers,
                cost_nano_usd::text AS cost_nano_usd, provider_cost_nano_usd::text AS provider_cost_nano_usd,
                input_uncached_tokens::text AS input_uncached_tokens, cache_read_tokens::text AS cache_read_tokens,
                cache_write_tokens::text AS cache_write_tokens, output_tokens::text AS output_tokens,
                reasoning_tokens::text AS reasoning_tokens
           FROM ${this.s}.usage_corrections WHERE event_id = $1::uuid`,
        [target],
      );
      if (!prior) return; // not usage (or unknown, which the books refuse)
      key = {
        hour: prior.hour.toISOString(),
        teamId: prior.team_id,
        keyId: prior.key_id,
        model: prior.model,
        provider: prior.provider,
      };
      requestEventId = prior.request_event_id;
      // The books reverse what that correction booked; if it booked nothing, this one changes nothing.
      effect = {
        delta: prior.books_transfers ? negateCorrection(correctionDelta(prior)) : { ...ZERO_CORRECTION },
        reverses: prior.books_transfers,
        booksTransfers: prior.books_transfers,
      };
    }
    if (effect === null) return;
    if (effect.reverses) {
      // A transfer is reversed at most once: the books refuse a second correction of the same event.
      const [again] = await tx.query(
        `SELECT 1 FROM ${this.s}.usage_corrections WHERE corrects_event_id = $1::uuid AND event_id <> $2::uuid LIMIT 1`,
        [target, c.e.eventId],
      );
      if (again) return;
    }
    const d = effect.delta;
    const inserted = await tx.query(
      `INSERT INTO ${this.s}.usage_corrections (event_id, corrects_event_id, request_event_id, event_position, hour,
         team_id, key_id, model, provider, reverses, books_transfers, cost_nano_usd, provider_cost_nano_usd,
         input_uncached_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::timestamptz, $6, $7, $8, $9, $10, $11, $12::numeric,
               $13::numeric, $14, $15, $16, $17, $18)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [
        c.e.eventId,
        target,
        requestEventId,
        c.e.position,
        key.hour,
        key.teamId,
        key.keyId,
        key.model,
        key.provider,
        effect.reverses,
        effect.booksTransfers,
        d.costNanoUsd.toString(),
        d.providerCostNanoUsd.toString(),
        d.inputUncachedTokens,
        d.cacheReadTokens,
        d.cacheWriteTokens,
        d.outputTokens,
        d.reasoningTokens,
      ],
    );
    if (inserted.length > 0) fold.addCorrection(key, d);
  }

  private async loadCatalogue(tx: SqlExecutor): Promise<PriceCatalogueState> {
    const rows = await tx.query<{ data: unknown }>(
      `SELECT data FROM ${this.s}.read_model_prices ORDER BY version`,
    );
    return rows.reduce<PriceCatalogueState>(
      (st, r) => applyPricePublished(st, r.data),
      EMPTY_PRICE_CATALOGUE,
    );
  }

  /** Inserts audit rows; returns the event ids of the rows that were new. */
  private async insertAudit(tx: SqlExecutor, rows: readonly Usage[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const { e, d, cost } of rows) {
      const base = values.length;
      const priced = cost.status === 'priced' ? cost : null;
      values.push(
        d.requestId,
        e.eventId,
        d.teamId,
        d.keyId,
        d.endpoint,
        d.modelRequested,
        d.modelServed,
        d.provider,
        d.providerRequestId,
        d.stream,
        d.status,
        d.errorCode,
        d.usage.inputUncachedTokens,
        d.usage.cacheReadTokens,
        d.usage.cacheWriteTokens,
        d.usage.outputTokens,
        d.usage.reasoningTokens,
        d.rawUsage === null ? null : JSON.stringify(d.rawUsage),
        d.latencyMs,
        d.ttfbMs,
        d.receivedAt,
        e.position,
        e.occurredAt,
        d.requestSha256 ?? null,
        d.responseSha256 ?? null,
        d.ttftMs ?? null,
        d.gatewayTokens?.input ?? null,
        d.gatewayTokens?.output ?? null,
        JSON.stringify(d.firewall),
        cost.status,
        priced?.listVersion ?? null,
        priced?.teamVersion ?? null,
        priced?.basis ?? null,
        priced?.tier ?? null,
        cost.status === 'no_usage' ? '0' : (priced?.chargeNanoUsd.toString() ?? null),
        cost.status === 'no_usage' ? '0' : (priced?.providerCostNanoUsd.toString() ?? null),
        priced?.marginNanoUsd.toString() ?? null,
        priced?.subsidyNanoUsd.toString() ?? null,
        priced?.roundingNanoUsd.toString() ?? null,
        priced?.teamExactFemtoUsd.toString() ?? null,
        priced?.providerExactFemtoUsd.toString() ?? null,
      );
      tuples.push(auditTuple(base / AUDIT_COLUMNS.length));
    }
    const out = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.s}.request_audit (${AUDIT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
       ON CONFLICT DO NOTHING RETURNING event_id::text AS event_id`,
      values,
    );
    return out.map((r) => r.event_id);
  }

  private async addUsage(tx: SqlExecutor, fold: HourlyFold): Promise<void> {
    const rows = [...fold.usage.values()];
    if (rows.length === 0) return;
    const col = <K extends keyof (typeof rows)[number]>(k: K): Array<(typeof rows)[number][K]> =>
      rows.map((r) => r[k]);
    await tx.query(
      `INSERT INTO ${this.s}.usage_hourly AS t (hour, team_id, key_id, model, provider, requests, errors,
         input_uncached_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
         cost_nano_usd, provider_cost_nano_usd, unpriced_requests)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
         $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::numeric[],
         $14::numeric[], $15::bigint[])
       ON CONFLICT (hour, team_id, key_id, model, provider) DO UPDATE SET
         requests = t.requests + EXCLUDED.requests,
         errors = t.errors + EXCLUDED.errors,
         input_uncached_tokens = t.input_uncached_tokens + EXCLUDED.input_uncached_tokens,
         cache_read_tokens = t.cache_read_tokens + EXCLUDED.cache_read_tokens,
         cache_write_tokens = t.cache_write_tokens + EXCLUDED.cache_write_tokens,
         output_tokens = t.output_tokens + EXCLUDED.output_tokens,
         reasoning_tokens = t.reasoning_tokens + EXCLUDED.reasoning_tokens,
         cost_nano_usd = t.cost_nano_usd + EXCLUDED.cost_nano_usd,
         provider_cost_nano_usd = t.provider_cost_nano_usd + EXCLUDED.provider_cost_nano_usd,
         unpriced_requests = t.unpriced_requests + EXCLUDED.unpriced_requests`,
      [
        col('hour'),
        col('teamId'),
        col('keyId'),
        col('model'),
        col('provider'),
        col('requests'),
        col('errors'),
        col('inputUncachedTokens'),
        col('cacheReadTokens'),
        col('cacheWriteTokens'),
        col('outputTokens'),
        col('reasoningTokens'),
        rows.map((r) => r.costNanoUsd.toString()),
        rows.map((r) => r.providerCostNanoUsd.toString()),
        col('unpricedRequests'),
      ],
    );
  }

  private async addQuality(tx: SqlExecutor, fold: HourlyFold): Promise<void> {
    const rows = [...fold.quality.values()];
    if (rows.length === 0) return;
    const col = <K extends keyof (typeof rows)[number]>(k: K): Array<(typeof rows)[number][K]> =>
      rows.map((r) => r[k]);
    // Histograms travel as JSON arrays (unnest would flatten a 2-D array).
    await tx.query(
      `INSERT INTO ${this.s}.provider_quality_hourly AS t (hour, provider, model, requests, errors,
         latency_buckets, latency_sum_us, ttft_buckets, ttft_count, ttft_sum_us, speed_output_tokens,
         speed_generation_us, drift_input_requests, provider_input_tokens, gateway_input_tokens,
         drift_output_requests, provider_output_tokens, gateway_output_tokens)
       SELECT hour, provider, model, requests, errors,
              ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(lb) AS x), lsum,
              ARRAY(SELECT x::bigint FROM jsonb_array_elements_text(tb) AS x), tcount, tsum,
              sot, sgu, dir, pit, git, dor, pot, got
         FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::jsonb[],
                     $7::bigint[], $8::jsonb[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],
                     $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])
           AS u(hour, provider, model, requests, errors, lb, lsum, tb, tcount, tsum, sot, sgu, dir, pit, git, dor, pot, got)
       ON CONFLICT (provider, model, hour) DO UPDATE SET
         requests = t.requests + EXCLUDED.requests,
         errors = t.errors + EXCLUDED.errors,
         latency_buckets = ARRAY(SELECT a + b FROM unnest(t.latency_buckets, EXCLUDED.latency_buckets)
                                  WITH ORDINALITY AS m(a, b, i) ORDER BY i),
         latency_sum_us = t.latency_sum_us + EXCLUDED.latency_sum_us,
         ttft_buckets = ARRAY(SELECT a + b FROM unnest(t.ttft_buckets, EXCLUDED.ttft_buckets)
                               WITH ORDINALITY AS m(a, b, i) ORDER BY i),
         ttft_count = t.ttft_count + EXCLUDED.ttft_count,
         ttft_sum_us = t.ttft_sum_us + EXCLUDED.ttft_sum_us,
         speed_output_tokens = t.speed_output_tokens + EXCLUDED.speed_output_tokens,
         speed_generation_us = t.speed_generation_us + EXCLUDED.speed_generation_us,
         drift_input_requests = t.drift_input_requests + EXCLUDED.drift_input_requests,
         provider_input_tokens = t.provider_input_tokens + EXCLUDED.provider_input_tokens,
         gateway_input_tokens = t.gateway_input_tokens + EXCLUDED.gateway_input_tokens,
         drift_output_requests = t.drift_output_requests + EXCLUDED.drift_output_requests,
         provider_output_tokens = t.provider_output_tokens + EXCLUDED.provider_output_tokens,
         gateway_output_tokens = t.gateway_output_tokens + EXCLUDED.gateway_output_tokens`,
      [
        col('hour'),
        col('provider'),
        col('model'),
        col('requests'),
        col('errors'),
        rows.map((r) => JSON.stringify(r.latencyBuckets)),
        col('latencySumUs'),
        rows.map((r) => JSON.stringify(r.ttftBuckets)),
        col('ttftCount'),
        col('ttftSumUs'),
        col('speedOutputTokens'),
        col('speedGenerationUs'),
        col('driftInputRequests'),
        col('providerInputTokens'),
        col('gatewayInputTokens'),
        col('driftOutputRequests'),
        col('providerOutputTokens'),
        col('gatewayOutputTokens'),
      ],
    );
  }
}

function correctionDelta(r: CorrectionRow): UsageCorrectionDelta {
  return {
    costNanoUsd: BigInt(r.cost_nano_usd),
    providerCostNanoUsd: BigInt(r.provider_cost_nano_usd),
    inputUncachedTokens: Number(r.input_uncached_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    outputTokens: Number(r.output_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
  };
}
