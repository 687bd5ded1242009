import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ResponsesResponse, StoredResponsesTurn } from '@sluice/protocols';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';

/** What one row keeps: the response object as the client got it, and the input it answered. */
export type StoredResponse = { input: unknown[]; response: ResponsesResponse };

const SWEEP_INTERVAL_MS = 10 * 60_000;

function isStored(v: unknown): v is StoredResponse {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as StoredResponse).input) &&
    typeof (v as StoredResponse).response === 'object'
  );
}

/**
 * Translated Responses answers in `gateway.responses`, through the gateway's database (the
 * embedded one in standalone, so a restart keeps conversations). Every read is scoped to the team
 * and to rows that have not expired; expired rows are swept at start and every ten minutes.
 */
@Injectable()
export class ResponsesStore implements OnModuleInit, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  onModuleInit(): void {
    const run = (): void => {
      this.sweep().catch((err: unknown) =>
        this.rt.logger.warn({ err: (err as Error).message }, 'responses sweep failed'),
      );
    };
    run();
    this.timer = setInterval(run, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async save(teamId: string, stored: StoredResponse): Promise<void> {
    const ttlHours = this.rt.config.responsesTtlHours;
    await this.rt.db.query(
      `INSERT INTO gateway.responses (id, team_id, created_at, expires_at, body)
       VALUES ($1, $2, now(), now() + make_interval(hours => $3::int), $4::jsonb)
       ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, expires_at = EXCLUDED.expires_at
       WHERE gateway.responses.team_id = EXCLUDED.team_id`,
      [stored.response.id, teamId, ttlHours, JSON.stringify(stored)],
    );
  }

  async get(teamId: string, id: string): Promise<StoredResponse | undefined> {
    const rows = await this.rt.db.query<{ body: unknown }>(
      `SELECT body FROM gateway.responses WHERE id = $1 AND team_id = $2 AND expires_at > now()`,
      [id, teamId],
    );
    const raw = rows[0]?.body;
    const body: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
    return isStored(body) ? body : undefined;
  }

  /** The turn `expandPreviousResponse` continues from. */
  async turn(teamId: string, id: string): Promise<StoredResponsesTurn | undefined> {
    const s = await this.get(teamId, id);
    if (!s) return undefined;
    return {
      id: s.response.id,
      input: s.input,
      output: s.response.output,
      createdAtSec: s.response.created_at,
    };
  }

  /** True when a live row of this team was deleted. */
  async delete(teamId: string, id: string): Promise<boolean> {
    const rows = await this.rt.db.query<{ id: string }>(
      `DELETE FROM gateway.responses WHERE id = $1 AND team_id = $2 AND expires_at > now() RETURNING id`,
      [id, teamId],
    );
    return rows.length > 0;
  }

  async sweep(): Promise<number> {
    const rows = await this.rt.db.query<{ id: string }>(
      `DELETE FROM gateway.responses WHERE expires_at <= now() RETURNING id`,
    );
    return rows.length;
  }
}
