-- Read models of issue 6 (items 5 and 6): the full per-request audit record (A9.7), usage per hour, and
-- provider quality per hour. All three are written by one projector (`read_models`,
-- apps/ledger/src/read-models/read-models.projector.ts) in the transaction that moves its checkpoint; the
-- audit row is the dedupe row that guards the additive hourly upserts. Rebuildable from the event store:
-- `ledger:verify -- --rebuild` replays them into scratch copies and diffs.

-- The audit record gains what the usage event now carries and the cost as of the event.
ALTER TABLE request_audit
  ADD COLUMN occurred_at              timestamptz,
  ADD COLUMN request_sha256           text,
  ADD COLUMN response_sha256          text,
  ADD COLUMN ttft_ms                  double precision,
  ADD COLUMN gateway_input_tokens     bigint,
  ADD COLUMN gateway_output_tokens    bigint,
  ADD COLUMN firewall                 jsonb NOT NULL DEFAULT '[]',
  -- priced | no_usage | price_not_found | unattributable (tokens without provider or model)
  ADD COLUMN cost_status              text,
  ADD COLUMN list_price_version       integer,
  ADD COLUMN team_price_version       integer,
  ADD COLUMN price_basis              text,
  ADD COLUMN price_tier               text,
  ADD COLUMN charge_nano_usd          bigint,
  ADD COLUMN provider_cost_nano_usd   bigint,
  ADD COLUMN margin_nano_usd          bigint,
  ADD COLUMN subsidy_nano_usd         bigint,
  ADD COLUMN rounding_nano_usd        bigint,
  ADD COLUMN team_exact_femto_usd     numeric(39, 0),
  ADD COLUMN provider_exact_femto_usd numeric(39, 0);

-- The audit table is a projection: the new projector replays the store from the start, so the rows the
-- old one wrote (without costs or hashes) go, with its checkpoint.
DELETE FROM request_audit;
DELETE FROM checkpoints WHERE name = 'request_audit';

-- Filters of the audit query, newest first with the request id as the tie-break (the paging cursor).
CREATE INDEX request_audit_team_key ON request_audit (team_id, key_id, received_at DESC, request_id DESC);
CREATE INDEX request_audit_model ON request_audit (model_served, received_at DESC, request_id DESC);
CREATE INDEX request_audit_provider ON request_audit (provider, received_at DESC, request_id DESC);
CREATE INDEX request_audit_order ON request_audit (received_at DESC, request_id DESC);

-- The price catalogue as this projector has seen it (price.published.v1 in stream order), so a cost is
-- always the price as of its event, whatever the accounting projector's progress.
CREATE TABLE read_model_prices (
  version   integer PRIMARY KEY,
  data      jsonb NOT NULL,
  event_id  uuid NOT NULL
);

-- Usage per hour (UTC, by received_at). Empty strings stand for "none" in the key (no API key, no model or
-- provider known), so the primary key can carry them.
CREATE TABLE usage_hourly (
  hour                    timestamptz NOT NULL,
  team_id                 text NOT NULL,
  key_id                  text NOT NULL,
  model                   text NOT NULL,
  provider                text NOT NULL,
  requests                bigint NOT NULL,
  errors                  bigint NOT NULL,
  input_uncached_tokens   bigint NOT NULL,
  cache_read_tokens       bigint NOT NULL,
  cache_write_tokens      bigint NOT NULL,
  output_tokens           bigint NOT NULL,
  reasoning_tokens        bigint NOT NULL,
  cost_nano_usd           numeric(39, 0) NOT NULL,   -- charged to the team (priced requests)
  provider_cost_nano_usd  numeric(39, 0) NOT NULL,
  unpriced_requests       bigint NOT NULL,           -- tokens but no price (or no provider/model)
  PRIMARY KEY (hour, team_id, key_id, model, provider)
);
CREATE INDEX usage_hourly_team ON usage_hourly (team_id, hour);

-- Provider quality per (provider, model, hour). Latency and TTFT are fixed-bucket histograms
-- (read-models/histogram.ts), merged across hours by adding counts; sums are integer microseconds so a
-- replay in other batch sizes adds up to the same numbers.
CREATE TABLE provider_quality_hourly (
  hour                    timestamptz NOT NULL,
  provider                text NOT NULL,
  model                   text NOT NULL,
  requests                bigint NOT NULL,
  errors                  bigint NOT NULL,
  latency_buckets         bigint[] NOT NULL,
  latency_sum_us          bigint NOT NULL,
  ttft_buckets            bigint[] NOT NULL,
  ttft_count              bigint NOT NULL,
  ttft_sum_us             bigint NOT NULL,
  -- Output speed: output tokens over generation time (latency minus TTFT for streams), successful requests.
  speed_output_tokens     bigint NOT NULL,
  speed_generation_us     bigint NOT NULL,
  -- Drift: provider-reported against gateway-counted tokens, over requests the gateway counted.
  drift_input_requests    bigint NOT NULL,
  provider_input_tokens   bigint NOT NULL,
  gateway_input_tokens    bigint NOT NULL,
  drift_output_requests   bigint NOT NULL,
  provider_output_tokens  bigint NOT NULL,
  gateway_output_tokens   bigint NOT NULL,
  PRIMARY KEY (provider, model, hour)
);
CREATE INDEX provider_quality_hour ON provider_quality_hourly (hour);
