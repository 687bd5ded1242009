import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MoneyError, costOf, divideRounded, type RoundingMode } from '@sluice/money';

const MODES: RoundingMode[] = ['up', 'down', 'half-even'];
const tokens = fc.bigInt({ min: 0n, max: 2n ** 53n });
// Up to $1,000,000 per million tokens: far above any real price, to push the arithmetic.
const price = fc.bigInt({ min: 0n, max: 1_000_000n * 1_000_000_000n });

describe('costOf', () => {
  it('prices a real request exactly', () => {
    // 1,234 tokens at $2.50 / MTok = $0.003085 exactly.
    const c = costOf(1234, 2_500_000_000n);
    assert.deepEqual(c, {
      costNanoUsd: 3_085_000n,
      exactCostFemtoUsd: 3_085_000_000_000n,
      roundingRemainderFemtoUsd: 0n,
      roundingMode: 'up',
    });
  });

  it('rounds sub-nano costs by the explicit mode and reports what rounding added', () => {
    // List prices are whole multiples of $0.001 / MTok, so one token costs a whole number of nano-USD and
    // rounding only bites on negotiated or margined prices finer than that, such as $0.000075 / MTok.
    assert.equal(costOf(1, 75_000_000n, 'up').roundingRemainderFemtoUsd, 0n);
    const tiny = costOf(1, 75_000n, 'up'); // 0.075 nano-USD exactly
    assert.equal(tiny.costNanoUsd, 1n);
    assert.equal(tiny.roundingRemainderFemtoUsd, 925_000n);
    assert.equal(costOf(1, 75_000n, 'down').costNanoUsd, 0n);
    assert.equal(costOf(1, 75_000n, 'half-even').costNanoUsd, 0n);
    assert.equal(costOf(1, 75_000n, 'half-even').roundingRemainderFemtoUsd, -75_000n);
  });

  it('breaks half-even ties towards the even neighbour', () => {
    assert.equal(divideRounded(5n, 2n, 'half-even').quotient, 2n);
    assert.equal(divideRounded(7n, 2n, 'half-even').quotient, 4n);
    assert.equal(divideRounded(6n, 4n, 'half-even').quotient, 2n);
    assert.equal(divideRounded(10n, 4n, 'half-even').quotient, 2n);
    assert.equal(costOf(1, 500_000n, 'half-even').costNanoUsd, 0n); // 0.5 nano -> 0
    assert.equal(costOf(3, 500_000n, 'half-even').costNanoUsd, 2n); // 1.5 nano -> 2
  });

  it('refuses negative tokens, negative prices and unsafe numbers', () => {
    assert.throws(
      () => costOf(-1, 1n),
      (e: unknown) => e instanceof MoneyError && e.code === 'money.invalid_tokens',
    );
    assert.throws(
      () => costOf(1, -1n),
      (e: unknown) => e instanceof MoneyError && e.code === 'money.invalid_price',
    );
    assert.throws(
      () => costOf(2 ** 60, 1n),
      (e: unknown) => e instanceof MoneyError && e.code === 'money.invalid_tokens',
    );
    assert.throws(() => costOf(1.5, 1n), MoneyError);
  });

  it('keeps rounding within its bounds and the books exact (property)', () => {
    fc.assert(
      fc.property(tokens, price, fc.constantFrom(...MODES), (t, p, mode) => {
        const c = costOf(t, p, mode);
        assert.equal(c.exactCostFemtoUsd, t * p);
        // Rounded cost minus what rounding added is the exact cost: nothing is lost.
        assert.equal(c.costNanoUsd * 1_000_000n - c.roundingRemainderFemtoUsd, c.exactCostFemtoUsd);
        const r = c.roundingRemainderFemtoUsd;
        if (mode === 'up') assert.ok(r >= 0n && r < 1_000_000n);
        if (mode === 'down') assert.ok(r <= 0n && r > -1_000_000n);
        if (mode === 'half-even') assert.ok(r >= -500_000n && r <= 500_000n);
      }),
    );
  });

  it('loses no precision at large values (property)', () => {
    // Compare against schoolbook decimal arithmetic on strings, which shares no code with bigint division.
    const decimalFloorDiv = (digits: string, shift: number): string =>
      digits.length > shift ? digits.slice(0, -shift) : '0';
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2n ** 40n, max: 2n ** 53n }),
        fc.bigInt({ min: 10n ** 12n, max: 10n ** 15n }),
        (t, p) => {
          const c = costOf(t, p, 'down');
          assert.equal(
            c.costNanoUsd.toString(),
            decimalFloorDiv((t * p).toString(), 6).replace(/^0+(?=\d)/, ''),
          );
          assert.ok(c.costNanoUsd > 2n ** 53n, 'well past the range a double holds exactly');
        },
      ),
    );
  });

  it('sums parts: rounding each part never drifts more than one nano-USD per part (property)', () => {
    fc.assert(
      fc.property(
        fc.array(tokens, { minLength: 1, maxLength: 8 }),
        price,
        fc.constantFrom(...MODES),
        (parts, p, mode) => {
          const total = parts.reduce((a, b) => a + b, 0n);
          const whole = costOf(total, p, mode);
          const pieces = parts.map((t) => costOf(t, p, mode));
          const exactSum = pieces.reduce((a, c) => a + c.exactCostFemtoUsd, 0n);
          assert.equal(exactSum, whole.exactCostFemtoUsd, 'exact costs are additive');
          const roundedSum = pieces.reduce((a, c) => a + c.costNanoUsd, 0n);
          const drift = roundedSum - whole.costNanoUsd;
          const n = BigInt(parts.length);
          if (mode === 'up') assert.ok(drift >= 0n && drift <= n - 1n, `up drift ${drift}`);
          if (mode === 'down') assert.ok(drift <= 0n && drift >= -(n - 1n), `down drift ${drift}`);
          if (mode === 'half-even') assert.ok(drift >= -n && drift <= n, `half-even drift ${drift}`);
        },
      ),
    );
  });
});
