//! Integrations as the admin area sees them: mappings from outside trackers' ids and names to
//! Clearhours projects, members and tasks; the unmapped queue; flags on invoiced entries; and
//! the step every outside source shares, [`resolve_items`] (mapped → writes, the rest → queue).
//!
//! Saving a mapping re-resolves the integration's queue (up to [`REQUEUE_LIMIT`] oldest entries)
//! and applies what now maps **in the same D1 batch** as the mapping row itself.

use crate::args;
use crate::auth::ts;
use crate::db::{new_id, Db, Result, StorageError};
use crate::delivery::{self, Batch, Delivered, Outcome, Queued, VersionedWrite};
use crate::ingest;
use crate::ingest::DATE_FIELD;
use crate::scope::ProviderScope;
use chrono::{DateTime, Utc};
use clearhours_domain::entry::EntryCommand;
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::mapping::{normalise_key, MapKind, Mappings, MatchOn};
use clearhours_domain::sources::{check_entry_year, ExternalEntry, SourceCommand, SourceItem};
use clearhours_domain::ValidationError;
use serde::Deserialize;

/// Most queued entries re-resolved by one mapping save (oldest first).
pub const REQUEUE_LIMIT: usize = 300;

/// An integration of the provider.
#[derive(Clone, Debug, Deserialize)]
pub struct IntegrationRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub disabled_at: Option<String>,
    pub unmapped: i64,
    pub flags: i64,
    pub mappings: i64,
}

const INTEGRATION_SELECT: &str = "SELECT i.id, i.kind, i.name, i.disabled_at,
        (SELECT COUNT(*) FROM unmapped_entries u WHERE u.integration_id = i.id) AS unmapped,
        (SELECT COUNT(*) FROM ingest_flags f WHERE f.integration_id = i.id AND f.resolved_at IS NULL) AS flags,
        (SELECT COUNT(*) FROM integration_mappings m WHERE m.integration_id = i.id) AS mappings
   FROM integrations i";

pub async fn integrations(db: &Db, scope: &ProviderScope) -> Result<Vec<IntegrationRow>> {
    db.all(&format!("{INTEGRATION_SELECT} WHERE i.provider_id = ? ORDER BY i.name, i.id"), &args![scope.provider_id.as_str()]).await
}

/// The provider's integration, or `None` (another provider's id is simply not found).
pub async fn integration(db: &Db, scope: &ProviderScope, id: &IntegrationId) -> Result<Option<IntegrationRow>> {
    db.first(&format!("{INTEGRATION_SELECT} WHERE i.id = ? AND i.provider_id = ?"), &args![id.as_str(), scope.provider_id.as_str()]).await
}

#[derive(Clone, Debug, Deserialize)]
pub struct MappingRow {
    pub kind: String,
    pub match_on: String,
    pub external_key: String,
    pub target_id: String,
    pub target_name: Option<String>,
}

pub async fn mapping_rows(db: &Db, id: &IntegrationId) -> Result<Vec<MappingRow>> {
    db.all(
        "SELECT m.kind, m.match_on, m.external_key, m.target_id,
                COALESCE((SELECT name FROM projects WHERE id = m.target_id AND m.kind IN ('project','workspace')),
                         (SELECT name FROM members WHERE id = m.target_id AND m.kind = 'user'),
                         (SELECT name FROM tasks WHERE id = m.target_id AND m.kind = 'task')) AS target_name
           FROM integration_mappings m WHERE m.integration_id = ? ORDER BY m.kind, m.match_on, m.external_key",
        &args![id.as_str()],
    )
    .await
}

/// The integration's mappings, ready to resolve entries.
pub async fn mappings(db: &Db, id: &IntegrationId) -> Result<Mappings> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
        match_on: String,
        external_key: String,
        target_id: String,
    }
    let rows: Vec<Row> = db
        .all("SELECT kind, match_on, external_key, target_id FROM integration_mappings WHERE integration_id = ?", &args![id.as_str()])
        .await?;
    let mut m = Mappings::default();
    for r in rows {
        if let (Ok(k), Ok(on)) = (MapKind::parse(&r.kind), MatchOn::parse(&r.match_on)) {
            m.insert(k, on, &r.external_key, &r.target_id);
        }
    }
    Ok(m)
}

/// What a mapping can point at: the provider's projects, members and tasks (id, label).
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub projects: Vec<(String, String)>,
    pub members: Vec<(String, String)>,
    pub tasks: Vec<(String, String)>,
}

pub async fn targets(db: &Db, scope: &ProviderScope) -> Result<Targets> {
    #[derive(Deserialize)]
    struct Row {
        what: String,
        id: String,
        label: String,
    }
    let p = scope.provider_id.as_str();
    let rows: Vec<Row> = db
        .all(
            "SELECT 'project' AS what, p.id, c.name || ' · ' || p.name AS label FROM projects p JOIN clients c ON c.id = p.client_id WHERE p.provider_id = ?
             UNION ALL SELECT 'member', id, name FROM members WHERE provider_id = ?
             UNION ALL SELECT 'task', id, name FROM tasks WHERE provider_id = ?
             ORDER BY 1, 3",
            &args![p, p, p],
        )
        .await?;
    let mut t = Targets::default();
    for r in rows {
        match r.what.as_str() {
            "project" => t.projects.push((r.id, r.label)),
            "member" => t.members.push((r.id, r.label)),
            _ => t.tasks.push((r.id, r.label)),
        }
    }
    Ok(t)
}

impl Targets {
    pub fn has(&self, kind: MapKind, id: &str) -> bool {
        let list = match kind {
            MapKind::Workspace | MapKind::Project => &self.projects,
            MapKind::User => &self.members,
            MapKind::Task => &self.tasks,
        };
        list.iter().any(|(i, _)| i == id)
    }
}

/// One row of the unmapped queue as the admin page lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct UnmappedRow {
    pub external_id: String,
    pub payload: String,
    pub reason: String,
    pub received_at: String,
}

impl UnmappedRow {
    pub fn entry(&self) -> Option<ExternalEntry> {
        serde_json::from_str(&self.payload).ok()
    }
}

pub async fn unmapped(db: &Db, scope: &ProviderScope, id: &IntegrationId, limit: usize) -> Result<Vec<UnmappedRow>> {
    db.all(
        "SELECT external_id, payload, reason, received_at FROM unmapped_entries
          WHERE integration_id = ? AND provider_id = ? ORDER BY received_at, external_id LIMIT ?",
        &args![id.as_str(), scope.provider_id.as_str(), i64::try_from(limit).unwrap_or(100)],
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct FlagRow {
    pub id: i64,
    pub entry_id: String,
    pub external_id: String,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub change: String,
    pub detail: String,
    pub received_at: String,
}

/// Open flags (changes refused on invoiced entries), newest first.
pub async fn flags(db: &Db, scope: &ProviderScope, id: &IntegrationId, limit: usize) -> Result<Vec<FlagRow>> {
    db.all(
        "SELECT f.id, f.entry_id, f.external_id, f.invoice_id, i.number AS invoice_number, f.change, f.detail, f.received_at
           FROM ingest_flags f LEFT JOIN invoices i ON i.id = f.invoice_id
          WHERE f.integration_id = ? AND f.provider_id = ? AND f.resolved_at IS NULL ORDER BY f.id DESC LIMIT ?",
        &args![id.as_str(), scope.provider_id.as_str(), i64::try_from(limit).unwrap_or(100)],
    )
    .await
}

/// Marks a flag as seen and handled.
pub async fn resolve_flag(db: &Db, scope: &ProviderScope, id: &IntegrationId, flag: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE ingest_flags SET resolved_at = ? WHERE id = ? AND integration_id = ? AND provider_id = ? AND resolved_at IS NULL",
            &args![ts(now), flag, id.as_str(), scope.provider_id.as_str()],
        )
        .await?
        > 0)
}

/// What resolving source items gave: writes, entries that wait for a mapping, and entries
/// refused because their dates are out of reason (`entry::check_date`), which every source
/// answers with 422 before writing anything. `refused` paths are `entries[i].date`, `i` the
/// item's index in the input.
#[derive(Default)]
pub struct Resolved {
    pub writes: Vec<VersionedWrite>,
    pub queued: Vec<Queued>,
    pub refused: ValidationError,
}

/// Splits source items: deletes and mapped entries whose targets exist become writes; the rest
/// are queued with the reasons; dates out of reason are refused.
pub async fn resolve_items(db: &Db, scope: &ProviderScope, id: &IntegrationId, items: Vec<SourceItem>) -> Result<Resolved> {
    let m = mappings(db, id).await?;
    resolve_with(db, scope, &m, items).await
}

/// [`resolve_items`] with mappings already loaded (a CSV import resolves many batches).
pub async fn resolve_with(db: &Db, scope: &ProviderScope, m: &Mappings, items: Vec<SourceItem>) -> Result<Resolved> {
    resolve_inner(db, scope, m, items, true).await
}

/// With `refuse_dates` false (re-resolving the queue), an entry whose date is out of reason for
/// the mapped project stays queued with the reason instead.
async fn resolve_inner(db: &Db, scope: &ProviderScope, m: &Mappings, items: Vec<SourceItem>, refuse_dates: bool) -> Result<Resolved> {
    let mut split = split_items(m, items, refuse_dates);
    let checked = ingest::prepare_each(db, scope, std::mem::take(&mut split.commands)).await?;
    Ok(assemble(split, checked, refuse_dates))
}

/// Source items after the mappings (pure): commands for what maps (with each one's item index,
/// version and entry), the queue for what does not, dates refused.
pub(crate) struct Split {
    pub(crate) commands: Vec<EntryCommand>,
    meta: Vec<(usize, i64, Option<ExternalEntry>)>,
    queued: Vec<Queued>,
    refused: ValidationError,
}

/// Applies the mappings to source items (pure).
pub(crate) fn split_items(m: &Mappings, items: Vec<SourceItem>, refuse_dates: bool) -> Split {
    let mut commands = Vec::with_capacity(items.len());
    let mut meta: Vec<(usize, i64, Option<ExternalEntry>)> = Vec::with_capacity(items.len());
    let mut queued = Vec::new();
    let mut refused = ValidationError::default();
    for (i, item) in items.into_iter().enumerate() {
        if let SourceCommand::Upsert(e) = &item.command {
            if let Err(msg) = check_entry_year(e) {
                if refuse_dates {
                    refused.push(format!("entries[{i}].{DATE_FIELD}"), format!("entry {}: {msg}", e.external_id));
                    continue;
                }
            }
        }
        match item.command {
            SourceCommand::Delete { external_id } => {
                commands.push(EntryCommand::Delete { external_id });
                meta.push((i, item.version, None));
            }
            SourceCommand::Upsert(e) => match m.resolve(&e) {
                Ok(draft) => {
                    commands.push(EntryCommand::Upsert(draft));
                    meta.push((i, item.version, Some(e)));
                }
                Err(reasons) => queued.push(Queued { version: item.version, entry: e, reason: reasons.join("; ") }),
            },
        }
    }
    Split { commands, meta, queued, refused }
}

/// Writes for the commands whose references exist (pure); the rest are queued with the reason
/// (a mapped target that no longer exists) or, for a date out of reason, refused.
pub(crate) fn assemble(split: Split, checked: Vec<std::result::Result<ingest::Write, ValidationError>>, refuse_dates: bool) -> Resolved {
    let Split { commands: _, meta, mut queued, mut refused } = split;
    let mut writes = Vec::with_capacity(meta.len());
    for (r, (i, version, entry)) in checked.into_iter().zip(meta) {
        match (r, entry) {
            (Ok(write), _) => writes.push(VersionedWrite { version, write }),
            // A date out of reason for the mapped project: refused, not queued.
            (Err(e), Some(_)) if refuse_dates && e.errors.iter().any(|f| f.field.ends_with(&format!(".{DATE_FIELD}"))) => {
                for f in e.errors.into_iter().filter(|f| f.field.ends_with(&format!(".{DATE_FIELD}"))) {
                    refused.push(format!("entries[{i}].{DATE_FIELD}"), f.message);
                }
            }
            (Err(e), Some(entry)) => {
                let reason = e
                    .errors
                    .iter()
                    .map(|f| {
                        let what = f.field.rsplit('.').next().unwrap_or_default().trim_end_matches("_id");
                        if what == DATE_FIELD {
                            f.message.clone()
                        } else {
                            format!("the mapped {what} does not exist any more ({})", f.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                queued.push(Queued { version, entry, reason });
            }
            (Err(_), None) => {}
        }
    }
    Resolved { writes, queued, refused }
}

/// A mapping to save.
pub struct NewMapping<'a> {
    pub kind: MapKind,
    pub match_on: MatchOn,
    pub external: &'a str,
    pub target: &'a str,
}

/// What saving a mapping did.
#[derive(Debug, Default)]
pub struct Saved {
    /// Queued entries that now mapped and were applied.
    pub flowed: Outcome,
    /// Entries still waiting.
    pub still_unmapped: usize,
}

/// Saves (or replaces) a mapping and lets queued entries that now map flow in, all in one batch.
/// `Err(message)` when the mapping itself is not acceptable.
pub async fn save_mapping(
    db: &Db,
    scope: &ProviderScope,
    id: &IntegrationId,
    new: &NewMapping<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Saved, String>> {
    let key = match normalise_key(new.match_on, new.external) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    if integration(db, scope, id).await?.is_none() {
        return Ok(Err("no such integration".into()));
    }
    let t = targets(db, scope).await?;
    if !t.has(new.kind, new.target) {
        return Ok(Err(format!("choose one of your {}s", new.kind.target_label())));
    }
    let mapping_stmt = db.stmt(
        "INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (integration_id, kind, match_on, external_key) DO UPDATE SET target_id = excluded.target_id, created_at = excluded.created_at",
        &args![id.as_str(), new.kind.as_str(), new.match_on.as_str(), key.as_str(), new.target, ts(now)],
    )?;
    let mut m = mappings(db, id).await?;
    m.insert(new.kind, new.match_on, &key, new.target);
    let Resolved { writes, queued, refused: _ } = requeue_plan(db, scope, id, &m).await?;
    let still_unmapped = queued.len();
    if writes.is_empty() {
        db.batch(vec![mapping_stmt]).await?;
        return Ok(Ok(Saved { flowed: Outcome::default(), still_unmapped }));
    }
    let delivery = format!("remap-{}", new_id("r")?);
    // Applied (or stale) writes take their queued versions off the queue in the same batch.
    let batch = Batch { delivery_id: &delivery, writes: &writes, queued: &[], extra: vec![mapping_stmt], dequeue: true };
    match delivery::apply_versioned(db, scope, id, batch, now).await? {
        Delivered::Stored(o) => Ok(Ok(Saved { flowed: o, still_unmapped })),
        Delivered::Duplicate => Err(StorageError::Conflict("remap delivery id collided".into())),
    }
}

/// The queue re-resolved with `m`: writes for what maps now, and what still does not.
async fn requeue_plan(db: &Db, scope: &ProviderScope, id: &IntegrationId, m: &Mappings) -> Result<Resolved> {
    #[derive(Deserialize)]
    struct Row {
        version: i64,
        payload: String,
    }
    let rows: Vec<Row> = db
        .all(
            "SELECT version, payload FROM unmapped_entries WHERE integration_id = ? AND provider_id = ? ORDER BY received_at, external_id LIMIT ?",
            &args![id.as_str(), scope.provider_id.as_str(), i64::try_from(REQUEUE_LIMIT).unwrap_or(300)],
        )
        .await?;
    let items: Vec<SourceItem> = rows
        .into_iter()
        .filter_map(|r| {
            serde_json::from_str::<ExternalEntry>(&r.payload)
                .ok()
                .map(|e| SourceItem { version: r.version, command: SourceCommand::Upsert(e) })
        })
        .collect();
    resolve_inner(db, scope, m, items, false).await
}

/// Removes a mapping (entries already stored stay as they are).
pub async fn delete_mapping(
    db: &Db,
    scope: &ProviderScope,
    id: &IntegrationId,
    kind: MapKind,
    on: MatchOn,
    external_key: &str,
) -> Result<bool> {
    if integration(db, scope, id).await?.is_none() {
        return Ok(false);
    }
    Ok(db
        .run(
            "DELETE FROM integration_mappings WHERE integration_id = ? AND kind = ? AND match_on = ? AND external_key = ?",
            &args![id.as_str(), kind.as_str(), on.as_str(), external_key],
        )
        .await?
        > 0)
}

/// The kinds of integration (the `integrations.kind` CHECK).
pub const KINDS: [&str; 3] = ["clearhours", "toggl", "clockify"];

/// Creates an integration with its first secret. `Err(message)` for a bad kind.
pub async fn create_integration(
    db: &Db,
    scope: &ProviderScope,
    kind: &str,
    name: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<IntegrationId, String>> {
    if !KINDS.contains(&kind) {
        return Ok(Err("kind must be clearhours, toggl or clockify".into()));
    }
    let id = new_id("int")?;
    let now_s = ts(now);
    db.batch(vec![
        db.stmt(
            "INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES (?, ?, ?, ?, ?)",
            &args![id.as_str(), scope.provider_id.as_str(), kind, name, now_s.as_str()],
        )?,
        db.stmt(
            "INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES (?, ?, ?, ?)",
            &args![new_id("sec")?, id.as_str(), db.seal(&crate::ingest::secret_context(&id), secret)?, now_s.as_str()],
        )?,
    ])
    .await?;
    Ok(Ok(IntegrationId::parse(&id).map_err(|e| StorageError::Corrupt(e.to_string()))?))
}

/// A live secret as the admin page lists it (never its value).
#[derive(Clone, Debug, Deserialize)]
pub struct SecretRow {
    pub created_at: String,
    pub expires_at: Option<String>,
}

pub async fn live_secrets(db: &Db, id: &IntegrationId, now: DateTime<Utc>) -> Result<Vec<SecretRow>> {
    db.all(
        "SELECT created_at, expires_at FROM integration_secrets WHERE integration_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id",
        &args![id.as_str(), ts(now)],
    )
    .await
}

/// Rotation without downtime: adds a secret, live at once, and (if `retire_at` is given) makes
/// the secrets live now expire then, so senders can switch in between. One batch.
pub async fn add_secret(
    db: &Db,
    scope: &ProviderScope,
    id: &IntegrationId,
    secret: &str,
    retire_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    if integration(db, scope, id).await?.is_none() {
        return Ok(false);
    }
    let now_s = ts(now);
    let mut statements = Vec::with_capacity(2);
    if let Some(at) = retire_at {
        statements.push(db.stmt(
            "UPDATE integration_secrets SET expires_at = ? WHERE integration_id = ? AND (expires_at IS NULL OR expires_at > ?)",
            &args![ts(at), id.as_str(), ts(at)],
        )?);
    }
    statements.push(db.stmt(
        "INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES (?, ?, ?, ?)",
        &args![new_id("sec")?, id.as_str(), db.seal(&crate::ingest::secret_context(id.as_str()), secret)?, now_s.as_str()],
    )?);
    db.batch(statements).await?;
    Ok(true)
}
