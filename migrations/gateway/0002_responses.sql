-- Responses the gateway answered by translation (non-OpenAI upstreams), kept so that a later
-- request can continue one with `previous_response_id`, and for GET/DELETE /v1/responses/{id}.
-- Only the owning team reads its rows; rows past expires_at are ignored and swept.
CREATE TABLE responses (
  id          text PRIMARY KEY,
  team_id     text NOT NULL REFERENCES teams (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  body        jsonb NOT NULL
);
CREATE INDEX responses_team ON responses (team_id);
CREATE INDEX responses_expires ON responses (expires_at);
