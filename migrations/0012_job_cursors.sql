-- Where a cron job stopped (issue 9): the alert job checks a bounded page of projects per run and
-- stores the last (provider, project) it checked, so any number of projects is covered across
-- runs within D1's per-invocation statement limit. Empty ids = start from the beginning.
CREATE TABLE job_cursors (
  name TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Pages of projects in (provider, project) order (the alert job) and a provider's projects (the
-- staff overview) read through this index instead of scanning every project.
CREATE INDEX projects_provider ON projects(provider_id, id);
