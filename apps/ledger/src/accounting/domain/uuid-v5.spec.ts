import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { accountUuid, SLUICE_LEDGER_NAMESPACE, type AccountId } from './accounts';
import { deriveTransferId } from './transfer';
import { uuidV5In } from './uuid-v5';

// Transfer ids and account UUIDs are part of the books: the node:crypto derivation must give exactly the
// ids the `uuid` package gave before it, for every input.
describe('uuidV5In', () => {
  const ledger = uuidV5In(SLUICE_LEDGER_NAMESPACE);

  it('equals uuid v5 for transfer-id shaped names', () => {
    const legs = ['provider_cost', 'margin', 'rounding', 'subsidy', 'hold', 'top_up', 'overdraft.draw'];
    for (let i = 0; i < 5_000; i++) {
      const name = `${uuidv7()}/${legs[i % legs.length]!}`;
      assert.equal(ledger(name), uuidv5(name, SLUICE_LEDGER_NAMESPACE));
    }
  });

  it('equals uuid v5 for any string (unicode, empty, long) and any namespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uuid(), (name, ns) => {
        assert.equal(uuidV5In(ns)(name), uuidv5(name, ns));
        assert.equal(ledger(name), uuidv5(name, SLUICE_LEDGER_NAMESPACE));
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps the ids the books already hold', () => {
    const event = '0192f1e4-7c1a-7b3e-9d2a-5f6e7d8c9b0a';
    assert.equal(
      deriveTransferId(event, 'provider_cost'),
      uuidv5(`${event}/provider_cost`, SLUICE_LEDGER_NAMESPACE),
    );
    const team = 'team:acme' as AccountId;
    assert.equal(accountUuid(team), uuidv5('account:team:acme', SLUICE_LEDGER_NAMESPACE));
    // Fixed values, so that a change of both implementations at once is caught too.
    assert.equal(accountUuid(team), '46e2ca01-e076-5549-81af-235a19d96e97');
    assert.equal(deriveTransferId(event, 'provider_cost'), '31f4f6d4-ba22-501f-a2a9-fe8e7979d631');
    assert.match(accountUuid(team), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('refuses a namespace that is not a UUID', () => {
    assert.throws(() => uuidV5In('not-a-uuid'), TypeError);
  });
});
