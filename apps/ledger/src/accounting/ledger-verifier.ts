import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quoteIdent, type Db, type SqlExecutor } from '@sluice/database';
import { EventStore, replayUpTo, type Checkpoint } from '@sluice/event-store';
import { ACCOUNTING_EVENT_TYPES, AccountingProjector } from './accounting.projector';
import { AccountingRepository, type BooksCheck } from './accounting.repository';
import { rebuildReadModelsAndDiff, type ReadModelTable } from '../read-models/read-models-rebuild';

export const ACCOUNTING_MIGRATION = '0002_accounting.sql';

export type RebuildDifference = {
  table: 'accounts' | 'transfers' | 'accounting_inbox' | 'price_catalogue' | ReadModelTable;
  key: string;
  live: string | null;
  rebuilt: string | null;
};

export type RebuildReport = {
  /** The live projection's checkpoint the rebuild replayed up to. */
  upTo: Checkpoint;
  events: number;
  differences: RebuildDifference[];
  /** The read models (audit record, usage and quality per hour), replayed up to their own checkpoint. */
  readModels?: { upTo: Checkpoint; events: number };
};

/** verify-balances: the invariant and each balance recomputed from the transfers. */
export async function verifyBooks(db: SqlExecutor, schema: string): Promise<BooksCheck> {
  return new AccountingRepository(db, schema).check();
}

// Each query gives (key, value) per row; the diff is a FULL JOIN on the key.
const COMPARED: Array<{ table: RebuildDifference['table']; key: string; value: string }> = [
  {
    table: 'accounts',
    key: 'id',
    value: `concat_ws('/', debits_posted, credits_posted, debits_pending, credits_pending)`,
  },
  {
    table: 'transfers',
    key: 'id::text',
    value: `concat_ws('/', body_hash, kind, debit_account_id, credit_account_id, amount_nano_usd, event_id, leg)`,
  },
  {
    table: 'accounting_inbox',
    key: 'event_id::text',
    value: `concat_ws('/', status, error_code, transfers)`,
  },
  {
    table: 'price_catalogue',
    key: `version || '/' || entry_index`,
    value: `concat_ws('/', provider, model, withdrawn, input_nano_usd_per_mtok, output_nano_usd_per_mtok, cache_read_nano_usd_per_mtok, cache_write_nano_usd_per_mtok)`,
  },
];

/**
 * Replays the event store into fresh tables (a scratch schema made by the same migration) with the same
 * projector, up to where the live projection stands, and lists every row that differs from the live
 * tables. One REPEATABLE READ transaction, so live and rebuilt are compared at one instant; the scratch
 * schema is dropped at the end.
 */
export async function rebuildAndDiff(
  db: Db,
  schema: string,
  migrationsDir: string,
  batchSize = 1_000,
): Promise<RebuildReport> {
  const ddl = readFileSync(join(migrationsDir, schema, ACCOUNTING_MIGRATION), 'utf8');
  const scratch = `${schema}_rebuild_${randomBytes(4).toString('hex')}`;
  const live = quoteIdent(schema);
  const fresh = quoteIdent(scratch);
  return db.transaction(async (tx) => {
    const [cp] = await tx.query<{ tx_id: string; position: string }>(
      `SELECT tx_id::text AS tx_id, position::text AS position FROM ${live}.checkpoints WHERE name = 'accounting'`,
    );
    const upTo: Checkpoint = cp ? { txId: cp.tx_id, position: cp.position } : { txId: '0', position: '0' };
    await tx.query(`CREATE SCHEMA ${fresh}`);
    await tx.query(`SET LOCAL search_path TO ${fresh}, ${live}, public`);
    await tx.query(ddl);
    const store = new EventStore(schema);
    const projector = new AccountingProjector(scratch, schema);
    const events = await replayUpTo(tx, store, projector, ACCOUNTING_EVENT_TYPES, upTo, batchSize);
    const differences: RebuildDifference[] = [];
    for (const c of COMPARED) {
      const rows = await tx.query<{ key: string; live: string | null; rebuilt: string | null }>(
        `SELECT coalesce(l.k, r.k) AS key, l.v AS live, r.v AS rebuilt
           FROM (SELECT ${c.key} AS k, ${c.value} AS v FROM ${live}.${c.table}) l
           FULL JOIN (SELECT ${c.key} AS k, ${c.value} AS v FROM ${fresh}.${c.table}) r ON r.k = l.k
          WHERE l.v IS DISTINCT FROM r.v
          ORDER BY 1`,
      );
      differences.push(...rows.map((r) => ({ table: c.table, ...r })));
    }
    const readModels = await rebuildReadModelsAndDiff(tx, schema, scratch, batchSize);
    differences.push(...readModels.differences);
    // Runs the deferred invariant check on the rebuilt books now (a table with pending trigger events
    // cannot be dropped), so a rebuild that does not balance fails here.
    await tx.query(`SET CONSTRAINTS ALL IMMEDIATE`);
    await tx.query(`DROP SCHEMA ${fresh} CASCADE`);
    return { upTo, events, differences, readModels: { upTo: readModels.upTo, events: readModels.events } };
  }, 'REPEATABLE READ');
}
