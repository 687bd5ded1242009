import type { SqlExecutor } from '@sluice/database';
import type { Projector, StoredEvent } from '@sluice/event-store';
import { USAGE_RECORDED_V1, usageRecordedV1Schema } from '@sluice/events';
import { LEDGER_SCHEMA } from '../ledger.runtime';

const COLUMNS = [
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
] as const;

/**
 * One row per gateway request, from `usage.recorded.v1`. Idempotent (the request id is the key),
 * so a replay or a rebuild writes the same rows.
 */
export class RequestAuditProjector implements Projector {
  readonly name = 'request_audit';
  readonly types = [USAGE_RECORDED_V1];

  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const e of events) {
      // Validated at ingest; parsed again because the store is the source of truth for replays.
      const parsed = usageRecordedV1Schema.safeParse(e.data);
      if (!parsed.success) continue;
      const d = parsed.data;
      const base = values.length;
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
      );
      rows.push(`(${COLUMNS.map((_, i) => `$${base + i + 1}`).join(', ')})`);
    }
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO ${LEDGER_SCHEMA}.request_audit (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (request_id) DO NOTHING`,
      values,
    );
  }
}
