import { quoteIdent, type SqlExecutor } from '@sluice/database';
import type { ProviderUsageRow } from './provider-exports';

/** One request as the ledger has it (request_audit, with the provider's share from the transfers). */
export type LedgerRequest = {
  requestId: string;
  providerRequestId: string | null;
  eventId: string;
  day: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** What the provider is owed for it in the books (null when the request was not booked). */
  costNanoUsd: bigint | null;
};

export type FindingKind =
  | 'missing_in_ledger'
  | 'missing_in_export'
  | 'requests_differ'
  | 'tokens_differ'
  | 'cost_differ'
  | 'request_missing_in_ledger'
  | 'request_missing_in_export'
  | 'request_tokens_differ'
  | 'request_cost_differ';

export type Finding = {
  kind: FindingKind;
  day: string;
  model: string;
  /** The provider's request id, for request-level findings. */
  requestId: string | null;
  /** Export minus ledger, per measure that differs (tokens as numbers, cost in nano-USD as a string). */
  deltas: Record<string, string>;
  provider: Record<string, string> | null;
  ledger: Record<string, string> | null;
  /** The ledger requests behind the ledger's side (gateway request ids, at most 50). */
  evidence: string[];
};

type Totals = { requests: number; input: number; output: number; cacheRead: number; cost: bigint | null };

const sideOf = (t: Totals): Record<string, string> => ({
  requests: String(t.requests),
  inputTokens: String(t.input),
  outputTokens: String(t.output),
  cacheReadTokens: String(t.cacheRead),
  ...(t.cost === null ? {} : { costNanoUsd: t.cost.toString() }),
});

/**
 * Matches a provider's export against the ledger over the days the export covers: request by request where
 * the export gives the provider's request ids, by day and model for the rest. Returns every difference with
 * its deltas and the ledger requests behind it; an empty list means the export and the books agree.
 */
export function reconcile(
  exported: readonly ProviderUsageRow[],
  ledger: readonly LedgerRequest[],
  coveredDays: Iterable<string> = [],
): Finding[] {
  const findings: Finding[] = [];
  const days = new Set([...exported.map((r) => r.day), ...coveredDays]);
  const inScope = ledger.filter((l) => days.has(l.day));
  const byProviderId = new Map(
    inScope.filter((l) => l.providerRequestId !== null).map((l) => [l.providerRequestId!, l]),
  );

  // Request-level rows.
  const matched = new Set<string>();
  for (const r of exported.filter((x) => x.requestId !== null)) {
    const l = byProviderId.get(r.requestId!);
    const provider: Totals = {
      requests: 1,
      input: r.inputTokens,
      output: r.outputTokens,
      cacheRead: r.cacheReadTokens ?? 0,
      cost: r.costNanoUsd,
    };
    if (!l) {
      findings.push({
        kind: 'request_missing_in_ledger',
        day: r.day,
        model: r.model,
        requestId: r.requestId,
        deltas: { requests: '1', inputTokens: String(r.inputTokens), outputTokens: String(r.outputTokens) },
        provider: sideOf(provider),
        ledger: null,
        evidence: [],
      });
      continue;
    }
    matched.add(l.requestId);
    const side: Totals = {
      requests: 1,
      input: l.inputTokens,
      output: l.outputTokens,
      cacheRead: l.cacheReadTokens,
      cost: l.costNanoUsd,
    };
    const deltas: Record<string, string> = {};
    if (r.inputTokens !== l.inputTokens) deltas['inputTokens'] = String(r.inputTokens - l.inputTokens);
    if (r.outputTokens !== l.outputTokens) deltas['outputTokens'] = String(r.outputTokens - l.outputTokens);
    if (Object.keys(deltas).length > 0)
      findings.push({
        kind: 'request_tokens_differ',
        day: r.day,
        model: r.model,
        requestId: r.requestId,
        deltas,
        provider: sideOf(provider),
        ledger: sideOf(side),
        evidence: [l.requestId],
      });
    if (r.costNanoUsd !== null && r.costNanoUsd !== (l.costNanoUsd ?? 0n))
      findings.push({
        kind: 'request_cost_differ',
        day: r.day,
        model: r.model,
        requestId: r.requestId,
        deltas: { costNanoUsd: (r.costNanoUsd - (l.costNanoUsd ?? 0n)).toString() },
        provider: sideOf(provider),
        ledger: sideOf(side),
        evidence: [l.requestId],
      });
  }
  const requestLevel = exported.some((x) => x.requestId !== null);
  if (requestLevel) {
    for (const l of inScope) {
      if (matched.has(l.requestId)) continue;
      findings.push({
        kind: 'request_missing_in_export',
        day: l.day,
        model: l.model,
        requestId: l.providerRequestId,
        deltas: {
          requests: '-1',
          inputTokens: String(-l.inputTokens),
          outputTokens: String(-l.outputTokens),
        },
        provider: null,
        ledger: sideOf({
          requests: 1,
          input: l.inputTokens,
          output: l.outputTokens,
          cacheRead: l.cacheReadTokens,
          cost: l.costNanoUsd,
        }),
        evidence: [l.requestId],
      });
    }
  }

  // Day and model totals for exports without request ids.
  // An export is matched request by request or by day and model, never both (parseCsvExport refuses a mix).
  if (requestLevel) return findings;
  const aggregate = exported;
  const key = (day: string, model: string): string => `${day}\u0000${model}`;
  const theirs = new Map<string, Totals & { hasRequests: boolean; hasCache: boolean }>();
  for (const r of aggregate) {
    const t = theirs.get(key(r.day, r.model)) ?? {
      requests: 0,
      input: 0,
      output: 0,
      cacheRead: 0,
      cost: null,
      hasRequests: false,
      hasCache: false,
    };
    t.requests += r.requests ?? 0;
    t.hasRequests ||= r.requests !== null;
    t.input += r.inputTokens;
    t.output += r.outputTokens;
    t.cacheRead += r.cacheReadTokens ?? 0;
    t.hasCache ||= r.cacheReadTokens !== null;
    if (r.costNanoUsd !== null) t.cost = (t.cost ?? 0n) + r.costNanoUsd;
    theirs.set(key(r.day, r.model), t);
  }
  const ours = new Map<string, Totals & { ids: string[] }>();
  for (const l of inScope) {
    const t = ours.get(key(l.day, l.model)) ?? {
      requests: 0,
      input: 0,
      output: 0,
      cacheRead: 0,
      cost: 0n,
      ids: [],
    };
    t.requests += 1;
    t.input += l.inputTokens;
    t.output += l.outputTokens;
    t.cacheRead += l.cacheReadTokens;
    t.cost = (t.cost ?? 0n) + (l.costNanoUsd ?? 0n);
    if (t.ids.length < 50) t.ids.push(l.requestId);
    ours.set(key(l.day, l.model), t);
  }
  const keys = [...new Set([...theirs.keys(), ...ours.keys()])].sort();
  for (const k of keys) {
    const [day, model] = k.split('\u0000') as [string, string];
    const p = theirs.get(k);
    const l = ours.get(k);
    if (!p && l) {
      findings.push({
        kind: 'missing_in_export',
        day,
        model,
        requestId: null,
        deltas: {
          requests: String(-l.requests),
          inputTokens: String(-l.input),
          outputTokens: String(-l.output),
        },
        provider: null,
        ledger: sideOf(l),
        evidence: l.ids,
      });
      continue;
    }
    if (p && !l) {
      findings.push({
        kind: 'missing_in_ledger',
        day,
        model,
        requestId: null,
        deltas: {
          requests: String(p.requests),
          inputTokens: String(p.input),
          outputTokens: String(p.output),
        },
        provider: sideOf(p),
        ledger: null,
        evidence: [],
      });
      continue;
    }
    if (!p || !l) continue;
    if (p.hasRequests && p.requests !== l.requests)
      findings.push({
        kind: 'requests_differ',
        day,
        model,
        requestId: null,
        deltas: { requests: String(p.requests - l.requests) },
        provider: sideOf(p),
        ledger: sideOf(l),
        evidence: l.ids,
      });
    const deltas: Record<string, string> = {};
    if (p.input !== l.input) deltas['inputTokens'] = String(p.input - l.input);
    if (p.output !== l.output) deltas['outputTokens'] = String(p.output - l.output);
    if (p.hasCache && p.cacheRead !== l.cacheRead)
      deltas['cacheReadTokens'] = String(p.cacheRead - l.cacheRead);
    if (Object.keys(deltas).length > 0)
      findings.push({
        kind: 'tokens_differ',
        day,
        model,
        requestId: null,
        deltas,
        provider: sideOf(p),
        ledger: sideOf(l),
        evidence: l.ids,
      });
    if (p.cost !== null && p.cost !== l.cost)
      findings.push({
        kind: 'cost_differ',
        day,
        model,
        requestId: null,
        deltas: { costNanoUsd: (p.cost - (l.cost ?? 0n)).toString() },
        provider: sideOf(p),
        ledger: sideOf(l),
        evidence: l.ids,
      });
  }
  return findings;
}

/** The ledger's requests on one provider over whole UTC days (request_audit and the provider's transfers). */
export async function loadLedgerRequests(
  db: SqlExecutor,
  schema: string,
  provider: string,
  days: readonly string[],
): Promise<LedgerRequest[]> {
  if (days.length === 0) return [];
  const s = quoteIdent(schema);
  const rows = await db.query<{
    request_id: string;
    provider_request_id: string | null;
    event_id: string;
    day: string;
    model: string;
    input: string;
    output: string;
    cache_read: string;
    cost: string | null;
  }>(
    `SELECT a.request_id, a.provider_request_id, a.event_id::text AS event_id,
            to_char(a.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
            coalesce(a.model_served, a.model_requested, '') AS model,
            (a.input_uncached_tokens + a.cache_read_tokens + a.cache_write_tokens)::text AS input,
            a.output_tokens::text AS output, a.cache_read_tokens::text AS cache_read,
            (SELECT sum(t.amount_nano_usd)::text FROM ${s}.transfers t
              WHERE t.event_id = a.event_id AND t.credit_account_id = 'provider:' || a.provider) AS cost
       FROM ${s}.request_audit a
      WHERE a.provider = $1
        AND to_char(a.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') = ANY($2::text[])
        AND (a.input_uncached_tokens + a.cache_read_tokens + a.cache_write_tokens + a.output_tokens) > 0`,
    [provider, [...days]],
  );
  return rows.map((r) => ({
    requestId: r.request_id,
    providerRequestId: r.provider_request_id,
    eventId: r.event_id,
    day: r.day,
    model: r.model,
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
    cacheReadTokens: Number(r.cache_read),
    costNanoUsd: r.cost === null ? null : BigInt(r.cost),
  }));
}
