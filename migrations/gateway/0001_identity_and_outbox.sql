-- Teams pay for the usage of their API keys. Keys are stored only as SHA-256 hashes.
CREATE TABLE teams (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);
CREATE UNIQUE INDEX teams_active_name ON teams (lower(name)) WHERE disabled_at IS NULL;

CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  team_id     text NOT NULL REFERENCES teams (id),
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  key_prefix  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_keys_team ON api_keys (team_id);

-- The team that pays for requests made with the master (admin) key.
INSERT INTO teams (id, name) VALUES ('default', 'default') ON CONFLICT DO NOTHING;

-- Usage events wait here between the request and the event transport. Rows are claimed for a
-- while by a relay, published, then deleted; a claim that expires is taken again.
CREATE TABLE usage_outbox (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL,
  subject       text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  claimed_by    text
);
