import { usdToNano } from '@sluice/money';
import { z } from 'zod';
import { parseCsv } from '../../read-models/csv';

/** One line of a provider's export, normalised: a day and model total, or one request when it has an id. */
export type ProviderUsageRow = {
  day: string; // YYYY-MM-DD, UTC
  model: string;
  /** The provider's own request id (plain CSV only); rows with one are matched request by request. */
  requestId: string | null;
  requests: number | null;
  /** All input tokens, cached ones included (what the ledger calls input). */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number | null;
  costNanoUsd: bigint | null;
};

/** What an export says, and the days it covers (a day bucket with no usage still covers its day). */
export type ProviderExport = { rows: ProviderUsageRow[]; days: string[] };

export type ExportFormat = 'csv' | 'openai-usage' | 'anthropic-usage';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'openai-usage', 'anthropic-usage'];

export class ExportParseError extends Error {
  readonly code = 'EXPORT_INVALID';
}

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/** The export's records (RFC 4180 as `parseCsv` reads it), blank lines left out. */
function csvRecords(text: string): string[][] {
  return parseCsv(text).filter((row) => row.some((f) => f.trim() !== ''));
}

const count = (v: string | undefined, what: string, line: number): number => {
  const t = (v ?? '').trim();
  if (!/^\d{1,15}$/.test(t)) throw new ExportParseError(`line ${line}: ${what} "${t}" is not a token count`);
  return Number(t);
};

/**
 * Plain CSV with a header: `date` (YYYY-MM-DD or an ISO instant), `model`, `input_tokens`, `output_tokens`,
 * and optionally `request_id`, `requests`, `cache_read_tokens`, `cost_usd` (exact decimal). With request ids
 * the export is matched request by request, without them by day and model.
 */
export function parseCsvExport(text: string): ProviderUsageRow[] {
  const [header, ...records] = csvRecords(text);
  if (!header) return [];
  const cols = header.map((h) => h.trim().toLowerCase());
  const at = (name: string): number => cols.indexOf(name);
  for (const required of ['date', 'model', 'input_tokens', 'output_tokens']) {
    if (at(required) < 0) throw new ExportParseError(`the CSV header has no ${required} column`);
  }
  const rows = records.map((r, i) => {
    const line = i + 2;
    const get = (name: string): string | undefined => (at(name) >= 0 ? r[at(name)]?.trim() : undefined);
    const date = new Date(get('date') ?? '');
    if (Number.isNaN(date.getTime()))
      throw new ExportParseError(`line ${line}: date "${get('date')}" is not a date`);
    const cost = get('cost_usd');
    let costNanoUsd: bigint | null = null;
    if (cost) {
      try {
        costNanoUsd = usdToNano(cost);
      } catch {
        throw new ExportParseError(`line ${line}: cost_usd "${cost}" is not an exact amount`);
      }
    }
    const requests = get('requests');
    const cacheRead = get('cache_read_tokens');
    return {
      day: dayOf(date),
      model: get('model') ?? '',
      requestId: get('request_id') || null,
      requests: requests ? count(requests, 'requests', line) : null,
      inputTokens: count(get('input_tokens'), 'input_tokens', line),
      outputTokens: count(get('output_tokens'), 'output_tokens', line),
      cacheReadTokens: cacheRead ? count(cacheRead, 'cache_read_tokens', line) : null,
      costNanoUsd,
    };
  });
  const withIds = rows.filter((r) => r.requestId !== null).length;
  if (withIds > 0 && withIds < rows.length)
    throw new ExportParseError(
      'every row has a request_id or none does (request-level or day-and-model totals)',
    );
  return rows;
}

const tokens = z.number().int().nonnegative();

// OpenAI Usage API, GET /v1/organization/usage/completions?bucket_width=1d&group_by=model: one page or an
// array of pages. input_tokens already includes input_cached_tokens.
const openaiPage = z.object({
  data: z.array(
    z.object({
      start_time: z.number().int(),
      results: z.array(
        z.object({
          model: z.string().nullable().optional(),
          input_tokens: tokens,
          output_tokens: tokens,
          input_cached_tokens: tokens.optional(),
          num_model_requests: tokens.optional(),
        }),
      ),
    }),
  ),
});

// Anthropic Admin API, GET /v1/organizations/usage_report/messages?bucket_width=1d&group_by[]=model.
const anthropicPage = z.object({
  data: z.array(
    z.object({
      starting_at: z.string(),
      results: z.array(
        z.object({
          model: z.string().nullable().optional(),
          uncached_input_tokens: tokens,
          cache_read_input_tokens: tokens.optional(),
          cache_creation: z
            .object({
              ephemeral_5m_input_tokens: tokens.optional(),
              ephemeral_1h_input_tokens: tokens.optional(),
            })
            .optional(),
          output_tokens: tokens,
        }),
      ),
    }),
  ),
});

function pages<T>(schema: z.ZodType<T>, text: string, what: string): T[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ExportParseError(`${what}: not JSON`);
  }
  const r = z.union([schema, z.array(schema)]).safeParse(json);
  if (!r.success) throw new ExportParseError(`${what}: ${r.error.issues[0]?.message ?? 'unexpected shape'}`);
  return Array.isArray(r.data) ? r.data : [r.data];
}

export function parseOpenAiUsage(text: string): ProviderExport {
  const all = pages(openaiPage, text, 'OpenAI usage export');
  const days = all.flatMap((p) => p.data.map((b) => dayOf(new Date(b.start_time * 1000))));
  const rows = all.flatMap((p) =>
    p.data.flatMap((b) =>
      b.results.map((x) => {
        if (!x.model) throw new ExportParseError('OpenAI usage export: results are not grouped by model');
        return {
          day: dayOf(new Date(b.start_time * 1000)),
          model: x.model,
          requestId: null,
          requests: x.num_model_requests ?? null,
          inputTokens: x.input_tokens,
          outputTokens: x.output_tokens,
          cacheReadTokens: x.input_cached_tokens ?? null,
          costNanoUsd: null,
        };
      }),
    ),
  );
  return { rows, days: [...new Set(days)] };
}

export function parseAnthropicUsage(text: string): ProviderExport {
  const all = pages(anthropicPage, text, 'Anthropic usage export');
  const days: string[] = [];
  const rows = all.flatMap((p) =>
    p.data.flatMap((b) => {
      const day = new Date(b.starting_at);
      if (Number.isNaN(day.getTime())) throw new ExportParseError('Anthropic usage export: bad starting_at');
      days.push(dayOf(day));
      return b.results.map((x) => {
        if (!x.model) throw new ExportParseError('Anthropic usage export: results are not grouped by model');
        const cacheRead = x.cache_read_input_tokens ?? 0;
        const cacheWrite =
          (x.cache_creation?.ephemeral_5m_input_tokens ?? 0) +
          (x.cache_creation?.ephemeral_1h_input_tokens ?? 0);
        const day = new Date(b.starting_at);
        if (Number.isNaN(day.getTime()))
          throw new ExportParseError(`Anthropic usage export: bad starting_at`);
        return {
          day: dayOf(day),
          model: x.model,
          requestId: null,
          requests: null,
          inputTokens: x.uncached_input_tokens + cacheRead + cacheWrite,
          outputTokens: x.output_tokens,
          cacheReadTokens: cacheRead,
          costNanoUsd: null,
        };
      });
    }),
  );
  return { rows, days: [...new Set(days)] };
}

export function parseExport(format: ExportFormat, text: string): ProviderExport {
  switch (format) {
    case 'csv': {
      const rows = parseCsvExport(text);
      return { rows, days: [...new Set(rows.map((r) => r.day))] };
    }
    case 'openai-usage':
      return parseOpenAiUsage(text);
    case 'anthropic-usage':
      return parseAnthropicUsage(text);
  }
}
