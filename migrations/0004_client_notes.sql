-- Explanatory notes that provider staff write for a client, about a project's week.
-- Clients see them on the dashboard (not for the current week in weekly-summary mode).
CREATE TABLE client_notes (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES providers(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  project_id TEXT NOT NULL REFERENCES projects(id),
  week_start TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  author_staff_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX client_notes_project ON client_notes(project_id, week_start);
