import { chargeNanoUsd, type LocalPrice } from './usage-charge';

// What a request may cost, estimated before it goes upstream, so that a hard budget reserves it at admission
// (docs/ledger-design.md, "Budgets in the running system"). It runs on every request under a hard budget:
// it reads the body's byte length and a handful of fields, never the prompt itself.

/**
 * Body bytes assumed per input token. Measured with o200k_base on the requests recorded from real clients
 * (/work/shared/reference/client-requests): Claude Code and Codex bodies carry about 5 bytes per token of
 * their text, SDK bodies 7 to 12 (JSON around short prompts); as a whole body, English prose gives 4.6 bytes a
 * token, source code 4.2, Chinese 4.3 (3 bytes a character in UTF-8), Russian 5.6, emoji 2.8, long digit
 * strings 2.6. Anthropic's tokenizer takes about a quarter more tokens than o200k for the same text. Money
 * errs high — a larger reservation can only refuse early — so 3: above the real count for all of those,
 * below it only for text that is mostly digits, hex or base64 (1.5 to 2.6 bytes a token), whose real cost
 * still replaces the reservation when the request ends. Images travel as base64 and are over-estimated many
 * times over (a 1 MB image is about 1,600 tokens, estimated at 350,000).
 */
export const BODY_BYTES_PER_TOKEN = 3;

/**
 * Output tokens reserved for a request that sets no output limit (many OpenAI SDK callers), capped by the
 * model's own maximum when it is known. It is not a bound: such a request can produce up to the model's
 * maximum (16k to 128k tokens), and reserving that would refuse ordinary requests of every client that never
 * sends a limit once a budget has a few dollars left. What it produces beyond this is counted as it streams
 * (and cut with the budget) or when it completes.
 */
export const DEFAULT_OUTPUT_TOKENS = 4_096;

/** A request's size as estimated at admission. */
export type RequestEstimate = { inputTokens: number; outputTokens: number };

/** A non-negative integer count from a JSON field, or null. */
function count(v: unknown): number | null {
  return typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER ? Math.ceil(v) : null;
}

function larger(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null || a >= b ? a : b;
}

/**
 * The output limit a request sets, in any of the protocols the gateway serves: OpenAI Chat
 * `max_completion_tokens` / `max_tokens`, Responses `max_output_tokens`, Anthropic `max_tokens` (thinking
 * included), Gemini `generationConfig.maxOutputTokens`; the larger when several are given. Null: none.
 */
export function requestedOutputTokens(body: unknown): number | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  let max = larger(count(b['max_completion_tokens']), count(b['max_tokens']));
  max = larger(max, count(b['max_output_tokens']));
  const gc = b['generationConfig'] ?? b['generation_config'];
  if (typeof gc === 'object' && gc !== null) {
    const g = gc as Record<string, unknown>;
    max = larger(max, count(g['maxOutputTokens'] ?? g['max_output_tokens']));
  }
  return max;
}

/** How many answers the request asks for (OpenAI `n`, Gemini `candidateCount`): each has its own output. */
function choicesOf(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 1;
  const b = body as Record<string, unknown>;
  let n = count(b['n']);
  const gc = b['generationConfig'] ?? b['generation_config'];
  if (typeof gc === 'object' && gc !== null) {
    const g = gc as Record<string, unknown>;
    n = larger(n, count(g['candidateCount'] ?? g['candidate_count']));
  }
  return n !== null && n > 1 ? n : 1;
}

/**
 * The request's size before it goes upstream: input from the body's byte length (`BODY_BYTES_PER_TOKEN`),
 * output from its own limit (else `DEFAULT_OUTPUT_TOKENS`), no more than `modelMaxOutputTokens` (a provider
 * clamps to it or refuses the request, which then costs nothing), times the answers it asks for.
 */
export function estimateRequest(
  bodyBytes: number,
  body: unknown,
  modelMaxOutputTokens: number | null,
): RequestEstimate {
  let output = requestedOutputTokens(body) ?? DEFAULT_OUTPUT_TOKENS;
  if (modelMaxOutputTokens !== null && output > modelMaxOutputTokens) output = modelMaxOutputTokens;
  return {
    inputTokens: Math.ceil(Math.max(0, bodyBytes) / BODY_BYTES_PER_TOKEN),
    outputTokens: output * choicesOf(body),
  };
}

/**
 * The estimate at the team's price, as the ledger would charge it (`chargeNanoUsd`: the long-context tier
 * above its threshold, rounded up once). The input is priced at the dearer of the uncached and cache-write
 * rates: a prompt written to the cache (Anthropic: 1.25x or 2x the input rate) costs more than one sent plain.
 */
export function estimateChargeNanoUsd(e: RequestEstimate, price: LocalPrice): bigint {
  if (!price) return 0n;
  const r =
    price.longContext && e.inputTokens > price.longContext.aboveInputTokens
      ? price.longContext.rates
      : price.rates;
  const asWrite = r.cacheWrite > r.input;
  return chargeNanoUsd(
    {
      inputUncachedTokens: asWrite ? 0 : e.inputTokens,
      cacheReadTokens: 0,
      cacheWriteTokens: asWrite ? e.inputTokens : 0,
      outputTokens: e.outputTokens,
    },
    price,
  );
}

/** The estimate in a token budget's unit: every input and output token. */
export function estimateTokens(e: RequestEstimate): bigint {
  return BigInt(e.inputTokens + e.outputTokens);
}
