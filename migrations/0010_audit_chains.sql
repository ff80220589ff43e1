-- The access log, one chain per provider, sealed after the fact (issue 9).
-- Requests insert rows with the next position (pseq) in their provider's chain; a single
-- writer (the alerts cron each minute, and verification on demand) later writes each row's
-- seal once: the key id, the previous row's hash and its own keyed hash (HMAC-SHA256 under
-- AUDIT_KEYS; see shared/domain/src/audit.rs). Rows without a provider (sign-in attempts for
-- unknown accounts) form the chain of provider ''.
-- Existing rows are kept, renumbered per provider in their original order, and sealed afresh
-- by the next sealing run (the old global SHA-256 chain is retired).
CREATE TABLE access_log_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  provider_id TEXT NOT NULL DEFAULT '',
  pseq INTEGER NOT NULL,
  at TEXT NOT NULL,
  client_id TEXT,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  kid TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO access_log_v2 (seq, provider_id, pseq, at, client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent)
  SELECT seq, COALESCE(provider_id, ''), ROW_NUMBER() OVER (PARTITION BY COALESCE(provider_id, '') ORDER BY seq),
         at, client_id, actor_kind, actor_id, action,
         -- Failed sign-ins used to record the typed e-mail: no longer kept.
         CASE WHEN action IN ('login', 'lockout') AND outcome IN ('failure', 'throttled', 'locked') THEN '' ELSE target END,
         outcome, ip, user_agent
    FROM access_log;
DROP TABLE access_log;
ALTER TABLE access_log_v2 RENAME TO access_log;
-- One position per provider: a second insert at a taken position fails, never forks.
CREATE UNIQUE INDEX access_log_chain ON access_log(provider_id, pseq);
CREATE INDEX access_log_client ON access_log(client_id, seq);
CREATE INDEX access_log_provider ON access_log(provider_id, seq);
CREATE INDEX access_log_unsealed ON access_log(provider_id, pseq) WHERE hash = '';
-- Content never changes; a row's seal is written once (from empty to set) and never again.
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
WHEN OLD.hash <> '' OR NEW.hash = '' OR NEW.seq IS NOT OLD.seq OR NEW.provider_id IS NOT OLD.provider_id OR NEW.pseq IS NOT OLD.pseq
  OR NEW.at IS NOT OLD.at OR NEW.client_id IS NOT OLD.client_id OR NEW.actor_kind IS NOT OLD.actor_kind
  OR NEW.actor_id IS NOT OLD.actor_id OR NEW.action IS NOT OLD.action OR NEW.target IS NOT OLD.target
  OR NEW.outcome IS NOT OLD.outcome OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent
BEGIN
  SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
  SELECT RAISE(ABORT, 'access_log is append-only');
END;

-- Each chain's sealed head: the sealers' compare-and-set. Not evidence itself (a checkpoint is).
CREATE TABLE access_log_heads (
  provider_id TEXT PRIMARY KEY,
  pseq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  sealed_at TEXT NOT NULL
);

-- Signed checkpoints (C2SP signed notes; see shared/domain/src/audit/checkpoint.rs) recorded by
-- verification where a clean walk ended: where the next verification starts.
CREATE TABLE access_log_checkpoints (
  provider_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  head TEXT NOT NULL,
  at TEXT NOT NULL,
  note TEXT NOT NULL,
  PRIMARY KEY (provider_id, size)
);
CREATE TRIGGER access_log_checkpoints_no_update BEFORE UPDATE ON access_log_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
