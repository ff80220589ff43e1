//! Writing a delivery: one D1 batch holding the delivery record (idempotency key), every entry
//! upsert/delete (triggers move the rollups), the ordering rule of `clearhours_domain::sources`
//! (the version on each entry row, tombstones in `ingest_tombstones`: a stale command changes
//! nothing), the invoiced-entry rule (an entry with `invoice_id` is never changed by ingest: the
//! change is recorded in `ingest_flags` for the provider instead), and the unmapped queue
//! (`unmapped_entries`). Every guard is evaluated by SQL inside the transaction, so concurrent
//! deliveries cannot slip past them.

use crate::args;
use crate::auth::ts;
use crate::db::{new_id, Arg, Db, Result, StorageError};
use crate::ingest::Write;
use crate::scope::ProviderScope;
use crate::stmt::{prepare_all, Stmt};
use chrono::{DateTime, Utc};
use clearhours_domain::entry::ResolvedEntry;
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::ExternalEntry;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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

// The joins below are CROSS JOINs so SQLite keeps the delivery's rows (`json_each`) as the outer
// loop and looks each entry up by its unique key, instead of scanning every entry of the source.

/// Largest JSON text bound to one statement (D1 refuses values over 2 MB); longer write lists
/// are split into parts of the same batch.
const PART_BYTES: usize = 900_000;

/// One write as the set-based statements read it from `json_each(?)`.
#[derive(Serialize)]
struct WriteRow<'a> {
    /// `u` (upsert) or `d` (delete).
    op: &'static str,
    x: &'a str,
    /// The version; `None` for fixtures, which have none (a stored `NULL` never blocks a write).
    v: Option<i64>,
    /// Whether an applied write takes older queued versions of its entry off the unmapped queue.
    dq: u8,
    #[serde(flatten)]
    entry: Option<EntryRow<'a>>,
}

#[derive(Serialize)]
struct EntryRow<'a> {
    id: String,
    c: &'a str,
    p: &'a str,
    m: &'a str,
    t: Option<String>,
    ph: Option<String>,
    d: String,
    s: Option<String>,
    w: String,
    mo: String,
    min: i64,
    b: u8,
    desc: &'a str,
    note: &'a str,
    r: Option<String>,
    a: i64,
    /// What an invoice flag says about this update.
    detail: String,
}

/// One entry of the unmapped queue, for `json_each(?)`.
#[derive(Serialize)]
struct QueueRow<'a> {
    x: &'a str,
    v: i64,
    payload: String,
    reason: &'a str,
}

/// Flags changes that reach an invoiced entry (not over a tombstone as new or newer, not older
/// than what is stored; an update only if it changes something). ?1 provider, ?2 source,
/// ?3 delivery, ?4 now, ?5 writes. Returns the flagged external ids.
const FLAG_SQL: &str = "INSERT INTO ingest_flags (provider_id, integration_id, entry_id, external_id, invoice_id, change, detail, delivery_id, received_at)
     SELECT t.provider_id, ?2, t.id, t.external_id, t.invoice_id,
            CASE j.value ->> 'op' WHEN 'd' THEN 'delete' ELSE 'update' END,
            CASE j.value ->> 'op' WHEN 'd' THEN 'delete' ELSE j.value ->> 'detail' END, ?3, ?4
       FROM json_each(?5) j
       CROSS JOIN time_entries t ON t.provider_id = ?1 AND t.source = ?2 AND t.external_id = j.value ->> 'x'
      WHERE t.invoice_id IS NOT NULL
        AND (t.source_version IS NULL OR t.source_version <= j.value ->> 'v')
        AND (j.value ->> 'op' = 'd' OR (
              NOT (t.project_id = j.value ->> 'p' AND t.member_id = j.value ->> 'm' AND COALESCE(t.task_id, '') = COALESCE(j.value ->> 't', '')
                   AND COALESCE(t.phase_id, '') = COALESCE(j.value ->> 'ph', '') AND t.local_date = j.value ->> 'd'
                   AND t.minutes = j.value ->> 'min' AND t.billable = j.value ->> 'b' AND t.description = j.value ->> 'desc')
              AND NOT EXISTS (SELECT 1 FROM ingest_tombstones d WHERE d.provider_id = ?1 AND d.source = ?2
                                 AND d.external_id = j.value ->> 'x' AND d.version >= j.value ->> 'v')))
      ORDER BY j.key
     RETURNING external_id";

/// The upserts — the one statement that writes `time_entries` rows (deliveries and fixtures):
/// not over a tombstone as new or newer, not over a newer stored state, never over an invoiced
/// entry; in delivery order (members' first-worked order follows it). ?1 provider, ?2 source,
/// ?3 now, ?4 writes, ?5 integration (`NULL` for fixtures). Returns the external ids written.
const UPSERT_SQL: &str =
    "INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, task_id, phase_id, local_date, started_at,
        week_start, month, minutes, billable, description, internal_note, rate, amount_minor, source, integration_id, external_id,
        created_at, updated_at, source_version)
     SELECT j.value ->> 'id', ?1, j.value ->> 'c', j.value ->> 'p', j.value ->> 'm', j.value ->> 't', j.value ->> 'ph', j.value ->> 'd',
            j.value ->> 's', j.value ->> 'w', j.value ->> 'mo', j.value ->> 'min', j.value ->> 'b', j.value ->> 'desc', j.value ->> 'note',
            j.value ->> 'r', j.value ->> 'a', ?2, ?5, j.value ->> 'x', ?3, ?3, j.value ->> 'v'
       FROM json_each(?4) j
      WHERE j.value ->> 'op' = 'u'
        AND NOT EXISTS (SELECT 1 FROM ingest_tombstones d WHERE d.provider_id = ?1 AND d.source = ?2
                           AND d.external_id = j.value ->> 'x' AND d.version >= j.value ->> 'v')
      ORDER BY j.key
     ON CONFLICT (provider_id, source, external_id) DO UPDATE SET
        client_id = excluded.client_id, project_id = excluded.project_id, member_id = excluded.member_id,
        task_id = excluded.task_id, phase_id = excluded.phase_id, local_date = excluded.local_date,
        started_at = excluded.started_at, week_start = excluded.week_start, month = excluded.month,
        minutes = excluded.minutes, billable = excluded.billable, description = excluded.description,
        internal_note = excluded.internal_note, rate = excluded.rate, amount_minor = excluded.amount_minor,
        updated_at = excluded.updated_at, source_version = excluded.source_version
      WHERE time_entries.invoice_id IS NULL
        AND (time_entries.source_version IS NULL OR time_entries.source_version <= excluded.source_version)
     RETURNING external_id";

/// The deletes: never an invoiced entry, never a newer state. ?1 provider, ?2 source, ?3 writes.
const DELETE_SQL: &str = "DELETE FROM time_entries WHERE id IN (
       SELECT t.id FROM json_each(?3) j
         CROSS JOIN time_entries t ON t.provider_id = ?1 AND t.source = ?2 AND t.external_id = j.value ->> 'x'
        WHERE j.value ->> 'op' = 'd' AND t.invoice_id IS NULL
          AND (t.source_version IS NULL OR t.source_version <= j.value ->> 'v'))";

/// The tombstones of the deletes, unless a newer state is stored (then the delete is stale).
/// ?1 provider, ?2 source, ?3 now, ?4 writes. Returns the external ids recorded.
const TOMBSTONE_SQL: &str = "INSERT INTO ingest_tombstones (provider_id, source, external_id, version, deleted_at)
     SELECT ?1, ?2, j.value ->> 'x', j.value ->> 'v', ?3 FROM json_each(?4) j
      WHERE j.value ->> 'op' = 'd'
        AND NOT EXISTS (SELECT 1 FROM time_entries t WHERE t.provider_id = ?1 AND t.source = ?2
                           AND t.external_id = j.value ->> 'x' AND t.source_version > j.value ->> 'v')
      ORDER BY j.key
     ON CONFLICT (provider_id, source, external_id) DO UPDATE SET version = excluded.version, deleted_at = excluded.deleted_at
      WHERE excluded.version > ingest_tombstones.version
     RETURNING external_id";

/// Takes older queued versions of written entries off the unmapped queue (deletes always,
/// upserts when the source maps). ?1 source, ?2 writes.
const DEQUEUE_SQL: &str = "DELETE FROM unmapped_entries WHERE integration_id = ?1 AND external_id IN (
       SELECT u.external_id FROM json_each(?2) j
         CROSS JOIN unmapped_entries u ON u.integration_id = ?1 AND u.external_id = j.value ->> 'x'
        WHERE (j.value ->> 'op' = 'd' OR j.value ->> 'dq' = 1) AND u.version <= j.value ->> 'v')";

/// Keeps unmapped entries in the queue (unless a newer state is stored). ?1 provider,
/// ?2 source, ?3 now, ?4 queued entries. Returns the external ids kept.
const QUEUE_SQL: &str = "INSERT INTO unmapped_entries (integration_id, provider_id, external_id, version, payload, reason, received_at)
     SELECT ?2, ?1, j.value ->> 'x', j.value ->> 'v', j.value ->> 'payload', j.value ->> 'reason', ?3 FROM json_each(?4) j
      WHERE NOT EXISTS (SELECT 1 FROM ingest_tombstones d WHERE d.provider_id = ?1 AND d.source = ?2
                           AND d.external_id = j.value ->> 'x' AND d.version >= j.value ->> 'v')
      ORDER BY j.key
     ON CONFLICT (integration_id, external_id) DO UPDATE SET
        version = excluded.version, payload = excluded.payload, reason = excluded.reason, received_at = excluded.received_at
      WHERE excluded.version >= unmapped_entries.version
     RETURNING external_id";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Plain,
    Flag,
    Written,
    Tombstone,
    Queue,
}

#[derive(Deserialize)]
struct ReturnedRow {
    external_id: String,
}

/// The external ids a batch result returned.
fn returned_ids(r: &worker::D1Result) -> HashSet<String> {
    crate::db::rows::<ReturnedRow>(r).map(|rows| rows.into_iter().map(|r| r.external_id).collect()).unwrap_or_default()
}

fn write_row<'a>(w: &'a VersionedWrite, dequeue: bool) -> Result<WriteRow<'a>> {
    Ok(match &w.write {
        Write::Upsert(e) => upsert_row(e, Some(w.version), dequeue)?,
        Write::Delete(ext) => WriteRow { op: "d", x: ext.as_str(), v: Some(w.version), dq: u8::from(dequeue), entry: None },
    })
}

fn upsert_row(e: &ResolvedEntry, version: Option<i64>, dequeue: bool) -> Result<WriteRow<'_>> {
    let d = &e.draft;
    let detail = format!(
        "{} min on {} ({}), project {}, member {}{}",
        d.minutes,
        e.local_date,
        if d.billable { "billable" } else { "non-billable" },
        d.project_id,
        d.member_id,
        d.task_id.as_ref().map(|t| format!(", task {t}")).unwrap_or_default()
    );
    Ok(WriteRow {
        op: "u",
        x: d.external_id.as_str(),
        v: version,
        dq: u8::from(dequeue),
        entry: Some(EntryRow {
            id: new_id("ent")?,
            c: e.client_id.as_str(),
            p: d.project_id.as_str(),
            m: d.member_id.as_str(),
            t: d.task_id.as_ref().map(|t| t.to_string()),
            ph: d.phase_id.as_ref().map(|p| p.to_string()),
            d: e.local_date.to_string(),
            s: e.started_at.map(ts),
            w: e.bucket.week_start.to_string(),
            mo: e.bucket.month.to_string(),
            min: d.minutes,
            b: u8::from(d.billable),
            desc: &d.description,
            note: &d.internal_note,
            r: e.rate.map(|r| r.0.to_string()),
            a: e.amount.minor,
            detail,
        }),
    })
}

/// Fixture entries (dev only) as upserts under the source `fixture`, without versions or an
/// integration: the same statement as a delivery's upserts, one per part of the rows.
pub(crate) fn fixture_upserts(provider: &str, entries: &[ResolvedEntry], now: DateTime<Utc>) -> Result<Vec<Stmt>> {
    let rows = entries.iter().map(|e| upsert_row(e, None, false)).collect::<Result<Vec<_>>>()?;
    let now_s = ts(now);
    Ok(parts(&rows)?
        .into_iter()
        .map(|part| {
            Stmt::new(UPSERT_SQL, vec![Arg::from(provider), Arg::from("fixture"), Arg::from(now_s.as_str()), Arg::Text(part), Arg::Null])
        })
        .collect())
}

/// Splits rows into JSON arrays of at most [`PART_BYTES`] each (a single larger row is its own
/// part; the Db wrapper refuses it if D1 would).
fn parts<T: Serialize>(rows: &[T]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let mut size = 2;
    for r in rows {
        let one = serde_json::to_string(r).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        if !cur.is_empty() && size + one.len() + 1 > PART_BYTES {
            out.push(format!("[{}]", cur.join(",")));
            cur.clear();
            size = 2;
        }
        size += one.len() + 1;
        cur.push(one);
    }
    if !cur.is_empty() {
        out.push(format!("[{}]", cur.join(",")));
    }
    Ok(out)
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

/// The statements of a delivery as data ([`plan`]), with what reading their results needs.
pub struct Plan {
    /// In batch order; the first records the delivery (idempotency key).
    pub statements: Vec<Stmt>,
    tags: Vec<Tag>,
    /// Each write's external id and whether it is a delete, in delivery order.
    writes: Vec<(String, bool)>,
    /// The queued entries' external ids.
    queued: Vec<String>,
}

/// Builds a delivery's statements (pure: no I/O). `provider` and `source` are the provider and
/// integration ids; external ids must be unique within the delivery.
///
/// Set-based: each kind of change is one statement over all the delivery's writes bound as one
/// JSON array (`json_each`), so a 100-entry delivery is 3–7 statements, not ~250 (D1 allows 50
/// per invocation on the free plan); triggers do not count. External ids are unique within a
/// delivery (every source guarantees it), so the statements do not depend on each other's order
/// except as the old per-entry sequence did: flags see the state before the write, tombstones
/// after the deletes.
pub fn plan(provider: &str, source: &str, b: &Batch<'_>, now: DateTime<Utc>) -> Result<Plan> {
    let now_s = ts(now);
    {
        let mut seen = HashSet::new();
        let ext = |w: &VersionedWrite| match &w.write {
            Write::Upsert(e) => e.draft.external_id.to_string(),
            Write::Delete(x) => x.clone(),
        };
        if !b.writes.iter().map(ext).chain(b.queued.iter().map(|q| q.entry.external_id.to_string())).all(|x| seen.insert(x)) {
            return Err(StorageError::Corrupt("an external id appears twice in one delivery".into()));
        }
    }
    let count = i64::try_from(b.writes.len() + b.queued.len()).unwrap_or(0);
    let mut tagged: Vec<(Tag, Stmt)> = vec![(
        Tag::Plain,
        Stmt::new(
            "INSERT INTO ingest_deliveries (integration_id, delivery_id, received_at, entries) VALUES (?, ?, ?, ?)",
            args![source, b.delivery_id, now_s.as_str(), count],
        ),
    )];
    let rows = b.writes.iter().map(|w| write_row(w, b.dequeue)).collect::<Result<Vec<_>>>()?;
    let has_upserts = rows.iter().any(|r| r.op == "u");
    let has_deletes = rows.iter().any(|r| r.op == "d");
    for part in parts(&rows)? {
        let part = Arg::Text(part);
        let p = || Arg::from(provider);
        let s = || Arg::from(source);
        let n = || Arg::from(now_s.as_str());
        tagged.push((Tag::Flag, Stmt::new(FLAG_SQL, vec![p(), s(), Arg::from(b.delivery_id), n(), part.clone()])));
        if has_upserts {
            tagged.push((Tag::Written, Stmt::new(UPSERT_SQL, vec![p(), s(), n(), part.clone(), s()])));
        }
        if has_deletes {
            tagged.push((Tag::Plain, Stmt::new(DELETE_SQL, vec![p(), s(), part.clone()])));
            tagged.push((Tag::Tombstone, Stmt::new(TOMBSTONE_SQL, vec![p(), s(), n(), part.clone()])));
        }
        if has_deletes || b.dequeue {
            tagged.push((Tag::Plain, Stmt::new(DEQUEUE_SQL, vec![s(), part])));
        }
    }
    let queue_rows = b
        .queued
        .iter()
        .map(|q| {
            Ok(QueueRow {
                x: q.entry.external_id.as_str(),
                v: q.version,
                payload: serde_json::to_string(&q.entry).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                reason: &q.reason,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for part in parts(&queue_rows)? {
        tagged.push((
            Tag::Queue,
            Stmt::new(QUEUE_SQL, vec![Arg::from(provider), Arg::from(source), Arg::from(now_s.as_str()), Arg::Text(part)]),
        ));
    }
    let (tags, statements) = tagged.into_iter().unzip();
    Ok(Plan {
        statements,
        tags,
        writes: rows.iter().map(|r| (r.x.to_string(), r.op == "d")).collect(),
        queued: queue_rows.iter().map(|q| q.x.to_string()).collect(),
    })
}

impl Plan {
    /// What became of each write, from the external ids each statement returned (`returned[i]`
    /// for `statements[i]`).
    pub fn outcome(&self, returned: &[HashSet<String>]) -> Outcome {
        let mut by_tag: [HashSet<&str>; 4] = Default::default();
        for (tag, ids) in self.tags.iter().zip(returned) {
            let slot = match tag {
                Tag::Plain => continue,
                Tag::Flag => 0,
                Tag::Written => 1,
                Tag::Tombstone => 2,
                Tag::Queue => 3,
            };
            by_tag[slot].extend(ids.iter().map(String::as_str));
        }
        let [flagged, written, tombstoned, kept] = by_tag;
        let mut o = Outcome::default();
        for (x, delete) in &self.writes {
            let x = x.as_str();
            if flagged.contains(x) {
                o.flagged += 1;
            } else if *delete {
                if tombstoned.contains(x) {
                    o.deletes += 1;
                } else {
                    o.stale += 1;
                }
            } else if written.contains(x) {
                o.upserts += 1;
            } else {
                o.stale += 1;
            }
        }
        for x in &self.queued {
            if kept.contains(x.as_str()) {
                o.unmapped += 1;
            } else {
                o.stale += 1;
            }
        }
        o
    }
}

/// Applies a delivery atomically with versions, invoice flags and the unmapped queue ([`plan`]'s
/// statements, with `b.extra` after the delivery row). The delivery row comes first: a
/// concurrent duplicate fails the whole batch and changes nothing.
pub async fn apply_versioned(
    db: &Db,
    scope: &ProviderScope,
    integration: &IntegrationId,
    mut b: Batch<'_>,
    now: DateTime<Utc>,
) -> Result<Delivered> {
    let plan = plan(scope.provider_id.as_str(), integration.as_str(), &b, now)?;
    let mut prepared = prepare_all(db, &plan.statements)?;
    let extra = std::mem::take(&mut b.extra);
    let n_extra = extra.len();
    prepared.splice(1..1, extra);
    let mut results = match db.batch(prepared).await {
        Ok(r) => r,
        Err(StorageError::Conflict(msg)) if msg.contains("ingest_deliveries") => return Ok(Delivered::Duplicate),
        Err(e) => return Err(e),
    };
    if results.len() > n_extra {
        results.drain(1..1 + n_extra);
    }
    let returned: Vec<HashSet<String>> = results.iter().map(returned_ids).collect();
    Ok(Delivered::Stored(plan.outcome(&returned)))
}
