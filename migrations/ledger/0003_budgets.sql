-- Budgets and spend leases (issue 6, item 4). See docs/ledger-design.md, "Budgets" and "Spend leases".

-- The budgets read model: written from budget.set.v1 / budget.removed.v1 in the same transaction that
-- appends the event to the store (the store is the source; this table can be rebuilt from it).
CREATE TABLE budgets (
  id            text PRIMARY KEY,
  team_id       text NOT NULL,
  key_id        text,
  unit          text NOT NULL CHECK (unit IN ('nano-usd', 'tokens')),
  period        text NOT NULL CHECK (period IN ('day', 'month', 'total')),
  limit_amount  numeric(39, 0) NOT NULL CHECK (limit_amount >= 0),
  enforcement   text NOT NULL CHECK (enforcement IN ('soft', 'hard')),
  alert_at_bps  integer CHECK (alert_at_bps BETWEEN 1 AND 100000),
  removed       boolean NOT NULL DEFAULT false,
  event_id      uuid NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX budgets_team ON budgets (team_id) WHERE NOT removed;

-- One lease book per hard budget and period: what the period had spent when the book opened (from the
-- books and the request audit), what closed leases reported since, and the limit in force. Operational
-- state, not history: rows change, always under SELECT ... FOR UPDATE of the book.
CREATE TABLE budget_lease_books (
  budget_id       text NOT NULL REFERENCES budgets (id),
  period_start    timestamptz NOT NULL,          -- 1970-01-01 for `total`
  period_end      timestamptz,                   -- null for `total`
  limit_amount    numeric(39, 0) NOT NULL,
  opening_amount  numeric(39, 0) NOT NULL,
  settled_amount  numeric(39, 0) NOT NULL,       -- opening + what closed leases accounted for
  opened_at       timestamptz NOT NULL,
  PRIMARY KEY (budget_id, period_start)
);

CREATE TABLE spend_leases (
  id              uuid PRIMARY KEY,
  budget_id       text NOT NULL,
  period_start    timestamptz NOT NULL,
  instance_id     text NOT NULL,
  granted_amount  numeric(39, 0) NOT NULL CHECK (granted_amount > 0),
  granted_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  closed_at       timestamptz,
  close_reason    text CHECK (close_reason IN ('settled', 'expired')),
  used_amount     numeric(39, 0),                -- reported at settlement; at expiry what was accounted
  FOREIGN KEY (budget_id, period_start) REFERENCES budget_lease_books (budget_id, period_start),
  CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
-- An instance holds at most one open lease per book (the overspend bound counts one per instance).
CREATE UNIQUE INDEX spend_leases_one_open ON spend_leases (budget_id, period_start, instance_id)
  WHERE closed_at IS NULL;
CREATE INDEX spend_leases_open_expiry ON spend_leases (expires_at) WHERE closed_at IS NULL;
