-- Invitations for client contacts: single-use, expiring, stored only as a SHA-256 hash.
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  client_id TEXT NOT NULL REFERENCES clients(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX invitations_contact ON invitations(contact_id);
