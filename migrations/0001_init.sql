-- Clearhours schema v1.
-- Conventions: ids are TEXT; dates are local ISO dates 'YYYY-MM-DD' in the client's calendar;
-- instants are UTC RFC 3339 text; durations are INTEGER minutes; money is INTEGER minor units
-- (cents) or decimal TEXT for rates. Every client-owned row carries client_id.

CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slack_webhook_url TEXT,
  alert_email TEXT,
  portal_base_url TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);

CREATE TABLE staff_users (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'manager')),
  password_hash TEXT,
  mfa_required INTEGER NOT NULL DEFAULT 0,
  disabled_at TEXT,
  created_at TEXT NOT NULL
);

-- Team members track time. Personal fields (email, phone, cost_rate, personal_notes) are
-- provider-only and never leave through a client view.
CREATE TABLE members (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  name TEXT NOT NULL,
  role_title TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  cost_rate TEXT,
  default_rate TEXT,
  personal_notes TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
);

CREATE TABLE clients (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  currency TEXT NOT NULL,
  week_start TEXT NOT NULL CHECK (week_start IN ('monday','tuesday','wednesday','thursday','friday','saturday','sunday')),
  show_rates TEXT NOT NULL DEFAULT 'hidden' CHECK (show_rates IN ('shown','hidden')),
  descriptions TEXT NOT NULL DEFAULT 'summarised' CHECK (descriptions IN ('detailed','summarised')),
  team_display TEXT NOT NULL DEFAULT 'anonymous' CHECK (team_display IN ('names','roles','anonymous')),
  view_mode TEXT NOT NULL DEFAULT 'weekly_summary' CHECK (view_mode IN ('real_time','weekly_summary')),
  non_billable TEXT NOT NULL DEFAULT 'hidden' CHECK (non_billable IN ('shown','hidden')),
  mfa_required INTEGER NOT NULL DEFAULT 0,
  idle_timeout_minutes INTEGER NOT NULL DEFAULT 30,
  ip_allowlist TEXT NOT NULL DEFAULT '',
  -- Bumped (by trigger) on every entry change: part of every client cache key.
  data_version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX clients_provider ON clients(provider_id);

-- Order in which members first worked for a client: keeps "Team member A" stable.
CREATE TABLE client_members (
  client_id TEXT NOT NULL REFERENCES clients(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  seq INTEGER NOT NULL,
  PRIMARY KEY (client_id, member_id)
);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  name TEXT NOT NULL,
  code TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','archived')),
  budget_period TEXT CHECK (budget_period IN ('fixed','monthly')),
  budget_minutes INTEGER CHECK (budget_minutes IS NULL OR budget_minutes > 0),
  budget_amount_minor INTEGER CHECK (budget_amount_minor IS NULL OR budget_amount_minor > 0),
  budget_includes_non_billable INTEGER NOT NULL DEFAULT 0,
  starts_on TEXT NOT NULL,
  ends_on TEXT,
  default_rate TEXT,
  alert_thresholds TEXT NOT NULL DEFAULT '75,90,100',
  data_updated_at TEXT,
  created_at TEXT NOT NULL,
  CHECK (budget_period IS NOT NULL OR (budget_minutes IS NULL AND budget_amount_minor IS NULL))
);
CREATE INDEX projects_client ON projects(client_id);

CREATE TABLE phases (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX phases_project ON phases(project_id);

-- Activity codes, provider-wide, with the explanation clients see.
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  name TEXT NOT NULL,
  client_explanation TEXT NOT NULL DEFAULT '',
  billable_default INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT REFERENCES projects(id),
  number TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','sent','paid','void')),
  currency TEXT NOT NULL,
  period_start TEXT,
  period_end TEXT,
  issued_on TEXT,
  due_on TEXT,
  paid_on TEXT,
  total_minor INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (provider_id, number)
);
CREATE INDEX invoices_client ON invoices(client_id);

CREATE TABLE invoice_lines (
  id TEXT PRIMARY KEY,
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  position INTEGER NOT NULL,
  description TEXT NOT NULL,
  minutes INTEGER NOT NULL DEFAULT 0,
  rate TEXT,
  amount_minor INTEGER NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id);

CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  kind TEXT NOT NULL CHECK (kind IN ('clearhours','toggl','clockify')),
  name TEXT NOT NULL,
  disabled_at TEXT,
  created_at TEXT NOT NULL
);

-- Several live secrets per integration allow rotation without downtime.
CREATE TABLE integration_secrets (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations(id),
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX integration_secrets_integration ON integration_secrets(integration_id);

CREATE TABLE time_entries (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  task_id TEXT REFERENCES tasks(id),
  phase_id TEXT REFERENCES phases(id),
  local_date TEXT NOT NULL,
  started_at TEXT,
  -- Derived from local_date and the client's calendar at write time (rollup keys).
  week_start TEXT NOT NULL,
  month TEXT NOT NULL,
  minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
  billable INTEGER NOT NULL CHECK (billable IN (0, 1)),
  description TEXT NOT NULL DEFAULT '',
  internal_note TEXT NOT NULL DEFAULT '',
  rate TEXT,
  amount_minor INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL,
  integration_id TEXT,
  external_id TEXT NOT NULL,
  invoice_id TEXT REFERENCES invoices(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (provider_id, source, external_id)
);
CREATE INDEX time_entries_project_date ON time_entries(project_id, local_date);
CREATE INDEX time_entries_client_date ON time_entries(client_id, local_date);

-- Rollups (see shared/domain/src/rollup.rs). Maintained only by the triggers below.
CREATE TABLE rollup_week (
  client_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  week_start TEXT NOT NULL,
  month TEXT NOT NULL,
  dim TEXT NOT NULL CHECK (dim IN ('all','member','task','phase')),
  dim_id TEXT NOT NULL,
  billable INTEGER NOT NULL,
  minutes INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  PRIMARY KEY (project_id, dim, week_start, month, dim_id, billable)
) WITHOUT ROWID;

CREATE TABLE rollup_total (
  client_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  dim TEXT NOT NULL,
  dim_id TEXT NOT NULL,
  billable INTEGER NOT NULL,
  minutes INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  PRIMARY KEY (project_id, dim, dim_id, billable)
) WITHOUT ROWID;

CREATE TRIGGER time_entries_rollup_insert AFTER INSERT ON time_entries BEGIN
  INSERT INTO rollup_week (client_id, project_id, week_start, month, dim, dim_id, billable, minutes, amount_minor, entries)
  VALUES
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'all', '', NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'member', NEW.member_id, NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'task', COALESCE(NEW.task_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'phase', COALESCE(NEW.phase_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1)
  ON CONFLICT (project_id, dim, week_start, month, dim_id, billable) DO UPDATE SET
    minutes = minutes + excluded.minutes, amount_minor = amount_minor + excluded.amount_minor, entries = entries + 1;
  INSERT INTO rollup_total (client_id, project_id, dim, dim_id, billable, minutes, amount_minor, entries)
  VALUES
    (NEW.client_id, NEW.project_id, 'all', '', NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'member', NEW.member_id, NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'task', COALESCE(NEW.task_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'phase', COALESCE(NEW.phase_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1)
  ON CONFLICT (project_id, dim, dim_id, billable) DO UPDATE SET
    minutes = minutes + excluded.minutes, amount_minor = amount_minor + excluded.amount_minor, entries = entries + 1;
  -- Not INSERT OR IGNORE: inside a trigger the outer statement's conflict policy would win.
  INSERT INTO client_members (client_id, member_id, seq)
    SELECT NEW.client_id, NEW.member_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM client_members WHERE client_id = NEW.client_id)
     WHERE NOT EXISTS (SELECT 1 FROM client_members WHERE client_id = NEW.client_id AND member_id = NEW.member_id);
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
  UPDATE projects SET data_updated_at = NEW.updated_at WHERE id = NEW.project_id;
END;

CREATE TRIGGER time_entries_rollup_delete AFTER DELETE ON time_entries BEGIN
  UPDATE rollup_week SET minutes = minutes - OLD.minutes, amount_minor = amount_minor - OLD.amount_minor, entries = entries - 1
   WHERE project_id = OLD.project_id AND week_start = OLD.week_start AND month = OLD.month AND billable = OLD.billable
     AND ((dim = 'all' AND dim_id = '') OR (dim = 'member' AND dim_id = OLD.member_id)
       OR (dim = 'task' AND dim_id = COALESCE(OLD.task_id, '')) OR (dim = 'phase' AND dim_id = COALESCE(OLD.phase_id, '')));
  DELETE FROM rollup_week WHERE project_id = OLD.project_id AND week_start = OLD.week_start AND month = OLD.month AND entries = 0;
  UPDATE rollup_total SET minutes = minutes - OLD.minutes, amount_minor = amount_minor - OLD.amount_minor, entries = entries - 1
   WHERE project_id = OLD.project_id AND billable = OLD.billable
     AND ((dim = 'all' AND dim_id = '') OR (dim = 'member' AND dim_id = OLD.member_id)
       OR (dim = 'task' AND dim_id = COALESCE(OLD.task_id, '')) OR (dim = 'phase' AND dim_id = COALESCE(OLD.phase_id, '')));
  DELETE FROM rollup_total WHERE project_id = OLD.project_id AND entries = 0;
  UPDATE clients SET data_version = data_version + 1 WHERE id = OLD.client_id;
END;

-- An update is a delete of the old row's contribution plus an insert of the new one.
CREATE TRIGGER time_entries_rollup_update AFTER UPDATE ON time_entries BEGIN
  UPDATE rollup_week SET minutes = minutes - OLD.minutes, amount_minor = amount_minor - OLD.amount_minor, entries = entries - 1
   WHERE project_id = OLD.project_id AND week_start = OLD.week_start AND month = OLD.month AND billable = OLD.billable
     AND ((dim = 'all' AND dim_id = '') OR (dim = 'member' AND dim_id = OLD.member_id)
       OR (dim = 'task' AND dim_id = COALESCE(OLD.task_id, '')) OR (dim = 'phase' AND dim_id = COALESCE(OLD.phase_id, '')));
  DELETE FROM rollup_week WHERE project_id = OLD.project_id AND week_start = OLD.week_start AND month = OLD.month AND entries = 0;
  UPDATE rollup_total SET minutes = minutes - OLD.minutes, amount_minor = amount_minor - OLD.amount_minor, entries = entries - 1
   WHERE project_id = OLD.project_id AND billable = OLD.billable
     AND ((dim = 'all' AND dim_id = '') OR (dim = 'member' AND dim_id = OLD.member_id)
       OR (dim = 'task' AND dim_id = COALESCE(OLD.task_id, '')) OR (dim = 'phase' AND dim_id = COALESCE(OLD.phase_id, '')));
  DELETE FROM rollup_total WHERE project_id = OLD.project_id AND entries = 0;
  INSERT INTO rollup_week (client_id, project_id, week_start, month, dim, dim_id, billable, minutes, amount_minor, entries)
  VALUES
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'all', '', NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'member', NEW.member_id, NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'task', COALESCE(NEW.task_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, NEW.week_start, NEW.month, 'phase', COALESCE(NEW.phase_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1)
  ON CONFLICT (project_id, dim, week_start, month, dim_id, billable) DO UPDATE SET
    minutes = minutes + excluded.minutes, amount_minor = amount_minor + excluded.amount_minor, entries = entries + 1;
  INSERT INTO rollup_total (client_id, project_id, dim, dim_id, billable, minutes, amount_minor, entries)
  VALUES
    (NEW.client_id, NEW.project_id, 'all', '', NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'member', NEW.member_id, NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'task', COALESCE(NEW.task_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1),
    (NEW.client_id, NEW.project_id, 'phase', COALESCE(NEW.phase_id, ''), NEW.billable, NEW.minutes, NEW.amount_minor, 1)
  ON CONFLICT (project_id, dim, dim_id, billable) DO UPDATE SET
    minutes = minutes + excluded.minutes, amount_minor = amount_minor + excluded.amount_minor, entries = entries + 1;
  -- Not INSERT OR IGNORE: inside a trigger the outer statement's conflict policy would win.
  INSERT INTO client_members (client_id, member_id, seq)
    SELECT NEW.client_id, NEW.member_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM client_members WHERE client_id = NEW.client_id)
     WHERE NOT EXISTS (SELECT 1 FROM client_members WHERE client_id = NEW.client_id AND member_id = NEW.member_id);
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
  UPDATE projects SET data_updated_at = NEW.updated_at WHERE id = NEW.project_id;
END;

-- Portal logins of client contacts.
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES clients(id),
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('viewer','billing')),
  all_projects INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  disabled_at TEXT,
  last_login_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX contacts_client ON contacts(client_id);

-- Projects a contact may see when all_projects = 0.
CREATE TABLE contact_projects (
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  PRIMARY KEY (contact_id, project_id)
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('contact','staff')),
  subject_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  client_id TEXT,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  idle_timeout_minutes INTEGER NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_subject ON sessions(subject_kind, subject_id);

-- Append-only record of portal access.
CREATE TABLE access_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  provider_id TEXT,
  client_id TEXT,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_log_client ON access_log(client_id, seq);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log BEGIN
  SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log BEGIN
  SELECT RAISE(ABORT, 'access_log is append-only');
END;

-- One row per alert that must be sent once. The unique key is what makes cron runs idempotent.
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  provider_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  period_key TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('slack','email')),
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_at TEXT,
  sent_at TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, kind, threshold, period_key, channel)
);
CREATE INDEX alert_outbox_status ON alert_outbox(status, id);

-- Idempotency of ingest: one row per accepted delivery.
CREATE TABLE ingest_deliveries (
  integration_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  entries INTEGER NOT NULL,
  PRIMARY KEY (integration_id, delivery_id)
) WITHOUT ROWID;
