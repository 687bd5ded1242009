import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db';

export type MigrationResult = { schema: string; applied: string[] };

export class MigrationChecksumError extends Error {
  readonly code = 'MIGRATION_EDITED';
}

/**
 * Forward-only SQL migrations, one folder per service schema (`migrations/<schema>/NNNN_name.sql`).
 * Each file runs in its own transaction under an advisory lock, so several instances starting at
 * once apply it once. A committed migration is never edited: its checksum is recorded and a
 * mismatch stops the start.
 */
export async function migrate(db: Db, migrationsRoot: string, schema: string): Promise<MigrationResult> {
  const dir = join(migrationsRoot, schema);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
        .sort()
    : [];
  const lockKey = BigInt.asIntN(
    64,
    BigInt('0x' + createHash('sha256').update(`sluice-migrate:${schema}`).digest('hex').slice(0, 16)),
  );
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey.toString()]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
         version text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Map(
      (
        await tx.query<{ version: string; checksum: string }>(
          `SELECT version, checksum FROM ${quoteIdent(schema)}.schema_migrations`,
        )
      ).map((r) => [r.version, r.checksum]),
    );
    const applied: string[] = [];
    for (const file of files) {
      const sql = readFileSync(join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const seen = done.get(file);
      if (seen !== undefined) {
        if (seen !== checksum) {
          throw new MigrationChecksumError(
            `migration ${schema}/${file} was edited after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await tx.query(`SET LOCAL search_path TO ${quoteIdent(schema)}, public`);
      await tx.query(sql);
      await tx.query(
        `INSERT INTO ${quoteIdent(schema)}.schema_migrations (version, checksum) VALUES ($1, $2)`,
        [file, checksum],
      );
      applied.push(file);
    }
    return { schema, applied };
  });
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier: ${name}`);
  return `"${name}"`;
}
