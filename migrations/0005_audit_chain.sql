-- Hash-chain the access log: each row carries the hash of the previous row and its own hash
-- (SHA-256 over the previous hash and the row's fields; see shared/domain/src/audit.rs).
-- Editing, deleting or inserting a row breaks the chain at that point; the verify endpoint
-- reports the first broken link.
ALTER TABLE access_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE access_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX access_log_provider ON access_log(provider_id, seq);
