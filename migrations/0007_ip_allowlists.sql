-- Staff sign-ins may be limited to the agency's networks (clients already have ip_allowlist).
ALTER TABLE providers ADD COLUMN staff_ip_allowlist TEXT NOT NULL DEFAULT '';
