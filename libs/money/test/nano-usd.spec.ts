import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MoneyError, formatNanoUsd, parseNanoUsd, usdToNano } from '@sluice/money';

describe('usdToNano', () => {
  it('parses decimal strings exactly', () => {
    assert.equal(usdToNano('3.25'), 3_250_000_000n);
    assert.equal(usdToNano('0.000000001'), 1n);
    assert.equal(usdToNano('12'), 12_000_000_000n);
    assert.equal(usdToNano('-0.5'), -500_000_000n);
    assert.equal(usdToNano('+1.10'), 1_100_000_000n);
    assert.equal(usdToNano('0.0000000010000'), 1n);
    assert.equal(usdToNano('9223372036.854775807'), 9_223_372_036_854_775_807n);
  });

  it('refuses input it would have to round or guess', () => {
    const codeOf = (s: string): string => {
      try {
        usdToNano(s);
        return 'ok';
      } catch (err) {
        assert.ok(err instanceof MoneyError);
        return err.code;
      }
    };
    assert.equal(codeOf('0.0000000001'), 'money.precision_loss');
    assert.equal(codeOf('1e3'), 'money.invalid_amount');
    assert.equal(codeOf('1,5'), 'money.invalid_amount');
    assert.equal(codeOf('.5'), 'money.invalid_amount');
    assert.equal(codeOf(''), 'money.invalid_amount');
    assert.equal(codeOf('NaN'), 'money.invalid_amount');
  });
});

describe('formatNanoUsd', () => {
  it('formats with at least two fraction digits and no float on the way', () => {
    assert.equal(formatNanoUsd(3_250_000_000n), '3.25');
    assert.equal(formatNanoUsd(1n), '0.000000001');
    assert.equal(formatNanoUsd(-1_000_000_000n), '-1.00');
    assert.equal(formatNanoUsd(0n), '0.00');
    assert.equal(formatNanoUsd(1_234_500_000n, { minFractionDigits: 9 }), '1.234500000');
    assert.equal(formatNanoUsd(7_000_000_000n, { minFractionDigits: 0 }), '7');
    // 2^63 - 1 would be 9223372036.854775807 USD: a double cannot hold it, the string must.
    assert.equal(formatNanoUsd(9_223_372_036_854_775_807n), '9223372036.854775807');
  });

  it('round-trips any amount, however large (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
        fc.integer({ min: 0, max: 9 }),
        (n, digits) => {
          assert.equal(usdToNano(formatNanoUsd(n, { minFractionDigits: digits })), n);
        },
      ),
    );
  });

  it('parses what it is given digit by digit (property)', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(digits(1, 30), digits(0, 9), fc.boolean(), (whole, fraction, negative) => {
        const text = `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
        const expected = BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
        assert.equal(usdToNano(text), negative ? -expected : expected);
      }),
    );
  });
});

describe('parseNanoUsd', () => {
  it('reads integer strings from JSON and Postgres bigint columns', () => {
    assert.equal(parseNanoUsd('9223372036854775807'), 9_223_372_036_854_775_807n);
    assert.equal(parseNanoUsd('-5'), -5n);
    assert.equal(parseNanoUsd(7n), 7n);
    assert.throws(() => parseNanoUsd('1.5'), MoneyError);
    assert.throws(() => parseNanoUsd('0x10'), MoneyError);
  });
});
