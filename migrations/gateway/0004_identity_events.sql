-- Identity events (team created/disabled, API key issued/revoked) for the other services, written in
-- the same transaction as the change they record and relayed like usage events (see usage_outbox).
CREATE TABLE identity_outbox (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL,
  subject       text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  claimed_by    text
);

-- Every identity event ever put in the outbox, by its deterministic id (one per fact): the start-up
-- backfill announces only what is missing here, and a repeated revoke announces nothing new.
CREATE TABLE identity_announcements (
  event_id     uuid PRIMARY KEY,
  type         text NOT NULL,
  team_id      text NOT NULL,
  announced_at timestamptz NOT NULL DEFAULT now()
);
