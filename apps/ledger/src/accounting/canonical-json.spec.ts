import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonical as chainCanonical } from './event-chain';
import { canonical as transferCanonical } from './domain/transfer';

// Transfer body hashes and the event chain's digests are part of the books: the canonical JSON they hash
// must stay the text the previous forms (below, as they were) produced, for any value.

function transferCanonicalBefore(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(transferCanonicalBefore).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${transferCanonicalBefore(v)}`).join(',')}}`;
}

function chainCanonicalBefore(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(chainCanonicalBefore).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${chainCanonicalBefore(v)}`).join(',')}}`;
}

const anything = (withBigInt: boolean) =>
  fc.anything({
    withBigInt,
    withBoxedValues: false,
    withNullPrototype: true,
    withSparseArray: true,
    withObjectString: true,
    withDate: true,
    withUnicodeString: true,
    maxDepth: 4,
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'a', 'B', 'é', '\u{1F600}', '10', '9', '')),
  });

describe('canonical JSON', () => {
  it('the transfer form gives the same text as before for any value (bigints, undefined, holes)', () => {
    fc.assert(
      fc.property(anything(true), (v) => {
        assert.equal(transferCanonical(v), transferCanonicalBefore(v));
      }),
      { numRuns: 5_000 },
    );
  });

  it('the event chain form gives the same text as before for any value without bigints', () => {
    fc.assert(
      fc.property(anything(false), (v) => {
        assert.equal(chainCanonical(v), chainCanonicalBefore(v));
      }),
      { numRuns: 5_000 },
    );
    const sparse = (last: unknown): unknown[] => {
      const a: unknown[] = new Array(4);
      a[0] = 1;
      a[1] = undefined;
      a[3] = last;
      return a;
    };
    assert.equal(chainCanonical(sparse({ b: undefined, a: [] })), '[1,null,,{"a":[],"b":null}]');
    assert.equal(transferCanonical(sparse({ b: undefined, a: 2n })), '[1,,,{"a":"2"}]');
  });
});
