import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Standalone mode's database: PGlite (Postgres compiled to WASM) in a data folder, served over the
 * Postgres wire protocol on a loopback port so the very same `pg`/TypeORM code runs in both modes.
 * PGlite is a single-session database: callers must use one pooled connection (max 1), which
 * `openDatabase` does for embedded URLs.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const db = new PGlite(dataDir);
    await db.waitReady;
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return new EmbeddedPostgres(
      db,
      server,
      `postgres://postgres:postgres@127.0.0.1:${port}/postgres?embedded=1`,
    );
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}

export function isEmbeddedUrl(url: string): boolean {
  return new URL(url).searchParams.get('embedded') === '1';
}
