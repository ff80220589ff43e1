-- The view cache (0022) after the conversation (0019, 0020): what a client sees also changes
-- when a question is asked, answered or resolved (open counts on the dashboard, "Ask" state on
-- the timesheet), a budget request is made or decided (budget history, burn-up steps), a week is
-- approved or flagged "changed since approval" (the timesheet's sign-off state), or the client's
-- weekly sign-off setting changes. Each of these bumps the client's `data_version` inside the
-- writing statement's transaction, like every other client-visible write (see 0022), so the next
-- request misses the cache.

CREATE TRIGGER clients_signoff_setting_version AFTER UPDATE OF weekly_signoff ON clients BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER questions_version_insert AFTER INSERT ON questions BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER questions_version_update AFTER UPDATE ON questions BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER question_messages_version_insert AFTER INSERT ON question_messages BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;

CREATE TRIGGER budget_requests_version_insert AFTER INSERT ON budget_requests BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER budget_requests_version_update AFTER UPDATE ON budget_requests BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
CREATE TRIGGER budget_changes_version_insert AFTER INSERT ON budget_changes BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;

CREATE TRIGGER week_signoffs_version_insert AFTER INSERT ON week_signoffs BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id = NEW.client_id;
END;
CREATE TRIGGER week_signoffs_version_update AFTER UPDATE ON week_signoffs BEGIN
  UPDATE clients SET data_version = data_version + 1 WHERE id IN (OLD.client_id, NEW.client_id);
END;
