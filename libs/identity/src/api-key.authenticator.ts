import { hashApiKey, looksLikeApiKey, safeEqual } from './api-keys';
import type { KeyLookup, KeyLookupSource } from './identity.repository';
import { DEFAULT_TEAM_ID, MASTER_KEY_ID, type Principal } from './principal';

type Entry = { principal: Principal | null; expiresAt: number };

/**
 * Resolves a presented key to a principal without a database query per request: results (also
 * "unknown key") are cached by key hash for `ttlMs`. Revoking through this process drops the entry
 * at once; other gateway instances see a revocation within `ttlMs`.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Principal | null>>();

  constructor(
    /** Null in services that accept only the master key. */
    private readonly repo: KeyLookupSource | null,
    private readonly masterKey: string,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(presented: string | null): Promise<Principal | null> {
    if (!presented) return null;
    if (safeEqual(presented, this.masterKey))
      return { kind: 'admin', teamId: DEFAULT_TEAM_ID, keyId: MASTER_KEY_ID };
    if (!this.repo || !looksLikeApiKey(presented)) return null;
    const repo = this.repo;
    const hash = hashApiKey(presented);
    const hit = this.cache.get(hash);
    if (hit && hit.expiresAt > this.now()) return hit.principal;
    const pending = this.inflight.get(hash);
    if (pending) return pending;
    const lookup = repo
      .findByHash(hash)
      .then((row) => {
        const principal = toPrincipal(row);
        this.remember(hash, principal);
        return principal;
      })
      .finally(() => this.inflight.delete(hash));
    this.inflight.set(hash, lookup);
    return lookup;
  }

  isMasterKey(presented: string | null): boolean {
    return presented !== null && safeEqual(presented, this.masterKey);
  }

  /** Drops every cached entry of a key or team (after a revoke through this process). */
  invalidate(): void {
    this.cache.clear();
  }

  private remember(hash: string, principal: Principal | null): void {
    if (this.cache.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest tenth.
      let drop = Math.ceil(this.maxEntries / 10);
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--drop === 0) break;
      }
    }
    this.cache.set(hash, { principal, expiresAt: this.now() + this.ttlMs });
  }
}

function toPrincipal(row: KeyLookup | null): Principal | null {
  if (!row || row.revoked || row.teamDisabled) return null;
  const principal: Principal = { kind: 'team', teamId: row.teamId, keyId: row.keyId };
  if (row.teamFirewall || row.keyFirewall)
    principal.firewall = { team: row.teamFirewall ?? null, key: row.keyFirewall ?? null };
  return principal;
}
