import { DataSource, type QueryRunner } from 'typeorm';
import { isEmbeddedUrl } from './embedded-postgres';

/** The narrow SQL surface domain code needs: rows in, rows out, inside or outside a transaction. */
export interface SqlExecutor {
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

class RunnerExecutor implements SqlExecutor {
  constructor(private readonly runner: QueryRunner) {}
  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(sql, [...params], true);
    return result.records as T[];
  }
}

/**
 * One TypeORM DataSource per process and schema set, with a raw-SQL face for the event store,
 * outbox and projections, where explicit SQL says more than an entity would.
 */
export class Db implements SqlExecutor {
  constructor(readonly dataSource: DataSource) {}

  async query<T extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await new RunnerExecutor(runner).query<T>(sql, params);
    } finally {
      await runner.release();
    }
  }

  /**
   * Runs `fn` in one transaction. Everything inside must go through the executor it is given: with
   * the embedded database there is a single connection, so a query on `this` would wait forever.
   */
  async transaction<T>(
    fn: (tx: SqlExecutor) => Promise<T>,
    isolation: IsolationLevel = 'READ COMMITTED',
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction(isolation);
      try {
        const result = await fn(new RunnerExecutor(runner));
        await runner.commitTransaction();
        return result;
      } catch (err) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    } finally {
      await runner.release();
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

export type OpenDatabaseOptions = {
  url: string;
  applicationName: string;
  poolSize?: number;
  /** TypeORM entities the caller maps (raw SQL needs none). */
  entities?: NonNullable<ConstructorParameters<typeof DataSource>[0]['entities']>;
};

export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const embedded = isEmbeddedUrl(options.url);
  const url = new URL(options.url);
  url.searchParams.delete('embedded');
  const dataSource = new DataSource({
    type: 'postgres',
    url: url.toString(),
    applicationName: options.applicationName,
    entities: options.entities ?? [],
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // PGlite has one session: every user of the embedded database shares one connection.
    poolSize: embedded ? 1 : (options.poolSize ?? 10),
    extra: { connectionTimeoutMillis: embedded ? 120_000 : 5_000, idleTimeoutMillis: 30_000 },
  });
  await dataSource.initialize();
  return new Db(dataSource);
}
