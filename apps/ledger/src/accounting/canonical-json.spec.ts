import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonical as chainCanonical } from './event-chain';
import {
  assertWellFormed,
  canonical as transferCanonical,
  canonicalTransfer,
  makeTransfer,
  type Transfer,
} from './domain/transfer';

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

  it("a transfer's own form gives the generic text for transfers of any content, and for odd shapes", () => {
    const text = fc.string({ unit: 'binary' });
    const transfer = fc.record({
      id: fc.uuid(),
      kind: fc.constantFrom('single', 'pending', 'post', 'void', 'expire'),
      debitAccountId: text,
      creditAccountId: text,
      amountNanoUsd: fc.bigInt(),
      ledger: text,
      code: text,
      pendingId: fc.option(fc.uuid(), { nil: null }),
      timeoutAt: fc.option(text, { nil: null }),
      correctsTransferId: fc.option(fc.uuid(), { nil: null }),
      eventId: fc.uuid(),
      leg: text,
      bookedAt: text,
      ref: fc.dictionary(text, text),
    });
    // Odd shapes take the generic path: an extra key, a member left undefined, a value of another type.
    const odd = fc.tuple(transfer, fc.string(), anything(true), fc.constantFrom('add', 'undefine', 'retype'));
    fc.assert(
      fc.property(transfer, (t) => {
        assert.equal(canonicalTransfer(t as Transfer), transferCanonicalBefore(t));
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(odd, ([t, key, value, how]) => {
        const o: Record<string, unknown> = { ...t };
        if (how === 'add') o[key] = value;
        else if (how === 'undefine') o[key in o ? key : 'ref'] = undefined;
        else o['amountNanoUsd'] = value;
        assert.equal(canonicalTransfer(o as unknown as Transfer), transferCanonicalBefore(o));
      }),
      { numRuns: 3_000 },
    );
  });

  it('the id check remembers ids makeTransfer derived, and still catches a changed id, event or leg', () => {
    const t = makeTransfer({
      eventId: '0190f1c2-0000-7000-8000-000000000001',
      leg: 'provider_cost',
      debitAccountId: 'team:a',
      creditAccountId: 'provider:openai',
      amountNanoUsd: 5n,
      code: 'usage.provider_cost',
      bookedAt: '2026-11-01T00:00:00Z',
    });
    assertWellFormed(t);
    assertWellFormed({ ...t }); // a copy is derived again, and passes
    for (const changed of [
      { ...t, id: '0190f1c2-0000-7000-8000-000000000002' },
      { ...t, leg: 'margin' },
      { ...t, eventId: '0190f1c2-0000-7000-8000-000000000003' },
    ])
      assert.throws(() => assertWellFormed(changed), /id is not derived/);
    t.leg = 'margin'; // the remembered transfer itself, edited after it was made
    assert.throws(() => assertWellFormed(t), /id is not derived/);
  });
});
