-- Event store: append-only, optimistic concurrency per stream, global order by (tx_id, position).
CREATE TABLE streams (
  stream_id text PRIMARY KEY,
  version   integer NOT NULL
);

CREATE TABLE events (
  position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id       uuid NOT NULL UNIQUE,
  stream_id      text NOT NULL,
  stream_version integer NOT NULL,
  type           text NOT NULL,
  subject        text NOT NULL,
  occurred_at    timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  producer       text NOT NULL,
  correlation_id text,
  data           jsonb NOT NULL,
  UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_global_order ON events (tx_id, position);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Where each projector stands, updated in the same transaction as the projector's writes.
CREATE TABLE checkpoints (
  name       text PRIMARY KEY,
  tx_id      xid8 NOT NULL DEFAULT '0',
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Messages that were not valid events: kept (never dropped silently), keyed by where they came from.
CREATE TABLE rejected_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source      text NOT NULL UNIQUE,
  reason      text NOT NULL,
  raw         text,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- One row per gateway request (projection of usage.recorded.v1).
CREATE TABLE request_audit (
  request_id            text PRIMARY KEY,
  event_id              uuid NOT NULL UNIQUE,
  team_id               text NOT NULL,
  key_id                text,
  endpoint              text NOT NULL,
  model_requested       text,
  model_served          text,
  provider              text,
  provider_request_id   text,
  stream                boolean NOT NULL,
  status                integer NOT NULL,
  error_code            text,
  input_uncached_tokens bigint NOT NULL,
  cache_read_tokens     bigint NOT NULL,
  cache_write_tokens    bigint NOT NULL,
  output_tokens         bigint NOT NULL,
  reasoning_tokens      bigint NOT NULL,
  raw_usage             jsonb,
  latency_ms            double precision NOT NULL,
  ttfb_ms               double precision,
  received_at           timestamptz NOT NULL,
  event_position        bigint NOT NULL
);
CREATE INDEX request_audit_received ON request_audit (received_at);
CREATE INDEX request_audit_team_received ON request_audit (team_id, received_at);
