-- Single-use, short-lived tokens e-mailed for a password reset (1 hour) or a passwordless
-- sign-in (10 minutes). Stored only as SHA-256 hashes; consumed on POST.
CREATE TABLE auth_tokens (
  id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'magic')),
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('contact', 'staff')),
  subject_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX auth_tokens_subject ON auth_tokens(subject_kind, subject_id);
