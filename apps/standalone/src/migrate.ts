import 'reflect-metadata';
import { join } from 'node:path';
import { loadStandaloneConfig } from '@sluice/config';
import { EmbeddedPostgres, migrate, openDatabase } from '@sluice/database';

/**
 * `npm run migrate [schema ...]`: applies the SQL migrations (all three schemas by default) to
 * DATABASE_URL, or to the embedded database in the data folder when it is unset. Services also
 * migrate their own schema at start; this is for operators who prefer to do it beforehand.
 */
async function main(): Promise<void> {
  const config = loadStandaloneConfig(process.env).gateway;
  const schemas =
    process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['gateway', 'ledger', 'marketplace'];
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(join(config.dataDir, 'pg'));
  const db = await openDatabase({
    url: config.databaseUrl ?? embedded!.url,
    applicationName: 'sluice-migrate',
  });
  try {
    for (const schema of schemas) {
      const result = await migrate(db, config.migrationsDir, schema);
      process.stdout.write(
        `${schema}: ${result.applied.length === 0 ? 'up to date' : `applied ${result.applied.join(', ')}`}\n`,
      );
    }
  } finally {
    await db.close();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
