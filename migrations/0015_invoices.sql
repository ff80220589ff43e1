-- Invoices (issue 13): billing settings per client, the invoice's money and terms, payments,
-- "viewed" per contact, a per-provider number sequence, and Stripe-compatible payment webhooks.
-- The money rules are in shared/domain/src/invoice.rs. Derived statuses (viewed, partially paid,
-- overdue) are computed, never stored: invoices.status stays draft / sent / paid / void.

-- How the provider bills a client. tax_rate is a percentage as decimal text ("19", "8.875").
ALTER TABLE clients ADD COLUMN invoice_grouping TEXT NOT NULL DEFAULT 'task'
  CHECK (invoice_grouping IN ('task','phase','person','project'));
ALTER TABLE clients ADD COLUMN tax_rate TEXT NOT NULL DEFAULT '0';
ALTER TABLE clients ADD COLUMN payment_terms_days INTEGER NOT NULL DEFAULT 30
  CHECK (payment_terms_days BETWEEN 0 AND 365);
-- The provider's next planned invoice date (local date); NULL = the 1st of next month.
ALTER TABLE clients ADD COLUMN next_invoice_on TEXT;
-- The time rounding increment the provider's tracker applies (shown to the client); NULL = none.
ALTER TABLE clients ADD COLUMN time_increment_minutes INTEGER
  CHECK (time_increment_minutes IS NULL OR time_increment_minutes BETWEEN 1 AND 60);

ALTER TABLE invoices ADD COLUMN grouping TEXT NOT NULL DEFAULT 'task';
ALTER TABLE invoices ADD COLUMN subtotal_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN tax_rate TEXT NOT NULL DEFAULT '0';
ALTER TABLE invoices ADD COLUMN tax_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN terms TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN payment_url TEXT;
ALTER TABLE invoices ADD COLUMN entry_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN voided_at TEXT;
CREATE INDEX time_entries_invoice ON time_entries(invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX time_entries_unbilled ON time_entries(client_id, local_date) WHERE invoice_id IS NULL AND billable = 1;

-- Next number per provider: INV-0001, INV-0002 … (prefix per provider).
CREATE TABLE invoice_sequences (
  provider_id TEXT PRIMARY KEY REFERENCES providers(id),
  prefix TEXT NOT NULL DEFAULT 'INV-',
  next INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

-- Always empty. A statement inserts 0 here when an invoice batch finds an entry it meant to lock
-- already locked or changed; the CHECK then fails and the whole batch rolls back.
CREATE TABLE invoice_guard (
  ok INTEGER NOT NULL CONSTRAINT invoice_lock_lost CHECK (ok = 1)
);

CREATE TABLE invoice_payments (
  id TEXT PRIMARY KEY,
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  provider_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  paid_on TEXT NOT NULL,
  reference TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL CHECK (source IN ('manual','webhook')),
  created_at TEXT NOT NULL
);
CREATE INDEX invoice_payments_invoice ON invoice_payments(invoice_id);

-- First time each contact opened an invoice ("viewed" once per contact).
CREATE TABLE invoice_views (
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  client_id TEXT NOT NULL,
  viewed_at TEXT NOT NULL,
  PRIMARY KEY (invoice_id, contact_id)
) WITHOUT ROWID;

-- Stripe-compatible payment webhook endpoints; the signing secret is sealed at rest.
CREATE TABLE payment_endpoints (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  secret TEXT NOT NULL,
  disabled_at TEXT,
  created_at TEXT NOT NULL
);

-- One row per accepted event id (dedupe); a concurrent duplicate fails its batch.
CREATE TABLE payment_events (
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  invoice_id TEXT,
  outcome TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (endpoint_id, event_id)
) WITHOUT ROWID;
