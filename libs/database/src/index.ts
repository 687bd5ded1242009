export { Db, openDatabase, type SqlExecutor, type IsolationLevel, type OpenDatabaseOptions } from './db';
export { EmbeddedPostgres, isEmbeddedUrl } from './embedded-postgres';
export { migrate, quoteIdent, MigrationChecksumError, type MigrationResult } from './migrator';
