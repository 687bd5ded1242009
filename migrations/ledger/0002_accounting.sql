-- Double-entry accounting (issue 6): accounts with TigerBeetle's four balance columns, an append-only
-- transfer journal, the accounting projector's inbox, and the price catalogue read model.
-- Every name is unqualified on purpose: `rebuild` runs this same file into a scratch schema (search_path
-- `<scratch>, ledger`) and diffs the result against the live tables.

-- Accounts: created on first use (from the chart in accounts.ts). The balance columns are the only thing
-- that ever changes, always in the transaction that inserts the transfers that explain the change.
CREATE TABLE accounts (
  id                              text PRIMARY KEY,             -- readable key: team:acme, provider:openai
  uuid                            uuid NOT NULL UNIQUE,          -- accountUuid(id), UUIDv5
  kind                            text NOT NULL,
  normal_side                     text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
  ledger                          text NOT NULL,
  debits_must_not_exceed_credits  boolean NOT NULL,
  credits_must_not_exceed_debits  boolean NOT NULL,
  debits_posted                   numeric(39, 0) NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_posted                  numeric(39, 0) NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_pending                  numeric(39, 0) NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  credits_pending                 numeric(39, 0) NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  created_at                      timestamptz NOT NULL DEFAULT now(),
  -- TigerBeetle's limit flags, enforced by the database as well as by planTransfer.
  CONSTRAINT accounts_debits_within_credits CHECK (
    NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted),
  CONSTRAINT accounts_credits_within_debits CHECK (
    NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted)
);

-- An account is never deleted, its identity never changes, and posted columns only grow.
CREATE FUNCTION accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'accounts are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.uuid IS DISTINCT FROM OLD.uuid OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.normal_side IS DISTINCT FROM OLD.normal_side OR NEW.ledger IS DISTINCT FROM OLD.ledger
     OR NEW.debits_must_not_exceed_credits IS DISTINCT FROM OLD.debits_must_not_exceed_credits
     OR NEW.credits_must_not_exceed_debits IS DISTINCT FROM OLD.credits_must_not_exceed_debits
     OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'an account''s identity and flags never change' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.debits_posted < OLD.debits_posted OR NEW.credits_posted < OLD.credits_posted THEN
    RAISE EXCEPTION 'posted balances only grow (corrections are new transfers)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER accounts_guard BEFORE UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_guard();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The invariant: debits equal credits, posted and pending, at every commit. A deferred constraint trigger
-- fires at commit for each changed account row; the first one checks the whole books and marks the
-- transaction (and schema), so the sum runs once per transaction.
-- `SET search_path FROM CURRENT` pins the schema the function was created in (ledger, or a rebuild's scratch).
CREATE FUNCTION accounts_balanced() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  dp numeric; cp numeric; dq numeric; cq numeric;
BEGIN
  IF current_setting('sluice.books_checked', true) = txid_current()::text || '/' || TG_TABLE_SCHEMA THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(sum(debits_posted), 0), coalesce(sum(credits_posted), 0),
         coalesce(sum(debits_pending), 0), coalesce(sum(credits_pending), 0)
    INTO dp, cp, dq, cq FROM accounts;
  IF dp <> cp OR dq <> cq THEN
    RAISE EXCEPTION 'books out of balance: posted debits % credits %, pending debits % credits %', dp, cp, dq, cq
      USING ERRCODE = 'check_violation';
  END IF;
  PERFORM set_config('sluice.books_checked', txid_current()::text || '/' || TG_TABLE_SCHEMA, true);
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER accounts_balanced AFTER INSERT OR UPDATE ON accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION accounts_balanced();

-- The journal: immutable. Pending status is not a column (rows never change): a pending transfer is
-- resolved by the one post/void/expire that names it (unique pending_id).
CREATE TABLE transfers (
  id                   uuid PRIMARY KEY,              -- deriveTransferId(event_id, leg), UUIDv5
  seq                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- journal order (paging cursor)
  body_hash            text NOT NULL,                 -- transferBodyHash: same id + other body = error
  kind                 text NOT NULL CHECK (kind IN ('single', 'pending', 'post', 'void', 'expire')),
  debit_account_id     text NOT NULL REFERENCES accounts (id),
  credit_account_id    text NOT NULL REFERENCES accounts (id),
  amount_nano_usd      bigint NOT NULL CHECK (amount_nano_usd > 0),
  ledger               text NOT NULL,
  code                 text NOT NULL,
  pending_id           uuid UNIQUE REFERENCES transfers (id),
  timeout_at           timestamptz,
  corrects_transfer_id uuid UNIQUE REFERENCES transfers (id),
  event_id             uuid NOT NULL,
  leg                  text NOT NULL,
  booked_at            timestamptz NOT NULL,
  ref                  jsonb NOT NULL DEFAULT '{}',
  recorded_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, leg),
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind IN ('post', 'void', 'expire')) = (pending_id IS NOT NULL)),
  CHECK ((kind = 'pending') = (timeout_at IS NOT NULL)),
  CHECK (corrects_transfer_id IS NULL OR kind = 'single')
);
CREATE INDEX transfers_debit_account ON transfers (debit_account_id, seq);
CREATE INDEX transfers_credit_account ON transfers (credit_account_id, seq);
CREATE INDEX transfers_event ON transfers (event_id);
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The accounting projector's inbox: one row per event it handled, with the outcome. A rejection (a
-- deterministic domain refusal) is recorded here and changes nothing else.
CREATE TABLE accounting_inbox (
  event_id          uuid PRIMARY KEY,
  type              text NOT NULL,
  event_position    bigint NOT NULL,
  status            text NOT NULL CHECK (status IN ('applied', 'rejected', 'ignored')),
  error_code        text,
  error_message     text,
  transfers         integer NOT NULL DEFAULT 0,
  -- For usage: the catalogue version in force when it was booked (a correction reprices at it).
  catalogue_version integer,
  handled_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounting_inbox_rejected ON accounting_inbox (event_position) WHERE status = 'rejected';
CREATE TRIGGER accounting_inbox_append_only BEFORE UPDATE OR DELETE ON accounting_inbox FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER accounting_inbox_no_truncate BEFORE TRUNCATE ON accounting_inbox FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Price catalogue read model, from price.published.v1 only: the publications as published (what the
-- projector folds into its catalogue state) and one row per entry (what queries read).
CREATE TABLE price_publications (
  version        integer PRIMARY KEY,
  effective_from timestamptz NOT NULL,
  scope_kind     text NOT NULL CHECK (scope_kind IN ('list', 'team')),
  team_id        text,
  margin_bps     integer,
  data           jsonb NOT NULL,
  event_id       uuid NOT NULL UNIQUE,
  event_position bigint NOT NULL
);
CREATE TRIGGER price_publications_append_only BEFORE UPDATE OR DELETE ON price_publications FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE TABLE price_catalogue (
  version                      integer NOT NULL REFERENCES price_publications (version),
  entry_index                  integer NOT NULL,
  effective_from               timestamptz NOT NULL,
  scope_kind                   text NOT NULL,
  team_id                      text,
  provider                     text NOT NULL,
  model                        text NOT NULL,            -- exact name or * pattern
  withdrawn                    boolean NOT NULL,
  input_nano_usd_per_mtok      bigint,
  output_nano_usd_per_mtok     bigint,
  cache_read_nano_usd_per_mtok bigint,
  cache_write_nano_usd_per_mtok bigint,
  long_context                 jsonb,
  source                       text NOT NULL,
  source_date                  date NOT NULL,
  PRIMARY KEY (version, entry_index)
);
CREATE INDEX price_catalogue_model ON price_catalogue (model);
CREATE TRIGGER price_catalogue_append_only BEFORE UPDATE OR DELETE ON price_catalogue FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- verify-balances: every account whose columns disagree with its journal (posted from single and post
-- transfers, pending from pending transfers no post/void/expire has resolved). Empty when the books hold.
CREATE VIEW balance_discrepancies AS
WITH legs AS (
  SELECT t.debit_account_id AS account_id,
         CASE WHEN t.kind IN ('single', 'post') THEN t.amount_nano_usd ELSE 0 END::numeric AS debits_posted,
         0::numeric AS credits_posted,
         CASE WHEN t.kind = 'pending' AND r.id IS NULL THEN t.amount_nano_usd ELSE 0 END::numeric AS debits_pending,
         0::numeric AS credits_pending
    FROM transfers t LEFT JOIN transfers r ON r.pending_id = t.id
  UNION ALL
  SELECT t.credit_account_id, 0, CASE WHEN t.kind IN ('single', 'post') THEN t.amount_nano_usd ELSE 0 END, 0,
         CASE WHEN t.kind = 'pending' AND r.id IS NULL THEN t.amount_nano_usd ELSE 0 END
    FROM transfers t LEFT JOIN transfers r ON r.pending_id = t.id
), journal AS (
  SELECT account_id, sum(debits_posted) AS debits_posted, sum(credits_posted) AS credits_posted,
         sum(debits_pending) AS debits_pending, sum(credits_pending) AS credits_pending
    FROM legs GROUP BY account_id
)
SELECT coalesce(a.id, j.account_id) AS account_id,
       a.debits_posted, j.debits_posted AS journal_debits_posted,
       a.credits_posted, j.credits_posted AS journal_credits_posted,
       a.debits_pending, j.debits_pending AS journal_debits_pending,
       a.credits_pending, j.credits_pending AS journal_credits_pending
  FROM accounts a FULL JOIN journal j ON j.account_id = a.id
 WHERE coalesce(a.debits_posted, 0) <> coalesce(j.debits_posted, 0)
    OR coalesce(a.credits_posted, 0) <> coalesce(j.credits_posted, 0)
    OR coalesce(a.debits_pending, 0) <> coalesce(j.debits_pending, 0)
    OR coalesce(a.credits_pending, 0) <> coalesce(j.credits_pending, 0);

-- The totals, for the invariant check outside the trigger.
CREATE VIEW ledger_totals AS
SELECT coalesce(sum(debits_posted), 0) AS debits_posted, coalesce(sum(credits_posted), 0) AS credits_posted,
       coalesce(sum(debits_pending), 0) AS debits_pending, coalesce(sum(credits_pending), 0) AS credits_pending,
       count(*) AS accounts
  FROM accounts;
