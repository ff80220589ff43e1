//! Writing a delivery: one D1 batch holding the delivery record (idempotency key), every entry
//! upsert/delete (triggers move the rollups), the ordering rule of `clearhours_domain::sources`
//! (the version on each entry row, tombstones in `ingest_tombstones`: a stale command changes
//! nothing), the invoiced-entry rule (an entry with `invoice_id` is never changed by ingest: the
//! change is recorded in `ingest_flags` for the provider instead), and the unmapped queue
//! (`unmapped_entries`). Every guard is evaluated by SQL inside the transaction, so concurrent
//! deliveries cannot slip past them.

use crate::args;
use crate::auth::ts;
use crate::db::{Db, Result, StorageError};
use crate::ingest::{upsert_args, Write};
use crate::scope::ProviderScope;
use chrono::{DateTime, Utc};
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::ExternalEntry;

/// A write with its version (Unix milliseconds; see `clearhours_domain::sources`).
pub struct VersionedWrite {
    pub version: i64,
    pub write: Write,
}

/// An entry that could not be mapped yet: it waits in the unmapped queue.
pub struct Queued {
    pub version: i64,
    pub entry: ExternalEntry,
    pub reason: String,
}

/// What became of each part of an applied delivery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub upserts: usize,
    pub deletes: usize,
    /// Older than what is stored: nothing changed.
    pub stale: usize,
    /// On an invoiced entry: not applied, flagged for the provider.
    pub flagged: usize,
    /// Kept in the unmapped queue.
    pub unmapped: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    Stored(Outcome),
    Duplicate,
}

/// `NOT EXISTS` a tombstone that makes an upsert of version `v` stale (4 arguments: provider,
/// source, external id, v). A delete wins a tie.
const NO_TOMBSTONE: &str =
    "NOT EXISTS (SELECT 1 FROM ingest_tombstones d WHERE d.provider_id = ? AND d.source = ? AND d.external_id = ? AND d.version >= ?)";

/// The upsert of one versioned entry: not over a tombstone as new or newer, not over a newer
/// stored state, never over an invoiced entry. Returns a row when it wrote.
const VERSIONED_UPSERT: &str =
    "INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, task_id, phase_id, local_date, started_at,
        week_start, month, minutes, billable, description, internal_note, rate, amount_minor, source, integration_id, external_id,
        created_at, updated_at, source_version)
     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
      WHERE NOT EXISTS (SELECT 1 FROM ingest_tombstones d WHERE d.provider_id = ? AND d.source = ? AND d.external_id = ? AND d.version >= ?)
     ON CONFLICT (provider_id, source, external_id) DO UPDATE SET
        client_id = excluded.client_id, project_id = excluded.project_id, member_id = excluded.member_id,
        task_id = excluded.task_id, phase_id = excluded.phase_id, local_date = excluded.local_date,
        started_at = excluded.started_at, week_start = excluded.week_start, month = excluded.month,
        minutes = excluded.minutes, billable = excluded.billable, description = excluded.description,
        internal_note = excluded.internal_note, rate = excluded.rate, amount_minor = excluded.amount_minor,
        updated_at = excluded.updated_at, source_version = excluded.source_version
      WHERE time_entries.invoice_id IS NULL
        AND (time_entries.source_version IS NULL OR time_entries.source_version <= excluded.source_version)
     RETURNING id";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Plain,
    Flag,
    Write,
    Queue,
}

/// Whether a batch result returned any row.
fn returned(r: &worker::D1Result) -> bool {
    crate::db::rows::<serde_json::Value>(r).map(|v| !v.is_empty()).unwrap_or(false)
}

/// The statements of one versioned write, tagged for counting: the invoice flag, then the
/// change (upsert, or delete + tombstone), then (for mapped sources) taking older queued
/// versions of the entry off the unmapped queue.
fn versioned_statements(
    db: &Db,
    provider: &str,
    source: &str,
    b: &Batch<'_>,
    w: &VersionedWrite,
    now_s: &str,
    out: &mut Vec<(Tag, worker::D1PreparedStatement)>,
) -> Result<()> {
    let v = w.version;
    let delivery_id = b.delivery_id;
    let ext = match &w.write {
        Write::Upsert(e) => {
            let d = &e.draft;
            let ext = d.external_id.as_str();
            let detail = format!(
                "{} min on {} ({}), project {}, member {}{}",
                d.minutes,
                e.local_date,
                if d.billable { "billable" } else { "non-billable" },
                d.project_id,
                d.member_id,
                d.task_id.as_ref().map(|t| format!(", task {t}")).unwrap_or_default()
            );
            out.push((
                Tag::Flag,
                db.stmt(
                    &format!(
                        "INSERT INTO ingest_flags (provider_id, integration_id, entry_id, external_id, invoice_id, change, detail, delivery_id, received_at)
                         SELECT t.provider_id, ?, t.id, t.external_id, t.invoice_id, 'update', ?, ?, ?
                           FROM time_entries t
                          WHERE t.provider_id = ? AND t.source = ? AND t.external_id = ? AND t.invoice_id IS NOT NULL
                            AND (t.source_version IS NULL OR t.source_version <= ?)
                            AND NOT (t.project_id = ? AND t.member_id = ? AND COALESCE(t.task_id, '') = ? AND COALESCE(t.phase_id, '') = ?
                                     AND t.local_date = ? AND t.minutes = ? AND t.billable = ? AND t.description = ?)
                            AND {NO_TOMBSTONE}
                         RETURNING id"
                    ),
                    &args![
                        source, detail, delivery_id, now_s,
                        provider, source, ext, v,
                        d.project_id.as_str(), d.member_id.as_str(), d.task_id.as_ref().map_or(String::new(), |t| t.to_string()),
                        d.phase_id.as_ref().map_or(String::new(), |p| p.to_string()), e.local_date.to_string(), d.minutes, d.billable, &d.description,
                        provider, source, ext, v
                    ],
                )?,
            ));
            let mut a = upsert_args(provider, source, Some(source), e, now_s)?;
            a.extend(args![v, provider, source, ext, v]);
            out.push((Tag::Write, db.stmt(VERSIONED_UPSERT, &a)?));
            ext
        }
        Write::Delete(ext) => {
            let ext = ext.as_str();
            out.push((
                Tag::Flag,
                db.stmt(
                    "INSERT INTO ingest_flags (provider_id, integration_id, entry_id, external_id, invoice_id, change, detail, delivery_id, received_at)
                     SELECT t.provider_id, ?, t.id, t.external_id, t.invoice_id, 'delete', 'delete', ?, ?
                       FROM time_entries t
                      WHERE t.provider_id = ? AND t.source = ? AND t.external_id = ? AND t.invoice_id IS NOT NULL
                        AND (t.source_version IS NULL OR t.source_version <= ?)
                     RETURNING id",
                    &args![source, delivery_id, now_s, provider, source, ext, v],
                )?,
            ));
            out.push((
                Tag::Plain,
                db.stmt(
                    "DELETE FROM time_entries WHERE provider_id = ? AND source = ? AND external_id = ? AND invoice_id IS NULL
                        AND (source_version IS NULL OR source_version <= ?)",
                    &args![provider, source, ext, v],
                )?,
            ));
            // Recorded unless a newer state is stored (then the delete is stale); returns a row
            // when recorded.
            out.push((
                Tag::Write,
                db.stmt(
                    "INSERT INTO ingest_tombstones (provider_id, source, external_id, version, deleted_at)
                     SELECT ?, ?, ?, ?, ?
                      WHERE NOT EXISTS (SELECT 1 FROM time_entries t WHERE t.provider_id = ? AND t.source = ? AND t.external_id = ? AND t.source_version > ?)
                     ON CONFLICT (provider_id, source, external_id) DO UPDATE SET version = excluded.version, deleted_at = excluded.deleted_at
                      WHERE excluded.version > ingest_tombstones.version
                     RETURNING version",
                    &args![provider, source, ext, v, now_s, provider, source, ext, v],
                )?,
            ));
            ext
        }
    };
    if b.dequeue || matches!(w.write, Write::Delete(_)) {
        out.push((
            Tag::Plain,
            db.stmt("DELETE FROM unmapped_entries WHERE integration_id = ? AND external_id = ? AND version <= ?", &args![source, ext, v])?,
        ));
    }
    Ok(())
}

/// The statement that keeps an unmapped entry in the queue (unless a newer state is stored).
fn queue_statement(db: &Db, provider: &str, source: &str, q: &Queued, now_s: &str) -> Result<worker::D1PreparedStatement> {
    let payload = serde_json::to_string(&q.entry).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let ext = q.entry.external_id.as_str();
    db.stmt(
        &format!(
            "INSERT INTO unmapped_entries (integration_id, provider_id, external_id, version, payload, reason, received_at)
             SELECT ?, ?, ?, ?, ?, ?, ? WHERE {NO_TOMBSTONE}
             ON CONFLICT (integration_id, external_id) DO UPDATE SET
                version = excluded.version, payload = excluded.payload, reason = excluded.reason, received_at = excluded.received_at
              WHERE excluded.version >= unmapped_entries.version
             RETURNING version"
        ),
        &args![source, provider, ext, q.version, payload, &q.reason, now_s, provider, source, ext, q.version],
    )
}

/// A delivery for [`apply_versioned`].
pub struct Batch<'a> {
    /// The idempotency key, recorded in `ingest_deliveries` (first statement of the batch).
    pub delivery_id: &'a str,
    pub writes: &'a [VersionedWrite],
    pub queued: &'a [Queued],
    /// More statements for the same transaction (e.g. the mapping whose save re-resolves).
    pub extra: Vec<worker::D1PreparedStatement>,
    /// Whether applied upserts take older queued versions of their entry off the unmapped queue
    /// (sources that map; deletes always do).
    pub dequeue: bool,
}

/// Applies a delivery atomically with versions, invoice flags and the unmapped queue. The
/// delivery row comes first: a concurrent duplicate fails the whole batch and changes nothing.
pub async fn apply_versioned(
    db: &Db,
    scope: &ProviderScope,
    integration: &IntegrationId,
    b: Batch<'_>,
    now: DateTime<Utc>,
) -> Result<Delivered> {
    let provider = scope.provider_id.as_str();
    let now_s = ts(now);
    let source = integration.as_str();
    let mut tagged: Vec<(Tag, worker::D1PreparedStatement)> = Vec::with_capacity(b.writes.len() * 3 + b.queued.len() + b.extra.len() + 1);
    let count = i64::try_from(b.writes.len() + b.queued.len()).unwrap_or(0);
    tagged.push((
        Tag::Plain,
        db.stmt(
            "INSERT INTO ingest_deliveries (integration_id, delivery_id, received_at, entries) VALUES (?, ?, ?, ?)",
            &args![source, b.delivery_id, now_s.as_str(), count],
        )?,
    ));
    let mut b = b;
    for s in std::mem::take(&mut b.extra) {
        tagged.push((Tag::Plain, s));
    }
    // Per write: where its statements start, and whether it is a delete.
    let mut items: Vec<(usize, bool)> = Vec::with_capacity(b.writes.len());
    for w in b.writes {
        items.push((tagged.len(), matches!(w.write, Write::Delete(_))));
        versioned_statements(db, provider, source, &b, w, &now_s, &mut tagged)?;
    }
    for q in b.queued {
        tagged.push((Tag::Queue, queue_statement(db, provider, source, q, &now_s)?));
    }
    let tags: Vec<Tag> = tagged.iter().map(|t| t.0).collect();
    let results = match db.batch(tagged.into_iter().map(|t| t.1).collect()).await {
        Ok(r) => r,
        Err(StorageError::Conflict(msg)) if msg.contains("ingest_deliveries") => return Ok(Delivered::Duplicate),
        Err(e) => return Err(e),
    };
    let returned_at = |i: usize, tag: Tag| tags.get(i) == Some(&tag) && results.get(i).is_some_and(returned);
    let mut o = Outcome::default();
    for (start, is_delete) in items {
        // A write's statements: flag at `start`, then the upsert, or the delete and tombstone.
        let flagged = returned_at(start, Tag::Flag);
        let written = returned_at(start + if is_delete { 2 } else { 1 }, Tag::Write);
        if flagged {
            o.flagged += 1;
        } else if !written {
            o.stale += 1;
        } else if is_delete {
            o.deletes += 1;
        } else {
            o.upserts += 1;
        }
    }
    for (i, t) in tags.iter().enumerate() {
        if *t == Tag::Queue {
            if results.get(i).is_some_and(returned) {
                o.unmapped += 1;
            } else {
                o.stale += 1;
            }
        }
    }
    Ok(Delivered::Stored(o))
}
