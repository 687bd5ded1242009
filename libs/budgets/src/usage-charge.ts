import { divideRounded, exactCostFemtoUsd, FEMTO_USD_PER_NANO_USD } from '@sluice/money';
import type { TeamPriceResponse, WireRates } from './lease-protocol';

/** Token counts as the usage event normalises them (output includes reasoning). */
export type UsageTokens = {
  inputUncachedTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
};

export type Rates = {
  input: bigint;
  output: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
};

/** A team's price for one model as the gateway keeps it: null = unpriced (costs nothing in money). */
export type LocalPrice = {
  rates: Rates;
  longContext: { aboveInputTokens: number; rates: Rates } | null;
} | null;

const fromWire = (r: WireRates): Rates => ({
  input: BigInt(r.inputNanoUsdPerMTok),
  output: BigInt(r.outputNanoUsdPerMTok),
  cacheRead: BigInt(r.cacheReadNanoUsdPerMTok),
  cacheWrite: BigInt(r.cacheWriteNanoUsdPerMTok),
});

export function localPrice(p: TeamPriceResponse): LocalPrice {
  if (!p.priced || !p.rates) return null;
  return {
    rates: fromWire(p.rates),
    longContext: p.longContext
      ? { aboveInputTokens: p.longContext.aboveInputTokens, rates: fromWire(p.longContext.rates) }
      : null,
  };
}

/**
 * What the ledger will charge the team for this usage: the exact cost at the team's rates (the long-context
 * tier when the prompt is above its threshold), rounded up once — the same rule as the ledger's usage
 * recipe, so a lease is spent by exactly what the books will post.
 */
export function chargeNanoUsd(u: UsageTokens, price: LocalPrice): bigint {
  if (!price) return 0n;
  const prompt = u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const r =
    price.longContext && prompt > price.longContext.aboveInputTokens ? price.longContext.rates : price.rates;
  const exact =
    exactCostFemtoUsd(u.inputUncachedTokens, r.input) +
    exactCostFemtoUsd(u.cacheReadTokens, r.cacheRead) +
    exactCostFemtoUsd(u.cacheWriteTokens, r.cacheWrite) +
    exactCostFemtoUsd(u.outputTokens, r.output);
  return divideRounded(exact, FEMTO_USD_PER_NANO_USD, 'up').quotient;
}

/** Tokens a token budget counts: every input kind and the output. */
export function usageTokenCount(u: UsageTokens): bigint {
  return BigInt(u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens);
}
