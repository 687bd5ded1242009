import { join } from 'node:path';
import { makeEnvelope, USAGE_RECORDED_V1, type EventEnvelope, type UsageRecordedV1 } from '@sluice/events';

export const MIGRATIONS_DIR = join(__dirname, '../../migrations');

/**
 * List prices written out by hand from the providers' pages (nano-USD per million tokens), independent
 * of the catalogue code: input, output, cache read, cache write.
 */
export const HAND_PRICES: Record<string, [bigint, bigint, bigint, bigint]> = {
  'openai/gpt-4o': [2_500_000_000n, 10_000_000_000n, 1_250_000_000n, 2_500_000_000n],
  'openai/gpt-4o-mini': [150_000_000n, 600_000_000n, 75_000_000n, 150_000_000n],
  'anthropic/claude-sonnet-4-5': [3_000_000_000n, 15_000_000_000n, 300_000_000n, 3_750_000_000n],
};

export type Tokens = { input: number; output: number; cacheRead: number; cacheWrite: number };

/** What the team must be charged, exactly: sum(tokens x price) / 10^6, rounded up to a nano-USD. */
export function expectedChargeNanoUsd(provider: string, model: string, t: Tokens): bigint {
  const p = HAND_PRICES[`${provider}/${model}`];
  if (!p) throw new Error(`no hand price for ${provider}/${model}`);
  const femto =
    BigInt(t.input) * p[0] +
    BigInt(t.output) * p[1] +
    BigInt(t.cacheRead) * p[2] +
    BigInt(t.cacheWrite) * p[3];
  return (femto + 999_999n) / 1_000_000n;
}

export function pricedUsageEvent(
  i: number,
  teamId: string,
  provider: string,
  model: string,
  t: Tokens,
  occurredAt = new Date('2026-11-01T12:00:00Z'),
): EventEnvelope<typeof USAGE_RECORDED_V1, UsageRecordedV1> {
  const requestId = `req-acct-${i}-${Math.random().toString(36).slice(2, 8)}`;
  return makeEnvelope({
    type: USAGE_RECORDED_V1,
    subject: teamId,
    producer: 'test',
    correlationId: requestId,
    occurredAt,
    data: {
      requestId,
      teamId,
      keyId: `key-${i % 3}`,
      endpoint: 'openai.chat_completions',
      modelRequested: model,
      modelServed: model,
      provider,
      providerRequestId: null,
      stream: false,
      status: 200,
      errorCode: null,
      usage: {
        inputUncachedTokens: t.input,
        cacheReadTokens: t.cacheRead,
        cacheWriteTokens: t.cacheWrite,
        outputTokens: t.output,
        reasoningTokens: 0,
      },
      rawUsage: null,
      receivedAt: occurredAt.toISOString(),
      latencyMs: 12,
      ttfbMs: 5,
      firewall: [],
    },
  });
}

/** Varied token counts for request i, on one of three models. */
export function usageMix(i: number): { provider: string; model: string; tokens: Tokens } {
  const models: Array<[string, string]> = [
    ['openai', 'gpt-4o'],
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4-5'],
  ];
  const [provider, model] = models[i % models.length]!;
  return {
    provider,
    model,
    tokens: {
      input: 17 + ((i * 7919) % 5000),
      output: 3 + ((i * 104729) % 2000),
      cacheRead: i % 4 === 0 ? (i * 31) % 3000 : 0,
      cacheWrite: provider === 'anthropic' && i % 5 === 0 ? (i * 13) % 1000 : 0,
    },
  };
}
