import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentile, slotAt, totalMs } from '../bench/fixed-rate';

/** Walks the schedule millisecond by millisecond: per target, its warm-up and measured ms, and the slice order. */
function walk(n: number, warmupMs: number, measuredMs: number, sliceMs: number) {
  const warm = new Array<number>(n).fill(0);
  const measured = new Array<number>(n).fill(0);
  const order: number[] = [];
  const end = totalMs(n, warmupMs, measuredMs, sliceMs);
  for (let t = 0; t < end; t++) {
    const s = slotAt(t, n, warmupMs, measuredMs, sliceMs);
    assert.notEqual(s, null, `no slot at ${t} ms, before the end at ${end} ms`);
    if (s!.target < 0) continue;
    if (!s!.measured) warm[s!.target]! += 1;
    else {
      measured[s!.target]! += 1;
      if (order.at(-1) !== s!.target) order.push(s!.target);
    }
  }
  assert.equal(slotAt(end, n, warmupMs, measuredMs, sliceMs), null, 'the schedule does not end');
  return { warm, measured, order };
}

describe('bench/fixed-rate schedule', () => {
  it('gives one target its warm-up, then the measured time', () => {
    const { warm, measured, order } = walk(1, 3000, 20000, 5000);
    assert.deepEqual(warm, [3000]);
    assert.deepEqual(measured, [20000]);
    assert.deepEqual(order, [0]);
  });

  it('interleaves two targets A B B A … with equal measured time', () => {
    const { warm, measured, order } = walk(2, 3000, 20000, 5000);
    assert.deepEqual(warm, [3000, 3000]);
    assert.deepEqual(measured, [20000, 20000]);
    // Slices A B | B A | A B | B A: runs of the same target merge across a round's edge.
    assert.deepEqual(order, [0, 1, 0, 1, 0]);
  });

  it('cuts the last slice of each target short when the time is not a whole number of slices', () => {
    const { measured } = walk(2, 1000, 12000, 5000);
    assert.deepEqual(measured, [12000, 12000]);
    const three = walk(3, 1000, 7000, 5000);
    assert.deepEqual(three.measured, [7000, 7000, 7000]);
    assert.deepEqual(three.warm, [1000, 1000, 1000]);
    assert.deepEqual(three.order, [0, 1, 2, 1, 0]);
  });

  it('takes percentiles by rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.ok(Number.isNaN(percentile([], 99)));
  });
});
