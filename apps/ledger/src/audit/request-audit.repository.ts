import type { SqlExecutor } from '@sluice/database';
import { LEDGER_SCHEMA } from '../ledger.runtime';

export type AuditRecord = {
  requestId: string;
  eventId: string;
  teamId: string;
  keyId: string | null;
  endpoint: string;
  modelRequested: string | null;
  modelServed: string | null;
  provider: string | null;
  providerRequestId: string | null;
  stream: boolean;
  status: number;
  errorCode: string | null;
  inputUncachedTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  latencyMs: number;
  ttfbMs: number | null;
  receivedAt: Date;
};

export type UsageDimension = 'team' | 'key' | 'model' | 'provider';

export type UsageAggregate = {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  teamId: string | null;
  keyId: string | null;
  model: string | null;
  provider: string | null;
};

const DIMENSION_COLUMN: Record<UsageDimension, { column: string; alias: keyof UsageAggregate }> = {
  team: { column: 'team_id', alias: 'teamId' },
  key: { column: 'key_id', alias: 'keyId' },
  model: { column: 'coalesce(model_served, model_requested)', alias: 'model' },
  provider: { column: 'provider', alias: 'provider' },
};

type AuditRow = {
  request_id: string;
  event_id: string;
  team_id: string;
  key_id: string | null;
  endpoint: string;
  model_requested: string | null;
  model_served: string | null;
  provider: string | null;
  provider_request_id: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  input_uncached_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  latency_ms: number;
  ttfb_ms: number | null;
  received_at: Date;
};

export class RequestAuditRepository {
  constructor(private readonly db: SqlExecutor) {}

  async byRequestId(requestId: string): Promise<AuditRecord | null> {
    const [row] = await this.db.query<AuditRow>(
      `SELECT * FROM ${LEDGER_SCHEMA}.request_audit WHERE request_id = $1`,
      [requestId],
    );
    return row ? toRecord(row) : null;
  }

  async count(): Promise<number> {
    const [row] = await this.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${LEDGER_SCHEMA}.request_audit`,
    );
    return Number(row?.n ?? 0);
  }

  /** Requests and tokens in [from, to), grouped by the given dimensions (none: one total row). */
  /** `teamId` null: every team (admin); otherwise only that team's requests. */
  async usage(
    from: Date,
    to: Date,
    groupBy: readonly UsageDimension[],
    teamId: string | null = null,
  ): Promise<UsageAggregate[]> {
    const dims = [...new Set(groupBy)].map((d) => DIMENSION_COLUMN[d]);
    const select = dims.map((d) => `${d.column} AS "${d.alias}"`);
    const group =
      dims.length > 0
        ? `GROUP BY ${dims.map((_, i) => String(i + 1)).join(', ')} ORDER BY ${dims.map((_, i) => String(i + 1)).join(', ')}`
        : '';
    const rows = await this.db.query<Record<string, string | null>>(
      `SELECT ${[...select, 'count(*)::text AS requests', 'coalesce(sum(input_uncached_tokens + cache_read_tokens + cache_write_tokens), 0)::text AS "inputTokens"', 'coalesce(sum(output_tokens), 0)::text AS "outputTokens"'].join(', ')}
         FROM ${LEDGER_SCHEMA}.request_audit
        WHERE received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR team_id = $3)
        ${group}`,
      [from.toISOString(), to.toISOString(), teamId],
    );
    return rows.map((r) => ({
      requests: Number(r['requests']),
      inputTokens: Number(r['inputTokens']),
      outputTokens: Number(r['outputTokens']),
      teamId: r['teamId'] ?? null,
      keyId: r['keyId'] ?? null,
      model: r['model'] ?? null,
      provider: r['provider'] ?? null,
    }));
  }
}

function toRecord(r: AuditRow): AuditRecord {
  return {
    requestId: r.request_id,
    eventId: r.event_id,
    teamId: r.team_id,
    keyId: r.key_id,
    endpoint: r.endpoint,
    modelRequested: r.model_requested,
    modelServed: r.model_served,
    provider: r.provider,
    providerRequestId: r.provider_request_id,
    stream: r.stream,
    status: r.status,
    errorCode: r.error_code,
    inputUncachedTokens: Number(r.input_uncached_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    outputTokens: Number(r.output_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
    latencyMs: r.latency_ms,
    ttfbMs: r.ttfb_ms,
    receivedAt: r.received_at,
  };
}
