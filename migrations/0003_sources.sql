-- Ingest from outside trackers (issue 5): entry versions and tombstones, mappings, the unmapped
-- queue, and flags for changes refused on invoiced entries.
-- integrations.kind already allows 'clearhours', 'toggl' and 'clockify' (0001).

-- Ordering of out-of-order updates and deletes (rule: shared/domain/src/sources/mod.rs).
-- Versions are Unix milliseconds. The version of the state an entry row holds is kept on the
-- row (NULL for rows written before, or by fixtures: older than anything); a delete leaves a
-- tombstone with its version, so an older update arriving later cannot bring the entry back.
ALTER TABLE time_entries ADD COLUMN source_version INTEGER;

CREATE TABLE ingest_tombstones (
  provider_id TEXT NOT NULL,
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted_at TEXT NOT NULL,
  PRIMARY KEY (provider_id, source, external_id)
) WITHOUT ROWID;

-- External ids or names → Clearhours ids, per integration. match_on 'name' keys are stored
-- normalised (trimmed, lower case, single spaces). target_id is a project (kinds workspace and
-- project), a member (user) or a task (task) of the integration's provider.
CREATE TABLE integration_mappings (
  integration_id TEXT NOT NULL REFERENCES integrations(id),
  kind TEXT NOT NULL CHECK (kind IN ('workspace','project','user','task')),
  match_on TEXT NOT NULL CHECK (match_on IN ('id','name')),
  external_key TEXT NOT NULL,
  target_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, kind, match_on, external_key)
) WITHOUT ROWID;

-- Entries that arrived but could not be mapped yet: kept, visible, and re-resolved when a
-- mapping is saved. One row per (integration, external id): a newer version replaces it.
CREATE TABLE unmapped_entries (
  integration_id TEXT NOT NULL REFERENCES integrations(id),
  provider_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  payload TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, external_id)
) WITHOUT ROWID;
CREATE INDEX unmapped_entries_provider ON unmapped_entries(provider_id, received_at);

-- Changes that arrived for entries already on an invoice: not applied, listed for the provider.
CREATE TABLE ingest_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  provider_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  invoice_id TEXT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('update','delete')),
  detail TEXT NOT NULL DEFAULT '',
  delivery_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  resolved_at TEXT
);
CREATE INDEX ingest_flags_provider ON ingest_flags(provider_id, resolved_at, id);
