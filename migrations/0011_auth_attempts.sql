-- Throttle reservations (issue 9): one row per attempt that was allowed to be checked — a
-- password, a two-step code, or an e-mailed link request — written BEFORE the check by one
-- conditional INSERT that counts the windows (storage::throttle), so concurrent attempts cannot
-- all pass the gate. `purpose` keeps separate counters; `account` is a SHA-256 of what was typed
-- (never the e-mail itself); `prefix` is the IPv4 address or the IPv6 /64. `seen` is how many
-- attempts the lockout rule counted before this one. Rows older than a day are pruned on write.
-- Replaces login_failures (check-then-act).
DROP TABLE IF EXISTS login_failures;
CREATE TABLE auth_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  purpose TEXT NOT NULL CHECK (purpose IN ('password', 'mfa', 'reset_link', 'signin_link')),
  account TEXT NOT NULL,
  prefix TEXT NOT NULL,
  at TEXT NOT NULL,
  seen INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_attempts_account ON auth_attempts(purpose, account, prefix, at);
CREATE INDEX auth_attempts_prefix ON auth_attempts(purpose, prefix, at);
CREATE INDEX auth_attempts_at ON auth_attempts(at);
