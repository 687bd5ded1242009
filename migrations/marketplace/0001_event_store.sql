-- The marketplace is event-sourced like the ledger: its own event store in its own schema.
-- Orders, matching and contracts arrive with the marketplace issue.
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

CREATE TABLE checkpoints (
  name       text PRIMARY KEY,
  tx_id      xid8 NOT NULL DEFAULT '0',
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
