import type { SqlExecutor } from '@sluice/database';
import type { ProjectionRunner } from '@sluice/event-store';
import { ACCOUNTING_EVENT_TYPES } from '../../apps/ledger/src/accounting/accounting.projector';

/**
 * Runs the accounting projector until every accounting event in the store is in its inbox. `catchUp` alone
 * can stop early: readers only see events older than the oldest transaction still running anywhere in the
 * Postgres cluster (`pg_snapshot_xmin`), and other test files share the cluster.
 */
export async function projectAll(
  db: SqlExecutor,
  runner: ProjectionRunner,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runner.catchUp();
    const [r] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ledger.events e
        WHERE e.type = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM ledger.accounting_inbox i WHERE i.event_id = e.event_id)`,
      [ACCOUNTING_EVENT_TYPES],
    );
    if (Number(r?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${r?.n ?? '?'} events still not projected`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
