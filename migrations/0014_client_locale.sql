-- Issue 12: a client's locale for numbers, money and dates on every client surface.
-- Empty means "derive from the time zone's country" (`domain::locale::Locale::resolve`), so
-- existing clients get their country's formats without a backfill; staff may set a BCP 47 tag
-- from the supported list (validated in Rust, not here, so adding a locale needs no migration).
ALTER TABLE clients ADD COLUMN locale TEXT NOT NULL DEFAULT '';
