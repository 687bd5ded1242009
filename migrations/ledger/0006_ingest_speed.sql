-- Ingest speed (issue 6, item 1). The transfers journal is the hottest insert of the ledger (about two rows per
-- usage event); measured per row on the bench, most of its cost was the two per-row foreign key triggers on
-- the account columns (one SPI lookup and row lock each) and three index entries it does not need. Same rules,
-- cheaper checks:

-- 1. Accounts named by a transfer must exist: one set-based check per INSERT statement (an anti-join of the
--    statement's new rows against accounts) instead of two row-by-row foreign key lookups. The foreign keys also
--    locked the account rows against deletion; accounts can never be deleted (accounts_guard, no TRUNCATE), so
--    nothing is lost. The self references (pending_id, corrects_transfer_id) keep their foreign keys: they are
--    NULL on almost every row, where the check costs nothing.
ALTER TABLE transfers
  DROP CONSTRAINT transfers_debit_account_id_fkey,
  DROP CONSTRAINT transfers_credit_account_id_fkey;

CREATE FUNCTION transfers_accounts_exist() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  missing text;
BEGIN
  SELECT n.account_id INTO missing
    FROM (SELECT debit_account_id AS account_id FROM new_transfers
          UNION SELECT credit_account_id FROM new_transfers) n
   WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.account_id)
   LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'a transfer names account %, which does not exist', missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER transfers_accounts_exist AFTER INSERT ON transfers
  REFERENCING NEW TABLE AS new_transfers FOR EACH STATEMENT EXECUTE FUNCTION transfers_accounts_exist();

-- 2. (event_id) alone is the leading column of UNIQUE (event_id, leg): the second index was redundant.
DROP INDEX transfers_event;

-- 3. A hold is resolved once and a transfer reversed once: unique among the rows that name one. NULL never
--    conflicts, so partial indexes say the same as the unique constraints without an entry for every row.
ALTER TABLE transfers DROP CONSTRAINT transfers_pending_id_key;
CREATE UNIQUE INDEX transfers_pending_id_key ON transfers (pending_id) WHERE pending_id IS NOT NULL;
ALTER TABLE transfers DROP CONSTRAINT transfers_corrects_transfer_id_key;
CREATE UNIQUE INDEX transfers_corrects_transfer_id_key ON transfers (corrects_transfer_id) WHERE corrects_transfer_id IS NOT NULL;

-- The hold expiry sweep (hold-expiry.ts) looks for open holds past their timeout: pending rows only.
CREATE INDEX transfers_pending_timeout ON transfers (timeout_at) WHERE kind = 'pending';
