-- Conversation, part two (issue 15): budget decisions, weekly sign-off, the approver role.

-- The approver role: `contacts.role`'s CHECK admits 'viewer' and 'billing' only (0001), and
-- SQLite cannot alter a CHECK, so the table is rebuilt with every row, its index and the same
-- columns (it has no triggers). Other tables reference contacts(id) (invitations,
-- contact_projects, invoice_views, questions, …), and D1 enforces foreign keys: dropping
-- `contacts` counts a deferred violation for every referencing row. So the rows are copied
-- aside first and inserted into the new `contacts` *after* the drop — each insert of a parent
-- row cancels the violations of the rows that reference it — and by the end of the migration's
-- transaction no violation is left. (Renaming the old table away does not work: D1 rewrites
-- the references to follow the rename.) Checked with `wrangler d1 migrations apply` on a
-- database with invitations referencing contacts.
PRAGMA defer_foreign_keys = on;
CREATE TABLE contacts_copy AS SELECT id, client_id, email, name, role, all_projects, password_hash, disabled_at, last_login_at, created_at FROM contacts;
DROP TABLE contacts;
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES clients(id),
  email TEXT NOT NULL COLLATE NOCASE UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('viewer','billing','approver')),
  all_projects INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  disabled_at TEXT,
  last_login_at TEXT,
  created_at TEXT NOT NULL
);
INSERT INTO contacts (id, client_id, email, name, role, all_projects, password_hash, disabled_at, last_login_at, created_at)
  SELECT id, client_id, email, name, role, all_projects, password_hash, disabled_at, last_login_at, created_at FROM contacts_copy;
DROP TABLE contacts_copy;
CREATE INDEX contacts_client ON contacts(client_id);

-- Budget decisions. A request from an approver contact: more hours and/or amount with a
-- reason, or phases/tasks to cut or defer (`cuts`: JSON [{"kind":"phase"|"task","id":…,
-- "action":"cut"|"defer"}]). Staff accept (the budget is raised in the same batch and a
-- `budget_changes` row records who, when, why), decline, or counter (the contact then accepts
-- or declines the counter). `decision_id` ties the statements of one decision's batch together.
CREATE TABLE budget_requests (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  add_minutes INTEGER NOT NULL DEFAULT 0 CHECK (add_minutes BETWEEN 0 AND 60000000),
  add_amount_minor INTEGER NOT NULL DEFAULT 0 CHECK (add_amount_minor >= 0),
  cuts TEXT NOT NULL DEFAULT '[]',
  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 8000),
  state TEXT NOT NULL DEFAULT 'requested'
    CHECK (state IN ('requested','accepted','declined','countered','counter_accepted','counter_declined')),
  counter_minutes INTEGER,
  counter_amount_minor INTEGER,
  response TEXT NOT NULL DEFAULT '',
  decided_by TEXT,
  decided_at TEXT,
  decision_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX budget_requests_project ON budget_requests(client_id, project_id, created_at);
CREATE INDEX budget_requests_provider ON budget_requests(provider_id, state, created_at);

-- Every change of a project's budget made through a decision: before and after, who asked,
-- who approved, why. The original budget is the first change's `before` (or the project's
-- budget when there is no change).
CREATE TABLE budget_changes (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  request_id TEXT REFERENCES budget_requests(id),
  effective_on TEXT NOT NULL,
  before_minutes INTEGER,
  after_minutes INTEGER,
  before_amount_minor INTEGER,
  after_amount_minor INTEGER,
  requested_by TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX budget_changes_project ON budget_changes(project_id, created_at);

-- Weekly sign-off (per client, off by default).
ALTER TABLE clients ADD COLUMN weekly_signoff INTEGER NOT NULL DEFAULT 0 CHECK (weekly_signoff IN (0, 1));

-- An approval of one project's completed week by an approver contact: who, when, the totals
-- the contact saw and the SHA-256 of the lines as the contact saw them. `changed_at` is set by
-- the triggers below, in the transaction of any later change to a client-visible field of an
-- entry dated in that week (a late entry, an edit, a deletion): the week is then "changed
-- since approval" for both sides until approved again (a new row; old rows stay as history).
CREATE TABLE week_signoffs (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  week_start TEXT NOT NULL,
  week_end TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  approved_at TEXT NOT NULL,
  minutes INTEGER NOT NULL,
  billable_minutes INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  -- The amount seen (minor units), when the contact saw amounts (rates shown).
  amount_minor INTEGER,
  lines_hash TEXT NOT NULL,
  changed_at TEXT,
  superseded_at TEXT
);
CREATE INDEX week_signoffs_project ON week_signoffs(project_id, week_start);
CREATE INDEX week_signoffs_client ON week_signoffs(client_id, week_start);

CREATE TRIGGER week_signoffs_changed_insert AFTER INSERT ON time_entries BEGIN
  UPDATE week_signoffs SET changed_at = NEW.updated_at
   WHERE project_id = NEW.project_id AND NEW.local_date BETWEEN week_start AND week_end
     AND changed_at IS NULL AND superseded_at IS NULL;
END;
CREATE TRIGGER week_signoffs_changed_delete AFTER DELETE ON time_entries BEGIN
  UPDATE week_signoffs SET changed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
   WHERE project_id = OLD.project_id AND OLD.local_date BETWEEN week_start AND week_end
     AND changed_at IS NULL AND superseded_at IS NULL;
END;
CREATE TRIGGER week_signoffs_changed_update AFTER UPDATE ON time_entries
  WHEN OLD.local_date IS NOT NEW.local_date OR OLD.minutes IS NOT NEW.minutes OR OLD.billable IS NOT NEW.billable
    OR OLD.description IS NOT NEW.description OR OLD.member_id IS NOT NEW.member_id OR OLD.task_id IS NOT NEW.task_id
    OR OLD.phase_id IS NOT NEW.phase_id OR OLD.project_id IS NOT NEW.project_id OR OLD.rate IS NOT NEW.rate
    OR OLD.amount_minor IS NOT NEW.amount_minor
BEGIN
  UPDATE week_signoffs SET changed_at = NEW.updated_at
   WHERE changed_at IS NULL AND superseded_at IS NULL
     AND ((project_id = NEW.project_id AND NEW.local_date BETWEEN week_start AND week_end)
       OR (project_id = OLD.project_id AND OLD.local_date BETWEEN week_start AND week_end));
END;
