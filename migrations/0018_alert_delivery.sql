-- Alerts that reach people (issue 14). The outbox is rebuilt: its unique key gains the
-- recipient, so the same crossing can go once to each of several recipients on a channel; it
-- stores a reference to where a message goes (`recipient`, resolved at send time from the
-- provider's sealed settings), never the Slack URL or the address itself; a row waiting after a
-- temporary failure carries when it may be tried again (`next_attempt_at`, exponential backoff
-- with jitter or the endpoint's Retry-After); a permanent failure is `failed` with the endpoint's
-- error until staff retry it; `sent` is final. `target` of older rows is dropped (their recipient
-- is the provider).
CREATE TABLE alert_outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  provider_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  period_key TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('slack','email')),
  recipient TEXT NOT NULL DEFAULT 'provider',
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL DEFAULT '',
  claimed_at TEXT,
  sent_at TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (project_id, kind, threshold, period_key, channel, recipient)
);
INSERT INTO alert_outbox_new (id, provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload,
                              status, attempts, next_attempt_at, claimed_at, sent_at, last_error, created_at)
  SELECT id, provider_id, client_id, project_id, kind, threshold, period_key, channel, 'provider', payload,
         status, attempts, '', claimed_at, sent_at, last_error, created_at FROM alert_outbox;
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_new RENAME TO alert_outbox;
-- Due rows in order (the claim) and a provider's failures (the admin page).
CREATE INDEX alert_outbox_due ON alert_outbox(status, next_attempt_at, id);
CREATE INDEX alert_outbox_provider ON alert_outbox(provider_id, status, id);
