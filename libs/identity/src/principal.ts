/** A firewall override kept with a team or a key (null fields inherit). */
export type FirewallOverride = {
  mode?: 'off' | 'monitor' | 'enforce' | 'redact';
  actions?: Record<string, 'redact' | 'block' | 'monitor' | 'ignore'>;
};

/** Who is calling: resolved from the API key once per request (from a cache). */
export type Principal = {
  kind: 'admin' | 'team';
  teamId: string;
  /** The key's id; `master` for the bootstrap admin key. */
  keyId: string;
  /** Firewall overrides of the team and of the key, applied over the global policy in that order. */
  firewall?: { team: FirewallOverride | null; key: FirewallOverride | null };
};

export const MASTER_KEY_ID = 'master';
/** The team that pays for requests made with the master key (created by the first migration). */
export const DEFAULT_TEAM_ID = 'default';
