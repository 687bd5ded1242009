import { quoteIdent, type SqlExecutor } from '@sluice/database';

/**
 * What the ledger can show a provider about one request in a dispute: its ids, when it happened, the tokens
 * as the provider reported them and as the gateway's own tokenizer counted them, the price version and
 * the cost, and the SHA-256 of the request and response bodies as the gateway sent and received them.
 */
export type EvidenceRequest = {
  requestId: string;
  providerRequestId: string | null;
  receivedAt: string;
  model: string | null;
  status: number;
  providerTokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  gatewayTokens: { input: number | null; output: number | null };
  listPriceVersion: number | null;
  providerCostNanoUsd: string | null;
  chargeNanoUsd: string | null;
  requestSha256: string | null;
  responseSha256: string | null;
};

type Row = {
  request_id: string;
  provider_request_id: string | null;
  received_at: Date;
  model: string | null;
  status: number;
  input: string;
  output: string;
  cache_read: string;
  cache_write: string;
  gw_input: string | null;
  gw_output: string | null;
  list_price_version: number | null;
  provider_cost: string | null;
  charge: string | null;
  request_sha256: string | null;
  response_sha256: string | null;
};

/** The audit records of the given gateway request ids, by id (unknown ids are absent). */
export async function loadEvidence(
  db: SqlExecutor,
  schema: string,
  requestIds: readonly string[],
): Promise<Map<string, EvidenceRequest>> {
  const out = new Map<string, EvidenceRequest>();
  if (requestIds.length === 0) return out;
  const s = quoteIdent(schema);
  const rows = await db.query<Row>(
    `SELECT a.request_id, a.provider_request_id, a.received_at, coalesce(a.model_served, a.model_requested) AS model,
            a.status, a.input_uncached_tokens::text AS input, a.output_tokens::text AS output,
            a.cache_read_tokens::text AS cache_read, a.cache_write_tokens::text AS cache_write,
            a.gateway_input_tokens::text AS gw_input, a.gateway_output_tokens::text AS gw_output,
            a.list_price_version, a.provider_cost_nano_usd::text AS provider_cost, a.charge_nano_usd::text AS charge,
            a.request_sha256, a.response_sha256
       FROM ${s}.request_audit a WHERE a.request_id = ANY($1::text[])`,
    [[...new Set(requestIds)]],
  );
  for (const r of rows) {
    out.set(r.request_id, {
      requestId: r.request_id,
      providerRequestId: r.provider_request_id,
      receivedAt: r.received_at.toISOString(),
      model: r.model,
      status: r.status,
      providerTokens: {
        input: Number(r.input),
        output: Number(r.output),
        cacheRead: Number(r.cache_read),
        cacheWrite: Number(r.cache_write),
      },
      gatewayTokens: {
        input: r.gw_input === null ? null : Number(r.gw_input),
        output: r.gw_output === null ? null : Number(r.gw_output),
      },
      listPriceVersion: r.list_price_version,
      providerCostNanoUsd: r.provider_cost,
      chargeNanoUsd: r.charge,
      requestSha256: r.request_sha256,
      responseSha256: r.response_sha256,
    });
  }
  return out;
}
