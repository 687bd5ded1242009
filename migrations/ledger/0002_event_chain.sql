-- Hash chain over the event store (issue 6, integrity). Computed in blocks by a checkpointed projector after
-- the events commit, so appends take no global lock: each block covers the events between two checkpoints
-- of the `event_chain` projector, in the store's global order (tx_id, position), and links to the previous
-- block's hash. `npm run ledger:verify` recomputes every block and names the first one that differs.
CREATE TABLE event_chain_blocks (
  block_no       bigint PRIMARY KEY,
  -- The events covered: (from_tx_id, from_position) exclusive .. (to_tx_id, to_position) inclusive.
  from_tx_id     xid8 NOT NULL,
  from_position  bigint NOT NULL,
  to_tx_id       xid8 NOT NULL,
  to_position    bigint NOT NULL,
  event_count    integer NOT NULL CHECK (event_count > 0),
  events_hash    text NOT NULL,   -- SHA-256 over the events' digests, in order
  prev_hash      text NOT NULL,   -- the previous block's block_hash (64 zeros for block 1)
  block_hash     text NOT NULL UNIQUE,
  sealed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER event_chain_blocks_append_only BEFORE UPDATE OR DELETE ON event_chain_blocks FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER event_chain_blocks_no_truncate BEFORE TRUNCATE ON event_chain_blocks FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
