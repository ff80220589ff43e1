-- Failed sign-in attempts, counted per account (the e-mail typed, known or not) and per IP
-- over a sliding 15-minute window. Rows older than a day are pruned on write.
CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('account', 'ip')),
  key TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(kind, key, at);
