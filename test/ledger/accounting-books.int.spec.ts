import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate, openDatabase, type Db } from '@sluice/database';
import { EventStore, ProjectionRunner, START, type NewEvent } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import {
  AccountingProjector,
  ACCOUNTING_EVENT_TYPES,
} from '../../apps/ledger/src/accounting/accounting.projector';
import { AccountingRepository } from '../../apps/ledger/src/accounting/accounting.repository';
import { commandEventId, publishDefaultPrices } from '../../apps/ledger/src/accounting/accounting.service';
import { LedgerProjector } from '../../apps/ledger/src/accounting/domain/ledger-projector';
import {
  CREDIT_EXPIRED_V1,
  CREDIT_TOPPED_UP_V1,
  LEDGER_CORRECTION_V1,
} from '../../apps/ledger/src/accounting/domain/ledger-events';
import { makeTransfer } from '../../apps/ledger/src/accounting/domain/transfer';
import { EventChainProjector, verifyEventChain } from '../../apps/ledger/src/accounting/event-chain';
import { rebuildAndDiff } from '../../apps/ledger/src/accounting/ledger-verifier';
import { PostgresLedger } from '../../apps/ledger/src/accounting/postgres-ledger';
import { expectedChargeNanoUsd, MIGRATIONS_DIR, pricedUsageEvent, usageMix } from './helpers';
import { projectAll } from './project-all';

const SCHEMA = 'ledger';

const toNew = (e: {
  id: string;
  type: string;
  subject: string;
  occurredAt: string;
  producer: string;
  correlationId: string | null;
  data: unknown;
}): NewEvent => ({
  eventId: e.id,
  type: e.type,
  subject: e.subject,
  occurredAt: e.occurredAt,
  producer: e.producer,
  correlationId: e.correlationId,
  data: e.data,
});

const command = (type: string, subject: string, key: string, data: unknown, at: string): NewEvent => ({
  eventId: commandEventId(type, subject, key),
  type,
  subject,
  occurredAt: at,
  producer: 'test',
  correlationId: null,
  data,
});

/**
 * The accounting projector on the real Postgres, without Kafka: events appended to the store, projected by
 * the ProjectionRunner, checked against prices written out by hand, against the pure domain projector fed
 * the same events, and against a rebuild into fresh tables.
 */
describe('accounting books on Postgres', { timeout: 120_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  const store = new EventStore(SCHEMA);
  let runner: ProjectionRunner;
  let repo: AccountingRepository;

  const append = (events: NewEvent[]): Promise<string[]> =>
    db.transaction(async (tx) => {
      const out: string[] = [];
      for (const e of events) out.push(...(await store.append(tx, `payer-${e.subject}`, [e], 'any')));
      return out;
    });
  const balance = async (account: string): Promise<bigint> =>
    (await repo.balances(account))[0]?.balanceNanoUsd ?? 0n;
  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql))[0]?.n ?? 0);

  before(async () => {
    tdb = await createTestDatabase('ledger_books');
    db = await openDatabase({ url: tdb.url, applicationName: 'test-ledger-books', poolSize: 4 });
    await migrate(db, MIGRATIONS_DIR, SCHEMA);
    runner = new ProjectionRunner(db, store, SCHEMA, new AccountingProjector(SCHEMA), {
      batchSize: 100,
      idleMs: 50,
    });
    repo = new AccountingRepository(db, SCHEMA);
  });

  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('publishes the default catalogue once, as events, into the price_catalogue read model', async () => {
    assert.equal(await db.transaction((tx) => publishDefaultPrices(tx, store)), 2);
    assert.equal(await db.transaction((tx) => publishDefaultPrices(tx, store)), 0, 'idempotent event ids');
    await projectAll(db, runner);
    const gpt4o = await repo.prices('gpt-4o');
    const exact = gpt4o.find((p) => p.model === 'gpt-4o');
    assert.equal(exact?.inputNanoUsdPerMTok, '2500000000');
    assert.equal(exact?.outputNanoUsdPerMTok, '10000000000');
    assert.equal(await count(`SELECT count(*)::text AS n FROM ledger.price_publications`), 2);
  });

  it('books usage at the catalogue price to the nano-dollar, and duplicates change nothing', async () => {
    const usage = Array.from({ length: 60 }, (_, i) => {
      const m = usageMix(i);
      return { m, e: pricedUsageEvent(i, `team-${i % 3}`, m.provider, m.model, m.tokens) };
    });
    await append([
      command(
        CREDIT_TOPPED_UP_V1,
        'team-0',
        'seed-0',
        { teamId: 'team-0', amountNanoUsd: '5000000000', source: 'manual', reference: null },
        '2026-10-01T00:00:00Z',
      ),
    ]);
    assert.equal((await append(usage.map((u) => toNew(u.e)))).length, 60);
    await projectAll(db, runner);
    for (const { m, e } of usage) {
      const transfers = await new PostgresLedger(SCHEMA).transfersOfEvent(db, e.id);
      const team = `team:${e.data.teamId}`;
      const charged = transfers
        .filter((t) => t.debitAccountId === team)
        .reduce((s, t) => s + t.amountNanoUsd, 0n);
      assert.equal(charged, expectedChargeNanoUsd(m.provider, m.model, m.tokens), `charge of ${e.id}`);
      const toProvider = transfers
        .filter((t) => t.creditAccountId === `provider:${m.provider}`)
        .reduce((s, t) => s + t.amountNanoUsd, 0n);
      assert.equal(
        toProvider,
        expectedChargeNanoUsd(m.provider, m.model, m.tokens),
        'provider owed the list price',
      );
    }
    const expectedOpenai = usage
      .filter((u) => u.m.provider === 'openai')
      .reduce((s, u) => s + expectedChargeNanoUsd(u.m.provider, u.m.model, u.m.tokens), 0n);
    assert.equal(await balance('provider:openai'), expectedOpenai);

    const before = await repo.check();
    const transfersBefore = await count(`SELECT count(*)::text AS n FROM ledger.transfers`);
    // Redelivery: the store keeps each id once; a replay of the projector itself is skipped by the inbox.
    assert.equal((await append(usage.map((u) => toNew(u.e)))).length, 0);
    const stored = await store.readAll(db, START, 1_000, ACCOUNTING_EVENT_TYPES);
    await db.transaction((tx) => new AccountingProjector(SCHEMA).apply(tx, stored));
    await projectAll(db, runner);
    assert.equal(await count(`SELECT count(*)::text AS n FROM ledger.transfers`), transfersBefore);
    assert.deepEqual(await repo.check(), before);
    assert.equal(before.balanced, true);
    assert.equal(before.debitsPosted, before.creditsPosted);
  });

  it('replays a transfer with the same body as a no-op and refuses the same id with another body', async () => {
    const ledger = new PostgresLedger(SCHEMA);
    const [first] = await db.query<{ event_id: string; leg: string }>(
      `SELECT event_id::text AS event_id, leg FROM ledger.transfers WHERE code = 'top_up' LIMIT 1`,
    );
    assert.ok(first);
    const original = (await ledger.transfersOfEvent(db, first.event_id)).find((t) => t.leg === first.leg)!;
    const again = await db.transaction((tx) => ledger.apply(tx, [original]));
    assert.equal(again.applied.length, 0);
    assert.equal(again.existing.length, 1);
    const forged = makeTransfer({ ...original, amountNanoUsd: original.amountNanoUsd + 1n });
    await assert.rejects(
      db.transaction((tx) => ledger.apply(tx, [forged])),
      (err: unknown) => (err as { code?: string }).code === 'exists_with_different_body',
    );
  });

  it('top-ups repay receivables; expiry, corrections; equal to the domain projector and to a rebuild', async () => {
    // team-1 and team-2 had no credit: their usage was drawn on their receivables.
    assert.ok((await balance('receivable:team-1')) > 0n);
    const owed = await balance('receivable:team-1');
    const [usage] = await db.query<{ event_id: string }>(
      `SELECT event_id::text AS event_id FROM ledger.transfers WHERE debit_account_id = 'team:team-0' AND code = 'usage.provider_cost' ORDER BY seq LIMIT 1`,
    );
    assert.ok(usage);
    await append([
      command(
        CREDIT_TOPPED_UP_V1,
        'team-1',
        'pay-1',
        { teamId: 'team-1', amountNanoUsd: '100000000000', source: 'stripe', reference: 'ch_1' },
        '2026-11-02T00:00:00Z',
      ),
      command(
        CREDIT_EXPIRED_V1,
        'team-0',
        'exp-0',
        { teamId: 'team-0', amountNanoUsd: '1000000', grantReference: 'promo' },
        '2026-11-03T00:00:00Z',
      ),
      command(
        LEDGER_CORRECTION_V1,
        'team-0',
        'fix-0',
        {
          correctsEventId: usage.event_id,
          reason: 'provider re-reported',
          correctedUsage: {
            inputUncachedTokens: 1,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            outputTokens: 1,
            reasoningTokens: 0,
          },
        },
        '2026-11-04T00:00:00Z',
      ),
      // Corrects the same event again: its transfers were already reversed, so this one is refused.
      command(
        LEDGER_CORRECTION_V1,
        'team-0',
        'fix-0-again',
        { correctsEventId: usage.event_id, reason: 'twice' },
        '2026-11-05T00:00:00Z',
      ),
    ]);
    await projectAll(db, runner);
    assert.equal(await balance('receivable:team-1'), 0n, 'the top-up repaid the overrun first');
    assert.equal(await balance('team:team-1'), 100_000_000_000n - owed);
    assert.equal(await balance('platform:expired-credit'), 1_000_000n);
    const [rejected] = await db.query<{ error_code: string }>(
      `SELECT error_code FROM ledger.accounting_inbox WHERE event_id = $1::uuid`,
      [commandEventId(LEDGER_CORRECTION_V1, 'team-0', 'fix-0-again')],
    );
    assert.equal(rejected?.error_code, 'transfer_already_corrected');
    assert.ok(
      (await count(`SELECT count(*)::text AS n FROM ledger.transfers WHERE code = 'correction.reversal'`)) >
        0,
    );

    // The pure domain projector fed the same events in the same order gives the same books.
    const reference = new LedgerProjector();
    for (const e of await store.readAll(db, START, 10_000, ACCOUNTING_EVENT_TYPES)) {
      reference.handle({
        id: e.eventId,
        type: e.type,
        subject: e.subject,
        occurredAt: e.occurredAt,
        producer: e.producer,
        correlationId: e.correlationId,
        data: e.data,
      });
    }
    const live = (await repo.balances(null))
      .filter((b) => b.debitsPosted + b.creditsPosted + b.debitsPending + b.creditsPending > 0n)
      .map((b) => [
        b.id,
        `${b.debitsPosted}`,
        `${b.creditsPosted}`,
        `${b.debitsPending}`,
        `${b.creditsPending}`,
      ]);
    assert.deepEqual(live, reference.ledger.snapshot().balances);
    const ids = (
      await db.query<{ id: string }>(`SELECT id::text AS id FROM ledger.transfers ORDER BY seq`)
    ).map((r) => r.id);
    assert.deepEqual(ids, reference.ledger.snapshot().transferIds);

    const check = await repo.check();
    assert.equal(check.balanced, true, JSON.stringify(check.discrepancies));
    const rebuilt = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
    assert.ok(rebuilt.events > 60);
    assert.deepEqual(rebuilt.differences, []);
  });

  it('corrects a usage event handled in the same batch (not yet in the inbox table)', async () => {
    const m = usageMix(3);
    const original = pricedUsageEvent(900, 'team-9', m.provider, m.model, m.tokens);
    const fix = command(
      LEDGER_CORRECTION_V1,
      'team-9',
      'same-batch',
      {
        correctsEventId: original.id,
        reason: 'same batch',
        correctedUsage: {
          inputUncachedTokens: 10,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 10,
          reasoningTokens: 0,
        },
      },
      '2026-11-06T00:00:00Z',
    );
    await append([toNew(original), fix]);
    await projectAll(db, runner);
    const ledger = new PostgresLedger(SCHEMA);
    const originalLegs = await ledger.transfersOfEvent(db, original.id);
    const fixLegs = await ledger.transfersOfEvent(db, fix.eventId);
    const reversed = fixLegs.filter((t) => t.code === 'correction.reversal').map((t) => t.correctsTransferId);
    assert.deepEqual(
      reversed,
      originalLegs.filter((t) => t.code !== 'overdraft.draw').map((t) => t.id),
    );
    const recharged = fixLegs
      .filter((t) => t.code.startsWith('usage.') && t.debitAccountId === 'team:team-9')
      .reduce((sum, t) => sum + t.amountNanoUsd, 0n);
    assert.equal(
      recharged,
      expectedChargeNanoUsd(m.provider, m.model, { input: 10, output: 10, cacheRead: 0, cacheWrite: 0 }),
    );
    assert.equal((await repo.check()).balanced, true);
  });

  it('refuses edits: transfers and the inbox are append-only, accounts keep their identity and balance', async () => {
    const refused = async (sql: string, pattern: RegExp): Promise<void> =>
      assert.rejects(db.query(sql), (err: unknown) => pattern.test(String(err)), sql);
    await refused(`UPDATE ledger.transfers SET amount_nano_usd = amount_nano_usd + 1`, /append-only/);
    await refused(`DELETE FROM ledger.transfers`, /append-only/);
    await refused(`TRUNCATE ledger.transfers CASCADE`, /append-only/);
    await refused(`UPDATE ledger.accounting_inbox SET status = 'ignored'`, /append-only/);
    await refused(`UPDATE ledger.accounts SET kind = 'cash' WHERE id = 'team:team-0'`, /identity/);
    await refused(`DELETE FROM ledger.accounts WHERE id = 'team:team-0'`, /never deleted/);
    await refused(`UPDATE ledger.accounts SET debits_posted = 0 WHERE id = 'team:team-0'`, /only grow/);
    // One-sided change: the deferred invariant check refuses the commit.
    await refused(
      `UPDATE ledger.accounts SET credits_posted = credits_posted + 1 WHERE id = 'team:team-0'`,
      /out of balance/,
    );
    // A limit the database enforces by itself: team credit cannot go below zero.
    await refused(
      `UPDATE ledger.accounts SET debits_pending = debits_pending + credits_posted + 1 WHERE id = 'team:team-0'`,
      /accounts_debits_within_credits/,
    );
    assert.equal((await repo.check()).balanced, true);
  });

  it('verify finds a balance tampered with behind the triggers', async () => {
    // A superuser can switch the triggers off; verify still sees the journal and the balance disagree.
    await db.transaction(async (tx) => {
      await tx.query(`ALTER TABLE ledger.accounts DISABLE TRIGGER USER`);
      await tx.query(
        `UPDATE ledger.accounts SET debits_posted = debits_posted + 7 WHERE id = 'provider:openai'`,
      );
      await tx.query(
        `UPDATE ledger.accounts SET credits_posted = credits_posted + 7 WHERE id = 'provider:openai'`,
      );
      await tx.query(`ALTER TABLE ledger.accounts ENABLE TRIGGER USER`);
    });
    const check = await repo.check();
    assert.equal(check.balanced, false);
    assert.deepEqual(
      check.discrepancies.map((d) => d.accountId),
      ['provider:openai'],
    );
    const rebuilt = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
    assert.deepEqual(
      rebuilt.differences.map((d) => `${d.table}/${d.key}`),
      ['accounts/provider:openai'],
    );
  });
  it('seals the event store in a hash chain and names the first block an edited event breaks', async () => {
    // Small blocks, so that there are more than ten (block numbers must sort as numbers, not text).
    const chain = new ProjectionRunner(db, store, SCHEMA, new EventChainProjector(SCHEMA), {
      batchSize: 5,
      idleMs: 50,
    });
    const total = await count(`SELECT count(*)::text AS n FROM ledger.events`);
    // catchUp alone can stop early while another test file's transaction holds the cluster's xmin back.
    const deadline = Date.now() + 60_000;
    let good = await verifyEventChain(db, store, SCHEMA);
    for (; good.events < total && Date.now() < deadline; good = await verifyEventChain(db, store, SCHEMA)) {
      await chain.catchUp();
      if (good.events > 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(good.firstBroken, null);
    assert.equal(good.events, total);
    assert.equal(good.blocks, Math.ceil(total / 5));
    assert.ok(good.blocks > 10, `${good.blocks} blocks`);
    await assert.rejects(db.query(`UPDATE ledger.event_chain_blocks SET prev_hash = 'x'`), /append-only/);

    // The 60th event (block 12 of 5-event blocks) is edited behind the event store's triggers.
    const [victim] = await db.query<{ event_id: string }>(
      `SELECT event_id::text AS event_id FROM ledger.events ORDER BY tx_id, position OFFSET 59 LIMIT 1`,
    );
    await db.transaction(async (tx) => {
      await tx.query(`ALTER TABLE ledger.events DISABLE TRIGGER USER`);
      await tx.query(
        `UPDATE ledger.events SET data = jsonb_set(data, '{teamId}', '"someone-else"') WHERE event_id = $1::uuid`,
        [victim!.event_id],
      );
      await tx.query(`ALTER TABLE ledger.events ENABLE TRIGGER USER`);
    });
    const bad = await verifyEventChain(db, store, SCHEMA);
    assert.deepEqual(bad.firstBroken, { blockNo: 12, reason: 'an event was changed' });
  });
});
