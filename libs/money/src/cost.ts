import { MoneyError } from './money-error';
import type { NanoUsd } from './nano-usd';
import { divideRounded, type RoundingMode } from './rounding';

/** A price in integer nano-USD per million tokens ($2.50 / MTok = 2_500_000_000n). */
export type PricePerMillionNanoUsd = bigint;

export const TOKENS_PER_PRICE_UNIT = 1_000_000n;

/**
 * 1 femto-USD = 10^-15 USD = 10^-6 nano-USD. It is the exact unit of `tokens x price per million` when the
 * price is integer nano-USD per million tokens, so every cost is an exact integer in femto-USD before it is
 * rounded once to nano-USD.
 */
export const FEMTO_USD_PER_NANO_USD = TOKENS_PER_PRICE_UNIT;

/**
 * The rounding the ledger charges with. `up`: a prepaid balance is never charged less than the exact price,
 * a request that uses tokens never costs zero (so tiny requests still count against budgets), and the bias
 * is at most 1 nano-USD per request ($1 per billion requests), all of it posted to the rounding account
 * where it can be seen and refunded. Half-even is unbiased but rounds small requests to zero and makes the
 * rounding account move both ways. See docs/ledger-design.md, "Rounding".
 */
export const LEDGER_ROUNDING_MODE: RoundingMode = 'up';

export type Cost = {
  /** The rounded cost, what the ledger posts. */
  costNanoUsd: NanoUsd;
  /** The exact cost, `tokens x pricePerMillionNanoUsd`, in femto-USD (10^-6 nano-USD). */
  exactCostFemtoUsd: bigint;
  /**
   * `costNanoUsd x 10^6 - exactCostFemtoUsd`: what rounding added (positive) or dropped (negative), in
   * femto-USD. `up` gives [0, 10^6), `half-even` gives [-5x10^5, 5x10^5].
   */
  roundingRemainderFemtoUsd: bigint;
  roundingMode: RoundingMode;
};

function assertTokens(tokens: bigint): void {
  if (tokens < 0n)
    throw new MoneyError('money.invalid_tokens', `token count must not be negative: ${tokens}`);
}

function assertPrice(price: bigint): void {
  if (price < 0n) throw new MoneyError('money.invalid_price', `price must not be negative: ${price}`);
}

/** Exact cost in femto-USD of `tokens` at `pricePerMillionNanoUsd`. */
export function exactCostFemtoUsd(
  tokens: bigint | number,
  pricePerMillionNanoUsd: PricePerMillionNanoUsd,
): bigint {
  const t = BigInt(tokens);
  assertTokens(t);
  assertPrice(pricePerMillionNanoUsd);
  return t * pricePerMillionNanoUsd;
}

/** Rounds an exact femto-USD amount to nano-USD, returning the remainder so the ledger can record it. */
export function roundFemtoUsd(exactFemtoUsd: bigint, mode: RoundingMode = LEDGER_ROUNDING_MODE): Cost {
  const { quotient, roundingRemainder } = divideRounded(exactFemtoUsd, FEMTO_USD_PER_NANO_USD, mode);
  return {
    costNanoUsd: quotient,
    exactCostFemtoUsd: exactFemtoUsd,
    roundingRemainderFemtoUsd: roundingRemainder,
    roundingMode: mode,
  };
}

/**
 * The cost of `tokens` at an integer price per million tokens, rounded once with an explicit mode.
 * Token counts may be a JS number (as in usage events) or a bigint; the arithmetic is bigint throughout.
 */
export function costOf(
  tokens: bigint | number,
  pricePerMillionNanoUsd: PricePerMillionNanoUsd,
  mode: RoundingMode = LEDGER_ROUNDING_MODE,
): Cost {
  if (typeof tokens === 'number' && !Number.isSafeInteger(tokens)) {
    throw new MoneyError('money.invalid_tokens', `token count must be a safe integer: ${tokens}`);
  }
  return roundFemtoUsd(exactCostFemtoUsd(tokens, pricePerMillionNanoUsd), mode);
}

/** Parses a decimal USD-per-million-tokens string ("2.50") into an integer price; refuses sub-nano prices. */
export { usdToNano as usdPerMillionToPrice } from './nano-usd';
