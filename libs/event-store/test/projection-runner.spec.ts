import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from '@sluice/database';
import { EventStore, ProjectionRunner } from '@sluice/event-store';

/** A database that counts the transactions it is asked for (and has nothing to give). */
function countingDb(): { db: Db; transactions: () => number } {
  let n = 0;
  const db = {
    transaction: async () => {
      n += 1;
      return 0;
    },
  } as unknown as Db;
  return { db, transactions: () => n };
}

describe('ProjectionRunner.runElsewhere', () => {
  const projector = { name: 'p', apply: async () => undefined };
  const options = { batchSize: 10, idleMs: 1 };

  it('a runner whose loop runs in another thread does not start here, and forwards wake-ups', async () => {
    const { db, transactions } = countingDb();
    const runner = new ProjectionRunner(db, new EventStore('ledger'), 'ledger', projector, options);
    let forwarded = 0;
    runner.runElsewhere(() => forwarded++);
    runner.start();
    runner.wake();
    runner.wake();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(transactions(), 0, 'no batch was run in this thread');
    assert.equal(forwarded, 2);
    await runner.stop();
    // runOnce still works here (tests and rebuilds call it directly).
    await runner.runOnce();
    assert.equal(transactions(), 1);
  });

  it('without it the loop runs here', async () => {
    const { db, transactions } = countingDb();
    const runner = new ProjectionRunner(db, new EventStore('ledger'), 'ledger', projector, options);
    runner.start();
    await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    assert.ok(transactions() > 0);
  });
});
