import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EventEnvelope, NormalizedUsage } from '@sluice/events';
import {
  correctionEvent,
  eventId,
  expiryEvent,
  holdCancelledEvent,
  holdDeliveredEvent,
  holdExpiredEvent,
  holdPlacedEvent,
  priceEvent,
  topUpEvent,
  usageData,
  usageEvent,
} from './accounting.fixtures';
import { DEFAULT_PRICE_PUBLICATIONS } from './default-price-catalogue';
import { LedgerProjector, type HandleOutcome } from './ledger-projector';

// Property tests in the spirit of TigerBeetle's VOPR, sized for TypeScript: generated sequences of usage,
// top-up, hold/post/void/expire, credit expiry, correction and price events, delivered with duplicates and
// in any order (Kafka gives per-partition order only, and consumers crash and get redeliveries). After every
// step the books must balance and no hard-limited account may be below zero; replaying the same delivery
// gives identical books; duplicates change nothing. fast-check prints the seed and the shrunk counterexample
// of any failure, and `fc.assert(..., { seed })` replays it.

const START_MS = Date.parse('2026-11-01T00:00:00Z');
const at = (minutes: number): string => new Date(START_MS + minutes * 60_000).toISOString();
const TEAMS = ['t1', 't2'] as const;
const MODELS = [
  ['openai', 'gpt-5.4'],
  ['anthropic', 'claude-haiku-4-5-20251001'],
  ['gemini', 'gemini-2.5-pro'],
] as const;

const tokens = fc.integer({ min: 0, max: 300_000 });
const usage = fc.record({
  inputUncachedTokens: tokens,
  cacheReadTokens: fc.integer({ min: 0, max: 5_000 }),
  cacheWriteTokens: fc.integer({ min: 0, max: 2_000 }),
  outputTokens: fc.integer({ min: 0, max: 4_000 }),
  reasoningTokens: fc.constant(0),
});
const nano = (max: number) => fc.integer({ min: 1, max }).map(String);

type Intent =
  | { kind: 'topup'; team: number; amount: string }
  | {
      kind: 'usage';
      team: number;
      model: number;
      usage: NormalizedUsage;
    }
  | { kind: 'hold'; team: number; max: string; timeoutSeconds: number; then: Resolution | null }
  | { kind: 'deliver'; ref: number; actualPct: number; feePct: number }
  | { kind: 'cancel'; ref: number }
  | { kind: 'expire'; ref: number; skewMinutes: number }
  | { kind: 'creditExpiry'; team: number; amount: string }
  | { kind: 'correct'; ref: number; usage: NormalizedUsage | null }
  | { kind: 'price'; team: number | null; marginBps: number | null; discountPct: number };

/** What happens to a hold later: delivered (actual as % of the hold, fee as % of actual), cancelled or expired. */
type Resolution = {
  kind: 'deliver' | 'cancel' | 'expire';
  afterSeconds: number;
  actualPct: number;
  feePct: number;
};
const resolution: fc.Arbitrary<Resolution> = fc.record({
  kind: fc.constantFrom('deliver' as const, 'cancel' as const, 'expire' as const),
  afterSeconds: fc.integer({ min: 1, max: 1200 }),
  actualPct: fc.integer({ min: 0, max: 130 }),
  feePct: fc.integer({ min: 0, max: 30 }),
});

const team = fc.integer({ min: 0, max: TEAMS.length - 1 });
const intent: fc.Arbitrary<Intent> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('topup' as const), team, amount: nano(2_000_000_000) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('usage' as const),
      team,
      model: fc.integer({ min: 0, max: MODELS.length - 1 }),
      usage,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      team,
      max: nano(500_000_000),
      timeoutSeconds: fc.integer({ min: 60, max: 900 }),
      then: fc.option(resolution, { nil: null, freq: 5 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      ref: fc.nat(),
      actualPct: fc.integer({ min: 0, max: 130 }),
      feePct: fc.integer({ min: 0, max: 30 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), ref: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('expire' as const),
      ref: fc.nat(),
      skewMinutes: fc.integer({ min: -5, max: 30 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('creditExpiry' as const), team, amount: nano(1_000_000_000) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('correct' as const),
      ref: fc.nat(),
      usage: fc.option(usage, { nil: null }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('price' as const),
      team: fc.option(team, { nil: null }),
      marginBps: fc.option(fc.integer({ min: -2_000, max: 5_000 }), { nil: null }),
      discountPct: fc.integer({ min: 0, max: 150 }),
    }),
    weight: 1,
  },
);

/** Turns intents into concrete events on a timeline (one minute apart), resolving references. */
function toEvents(intents: Intent[]): EventEnvelope[] {
  const events: EventEnvelope[] = DEFAULT_PRICE_PUBLICATIONS.map((p, i) =>
    priceEvent(eventId(900_000 + i), at(-1), p),
  );
  const holds: Array<{ id: string; minute: number; max: bigint; timeoutSeconds: number }> = [];
  const usages: string[] = [];
  let version = DEFAULT_PRICE_PUBLICATIONS.length;
  intents.forEach((x, i) => {
    const id = eventId(i + 1);
    const when = at(i);
    switch (x.kind) {
      case 'topup':
        events.push(
          topUpEvent(id, when, {
            teamId: TEAMS[x.team]!,
            amountNanoUsd: x.amount,
            source: 'manual',
            reference: null,
          }),
        );
        break;
      case 'usage': {
        const [provider, model] = MODELS[x.model]!;
        events.push(
          usageEvent(
            id,
            when,
            usageData({
              teamId: TEAMS[x.team]!,
              requestId: `r${i}`,
              provider,
              modelServed: model,
              usage: x.usage,
            }),
          ),
        );
        usages.push(id);
        break;
      }
      case 'hold': {
        events.push(
          holdPlacedEvent(id, when, {
            buyerTeamId: TEAMS[x.team]!,
            sellerId: 's1',
            maxAmountNanoUsd: x.max,
            timeoutSeconds: x.timeoutSeconds,
            requestId: null,
          }),
        );
        const h = { id, minute: i, max: BigInt(x.max), timeoutSeconds: x.timeoutSeconds };
        holds.push(h);
        if (x.then) {
          const thenId = eventId(500_000 + i);
          const thenAt = at(i + x.then.afterSeconds / 60);
          if (x.then.kind === 'deliver') {
            const actual = (h.max * BigInt(x.then.actualPct)) / 100n;
            const fee = (actual * BigInt(x.then.feePct)) / 100n;
            events.push(
              holdDeliveredEvent(thenId, thenAt, {
                holdEventId: id,
                actualAmountNanoUsd: actual.toString(),
                feeNanoUsd: fee.toString(),
              }),
            );
          }
          if (x.then.kind === 'cancel') events.push(holdCancelledEvent(thenId, thenAt, id));
          if (x.then.kind === 'expire') events.push(holdExpiredEvent(thenId, thenAt, id));
        }
        break;
      }
      case 'deliver': {
        const h = holds[x.ref % Math.max(1, holds.length)];
        if (!h) break;
        const actual = (h.max * BigInt(x.actualPct)) / 100n;
        const fee = (actual * BigInt(x.feePct)) / 100n;
        events.push(
          holdDeliveredEvent(id, when, {
            holdEventId: h.id,
            actualAmountNanoUsd: actual.toString(),
            feeNanoUsd: fee.toString(),
          }),
        );
        break;
      }
      case 'cancel': {
        const h = holds[x.ref % Math.max(1, holds.length)];
        if (h) events.push(holdCancelledEvent(id, when, h.id));
        break;
      }
      case 'expire': {
        const h = holds[x.ref % Math.max(1, holds.length)];
        if (h) events.push(holdExpiredEvent(id, at(h.minute + h.timeoutSeconds / 60 + x.skewMinutes), h.id));
        break;
      }
      case 'creditExpiry':
        events.push(
          expiryEvent(id, when, { teamId: TEAMS[x.team]!, amountNanoUsd: x.amount, grantReference: null }),
        );
        break;
      case 'correct': {
        const target = usages[x.ref % Math.max(1, usages.length)];
        if (target)
          events.push(
            correctionEvent(id, when, {
              correctsEventId: target,
              reason: 'dispute',
              ...(x.usage ? { correctedUsage: x.usage } : {}),
            }),
          );
        break;
      }
      case 'price': {
        version += 1;
        const [provider, model] = MODELS[version % MODELS.length]!;
        const factor = BigInt(x.discountPct);
        const scaled = (n: bigint) => ((n * factor) / 100n).toString();
        events.push(
          priceEvent(id, when, {
            version,
            effectiveFrom: when,
            scope: x.team === null ? { kind: 'list' } : { kind: 'team', teamId: TEAMS[x.team]! },
            ...(x.marginBps === null ? {} : { marginBps: x.marginBps }),
            entries: [
              {
                provider,
                model: `${model.slice(0, 6)}*`,
                rates: {
                  inputNanoUsdPerMTok: scaled(1_000_000_000n),
                  outputNanoUsdPerMTok: scaled(5_000_000_000n),
                  cacheReadNanoUsdPerMTok: scaled(100_000_000n),
                  cacheWriteNanoUsdPerMTok: scaled(1_250_000_000n),
                },
                longContext: null,
                source: 'generated',
                sourceDate: '2026-11-01',
              },
            ],
          }),
        );
        break;
      }
    }
  });
  return events;
}

/** A delivery: the events in an arbitrary order (Kafka keeps order within a partition only; crashes replay), with redeliveries. */
const delivery = fc
  .array(intent, { minLength: 5, maxLength: 80, size: 'max' })
  .map(toEvents)
  .chain((events) =>
    fc.record({
      events: fc.constant(events),
      order: fc.array(fc.integer(), { minLength: events.length, maxLength: events.length }),
      shuffle: fc.boolean(),
      duplicates: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20, size: 'max' }),
    }),
  )
  .map(({ events, order, shuffle, duplicates }) => {
    const prices = events.filter((e) => e.type === 'price.published.v1' && e.id >= eventId(900_000));
    const rest = events.filter((e) => !prices.includes(e));
    const ordered = shuffle
      ? rest
          .map((e, i) => ({ e, k: order[i] ?? 0, i }))
          .sort((a, b) => a.k - b.k || a.i - b.i)
          .map((x) => x.e)
      : rest;
    const sequence = [...prices, ...ordered];
    for (const [which, where] of duplicates) {
      const dup = sequence[which % sequence.length];
      if (dup) sequence.splice(where % (sequence.length + 1), 0, structuredClone(dup));
    }
    return sequence;
  });

function run(
  sequence: EventEnvelope[],
  check: (p: LedgerProjector, outcome: HandleOutcome, e: EventEnvelope) => void = () => undefined,
) {
  const projector = new LedgerProjector();
  const outcomes = sequence.map((e) => {
    const outcome = projector.handle(e);
    check(projector, outcome, e);
    return outcome;
  });
  return { projector, outcomes };
}

describe('ledger properties', () => {
  it('balances after every step, never takes a hard-limited account below zero, and replays identically', () => {
    fc.assert(
      fc.property(delivery, (sequence) => {
        const seen = new Set<string>();
        const live = run(sequence, (p, outcome, e) => {
          assert.deepEqual(p.ledger.checkInvariants(), [], `after ${e.type} ${e.id}`);
          if (seen.has(e.id)) assert.equal(outcome.status, 'duplicate');
          seen.add(e.id);
        });
        const replay = run(sequence);
        assert.deepEqual(replay.projector.ledger.snapshot(), live.projector.ledger.snapshot());
        assert.deepEqual(replay.outcomes, live.outcomes);
      }),
    );
  });

  it('ignores redeliveries: the books equal those of the delivery without duplicates', () => {
    fc.assert(
      fc.property(delivery, (sequence) => {
        const firsts = sequence.filter((e, i) => sequence.findIndex((x) => x.id === e.id) === i);
        assert.deepEqual(run(sequence).projector.ledger.snapshot(), run(firsts).projector.ledger.snapshot());
      }),
    );
  });

  it('exercises every path: the generator reaches applied and rejected events of each kind', () => {
    // Guards against a generator that silently stopped producing interesting cases.
    const statuses = new Map<string, Set<string>>();
    const codes = new Set<string>();
    fc.assert(
      fc.property(delivery, (sequence) => {
        run(sequence, (_p, outcome, e) => {
          const key = e.type;
          const s = statuses.get(key) ?? new Set<string>();
          s.add(outcome.status === 'rejected' ? `rejected:${outcome.code}` : outcome.status);
          statuses.set(key, s);
          if (outcome.status === 'applied') for (const t of outcome.transfers) codes.add(t.code);
        });
      }),
      { numRuns: 200 },
    );
    const has = (type: string, status: string) => statuses.get(type)?.has(status) ?? false;
    assert.ok(has('usage.recorded.v1', 'applied'));
    assert.ok(
      !has('usage.recorded.v1', 'rejected:exceeds_credits'),
      'usage is a fact: an overrun is drawn, never refused',
    );
    assert.ok(codes.has('overdraft.draw') && codes.has('overdraft.repay'));
    assert.ok(has('marketplace.hold_placed.v1', 'rejected:exceeds_credits'));
    assert.ok(has('marketplace.hold_delivered.v1', 'applied'));
    assert.ok(has('marketplace.hold_delivered.v1', 'rejected:exceeds_pending_transfer_amount'));
    assert.ok(has('marketplace.hold_expired.v1', 'applied'));
    assert.ok(has('marketplace.hold_delivered.v1', 'rejected:pending_transfer_expired'));
    assert.ok(has('marketplace.hold_expired.v1', 'rejected:pending_transfer_not_expired'));
    assert.ok(has('marketplace.hold_cancelled.v1', 'applied'));
    assert.ok(has('ledger.correction.v1', 'applied'));
    assert.ok(has('credit.expired.v1', 'applied'));
    assert.ok([...(statuses.get('credit.topped_up.v1') ?? [])].includes('duplicate'));
  });
});
