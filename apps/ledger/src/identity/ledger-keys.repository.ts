import type { SqlExecutor } from '@sluice/database';
import type {
  ApiKeyIssuedV1,
  ApiKeyRevokedV1,
  ApiKeyScope,
  TeamCreatedV1,
  TeamDisabledV1,
} from '@sluice/events';
import type { KeyLookup, KeyLookupSource } from '@sluice/identity';
import { LEDGER_SCHEMA } from '../ledger.runtime';

/** The scope a team key needs on the ledger (every key the gateway issues today has it). */
export const LEDGER_READ_SCOPE: ApiKeyScope = 'ledger:read';

/**
 * The ledger's read model of team keys (migrations/ledger/0005): written only by identity events,
 * read by the ledger's ApiKeyAuthenticator. Each write is an upsert that tolerates the events of one
 * key or team arriving in any order (a revocation is never undone by a late issue).
 */
export class LedgerKeysRepository implements KeyLookupSource {
  private readonly s = LEDGER_SCHEMA;

  constructor(private readonly db: SqlExecutor) {}

  /** A key without the ledger scope, or not yet issued here, is unknown to the ledger. */
  async findByHash(hash: string): Promise<KeyLookup | null> {
    const [row] = await this.db.query<{
      key_id: string;
      team_id: string;
      revoked: boolean;
      team_disabled: boolean;
    }>(
      `SELECT k.key_id, k.team_id, k.revoked_at IS NOT NULL AS revoked, t.disabled_at IS NOT NULL AS team_disabled
         FROM ${this.s}.api_keys k LEFT JOIN ${this.s}.identity_teams t ON t.team_id = k.team_id
        WHERE k.key_hash = $1 AND $2 = ANY (k.scopes)`,
      [hash, LEDGER_READ_SCOPE],
    );
    if (!row) return null;
    return { keyId: row.key_id, teamId: row.team_id, revoked: row.revoked, teamDisabled: row.team_disabled };
  }

  /** Marks an event applied; false when it was applied before (a redelivery: skip it). */
  async markApplied(
    tx: SqlExecutor,
    e: { id: string; type: string; subject: string; occurredAt: string },
  ): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO ${this.s}.identity_inbox (event_id, type, subject, occurred_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [e.id, e.type, e.subject, e.occurredAt],
    );
    return rows.length === 1;
  }

  async teamCreated(tx: SqlExecutor, d: TeamCreatedV1): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.identity_teams (team_id, name, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (team_id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at`,
      [d.teamId, d.name, d.createdAt],
    );
  }

  async teamDisabled(tx: SqlExecutor, d: TeamDisabledV1): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.identity_teams (team_id, disabled_at) VALUES ($1, $2)
       ON CONFLICT (team_id) DO UPDATE SET disabled_at = coalesce(identity_teams.disabled_at, excluded.disabled_at)`,
      [d.teamId, d.disabledAt],
    );
  }

  async keyIssued(tx: SqlExecutor, d: ApiKeyIssuedV1): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.api_keys (key_id, team_id, key_hash, key_prefix, name, scopes, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7)
       ON CONFLICT (key_id) DO UPDATE SET team_id = excluded.team_id, key_hash = excluded.key_hash,
         key_prefix = excluded.key_prefix, name = excluded.name, scopes = excluded.scopes,
         issued_at = excluded.issued_at, updated_at = now()`,
      [d.keyId, d.teamId, d.keyHash, d.keyPrefix, d.name, d.scopes, d.issuedAt],
    );
  }

  async keyRevoked(tx: SqlExecutor, d: ApiKeyRevokedV1): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.api_keys (key_id, team_id, revoked_at) VALUES ($1, $2, $3)
       ON CONFLICT (key_id) DO UPDATE SET revoked_at = coalesce(api_keys.revoked_at, excluded.revoked_at),
         updated_at = now()`,
      [d.keyId, d.teamId, d.revokedAt],
    );
  }
}
