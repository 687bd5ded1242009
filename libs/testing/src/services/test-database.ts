import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export type TestDatabase = {
  /** Connection URL of the fresh database (same server, role and password as the admin URL). */
  url: string;
  /** Drops the database, closing any connection still open on it. Safe to call twice. */
  drop(): Promise<void>;
};

/** The admin URL of the integration-test Postgres; throws when it is not configured. */
export function requireTestDatabaseUrl(): string {
  const url = process.env.SLUICE_TEST_DATABASE_URL;
  if (!url) {
    // Integration tests fail, never skip, without their services: a silent skip hides a broken CI.
    throw new Error(
      'SLUICE_TEST_DATABASE_URL is not set: integration tests need a real Postgres. Run them with `npm test` ' +
        '(it starts scripts/services/postgres.sh) or export the URL printed by `scripts/services/postgres.sh start`.',
    );
  }
  return url;
}

/** A Postgres identifier made of the prefix, the pid and random bits: unique across parallel test files. */
export function uniqueDatabaseName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 30) || 'test';
  const safe = /^[a-z_]/.test(clean) ? clean : `t_${clean}`;
  return `${safe}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

async function withAdmin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database on the integration-test server
 * (`SLUICE_TEST_DATABASE_URL`) and returns its URL; `drop()` removes it again.
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = requireTestDatabaseUrl();
  const name = uniqueDatabaseName(prefix);
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      // FORCE: a pool a test forgot to close must not keep its database alive
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}
