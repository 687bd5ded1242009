import { z } from 'zod';
import type { EventEnvelope } from './envelope';

export const USAGE_RECORDED_V1 = 'usage.recorded.v1';

/**
 * Token counts in the normalised form. Providers disagree on what "input" means (OpenAI counts
 * cached tokens inside prompt_tokens, Anthropic reports them apart), so the gateway splits them
 * here once and keeps the provider's raw numbers beside them for disputes.
 */
export const normalizedUsageSchema = z.object({
  inputUncachedTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative(),
});
export type NormalizedUsage = z.infer<typeof normalizedUsageSchema>;

export const ZERO_USAGE: NormalizedUsage = {
  inputUncachedTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
};

export const firewallFindingSummarySchema = z.object({
  detector: z.string(),
  kind: z.enum(['secret', 'pii']),
  count: z.number().int().positive(),
  location: z.enum(['request', 'response']),
  action: z.enum(['monitor', 'block', 'redact']),
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'hex SHA-256');

export const usageRecordedV1Schema = z.object({
  requestId: z.string().min(1),
  teamId: z.string().min(1),
  keyId: z.string().nullable(),
  /** Which API surface was called, e.g. `openai.chat_completions`, `anthropic.messages`. */
  endpoint: z.string().min(1),
  modelRequested: z.string().nullable(),
  modelServed: z.string().nullable(),
  provider: z.string().nullable(),
  providerRequestId: z.string().nullable(),
  stream: z.boolean(),
  status: z.number().int().min(100).max(599),
  errorCode: z.string().nullable(),
  usage: normalizedUsageSchema,
  /** The provider's own usage object, exactly as reported (null when there was none). */
  rawUsage: z.record(z.unknown()).nullable(),
  receivedAt: z.string().datetime({ offset: true }),
  latencyMs: z.number().nonnegative(),
  /** Time to the first byte of the response body sent to the client; null when nothing was sent. */
  ttfbMs: z.number().nonnegative().nullable(),
  firewall: z.array(firewallFindingSummarySchema).default([]),
  // Added later, so optional: events recorded before carry none of these (read as unknown).
  /** Hex SHA-256 of the request body bytes as received; null when there was no body. */
  requestSha256: sha256Hex.nullable().optional(),
  /** Hex SHA-256 of the response body bytes as sent to the client (the whole stream for SSE). */
  responseSha256: sha256Hex.nullable().optional(),
  /** Time to the first content or tool-call delta sent (streams only; ttfbMs is the first byte of any kind). */
  ttftMs: z.number().nonnegative().nullable().optional(),
  /**
   * Tokens counted by the gateway's own tokenizer (o200k_base) over the request's input and the answer it
   * relayed (text, tool arguments; reasoning is not seen). null: not counted (too large, not decodable).
   */
  gatewayTokens: z
    .object({
      input: z.number().int().nonnegative().nullable(),
      output: z.number().int().nonnegative().nullable(),
    })
    .optional(),
});
export type UsageRecordedV1 = z.infer<typeof usageRecordedV1Schema>;
export type UsageRecordedEvent = EventEnvelope<typeof USAGE_RECORDED_V1, UsageRecordedV1>;
