import { MoneyError } from './money-error';

/**
 * `up` rounds away from zero (ceiling for the non-negative amounts money math here deals in), `down` towards
 * zero, `half-even` to the nearest with ties to the even neighbour (banker's rounding).
 */
export type RoundingMode = 'up' | 'down' | 'half-even';

export type RoundedQuotient = {
  /** The rounded integer quotient. */
  quotient: bigint;
  /**
   * `quotient * denominator - numerator`: what rounding added, in units of 1/denominator. Zero when the
   * division was exact; positive when rounding went up, negative when it went down.
   */
  roundingRemainder: bigint;
};

/** Exact integer division of a non-negative numerator by a positive denominator, rounded by `mode`. */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): RoundedQuotient {
  if (denominator <= 0n) throw new MoneyError('money.invalid_amount', 'denominator must be positive');
  if (numerator < 0n) throw new MoneyError('money.invalid_amount', 'numerator must not be negative');
  const floor = numerator / denominator;
  const rest = numerator % denominator;
  let quotient = floor;
  if (rest !== 0n) {
    switch (mode) {
      case 'down':
        break;
      case 'up':
        quotient = floor + 1n;
        break;
      case 'half-even': {
        const twice = rest * 2n;
        if (twice > denominator || (twice === denominator && floor % 2n === 1n)) quotient = floor + 1n;
        break;
      }
    }
  }
  return { quotient, roundingRemainder: quotient * denominator - numerator };
}
