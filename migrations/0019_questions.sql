-- Questions between a client's contacts and the provider's staff (issue 15).
-- A subject is stored as ids only (never a label or a name): the client's label is computed at
-- read time under the client's current visibility.
CREATE TABLE questions (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  kind TEXT NOT NULL CHECK (kind IN ('entry','week','task','phase','person','project')),
  week_start TEXT,
  local_date TEXT,
  member_id TEXT,
  task_id TEXT,
  phase_id TEXT,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','answered','resolved')),
  created_at TEXT NOT NULL,
  first_answer_at TEXT,
  resolved_at TEXT,
  resolved_by TEXT,
  -- The asker ticked "e-mail me when answered".
  email_on_answer INTEGER NOT NULL DEFAULT 0 CHECK (email_on_answer IN (0, 1))
);
CREATE INDEX questions_client ON questions(client_id, project_id, created_at);
CREATE INDEX questions_provider ON questions(provider_id, state, created_at);

CREATE TABLE question_messages (
  id TEXT PRIMARY KEY,
  question_id TEXT NOT NULL REFERENCES questions(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  author_kind TEXT NOT NULL CHECK (author_kind IN ('contact','staff')),
  author_id TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 16000),
  created_at TEXT NOT NULL,
  note_id TEXT REFERENCES client_notes(id)
);
CREATE INDEX question_messages_question ON question_messages(question_id, created_at);

-- Notifications are rows of the alerts outbox (0018), written in the same batch as the change
-- (`storage::notices`); the alerts worker delivers them.

-- Roles (issue 15): a staff manager acts only for the clients assigned to them
-- (`domain::roles`); admins act for every client of their provider.
CREATE TABLE staff_client_assignments (
  staff_id TEXT NOT NULL REFERENCES staff_users(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  PRIMARY KEY (staff_id, client_id)
);
