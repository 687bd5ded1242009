import { quoteIdent, type SqlExecutor } from '@sluice/database';
import { EventStore, replayUpTo, type Checkpoint } from '@sluice/event-store';
import {
  READ_MODEL_EVENT_TYPES,
  READ_MODEL_TABLES,
  READ_MODELS_PROJECTOR,
  ReadModelsProjector,
} from './read-models.projector';

export type ReadModelTable = (typeof READ_MODEL_TABLES)[number];

export type ReadModelDifference = {
  table: ReadModelTable;
  key: string;
  live: string | null;
  rebuilt: string | null;
};

export type ReadModelRebuild = { upTo: Checkpoint; events: number; differences: ReadModelDifference[] };

const KEYS: Record<ReadModelTable, string> = {
  read_model_prices: 'version::text',
  request_audit: 'request_id',
  usage_hourly: `concat_ws('/', to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24'), team_id, key_id, model, provider)`,
  provider_quality_hourly: `concat_ws('/', provider, model, to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24'))`,
  usage_corrections: 'event_id::text',
};

/**
 * Replays the event store into empty copies of the read-model tables in `scratch` (an existing schema), with
 * the same projector, up to the live `read_models` checkpoint, and lists every row that differs from the
 * live tables (whole rows compared as JSON). Run inside the caller's REPEATABLE READ transaction, so live
 * and rebuilt are read at one instant; the caller drops the scratch schema.
 */
export async function rebuildReadModelsAndDiff(
  tx: SqlExecutor,
  schema: string,
  scratch: string,
  batchSize = 1_000,
): Promise<ReadModelRebuild> {
  const live = quoteIdent(schema);
  const fresh = quoteIdent(scratch);
  const [cp] = await tx.query<{ tx_id: string; position: string }>(
    `SELECT tx_id::text AS tx_id, position::text AS position FROM ${live}.checkpoints WHERE name = $1`,
    [READ_MODELS_PROJECTOR],
  );
  const upTo: Checkpoint = cp ? { txId: cp.tx_id, position: cp.position } : { txId: '0', position: '0' };
  for (const t of READ_MODEL_TABLES) {
    // The accounting migration may have made some of these in the scratch schema already: start empty.
    await tx.query(`DROP TABLE IF EXISTS ${fresh}.${t}`);
    await tx.query(`CREATE TABLE ${fresh}.${t} (LIKE ${live}.${t} INCLUDING ALL)`);
  }
  const store = new EventStore(schema);
  const projector = new ReadModelsProjector(scratch, schema);
  const events = await replayUpTo(tx, store, projector, READ_MODEL_EVENT_TYPES, upTo, batchSize);
  const differences: ReadModelDifference[] = [];
  for (const t of READ_MODEL_TABLES) {
    const rows = await tx.query<{ key: string; live: string | null; rebuilt: string | null }>(
      `SELECT coalesce(l.k, r.k) AS key, l.v AS live, r.v AS rebuilt
         FROM (SELECT ${KEYS[t]} AS k, to_jsonb(x)::text AS v FROM ${live}.${t} x) l
         FULL JOIN (SELECT ${KEYS[t]} AS k, to_jsonb(x)::text AS v FROM ${fresh}.${t} x) r ON r.k = l.k
        WHERE l.v IS DISTINCT FROM r.v
        ORDER BY 1`,
    );
    differences.push(...rows.map((r) => ({ table: t, ...r })));
  }
  return { upTo, events, differences };
}
