/** Who is calling: resolved from the API key once per request (from a cache). */
export type Principal = {
  kind: 'admin' | 'team';
  teamId: string;
  /** The key's id; `master` for the bootstrap admin key. */
  keyId: string;
};

export const MASTER_KEY_ID = 'master';
/** The team that pays for requests made with the master key (created by the first migration). */
export const DEFAULT_TEAM_ID = 'default';
