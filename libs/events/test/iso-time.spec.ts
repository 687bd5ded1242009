import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isoTime } from '../src';

describe('isoTime', () => {
  it("is Date's toISOString for any millisecond time, in any order (the per-second prefix is reused only within its second) (property)", () => {
    const max = 253402300799999; // 9999-12-31T23:59:59.999Z
    const near = fc.integer({ min: 1_700_000_000_000, max: 1_700_000_005_000 }); // a few seconds: prefix reuse and change
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max }), near), { maxLength: 50 }), (times) => {
        for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
      }),
      { numRuns: 300 },
    );
  });

  it('gives what Date gives at the edges: fractions, before 1970, six-digit years; throws as Date does', () => {
    for (const ms of [
      0, 999, 1000, 1.5, 1_700_000_000_999.9, -1, -86_400_001, 253402300799999, 253402300800000, 8.64e15,
    ])
      assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
    assert.throws(() => isoTime(Number.NaN), RangeError);
    assert.throws(() => isoTime(8.64e15 + 1), RangeError);
  });
});
