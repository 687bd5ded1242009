import { MoneyError } from './money-error';

/**
 * Money is an integer count of nano-USD (1 USD = 10^9 nano-USD) in a `bigint`. A plain alias rather than a
 * branded type: arithmetic on a brand (`a + b`) yields a bare bigint and would force casts everywhere, while
 * every money field already says its unit in its name (`costNanoUsd`).
 */
export type NanoUsd = bigint;

export const NANO_USD_PER_USD = 1_000_000_000n;
/** The scale of the nano-USD ledger: 9 decimal places. */
export const NANO_USD_SCALE = 9;
/** The largest amount Postgres `bigint` can hold, about 9.2 billion USD. */
export const MAX_NANO_USD = 9_223_372_036_854_775_807n;

const DECIMAL_USD = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal USD string ("3.25", "-0.000000001", "12") into nano-USD exactly. More than nine
 * fraction digits would need rounding, so they are refused unless the extra digits are all zero:
 * a parser that silently rounds is how money goes missing.
 */
export function usdToNano(usd: string): NanoUsd {
  const m = DECIMAL_USD.exec(usd.trim());
  if (!m) throw new MoneyError('money.invalid_amount', `not a decimal USD amount: "${usd}"`);
  const [, sign = '', whole = '0', fractionRaw = ''] = m;
  const fraction = fractionRaw.replace(/0+$/, '');
  if (fraction.length > NANO_USD_SCALE) {
    throw new MoneyError('money.precision_loss', `"${usd}" has more than ${NANO_USD_SCALE} decimal places`);
  }
  const magnitude = BigInt(whole) * NANO_USD_PER_USD + BigInt(fraction.padEnd(NANO_USD_SCALE, '0') || '0');
  return sign === '-' ? -magnitude : magnitude;
}

export type FormatNanoUsdOptions = {
  /** Fewest fraction digits to show (trailing zeros beyond it are trimmed); default 2, at most 9. */
  minFractionDigits?: number;
};

/** Formats nano-USD as a decimal USD string with no loss: `formatNanoUsd(3_250_000_000n) === "3.25"`. */
export function formatNanoUsd(amountNanoUsd: NanoUsd, options: FormatNanoUsdOptions = {}): string {
  const minDigits = Math.min(NANO_USD_SCALE, Math.max(0, options.minFractionDigits ?? 2));
  const negative = amountNanoUsd < 0n;
  const magnitude = negative ? -amountNanoUsd : amountNanoUsd;
  const whole = magnitude / NANO_USD_PER_USD;
  let fraction = (magnitude % NANO_USD_PER_USD).toString().padStart(NANO_USD_SCALE, '0');
  while (fraction.length > minDigits && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  const body = fraction.length > 0 ? `${whole}.${fraction}` : whole.toString();
  return negative ? `-${body}` : body;
}

/**
 * Reads an integer nano-USD amount as it travels in JSON events and comes back from Postgres `bigint`
 * columns (a decimal integer string, since JSON numbers lose precision above 2^53).
 */
export function parseNanoUsd(value: string | bigint): NanoUsd {
  if (typeof value === 'bigint') return value;
  if (!/^-?\d+$/.test(value))
    throw new MoneyError('money.invalid_amount', `not an integer nano-USD amount: "${value}"`);
  return BigInt(value);
}
