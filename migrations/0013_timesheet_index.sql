-- Timesheets page through a project's entries by (local_date, id) (keyset pagination, issue 11):
-- this index serves that order and range directly. It replaces (project_id, local_date), which
-- is its prefix.
CREATE INDEX IF NOT EXISTS time_entries_project_date_id ON time_entries(project_id, local_date, id);
DROP INDEX IF EXISTS time_entries_project_date;
