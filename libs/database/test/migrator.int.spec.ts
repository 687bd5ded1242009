import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MigrationChecksumError, migrate, openDatabase, type Db } from '@sluice/database';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';

describe('SQL migrations', { timeout: 60_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  const root = mkdtempSync(join(tmpdir(), 'sluice-migrations-'));

  before(async () => {
    tdb = await createTestDatabase('migrator');
    db = await openDatabase({ url: tdb.url, applicationName: 'test' });
    mkdirSync(join(root, 'demo'));
    writeFileSync(join(root, 'demo', '0001_create.sql'), 'CREATE TABLE things (id int PRIMARY KEY);');
  });

  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('applies each file once, in the schema, and is idempotent', async () => {
    assert.deepEqual((await migrate(db, root, 'demo')).applied, ['0001_create.sql']);
    assert.deepEqual((await migrate(db, root, 'demo')).applied, []);
    await db.query('INSERT INTO demo.things VALUES (1)');
    writeFileSync(join(root, 'demo', '0002_more.sql'), 'ALTER TABLE things ADD COLUMN name text;');
    assert.deepEqual((await migrate(db, root, 'demo')).applied, ['0002_more.sql']);
  });

  it('refuses to start when an applied migration was edited', async () => {
    writeFileSync(join(root, 'demo', '0001_create.sql'), 'CREATE TABLE things (id bigint PRIMARY KEY);');
    await assert.rejects(migrate(db, root, 'demo'), (err: unknown) => err instanceof MigrationChecksumError);
  });

  it('runs concurrent starts once (advisory lock)', async () => {
    mkdirSync(join(root, 'race'));
    writeFileSync(join(root, 'race', '0001_create.sql'), 'CREATE TABLE t (id int);');
    const results = await Promise.all([
      migrate(db, root, 'race'),
      migrate(db, root, 'race'),
      migrate(db, root, 'race'),
    ]);
    assert.equal(results.flatMap((r) => r.applied).length, 1);
  });
});
