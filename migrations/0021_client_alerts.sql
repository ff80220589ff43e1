-- Alerts and digests for client contacts (issue 14). A contact opts in on their account page to
-- the thresholds the provider shares with the client (`clients.shared_thresholds`, e.g. "90,100";
-- empty = none shared) and to the weekly digest. `digest_next_at` is the UTC instant of the
-- contact's next digest (the start of the client's next week, in its time zone; '' = not yet
-- scheduled: the job schedules it without sending). Exactly-once is the outbox's unique key with
-- the week as the period, not this column. Outbox recipients `contact:<id>` are resolved to the
-- contact's address at send time.
ALTER TABLE contacts ADD COLUMN notify_thresholds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN notify_digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN digest_next_at TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN shared_thresholds TEXT NOT NULL DEFAULT '';
-- Per-project channel overrides (sealed like the provider's webhook); NULL = the provider's.
ALTER TABLE projects ADD COLUMN alert_slack_webhook_url TEXT;
ALTER TABLE projects ADD COLUMN alert_email TEXT;
-- Due digests in order (the job's query).
CREATE INDEX contacts_digest_due ON contacts(notify_digest, digest_next_at);
