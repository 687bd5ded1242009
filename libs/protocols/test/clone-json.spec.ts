import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cloneJson } from '../src/common/json';

describe('cloneJson', () => {
  it('copies any JSON value as structuredClone does (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.deepStrictEqual(cloneJson(v), structuredClone(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps an own __proto__ key a key (it must not become the prototype)', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const copy = cloneJson(parsed);
    assert.deepStrictEqual(copy, structuredClone(parsed));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  });

  it('shares nothing with the original and keeps undefined fields', () => {
    const original = { a: [{ b: 'x' }], c: { d: 1 }, e: undefined as undefined | number };
    const copy = cloneJson(original);
    copy.a[0]!.b = 'y';
    copy.c.d = 2;
    assert.deepStrictEqual(original, { a: [{ b: 'x' }], c: { d: 1 }, e: undefined });
    assert.ok('e' in copy);
  });
});
