-- Issue 6 follow-ups (docs/ledger-design.md): budget alerts pushed to a webhook, and corrections in usage
-- per hour.

-- One row per budget.alerted.v1 to push, written in the transaction that appends the alert (only while a
-- webhook is configured). Operational state, not history: a row changes as attempts are made. A claim moves
-- next_attempt_at forward before the request is sent, so another instance does not send it too, and a
-- process that dies mid-send leaves it to be retried once the claim runs out (at least once).
CREATE TABLE budget_alert_deliveries (
  event_id         uuid PRIMARY KEY REFERENCES events (event_id),
  team_id          text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status      integer,          -- the receiver's HTTP status of the last attempt (null: no answer)
  last_error       text,             -- why the last attempt failed (never the body or the secret)
  delivered_at     timestamptz,
  failed_at        timestamptz,      -- given up after the last attempt
  CHECK (delivered_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX budget_alert_deliveries_due ON budget_alert_deliveries (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;

-- What each ledger.correction.v1 changed in usage_hourly (read-models projector): the dedupe row of a
-- correction (its event id), the request it comes down to and the hour and dimensions it was added to, and
-- the deltas, so that a correction of this correction subtracts exactly them.
CREATE TABLE usage_corrections (
  event_id                uuid PRIMARY KEY,           -- the correction
  corrects_event_id       uuid NOT NULL,              -- the event it corrects (a usage event or a correction)
  request_event_id        uuid NOT NULL,              -- the usage event at the root of the chain
  event_position          bigint NOT NULL,
  hour                    timestamptz NOT NULL,       -- the corrected request's hour (of receivedAt)
  team_id                 text NOT NULL,
  key_id                  text NOT NULL,
  model                   text NOT NULL,
  provider                text NOT NULL,
  reverses                boolean NOT NULL,           -- its target had transfers to reverse (once only)
  books_transfers         boolean NOT NULL,           -- it booked transfers (a correction of it reverses them)
  cost_nano_usd           numeric(39, 0) NOT NULL,
  provider_cost_nano_usd  numeric(39, 0) NOT NULL,
  input_uncached_tokens   bigint NOT NULL,
  cache_read_tokens       bigint NOT NULL,
  cache_write_tokens      bigint NOT NULL,
  output_tokens           bigint NOT NULL,
  reasoning_tokens        bigint NOT NULL
);
CREATE INDEX usage_corrections_target ON usage_corrections (corrects_event_id);

-- usage_hourly now reflects corrections: the read models replay the store from the start (as 0004 did), so
-- corrections booked before this migration are counted too and a rebuild equals the live tables.
TRUNCATE request_audit, usage_hourly, provider_quality_hourly, read_model_prices;
DELETE FROM checkpoints WHERE name = 'read_models';
