-- Two-step verification (TOTP, RFC 6238) for contacts and staff.
CREATE TABLE mfa_factors (
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('contact','staff')),
  subject_id TEXT NOT NULL,
  secret TEXT NOT NULL,
  confirmed_at TEXT,
  -- The last time step accepted: a code is usable once.
  last_used_step INTEGER,
  created_at TEXT NOT NULL,
  PRIMARY KEY (subject_kind, subject_id)
);
CREATE TABLE mfa_recovery_codes (
  id TEXT PRIMARY KEY,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX mfa_recovery_subject ON mfa_recovery_codes(subject_kind, subject_id);
-- 'none': no second step needed; 'pending': must enter a code; 'enroll': must set up MFA first;
-- 'verified': second step done. Only 'none' and 'verified' sessions reach the portal.
ALTER TABLE sessions ADD COLUMN mfa_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE providers ADD COLUMN staff_mfa_required INTEGER NOT NULL DEFAULT 0;
