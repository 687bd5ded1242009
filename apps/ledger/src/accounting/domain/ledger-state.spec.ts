import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isAccountingError, type AccountingErrorCode } from './accounting.errors';
import { accountSpec, accountUuid, SLUICE_LEDGER_NAMESPACE } from './accounts';
import { availableBalance, LedgerState, postedBalance } from './ledger-state';
import { deriveTransferId, makeTransfer, transferBodyHash, type Transfer } from './transfer';

const T0 = '2026-11-01T12:00:00.000Z';
const T1 = '2026-11-01T12:05:00.000Z';
const T2 = '2026-11-01T12:20:00.000Z';

const topUp = (n: string, team: string, amount: bigint): Transfer =>
  makeTransfer({
    eventId: n,
    leg: 'top_up',
    code: 'top_up',
    debitAccountId: 'cash:manual',
    creditAccountId: `team:${team}`,
    amountNanoUsd: amount,
    bookedAt: T0,
  });
const spend = (n: string, team: string, amount: bigint, leg = 'provider_cost'): Transfer =>
  makeTransfer({
    eventId: n,
    leg,
    code: 'usage.provider_cost',
    debitAccountId: `team:${team}`,
    creditAccountId: 'provider:openai',
    amountNanoUsd: amount,
    bookedAt: T0,
  });
const hold = (n: string, amount: bigint): Transfer =>
  makeTransfer({
    eventId: n,
    leg: 'hold',
    kind: 'pending',
    code: 'marketplace.hold',
    debitAccountId: 'team:a',
    creditAccountId: 'marketplace:escrow',
    amountNanoUsd: amount,
    bookedAt: T0,
    timeoutAt: '2026-11-01T12:10:00.000Z',
  });
const resolve = (
  n: string,
  pending: Transfer,
  kind: 'post' | 'void' | 'expire',
  amount: bigint,
  at: string,
): Transfer =>
  makeTransfer({
    eventId: n,
    leg: kind,
    kind,
    code: 'marketplace.hold',
    debitAccountId: pending.debitAccountId,
    creditAccountId: pending.creditAccountId,
    amountNanoUsd: amount,
    pendingId: pending.id,
    bookedAt: at,
  });

const refusedWith = (code: AccountingErrorCode) => (e: unknown) => isAccountingError(e, code);

describe('transfer ids', () => {
  it('are RFC 4122 UUIDv5 of "<eventId>/<leg>" in the ledger namespace', () => {
    // Recompute v5 by hand (SHA-1 of namespace bytes + name, version and variant bits set) to pin the scheme.
    const ns = Buffer.from(SLUICE_LEDGER_NAMESPACE.replace(/-/g, ''), 'hex');
    const bytes = createHash('sha1')
      .update(Buffer.concat([ns, Buffer.from('evt-1/provider_cost')]))
      .digest()
      .subarray(0, 16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x50;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    assert.equal(deriveTransferId('evt-1', 'provider_cost'), expected);
    assert.notEqual(deriveTransferId('evt-1', 'margin'), expected);
    assert.match(
      accountUuid('team:acme'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('chart of accounts', () => {
  it('knows each account kind, its normal side and limits', () => {
    assert.deepEqual(
      [
        'team:a',
        'receivable:a',
        'provider:openai',
        'seller:s',
        'cash:stripe',
        'marketplace:escrow',
        'platform:revenue',
        'platform:rounding',
        'platform:expired-credit',
      ].map((id) => {
        const s = accountSpec(id);
        return [s.kind, s.normalSide, s.flags.debitsMustNotExceedCredits, s.flags.creditsMustNotExceedDebits];
      }),
      [
        ['team', 'credit', true, false],
        ['receivable', 'debit', false, true],
        ['provider', 'credit', false, false],
        ['seller', 'credit', false, false],
        ['cash', 'debit', false, false],
        ['marketplace-escrow', 'credit', true, false],
        ['platform-revenue', 'credit', false, false],
        ['platform-rounding', 'credit', false, false],
        ['expired-credit', 'credit', false, false],
      ],
    );
    assert.throws(() => accountSpec('teams:a'), refusedWith('account_not_found'));
    assert.throws(() => accountSpec('team:'), refusedWith('account_not_found'));
  });
});

describe('LedgerState', () => {
  it('applies single transfers and keeps debits equal to credits', () => {
    const books = new LedgerState();
    books.apply([topUp('e1', 'a', 1000n)]);
    books.apply([spend('e2', 'a', 300n)]);
    assert.equal(postedBalance(books.balance('team:a')), 700n);
    assert.equal(postedBalance(books.balance('cash:manual')), 1000n);
    assert.equal(postedBalance(books.balance('provider:openai')), 300n);
    assert.deepEqual(books.totals(), {
      debitsPosted: 1300n,
      creditsPosted: 1300n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
    assert.deepEqual(books.checkInvariants(), []);
  });

  it('refuses to take a prepaid team below zero, and changes nothing', () => {
    const books = new LedgerState();
    books.apply([topUp('e1', 'a', 100n)]);
    assert.throws(() => books.apply([spend('e2', 'a', 101n)]), refusedWith('exceeds_credits'));
    assert.equal(postedBalance(books.balance('team:a')), 100n);
    assert.deepEqual(books.checkInvariants(), []);
  });

  it('applies a linked group all or nothing', () => {
    const books = new LedgerState();
    books.apply([topUp('e1', 'a', 100n)]);
    assert.throws(
      () => books.apply([spend('e2', 'a', 60n, 'one'), spend('e2', 'a', 60n, 'two')]),
      refusedWith('exceeds_credits'),
    );
    assert.equal(books.journalEntries().length, 1);
    assert.equal(postedBalance(books.balance('provider:openai')), 0n);
  });

  it('treats the same transfer again as a no-op and a different body under the same id as an error', () => {
    const books = new LedgerState();
    const t = topUp('e1', 'a', 100n);
    books.apply([t]);
    assert.deepEqual(books.apply([{ ...t }]), { applied: [], existing: [t] });
    assert.equal(postedBalance(books.balance('team:a')), 100n);
    assert.throws(
      () => books.apply([{ ...t, amountNanoUsd: 200n }]),
      refusedWith('exists_with_different_body'),
    );
    assert.notEqual(transferBodyHash(t), transferBodyHash({ ...t, amountNanoUsd: 200n }));
  });

  it('refuses malformed transfers', () => {
    const books = new LedgerState();
    assert.throws(() => books.apply([topUp('e1', 'a', 0n)]), refusedWith('amount_must_be_positive'));
    assert.throws(
      () => books.apply([{ ...topUp('e1', 'a', 1n), creditAccountId: 'cash:manual' }]),
      refusedWith('accounts_must_be_different'),
    );
    assert.throws(
      () => books.apply([{ ...topUp('e1', 'a', 1n), id: 'not-derived' }]),
      refusedWith('transfer_invalid'),
    );
    assert.throws(
      () => books.apply([{ ...topUp('e1', 'a', 1n), creditAccountId: 'nowhere:x' }]),
      refusedWith('account_not_found'),
    );
  });

  describe('two-phase', () => {
    const setup = (): { books: LedgerState; h: Transfer } => {
      const books = new LedgerState();
      books.apply([topUp('e1', 'a', 100n)]);
      const h = hold('h1', 80n);
      books.apply([h]);
      return { books, h };
    };

    it('reserves pessimistically: a pending hold counts against the balance at once', () => {
      const { books } = setup();
      assert.equal(availableBalance(books.balance('team:a')), 20n);
      assert.throws(() => books.apply([spend('e2', 'a', 21n)]), refusedWith('exceeds_credits'));
      assert.throws(() => books.apply([hold('h2', 21n)]), refusedWith('exceeds_credits'));
      assert.deepEqual(books.checkInvariants(), []);
    });

    it('posts part of a hold and releases the rest', () => {
      const { books, h } = setup();
      books.apply([resolve('p1', h, 'post', 30n, T1)]);
      assert.deepEqual(books.balance('team:a'), {
        id: 'team:a',
        debitsPosted: 30n,
        creditsPosted: 100n,
        debitsPending: 0n,
        creditsPending: 0n,
      });
      assert.equal(books.pendingStatus(h.id), 'posted');
      assert.deepEqual(books.checkInvariants(), []);
    });

    it('cannot post more than was held', () => {
      const { books, h } = setup();
      assert.throws(
        () => books.apply([resolve('p1', h, 'post', 81n, T1)]),
        refusedWith('exceeds_pending_transfer_amount'),
      );
    });

    it('voids and expires by releasing the whole hold', () => {
      const { books, h } = setup();
      books.apply([resolve('v1', h, 'void', 80n, T1)]);
      assert.equal(availableBalance(books.balance('team:a')), 100n);
      const again = setup();
      assert.throws(
        () => again.books.apply([resolve('x1', again.h, 'expire', 80n, T1)]),
        refusedWith('pending_transfer_not_expired'),
      );
      again.books.apply([resolve('x1', again.h, 'expire', 80n, T2)]);
      assert.equal(availableBalance(again.books.balance('team:a')), 100n);
      assert.equal(again.books.pendingStatus(again.h.id), 'expired');
      assert.deepEqual(again.books.checkInvariants(), []);
    });

    it('resolves a hold at most once, and not after it timed out', () => {
      const { books, h } = setup();
      books.apply([resolve('v1', h, 'void', 80n, T1)]);
      assert.throws(
        () => books.apply([resolve('p1', h, 'post', 10n, T1)]),
        refusedWith('pending_transfer_already_voided'),
      );
      assert.throws(
        () => books.apply([resolve('x1', h, 'expire', 80n, T2)]),
        refusedWith('pending_transfer_already_voided'),
      );
      const late = setup();
      assert.throws(
        () => late.books.apply([resolve('p1', late.h, 'post', 10n, T2)]),
        refusedWith('pending_transfer_expired'),
      );
      assert.throws(
        () => late.books.apply([resolve('v1', late.h, 'void', 79n, T1)]),
        refusedWith('transfer_invalid'),
      );
      assert.throws(
        () => late.books.apply([resolve('p1', topUp('e1', 'a', 100n), 'post', 10n, T1)]),
        (e: unknown) => isAccountingError(e),
      );
    });

    it('lists the holds due for the expiry sweep', () => {
      const { books, h } = setup();
      assert.deepEqual(books.pendingDueAt(T1), []);
      assert.deepEqual(books.pendingDueAt(T2), [h]);
    });
  });

  it('accepts a correction only of a transfer it knows', () => {
    const books = new LedgerState();
    books.apply([topUp('e1', 'a', 100n)]);
    const s = spend('e2', 'a', 40n);
    books.apply([s]);
    const reversal = (corrects: string): Transfer =>
      makeTransfer({
        eventId: 'c1',
        leg: `reversal:${corrects}`,
        code: 'correction.reversal',
        debitAccountId: 'provider:openai',
        creditAccountId: 'team:a',
        amountNanoUsd: 40n,
        bookedAt: T1,
        correctsTransferId: corrects,
      });
    assert.throws(() => books.apply([reversal('nope')]), refusedWith('corrected_transfer_not_found'));
    books.apply([reversal(s.id)]);
    assert.equal(postedBalance(books.balance('team:a')), 100n);
    // Reversed once only: a second correction of the same transfer would refund twice.
    const again = makeTransfer({
      eventId: 'c2',
      leg: `reversal:${s.id}`,
      code: 'correction.reversal',
      debitAccountId: 'provider:openai',
      creditAccountId: 'team:a',
      amountNanoUsd: 40n,
      bookedAt: T1,
      correctsTransferId: s.id,
    });
    assert.throws(() => books.apply([again]), refusedWith('transfer_already_corrected'));
    assert.equal(books.correctedBy(s.id), reversal(s.id).id);
    assert.deepEqual(books.checkInvariants(), []);
  });
});
