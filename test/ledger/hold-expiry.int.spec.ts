import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate, openDatabase, type Db } from '@sluice/database';
import { EventStore, ProjectionRunner, type NewEvent } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { AccountingProjector } from '../../apps/ledger/src/accounting/accounting.projector';
import { AccountingRepository } from '../../apps/ledger/src/accounting/accounting.repository';
import { commandEventId, publishDefaultPrices } from '../../apps/ledger/src/accounting/accounting.service';
import {
  CREDIT_TOPPED_UP_V1,
  MARKETPLACE_HOLD_CANCELLED_V1,
  MARKETPLACE_HOLD_DELIVERED_V1,
  MARKETPLACE_HOLD_EXPIRED_V1,
  MARKETPLACE_HOLD_PLACED_V1,
} from '../../apps/ledger/src/accounting/domain/ledger-events';
import { holdExpiryEventId, sweepExpiredHolds } from '../../apps/ledger/src/accounting/hold-expiry';
import { rebuildAndDiff } from '../../apps/ledger/src/accounting/ledger-verifier';
import { MIGRATIONS_DIR } from './helpers';
import { projectAll } from './project-all';

const SCHEMA = 'ledger';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

const command = (
  type: string,
  subject: string,
  key: string,
  data: unknown,
  occurredAt: string,
): NewEvent => ({
  eventId: commandEventId(type, subject, key),
  type,
  subject,
  occurredAt,
  producer: 'test',
  correlationId: null,
  data,
});

const hold = (key: string, maxNanoUsd: bigint, timeoutSeconds: number, occurredAt: string): NewEvent =>
  command(
    MARKETPLACE_HOLD_PLACED_V1,
    'buyer',
    key,
    {
      buyerTeamId: 'buyer',
      sellerId: 'seller-1',
      maxAmountNanoUsd: maxNanoUsd.toString(),
      timeoutSeconds,
      requestId: key,
    },
    occurredAt,
  );

/**
 * Pending holds past their timeout are expired by a sweep that appends `marketplace.hold_expired.v1` to the
 * event store (never by the projection reading a clock): open holds only, once each, releasing the buyer's
 * reservation, and a rebuild from the store gives the same books.
 */
describe('hold expiry sweep on Postgres', { timeout: 120_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  const store = new EventStore(SCHEMA);
  let runner: ProjectionRunner;
  let repo: AccountingRepository;
  const append = (events: NewEvent[]): Promise<string[]> =>
    db.transaction((tx) =>
      store.appendMany(
        tx,
        events.map((e) => ({ ...e, streamId: `payer-${e.subject}` })),
      ),
    );
  const sweep = (seconds: number) =>
    db.transaction((tx) => sweepExpiredHolds(tx, store, SCHEMA, new Date(T0 + seconds * 1000)));
  const account = async (id: string) => (await repo.balances(id))[0];
  const inbox = async (eventId: string) =>
    (
      await db.query<{ status: string; error_code: string | null }>(
        `SELECT status, error_code FROM ledger.accounting_inbox WHERE event_id = $1`,
        [eventId],
      )
    )[0];

  const open = hold('open', 4_000_000_000n, 60, at(0));
  const delivered = hold('delivered', 3_000_000_000n, 60, at(1));
  const cancelled = hold('cancelled', 2_000_000_000n, 60, at(2));
  const late = hold('late', 1_000_000_000n, 600, at(3));
  const racing = hold('racing', 500_000_000n, 60, at(4));

  before(async () => {
    tdb = await createTestDatabase('ledger_hold_expiry');
    db = await openDatabase({ url: tdb.url, applicationName: 'test-hold-expiry', poolSize: 4 });
    await migrate(db, MIGRATIONS_DIR, SCHEMA);
    runner = new ProjectionRunner(db, store, SCHEMA, new AccountingProjector(SCHEMA), {
      batchSize: 100,
      idleMs: 50,
    });
    repo = new AccountingRepository(db, SCHEMA);
    await db.transaction((tx) => publishDefaultPrices(tx, store));
    await append([
      command(
        CREDIT_TOPPED_UP_V1,
        'buyer',
        'seed',
        { teamId: 'buyer', amountNanoUsd: '20000000000', source: 'manual', reference: null },
        at(-60),
      ),
      open,
      delivered,
      cancelled,
      late,
      racing,
      command(
        MARKETPLACE_HOLD_DELIVERED_V1,
        'buyer',
        'delivered',
        { holdEventId: delivered.eventId, actualAmountNanoUsd: '1000000000', feeNanoUsd: '100000000' },
        at(30),
      ),
      command(
        MARKETPLACE_HOLD_CANCELLED_V1,
        'buyer',
        'cancelled',
        { holdEventId: cancelled.eventId },
        at(31),
      ),
    ]);
    await projectAll(db, runner);
  });

  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('finds nothing before any timeout', async () => {
    assert.deepEqual(await sweep(59), { due: 0, appended: 0 });
    // 20 USD minus what the open holds reserve (4 + 1 + 0.5) and what the delivery posted (1).
    assert.equal((await account('team:buyer'))?.availableNanoUsd, 13_500_000_000n);
  });

  it('expires exactly the open holds past their timeout, with the timeout as the event time', async () => {
    // The racing hold's delivery is in the store but not yet projected when the sweep runs.
    await append([
      command(
        MARKETPLACE_HOLD_DELIVERED_V1,
        'buyer',
        'racing',
        { holdEventId: racing.eventId, actualAmountNanoUsd: '200000000', feeNanoUsd: '0' },
        at(50),
      ),
    ]);
    assert.deepEqual(await sweep(120), { due: 2, appended: 2 });
    const expiries = await db.query<{
      event_id: string;
      occurred_at: Date;
      stream_id: string;
      data: unknown;
    }>(
      `SELECT event_id::text AS event_id, occurred_at, stream_id, data FROM ledger.events WHERE type = $1 ORDER BY occurred_at`,
      [MARKETPLACE_HOLD_EXPIRED_V1],
    );
    assert.deepEqual(
      expiries.map((e) => [e.event_id, e.occurred_at.toISOString(), e.stream_id, e.data]),
      [
        [holdExpiryEventId(open.eventId), at(60), 'payer-buyer', { holdEventId: open.eventId }],
        [holdExpiryEventId(racing.eventId), at(64), 'payer-buyer', { holdEventId: racing.eventId }],
      ],
    );
    // Swept again before the projector ran: the same events, nothing new.
    assert.deepEqual(await sweep(121), { due: 2, appended: 0 });
  });

  it('releases the reservation when projected; a hold resolved first keeps its resolution', async () => {
    await projectAll(db, runner);
    assert.equal((await inbox(holdExpiryEventId(open.eventId)))?.status, 'applied');
    assert.deepEqual(await inbox(holdExpiryEventId(racing.eventId)), {
      status: 'rejected',
      error_code: 'pending_transfer_already_posted',
    });
    const buyer = await account('team:buyer');
    // Open: late only (1 USD). Posted: the two deliveries (1 + 0.2).
    assert.equal(buyer?.debitsPending, 1_000_000_000n);
    assert.equal(buyer?.availableNanoUsd, 20_000_000_000n - 1_200_000_000n - 1_000_000_000n);
    assert.equal((await account('marketplace:escrow'))?.creditsPending, 1_000_000_000n);
    assert.deepEqual(await sweep(3600), { due: 1, appended: 1 }, 'the 10-minute hold, later');
    await projectAll(db, runner);
    assert.deepEqual(await sweep(7200), { due: 0, appended: 0 });
    const books = await repo.check();
    assert.equal(books.balanced, true);
    assert.equal((await account('team:buyer'))?.debitsPending, 0n);
    assert.equal((await account('marketplace:escrow'))?.creditsPending, 0n);
  });

  it('a rebuild from the event store gives the same books', async () => {
    const rebuilt = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
    assert.deepEqual(rebuilt.differences, []);
    assert.equal(rebuilt.events, await store.count(db));
  });
});
