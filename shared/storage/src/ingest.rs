//! Writes of time entries. A delivery is one D1 batch: the delivery record (idempotency key),
//! every entry upsert/delete (triggers move the rollups, bump the client's data version and the
//! project's "as of"), all or nothing.
//!
//! [`apply_versioned`] adds, inside the same batch, the ordering rule of
//! `clearhours_domain::sources` (the version on each entry row, tombstones in `ingest_tombstones`: a stale command
//! changes nothing), the invoiced-entry rule (an entry with `invoice_id` is never changed by
//! ingest: the change is recorded in `ingest_flags` for the provider instead), and the unmapped
//! queue (`unmapped_entries`). Every guard is evaluated by SQL inside the transaction, so
//! concurrent deliveries cannot slip past them.

use crate::args;
use crate::auth::ts;
use crate::dashboard::ProjectRow;
use crate::db::{new_id, placeholders, Arg, Db, Result, StorageError};
use crate::scope::ProviderScope;
use chrono::{DateTime, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::entry::{resolve, EntryCommand, ResolvedEntry};
use clearhours_domain::ids::{IntegrationId, ProviderId};
use clearhours_domain::project::Project;
use clearhours_domain::sources::ExternalEntry;
use clearhours_domain::webhook::WebhookSecret;
use clearhours_domain::ValidationError;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// An integration's identity and current secrets.
pub struct IntegrationAuth {
    pub scope: ProviderScope,
    pub kind: String,
    /// The live secrets that parse as Standard Webhooks secrets (`whsec_…`).
    pub secrets: Vec<WebhookSecret>,
    /// The live secrets as stored (Toggl signs with the string's bytes, Clockify sends it).
    pub raw_secrets: Vec<String>,
}

/// The integration if it exists and is enabled, with its unexpired secrets.
pub async fn integration(db: &Db, id: &IntegrationId, now: DateTime<Utc>) -> Result<Option<IntegrationAuth>> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        kind: String,
        secret: Option<String>,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT i.provider_id, i.kind, s.secret FROM integrations i
               LEFT JOIN integration_secrets s ON s.integration_id = i.id AND (s.expires_at IS NULL OR s.expires_at > ?)
              WHERE i.id = ? AND i.disabled_at IS NULL",
            &args![ts(now), id.as_str()],
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let provider_id = ProviderId::parse(&first.provider_id).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let kind = first.kind.clone();
    let context = secret_context(id.as_str());
    let raw_secrets: Vec<String> = rows
        .iter()
        .filter_map(|r| r.secret.as_deref())
        .map(|s| db.open(&context, s))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let secrets = raw_secrets.iter().filter_map(|s| WebhookSecret::parse(s).ok()).collect();
    Ok(Some(IntegrationAuth { scope: crate::auth::system_scope(provider_id), kind, secrets, raw_secrets }))
}

/// The sealing context of an integration's secrets.
pub fn secret_context(integration: &str) -> String {
    format!("integration:{integration}")
}

pub async fn delivery_seen(db: &Db, integration: &IntegrationId, delivery_id: &str) -> Result<bool> {
    let row: Option<serde_json::Value> = db
        .first(
            "SELECT 1 AS seen FROM ingest_deliveries WHERE integration_id = ? AND delivery_id = ?",
            &args![integration.as_str(), delivery_id],
        )
        .await?;
    Ok(row.is_some())
}

/// A command checked against the provider's projects, members, tasks and phases.
pub enum Write {
    Upsert(ResolvedEntry),
    Delete(String),
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

async fn existing_ids(db: &Db, sql_prefix: &str, first: &str, ids: &HashSet<&str>) -> Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut a: Vec<Arg> = args![first];
    a.extend(ids.iter().map(|s| Arg::from(*s)));
    let rows: Vec<IdRow> = db.all(&format!("{sql_prefix} ({})", placeholders(ids.len())), &a).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Resolves commands against the provider's data. Unknown references are validation errors
/// naming the entry (`entries[3].project_id`).
pub async fn prepare(
    db: &Db,
    scope: &ProviderScope,
    commands: Vec<EntryCommand>,
) -> Result<std::result::Result<Vec<Write>, ValidationError>> {
    let mut errors = ValidationError::default();
    let mut writes = Vec::with_capacity(commands.len());
    for r in prepare_each(db, scope, commands).await? {
        match r {
            Ok(w) => writes.push(w),
            Err(e) => errors.errors.extend(e.errors),
        }
    }
    Ok(errors.into_result(writes))
}

/// Like [`prepare`], one result per command (in order), so a caller can set aside the commands
/// whose references do not exist instead of refusing the whole delivery.
pub async fn prepare_each(
    db: &Db,
    scope: &ProviderScope,
    commands: Vec<EntryCommand>,
) -> Result<Vec<std::result::Result<Write, ValidationError>>> {
    let provider = scope.provider_id.as_str();
    let mut project_ids: HashSet<&str> = HashSet::new();
    let mut member_ids: HashSet<&str> = HashSet::new();
    let mut task_ids: HashSet<&str> = HashSet::new();
    let mut phase_ids: HashSet<&str> = HashSet::new();
    for c in &commands {
        if let EntryCommand::Upsert(d) = c {
            project_ids.insert(d.project_id.as_str());
            member_ids.insert(d.member_id.as_str());
            if let Some(t) = &d.task_id {
                task_ids.insert(t.as_str());
            }
            if let Some(p) = &d.phase_id {
                phase_ids.insert(p.as_str());
            }
        }
    }
    let mut projects: HashMap<String, (Project, ClientCalendar)> = HashMap::new();
    if !project_ids.is_empty() {
        let mut a: Vec<Arg> = args![provider];
        a.extend(project_ids.iter().map(|s| Arg::from(*s)));
        let rows: Vec<ProjectRow> = db
            .all(
                &format!(
                    "SELECT p.id, p.client_id, p.name, c.currency, p.budget_period, p.budget_minutes, p.budget_amount_minor,
                            p.budget_includes_non_billable, p.starts_on, p.ends_on, p.default_rate, p.alert_thresholds,
                            p.data_updated_at, c.time_zone, c.week_start
                       FROM projects p JOIN clients c ON c.id = p.client_id
                      WHERE p.provider_id = ? AND p.id IN ({})",
                    placeholders(project_ids.len())
                ),
                &a,
            )
            .await?;
        for row in rows {
            let (project, calendar) = row.into_project_with_calendar()?;
            projects.insert(project.id.to_string(), (project, calendar));
        }
    }
    let members = existing_ids(db, "SELECT id FROM members WHERE provider_id = ? AND id IN", provider, &member_ids).await?;
    let tasks = existing_ids(db, "SELECT id FROM tasks WHERE provider_id = ? AND id IN", provider, &task_ids).await?;
    #[derive(Deserialize)]
    struct PhaseRow {
        id: String,
        project_id: String,
    }
    let phases: HashMap<String, String> = if phase_ids.is_empty() {
        HashMap::new()
    } else {
        let mut a: Vec<Arg> = args![provider];
        a.extend(phase_ids.iter().map(|s| Arg::from(*s)));
        let rows: Vec<PhaseRow> = db
            .all(
                &format!(
                    "SELECT ph.id, ph.project_id FROM phases ph JOIN projects p ON p.id = ph.project_id
                      WHERE p.provider_id = ? AND ph.id IN ({})",
                    placeholders(phase_ids.len())
                ),
                &a,
            )
            .await?;
        rows.into_iter().map(|r| (r.id, r.project_id)).collect()
    };

    let mut out = Vec::with_capacity(commands.len());
    for (i, c) in commands.into_iter().enumerate() {
        let mut errors = ValidationError::default();
        match c {
            EntryCommand::Delete { external_id } => out.push(Ok(Write::Delete(external_id.to_string()))),
            EntryCommand::Upsert(d) => {
                let at = |f: &str| format!("entries[{i}].{f}");
                let Some((project, calendar)) = projects.get(d.project_id.as_str()) else {
                    errors.push(at("project_id"), "no such project");
                    out.push(Err(errors));
                    continue;
                };
                if !members.contains(d.member_id.as_str()) {
                    errors.push(at("member_id"), "no such team member");
                }
                if let Some(t) = &d.task_id {
                    if !tasks.contains(t.as_str()) {
                        errors.push(at("task_id"), "no such task");
                    }
                }
                if let Some(p) = &d.phase_id {
                    if phases.get(p.as_str()).map(String::as_str) != Some(d.project_id.as_str()) {
                        errors.push(at("phase_id"), "no such phase in this project");
                    }
                }
                out.push(errors.into_result(Write::Upsert(resolve(d, project, calendar))));
            }
        }
    }
    Ok(out)
}

const UPSERT: &str =
    "INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, task_id, phase_id, local_date, started_at,
        week_start, month, minutes, billable, description, internal_note, rate, amount_minor, source, integration_id, external_id,
        created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (provider_id, source, external_id) DO UPDATE SET
        client_id = excluded.client_id, project_id = excluded.project_id, member_id = excluded.member_id,
        task_id = excluded.task_id, phase_id = excluded.phase_id, local_date = excluded.local_date,
        started_at = excluded.started_at, week_start = excluded.week_start, month = excluded.month,
        minutes = excluded.minutes, billable = excluded.billable, description = excluded.description,
        internal_note = excluded.internal_note, rate = excluded.rate, amount_minor = excluded.amount_minor,
        updated_at = excluded.updated_at";

/// The upsert statement of one resolved entry under `source` (an integration id or `fixture`).
pub(crate) fn upsert_statement(
    db: &Db,
    provider: &str,
    source: &str,
    integration: Option<&str>,
    e: &ResolvedEntry,
    now: &str,
) -> Result<worker::D1PreparedStatement> {
    db.stmt(UPSERT, &upsert_args(provider, source, integration, e, now)?)
}

/// The 22 values of a `time_entries` row for an upsert.
fn upsert_args(provider: &str, source: &str, integration: Option<&str>, e: &ResolvedEntry, now: &str) -> Result<Vec<Arg>> {
    let d = &e.draft;
    Ok(args![
        new_id("ent")?,
        provider,
        e.client_id.as_str(),
        d.project_id.as_str(),
        d.member_id.as_str(),
        d.task_id.as_ref().map(|t| t.to_string()),
        d.phase_id.as_ref().map(|p| p.to_string()),
        e.local_date.to_string(),
        e.started_at.map(ts),
        e.bucket.week_start.to_string(),
        e.bucket.month.to_string(),
        d.minutes,
        d.billable,
        &d.description,
        &d.internal_note,
        e.rate.map(|r| r.0.to_string()),
        e.amount.minor,
        source,
        integration.map(str::to_string),
        d.external_id.as_str(),
        now,
        now,
    ])
}

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Stored { upserts: usize, deletes: usize },
    Duplicate,
}

/// Applies a delivery atomically. A concurrent duplicate loses on the delivery key and changes
/// nothing.
pub async fn apply(
    db: &Db,
    scope: &ProviderScope,
    integration: &IntegrationId,
    delivery_id: &str,
    writes: &[Write],
    now: DateTime<Utc>,
) -> Result<Applied> {
    let provider = scope.provider_id.as_str();
    let now_s = ts(now);
    let source = integration.as_str();
    let mut statements = Vec::with_capacity(writes.len() + 1);
    statements.push(db.stmt(
        "INSERT INTO ingest_deliveries (integration_id, delivery_id, received_at, entries) VALUES (?, ?, ?, ?)",
        &args![source, delivery_id, now_s.as_str(), i64::try_from(writes.len()).unwrap_or(0)],
    )?);
    let (mut upserts, mut deletes) = (0, 0);
    for w in writes {
        match w {
            Write::Upsert(e) => {
                statements.push(upsert_statement(db, provider, source, Some(source), e, &now_s)?);
                upserts += 1;
            }
            Write::Delete(ext) => {
                statements.push(db.stmt(
                    "DELETE FROM time_entries WHERE provider_id = ? AND source = ? AND external_id = ?",
                    &args![provider, source, ext.as_str()],
                )?);
                deletes += 1;
            }
        }
    }
    match db.batch(statements).await {
        Ok(_) => Ok(Applied::Stored { upserts, deletes }),
        Err(StorageError::Conflict(msg)) if msg.contains("ingest_deliveries") => Ok(Applied::Duplicate),
        Err(e) => Err(e),
    }
}

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
