-- The ledger's read model of team API keys, fed by the gateway's identity events (topic
-- sluice.identity.v1); the ledger never reads the gateway's tables. Keys are known by their SHA-256
-- hash only. A revocation may arrive before the issue (other order after a replay): the row then
-- exists with a null hash until the issue fills it, and stays revoked.
CREATE TABLE api_keys (
  key_id      text PRIMARY KEY,
  team_id     text NOT NULL,
  key_hash    text UNIQUE,
  key_prefix  text,
  name        text,
  scopes      text[] NOT NULL DEFAULT '{}',
  issued_at   timestamptz,
  revoked_at  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_team ON api_keys (team_id);

CREATE TABLE identity_teams (
  team_id     text PRIMARY KEY,
  name        text,
  created_at  timestamptz,
  disabled_at timestamptz
);

-- Identity events applied, by id: the dedupe, written in the same transaction as their effect.
CREATE TABLE identity_inbox (
  event_id    uuid PRIMARY KEY,
  type        text NOT NULL,
  subject     text NOT NULL,
  occurred_at timestamptz NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);
