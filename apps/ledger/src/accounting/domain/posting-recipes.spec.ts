import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAccountingError } from './accounting.errors';
import { DEFAULT_PRICE_PUBLICATIONS } from './default-price-catalogue';
import { eventId, usageData } from './accounting.fixtures';
import { LedgerState, postedBalance } from './ledger-state';
import { applyPricePublished, buildPriceCatalogue } from './price-catalogue';
import {
  postCorrection,
  postCreditExpiry,
  postHoldCancelled,
  postHoldDelivered,
  postHoldExpired,
  postHoldPlaced,
  postTopUp,
  postUsage,
  postUsageWithCosting,
} from './posting-recipes';
import type { Transfer } from './transfer';

// Golden tests: one event in, the exact transfers out (ids included, which pins the id derivation).

const catalogue = buildPriceCatalogue(DEFAULT_PRICE_PUBLICATIONS);
const AT = '2026-11-01T12:00:00.000Z';
const base = {
  ledger: 'usd-nano',
  pendingId: null,
  timeoutAt: null,
  correctsTransferId: null,
  bookedAt: AT,
} as const;

describe('usage on a provider', () => {
  it('charges the team the list price, all of it payable to the provider', () => {
    const event = {
      id: eventId(1),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        requestId: 'req-1',
        provider: 'openai',
        modelRequested: 'gpt-5.4',
        modelServed: 'gpt-5.4-2026-03-05',
        usage: { inputUncachedTokens: 1200, cacheReadTokens: 300, outputTokens: 450, reasoningTokens: 200 },
      }),
    };
    // 1200 x $2.50 + 300 x $0.25 + 450 x $15.00 per million = $0.009825
    const expected: Transfer[] = [
      {
        ...base,
        id: '2fbf0954-bc9c-5f67-b6f3-9a6335b9da5b',
        kind: 'single',
        debitAccountId: 'team:acme',
        creditAccountId: 'provider:openai',
        amountNanoUsd: 9_825_000n,
        code: 'usage.provider_cost',
        eventId: eventId(1),
        leg: 'provider_cost',
        ref: {
          requestId: 'req-1',
          provider: 'openai',
          model: 'gpt-5.4-2026-03-05',
          listPriceVersion: '1',
          teamPriceVersion: '',
          priceBasis: 'list',
          tier: 'standard',
          teamExactFemtoUsd: '9825000000000',
          providerExactFemtoUsd: '9825000000000',
        },
      },
    ];
    assert.deepEqual(postUsage(event, { catalogue }), expected);
  });

  it('posts margin to revenue and the sub-nano leftovers to rounding', () => {
    const withMargin = applyPricePublished(catalogue, {
      version: 3,
      effectiveFrom: '2026-01-01T00:00:00Z',
      scope: { kind: 'list' },
      marginBps: 1500,
    });
    const event = {
      id: eventId(2),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        provider: 'anthropic',
        modelServed: 'claude-haiku-4-5-20251001',
        usage: { inputUncachedTokens: 1000, cacheReadTokens: 2000, cacheWriteTokens: 3, outputTokens: 500 },
      }),
    };
    const { transfers, costing } = postUsageWithCosting(event, { catalogue: withMargin });
    // List: 1000 x $1 + 2000 x $0.10 + 3 x $1.25 + 500 x $5 = 3,703,750 nano exactly.
    // Team (+15%, per-price): $1.15, $0.115, $1.4375, $5.75 -> 4,259,312.5 nano, charged 4,259,313.
    // Margin: floor(555,562.5) = 555,562. Rounding: 4,259,313 - 3,703,750 - 555,562 = 1.
    assert.deepEqual(
      transfers.map((t) => [t.id, t.leg, t.debitAccountId, t.creditAccountId, t.amountNanoUsd, t.code]),
      [
        [
          'e0cc1478-646a-5faa-a774-5322abe32612',
          'provider_cost',
          'team:acme',
          'provider:anthropic',
          3_703_750n,
          'usage.provider_cost',
        ],
        [
          'd3de921f-280f-55d3-b706-5156c4a65d7a',
          'margin',
          'team:acme',
          'platform:revenue',
          555_562n,
          'usage.margin',
        ],
        [
          '7fad88ed-2eb1-588c-994d-6f1be1799dd0',
          'rounding',
          'team:acme',
          'platform:rounding',
          1n,
          'usage.rounding',
        ],
      ],
    );
    assert.equal(costing?.chargeNanoUsd, 4_259_313n);
    assert.equal(costing?.teamExactFemtoUsd, 4_259_312_500_000n);
    assert.equal(transfers[0]?.ref.teamPriceVersion, '3');
  });

  it('books a negotiated rate below list as a subsidy from revenue', () => {
    const negotiated = applyPricePublished(catalogue, {
      version: 3,
      effectiveFrom: '2026-01-01T00:00:00Z',
      scope: { kind: 'team', teamId: 'acme' },
      entries: [
        {
          provider: 'gemini',
          model: 'gemini-2.5-flash*',
          rates: {
            inputNanoUsdPerMTok: '200000000',
            outputNanoUsdPerMTok: '2000000000',
            cacheReadNanoUsdPerMTok: '20000000',
            cacheWriteNanoUsdPerMTok: '200000000',
          },
          source: 'contract ACME-2026-01',
          sourceDate: '2026-01-01',
        },
      ],
    });
    const event = {
      id: eventId(3),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        provider: 'gemini',
        modelServed: 'gemini-2.5-flash',
        usage: { inputUncachedTokens: 1000, outputTokens: 100 },
      }),
    };
    // List 1000 x $0.30 + 100 x $2.50 = 550,000 nano; negotiated 1000 x $0.20 + 100 x $2.00 = 400,000 nano.
    assert.deepEqual(
      postUsage(event, { catalogue: negotiated }).map((t) => [
        t.id,
        t.debitAccountId,
        t.creditAccountId,
        t.amountNanoUsd,
        t.ref.priceBasis,
      ]),
      [
        ['8c4b5d6f-9064-5fa8-8e4c-2e5ccd4c9fa9', 'team:acme', 'provider:gemini', 400_000n, 'negotiated'],
        [
          '5d05c69e-e5df-5d26-8ce8-7faf93158d82',
          'platform:revenue',
          'provider:gemini',
          150_000n,
          'negotiated',
        ],
      ],
    );
  });

  it('books usage that overruns the team credit in full, drawing the shortfall on its receivable', () => {
    const event = {
      id: eventId(5),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        provider: 'openai',
        modelServed: 'gpt-5.4',
        usage: { inputUncachedTokens: 1200, cacheReadTokens: 300, outputTokens: 450 },
      }),
    };
    // $0.009825 charged, $0.001 available: $0.008825 drawn first, so the team ends at exactly zero.
    const transfers = postUsage(event, { catalogue, teamAvailableNanoUsd: 1_000_000n });
    assert.deepEqual(
      transfers.map((t) => [t.id, t.code, t.debitAccountId, t.creditAccountId, t.amountNanoUsd]),
      [
        [
          'eefcf029-cb2c-5b79-9a0d-37e087847f7f',
          'overdraft.draw',
          'receivable:acme',
          'team:acme',
          8_825_000n,
        ],
        [
          'f9135798-26a0-56f1-9e4d-49867c24024a',
          'usage.provider_cost',
          'team:acme',
          'provider:openai',
          9_825_000n,
        ],
      ],
    );
    const books = new LedgerState();
    books.apply(
      postTopUp({
        id: eventId(9),
        occurredAt: AT,
        data: { teamId: 'acme', amountNanoUsd: '1000000', source: 'manual', reference: null },
      }),
    );
    books.apply(transfers);
    assert.deepEqual(
      [postedBalance(books.balance('team:acme')), postedBalance(books.balance('receivable:acme'))],
      [0n, 8_825_000n],
    );
    assert.deepEqual(books.checkInvariants(), []);
    // Without the team's balance in the context, the same usage is refused rather than overdrawn.
    assert.throws(
      () => new LedgerState().apply(postUsage(event, { catalogue })),
      (e: unknown) => isAccountingError(e, 'exceeds_credits'),
    );
  });

  it('books nothing for a request that used no tokens, and refuses tokens it cannot attribute', () => {
    assert.deepEqual(
      postUsage(
        { id: eventId(4), occurredAt: AT, data: usageData({ teamId: 'acme', status: 401, usage: {} }) },
        { catalogue },
      ),
      [],
    );
    assert.throws(
      () =>
        postUsage(
          { id: eventId(4), occurredAt: AT, data: usageData({ teamId: 'acme', usage: { outputTokens: 5 } }) },
          { catalogue },
        ),
      (e: unknown) => isAccountingError(e, 'usage_unattributable'),
    );
    assert.throws(
      () =>
        postUsage(
          {
            id: eventId(4),
            occurredAt: AT,
            data: usageData({
              teamId: 'acme',
              provider: 'openai',
              modelServed: 'gpt-unknown',
              usage: { outputTokens: 5 },
            }),
          },
          { catalogue },
        ),
      (e: unknown) => isAccountingError(e, 'price_not_found'),
    );
  });
});

describe('top-up', () => {
  it('moves money from the cash source to the team', () => {
    const transfers = postTopUp({
      id: eventId(10),
      occurredAt: AT,
      data: { teamId: 'acme', amountNanoUsd: '25000000000', source: 'stripe', reference: 'ch_123' },
    });
    assert.deepEqual(transfers, [
      {
        ...base,
        id: '8cf93010-9ad9-5b54-8daf-e6a5fcf2b42c',
        kind: 'single',
        debitAccountId: 'cash:stripe',
        creditAccountId: 'team:acme',
        amountNanoUsd: 25_000_000_000n,
        code: 'top_up',
        eventId: eventId(10),
        leg: 'top_up',
        ref: { reference: 'ch_123' },
      },
    ]);
  });
});

describe('top-up repaying an overdraft', () => {
  it('repays what the team owes first, the rest is credit', () => {
    const transfers = postTopUp(
      {
        id: eventId(12),
        occurredAt: AT,
        data: { teamId: 'acme', amountNanoUsd: '5000000', source: 'stripe', reference: null },
      },
      { teamOwedNanoUsd: 2_000_000n },
    );
    assert.deepEqual(
      transfers.map((t) => [t.id, t.code, t.debitAccountId, t.creditAccountId, t.amountNanoUsd]),
      [
        ['2f739a9f-aab8-51c6-9323-77d368601718', 'top_up', 'cash:stripe', 'team:acme', 5_000_000n],
        [
          'dd6503d3-d183-553b-a204-0561c9e921d1',
          'overdraft.repay',
          'team:acme',
          'receivable:acme',
          2_000_000n,
        ],
      ],
    );
    const small = postTopUp(
      {
        id: eventId(12),
        occurredAt: AT,
        data: { teamId: 'acme', amountNanoUsd: '500000', source: 'stripe', reference: null },
      },
      { teamOwedNanoUsd: 2_000_000n },
    );
    assert.equal(small[1]?.amountNanoUsd, 500_000n, 'a top-up smaller than the debt repays all of itself');
  });
});

describe('credit expiry', () => {
  it('expires the unspent part, capped at what the team has available', () => {
    const event = {
      id: eventId(11),
      occurredAt: AT,
      data: { teamId: 'acme', amountNanoUsd: '10000000000', grantReference: 'promo-2026' },
    };
    assert.deepEqual(postCreditExpiry(event, { teamAvailableNanoUsd: 4_000_000_000n }), [
      {
        ...base,
        id: '6741d6ad-1cb0-5e9b-a809-8f32424669ec',
        kind: 'single',
        debitAccountId: 'team:acme',
        creditAccountId: 'platform:expired-credit',
        amountNanoUsd: 4_000_000_000n,
        code: 'credit_expiry',
        eventId: eventId(11),
        leg: 'credit_expiry',
        ref: { requestedNanoUsd: '10000000000', grantReference: 'promo-2026' },
      },
    ]);
    assert.deepEqual(postCreditExpiry(event, { teamAvailableNanoUsd: 0n }), []);
  });
});

describe('correction', () => {
  it('reverses the original transfers and books the replacement, never editing', () => {
    const original = {
      id: eventId(1),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        provider: 'openai',
        modelServed: 'gpt-5.4',
        usage: { inputUncachedTokens: 1200, cacheReadTokens: 300, outputTokens: 450 },
      }),
    };
    const originalTransfers = postUsage(original, { catalogue });
    const correctionAt = '2026-11-03T09:00:00.000Z';
    const replacement = postUsage(
      {
        id: eventId(30),
        occurredAt: correctionAt,
        data: { ...original.data, usage: { ...original.data.usage, outputTokens: 400 } },
      },
      { catalogue, pricedAt: original.occurredAt },
    );
    const transfers = postCorrection(
      {
        id: eventId(30),
        occurredAt: correctionAt,
        data: { correctsEventId: eventId(1), reason: 'provider invoice counts 400 output tokens' },
      },
      { originalTransfers, replacement },
    );
    assert.deepEqual(
      transfers.map((t) => [
        t.id,
        t.code,
        t.debitAccountId,
        t.creditAccountId,
        t.amountNanoUsd,
        t.correctsTransferId,
        t.bookedAt,
      ]),
      [
        [
          'f6d30a24-394a-5479-8bd1-afee7dd7ec86',
          'correction.reversal',
          'provider:openai',
          'team:acme',
          9_825_000n,
          '2fbf0954-bc9c-5f67-b6f3-9a6335b9da5b',
          correctionAt,
        ],
        // 1200 x $2.50 + 300 x $0.25 + 400 x $15.00 = $0.009075
        [
          '66fee693-6315-5175-b2ea-4ec9bb673d5a',
          'usage.provider_cost',
          'team:acme',
          'provider:openai',
          9_075_000n,
          null,
          correctionAt,
        ],
      ],
    );
    assert.equal(transfers[0]?.ref.reason, 'provider invoice counts 400 output tokens');
    assert.throws(
      () =>
        postCorrection(
          { id: eventId(31), occurredAt: correctionAt, data: { correctsEventId: eventId(1), reason: 'x' } },
          { originalTransfers, replacement },
        ),
      (e: unknown) => isAccountingError(e, 'event_invalid'),
    );
  });
});

describe('correction of overdrawn usage', () => {
  it('refunds the charge to the team credit and leaves the overdraft owed', () => {
    const original = {
      id: eventId(5),
      occurredAt: AT,
      data: usageData({
        teamId: 'acme',
        provider: 'openai',
        modelServed: 'gpt-5.4',
        usage: { outputTokens: 1000 },
      }),
    };
    const originalTransfers = postUsage(original, { catalogue, teamAvailableNanoUsd: 0n });
    assert.deepEqual(
      originalTransfers.map((t) => t.code),
      ['overdraft.draw', 'usage.provider_cost'],
    );
    const transfers = postCorrection(
      { id: eventId(32), occurredAt: AT, data: { correctsEventId: eventId(5), reason: 'not our request' } },
      { originalTransfers, replacement: [] },
    );
    assert.deepEqual(
      transfers.map((t) => [
        t.code,
        t.debitAccountId,
        t.creditAccountId,
        t.amountNanoUsd,
        t.correctsTransferId,
      ]),
      [['correction.reversal', 'provider:openai', 'team:acme', 15_000_000n, originalTransfers[1]!.id]],
    );
  });
});

describe('marketplace holds', () => {
  const placed = {
    id: eventId(20),
    occurredAt: AT,
    data: {
      buyerTeamId: 'buyer',
      sellerId: 'seller-1',
      maxAmountNanoUsd: '50000000',
      timeoutSeconds: 600,
      requestId: 'req-9',
    },
  };
  const [hold] = postHoldPlaced(placed);

  it('reserves the worst case on the buyer, pending into escrow with a timeout', () => {
    assert.deepEqual(hold, {
      ...base,
      id: 'd69e418b-9f9e-53df-8b7c-9730d97caf5d',
      kind: 'pending',
      debitAccountId: 'team:buyer',
      creditAccountId: 'marketplace:escrow',
      amountNanoUsd: 50_000_000n,
      code: 'marketplace.hold',
      timeoutAt: '2026-11-01T12:10:00.000Z',
      eventId: eventId(20),
      leg: 'hold',
      ref: { sellerId: 'seller-1', requestId: 'req-9' },
    });
  });

  it('on delivery posts the actual cost and splits it between seller and platform fee', () => {
    const delivered = postHoldDelivered(
      {
        id: eventId(21),
        occurredAt: '2026-11-01T12:01:00.000Z',
        data: { holdEventId: eventId(20), actualAmountNanoUsd: '30000000', feeNanoUsd: '1500000' },
      },
      { hold: hold! },
    );
    assert.deepEqual(
      delivered.map((t) => [
        t.id,
        t.kind,
        t.debitAccountId,
        t.creditAccountId,
        t.amountNanoUsd,
        t.pendingId,
        t.code,
      ]),
      [
        [
          'ddd5fc16-c5f8-59ee-8bf2-34ff720e39d7',
          'post',
          'team:buyer',
          'marketplace:escrow',
          30_000_000n,
          hold!.id,
          'marketplace.hold',
        ],
        [
          '20fd3b4c-6f4a-5fab-942d-4e147af74fad',
          'single',
          'marketplace:escrow',
          'seller:seller-1',
          28_500_000n,
          null,
          'marketplace.seller_earning',
        ],
        [
          '8ddc0c20-e71d-5875-9d27-b090d7c2da62',
          'single',
          'marketplace:escrow',
          'platform:revenue',
          1_500_000n,
          null,
          'marketplace.fee',
        ],
      ],
    );
    // Applied: the buyer pays 30M of the 50M reserved, escrow nets to zero.
    const books = new LedgerState();
    books.apply(
      postTopUp({
        id: eventId(19),
        occurredAt: AT,
        data: { teamId: 'buyer', amountNanoUsd: '100000000', source: 'manual', reference: null },
      }),
    );
    books.apply([hold!]);
    books.apply(delivered);
    assert.deepEqual(books.balance('team:buyer'), {
      id: 'team:buyer',
      debitsPosted: 30_000_000n,
      creditsPosted: 100_000_000n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
    const escrow = books.balance('marketplace:escrow');
    assert.equal(escrow.creditsPosted - escrow.debitsPosted, 0n);
    assert.deepEqual(books.checkInvariants(), []);
  });

  it('voids on cancel and expires on timeout, releasing the whole reservation', () => {
    const [voided] = postHoldCancelled(
      { id: eventId(22), occurredAt: '2026-11-01T12:02:00.000Z', data: { holdEventId: eventId(20) } },
      { hold: hold! },
    );
    assert.deepEqual(
      [
        voided?.id,
        voided?.kind,
        voided?.amountNanoUsd,
        voided?.pendingId,
        voided?.debitAccountId,
        voided?.creditAccountId,
      ],
      [
        'dff0838e-f065-5b05-a3f5-e55113a33d80',
        'void',
        50_000_000n,
        hold!.id,
        'team:buyer',
        'marketplace:escrow',
      ],
    );
    const [expired] = postHoldExpired(
      { id: eventId(23), occurredAt: '2026-11-01T12:10:00.000Z', data: { holdEventId: eventId(20) } },
      { hold: hold! },
    );
    assert.deepEqual(
      [expired?.id, expired?.kind, expired?.amountNanoUsd, expired?.pendingId],
      ['8667127d-fe6c-5c18-9ec6-49f6848cfc14', 'expire', 50_000_000n, hold!.id],
    );
    // A delivery of zero is a void, not a zero-amount post.
    const zero = postHoldDelivered(
      {
        id: eventId(24),
        occurredAt: AT,
        data: { holdEventId: eventId(20), actualAmountNanoUsd: '0', feeNanoUsd: '0' },
      },
      { hold: hold! },
    );
    assert.deepEqual(
      zero.map((t) => t.kind),
      ['void'],
    );
  });

  it('refuses a context that is not the hold the event names', () => {
    assert.throws(
      () =>
        postHoldCancelled(
          { id: eventId(22), occurredAt: AT, data: { holdEventId: eventId(99) } },
          { hold: hold! },
        ),
      (e: unknown) => isAccountingError(e, 'pending_transfer_not_found'),
    );
  });
});
