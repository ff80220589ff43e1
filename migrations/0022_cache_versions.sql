-- Issue 16: the edge cache and the shard directory.
--
-- 1. Every write that changes what a client sees bumps that client's `data_version`, inside the
--    writing statement's transaction. The portal's cache keys (storage::kv) contain the version
--    (read with the session, one indexed row), so the next request after any of these writes
--    misses the cache and reads fresh data — whichever code path wrote. Entries (ingest, CSV
--    import, fixtures, invoice locking) already bump in the 0001 triggers; rollups change only
--    inside those triggers. Added here: settings and billing settings on the client, projects
--    (renames, budgets, dates, status), phases, provider-wide tasks and team members (renames,
--    explanations, roles), staff notes, invoices, their lines and payments, and a contact's
--    project list. Extra bumps only cost a cache miss; a missing one would show a stale figure.

CREATE TRIGGER clients_settings_version AFTER UPDATE OF
  name, time_zone, currency, week_start, show_rates, descriptions, team_display, view_mode, non_billable,
  budget_money, locale, invoice_grouping, tax_rate, payment_terms_days, next_invoice_on, time_increment_minutes
ON clients BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER projects_version_insert AFTER INSERT ON projects BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
-- Not data_updated_at: the entry triggers set it and bump the client themselves.
CREATE TRIGGER projects_version_update AFTER UPDATE OF
  client_id, name, code, status, budget_period, budget_minutes, budget_amount_minor, budget_includes_non_billable,
  starts_on, ends_on, default_rate
ON projects BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER projects_version_delete AFTER DELETE ON projects BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

CREATE TRIGGER phases_version_insert AFTER INSERT ON phases BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER phases_version_update AFTER UPDATE ON phases BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER phases_version_delete AFTER DELETE ON phases BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

-- Tasks and members are provider-wide: a rename reaches every client of the provider.
CREATE TRIGGER tasks_version_update AFTER UPDATE OF name, client_explanation, billable_default ON tasks BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE provider_id = NEW.provider_id;
END;
CREATE TRIGGER tasks_version_delete AFTER DELETE ON tasks BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE provider_id = OLD.provider_id;
END;
CREATE TRIGGER members_version_update AFTER UPDATE OF name, role_title, active ON members BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE provider_id = NEW.provider_id;
END;
CREATE TRIGGER members_version_delete AFTER DELETE ON members BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE provider_id = OLD.provider_id;
END;

CREATE TRIGGER client_notes_version_insert AFTER INSERT ON client_notes BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER client_notes_version_update AFTER UPDATE ON client_notes BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER client_notes_version_delete AFTER DELETE ON client_notes BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

CREATE TRIGGER invoices_version_insert AFTER INSERT ON invoices BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER invoices_version_update AFTER UPDATE ON invoices BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER invoices_version_delete AFTER DELETE ON invoices BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;
CREATE TRIGGER invoice_lines_version_insert AFTER INSERT ON invoice_lines BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER invoice_payments_version_insert AFTER INSERT ON invoice_payments BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER invoice_payments_version_delete AFTER DELETE ON invoice_payments BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

-- A contact limited to some projects has the contact in its cache key; its list moves the client.
CREATE TRIGGER contact_projects_version_insert AFTER INSERT ON contact_projects BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER contact_projects_version_delete AFTER DELETE ON contact_projects BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

-- 2. The shard directory. Each provider's data lives in one D1 database (a shard), named by
--    its Worker binding (`DB`, `DB_2`, …); these tables live in the directory database (the
--    `DB` binding) and say where. Every shard has the same schema (these tables stay empty on
--    the others). A provider without a row is on `DB`.
CREATE TABLE shard_directory (
  provider_id TEXT PRIMARY KEY,
  binding TEXT NOT NULL CHECK (length(binding) BETWEEN 1 AND 32 AND binding NOT GLOB '*[^A-Z0-9_]*'),
  assigned_at TEXT NOT NULL
) WITHOUT ROWID;

-- Sign-in is global: an e-mail (per kind of account) names its provider, hence its shard.
CREATE TABLE login_directory (
  email TEXT NOT NULL COLLATE NOCASE,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('contact','staff')),
  provider_id TEXT NOT NULL,
  PRIMARY KEY (email, subject_kind)
) WITHOUT ROWID;

-- Deliveries name their integration in the URL: the integration names its provider.
CREATE TABLE integration_directory (
  integration_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL
) WITHOUT ROWID;
