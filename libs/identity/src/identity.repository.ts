import { v7 as uuidv7 } from 'uuid';
import type { SqlExecutor } from '@sluice/database';
import { generateApiKey, hashApiKey, keyPrefix } from './api-keys';
import type { FirewallOverride } from './principal';

export type Team = {
  id: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
  firewall: FirewallOverride | null;
};
export type ApiKeyRecord = {
  id: string;
  teamId: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  firewall: FirewallOverride | null;
};
export type KeyLookup = {
  keyId: string;
  teamId: string;
  revoked: boolean;
  teamDisabled: boolean;
  teamFirewall?: FirewallOverride | null;
  keyFirewall?: FirewallOverride | null;
};

/**
 * Where an authenticator looks keys up by hash: the gateway's own tables (IdentityRepository), or a
 * service's read model fed by identity events (the ledger's `ledger.api_keys`).
 */
export interface KeyLookupSource {
  findByHash(hash: string): Promise<KeyLookup | null>;
}

export class IdentityError extends Error {
  constructor(
    readonly code: 'TEAM_NOT_FOUND' | 'KEY_NOT_FOUND' | 'TEAM_NAME_TAKEN' | 'TEAM_DISABLED' | 'INVALID_NAME',
    message: string,
  ) {
    super(message);
  }
}

type TeamRow = {
  id: string;
  name: string;
  created_at: Date;
  disabled_at: Date | null;
  firewall: FirewallOverride | null;
};
type KeyRow = {
  id: string;
  team_id: string;
  name: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  firewall: FirewallOverride | null;
};

const toTeam = (r: TeamRow): Team => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at.toISOString(),
  disabledAt: r.disabled_at ? r.disabled_at.toISOString() : null,
  firewall: r.firewall ?? null,
});
const toKey = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  teamId: r.team_id,
  name: r.name,
  prefix: r.key_prefix,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
  firewall: r.firewall ?? null,
});

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
    throw new IdentityError('INVALID_NAME', 'name must be a non-empty string of at most 200 characters');
  }
  return name.trim();
}

/** Teams and API keys in the gateway schema (migrations/gateway/0001). */
export class IdentityRepository implements KeyLookupSource {
  constructor(
    private readonly db: SqlExecutor,
    private readonly schema = 'gateway',
  ) {}

  async createTeam(name: unknown): Promise<Team> {
    const clean = checkName(name);
    try {
      const [row] = await this.db.query<TeamRow>(
        `INSERT INTO ${this.schema}.teams (id, name) VALUES ($1, $2) RETURNING id, name, created_at, disabled_at, firewall`,
        [`team_${uuidv7().replace(/-/g, '')}`, clean],
      );
      return toTeam(row!);
    } catch (err) {
      if ((err as { code?: string }).code === '23505' || /duplicate key/.test(String(err))) {
        throw new IdentityError('TEAM_NAME_TAKEN', `a team named "${clean}" exists`);
      }
      throw err;
    }
  }

  async listTeams(): Promise<Team[]> {
    const rows = await this.db.query<TeamRow>(
      `SELECT id, name, created_at, disabled_at, firewall FROM ${this.schema}.teams ORDER BY created_at, id`,
    );
    return rows.map(toTeam);
  }

  async getTeam(id: string): Promise<Team> {
    const [row] = await this.db.query<TeamRow>(
      `SELECT id, name, created_at, disabled_at, firewall FROM ${this.schema}.teams WHERE id = $1`,
      [id],
    );
    if (!row) throw new IdentityError('TEAM_NOT_FOUND', `team ${id} not found`);
    return toTeam(row);
  }

  /** Disables the team and revokes all its keys. */
  async disableTeam(id: string): Promise<Team> {
    const [row] = await this.db.query<TeamRow>(
      `UPDATE ${this.schema}.teams SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING id, name, created_at, disabled_at, firewall`,
      [id],
    );
    if (!row) throw new IdentityError('TEAM_NOT_FOUND', `team ${id} not found`);
    await this.db.query(
      `UPDATE ${this.schema}.api_keys SET revoked_at = now() WHERE team_id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return toTeam(row);
  }

  /** Creates a key; the clear key is returned here once and never stored. */
  async createKey(teamId: string, name: unknown): Promise<{ record: ApiKeyRecord; key: string }> {
    const team = await this.getTeam(teamId);
    if (team.disabledAt) throw new IdentityError('TEAM_DISABLED', `team ${teamId} is disabled`);
    const key = generateApiKey();
    const [row] = await this.db.query<KeyRow>(
      `INSERT INTO ${this.schema}.api_keys (id, team_id, name, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, team_id, name, key_prefix, created_at, revoked_at, firewall`,
      [`key_${uuidv7().replace(/-/g, '')}`, teamId, checkName(name), hashApiKey(key), keyPrefix(key)],
    );
    return { record: toKey(row!), key };
  }

  async listKeys(teamId?: string): Promise<ApiKeyRecord[]> {
    const rows = teamId
      ? await this.db.query<KeyRow>(
          `SELECT id, team_id, name, key_prefix, created_at, revoked_at, firewall FROM ${this.schema}.api_keys WHERE team_id = $1 ORDER BY created_at, id`,
          [teamId],
        )
      : await this.db.query<KeyRow>(
          `SELECT id, team_id, name, key_prefix, created_at, revoked_at, firewall FROM ${this.schema}.api_keys ORDER BY created_at, id`,
        );
    return rows.map(toKey);
  }

  async revokeKey(id: string): Promise<ApiKeyRecord> {
    const [row] = await this.db.query<KeyRow>(
      `UPDATE ${this.schema}.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
       RETURNING id, team_id, name, key_prefix, created_at, revoked_at, firewall`,
      [id],
    );
    if (!row) throw new IdentityError('KEY_NOT_FOUND', `key ${id} not found`);
    return toKey(row);
  }

  async findByHash(hash: string): Promise<KeyLookup | null> {
    const [row] = await this.db.query<{
      id: string;
      team_id: string;
      revoked_at: Date | null;
      disabled_at: Date | null;
      key_firewall: FirewallOverride | null;
      team_firewall: FirewallOverride | null;
    }>(
      `SELECT k.id, k.team_id, k.revoked_at, t.disabled_at, k.firewall AS key_firewall, t.firewall AS team_firewall
         FROM ${this.schema}.api_keys k JOIN ${this.schema}.teams t ON t.id = k.team_id
        WHERE k.key_hash = $1`,
      [hash],
    );
    if (!row) return null;
    return {
      keyId: row.id,
      teamId: row.team_id,
      revoked: row.revoked_at !== null,
      teamDisabled: row.disabled_at !== null,
      teamFirewall: row.team_firewall,
      keyFirewall: row.key_firewall,
    };
  }

  /** Sets (or, with null, clears) a team's firewall override. */
  async setTeamFirewall(id: string, policy: FirewallOverride | null): Promise<Team> {
    const [row] = await this.db.query<TeamRow>(
      `UPDATE ${this.schema}.teams SET firewall = $2::jsonb WHERE id = $1 RETURNING id, name, created_at, disabled_at, firewall`,
      [id, policy === null ? null : JSON.stringify(policy)],
    );
    if (!row) throw new IdentityError('TEAM_NOT_FOUND', `team ${id} not found`);
    return toTeam(row);
  }

  /** Sets (or, with null, clears) an API key's firewall override. */
  async setKeyFirewall(id: string, policy: FirewallOverride | null): Promise<ApiKeyRecord> {
    const [row] = await this.db.query<KeyRow>(
      `UPDATE ${this.schema}.api_keys SET firewall = $2::jsonb WHERE id = $1
       RETURNING id, team_id, name, key_prefix, created_at, revoked_at, firewall`,
      [id, policy === null ? null : JSON.stringify(policy)],
    );
    if (!row) throw new IdentityError('KEY_NOT_FOUND', `key ${id} not found`);
    return toKey(row);
  }
}
