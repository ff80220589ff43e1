//! Writes of time entries. A delivery is one D1 batch: the delivery record (idempotency key),
//! every entry upsert/delete (triggers move the rollups, bump the client's data version and the
//! project's "as of"), all or nothing.
//!
//! This module authenticates integrations and resolves commands against the provider's data;
//! [`crate::delivery`] writes them.

use crate::args;
use crate::auth::ts;
use crate::dashboard::ProjectRow;
use crate::db::{Arg, Db, Result, StorageError};
use crate::scope::ProviderScope;
use crate::stmt::Stmt;
use chrono::{DateTime, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::entry::{check_date, resolve, EntryCommand, ResolvedEntry};
use clearhours_domain::ids::{IntegrationId, ProviderId};
use clearhours_domain::project::Project;
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
// Short-lived values, one per delivered item: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Write {
    Upsert(ResolvedEntry),
    Delete(String),
}

#[derive(Deserialize)]
pub(crate) struct IdRow {
    id: String,
}

/// The last segment of the field path under which [`prepare_each`] refuses a date out of reason
/// (`entries[3].date`): such an entry is refused by every source, never queued.
pub const DATE_FIELD: &str = "date";

/// A set of ids as one bound JSON array (sorted, so the statement is the same for the same set).
fn id_list(ids: &HashSet<&str>) -> Result<Arg> {
    let mut v: Vec<&str> = ids.iter().copied().collect();
    v.sort_unstable();
    Arg::json(&v)
}

/// Resolves commands against the provider's data. Unknown references and dates out of reason
/// (`entry::check_date`) are validation errors naming the entry (`entries[3].project_id`).
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
    let [projects, members, tasks, phases] = lookup_statements(scope.provider_id.as_str(), &commands)?;
    // Each list is one bound JSON array: a delivery names any number of distinct ids within
    // D1's 100-parameter limit. A list with no ids is not read.
    let projects: Vec<ProjectRow> = if let Some(s) = projects { db.all(&s.sql, &s.args).await? } else { Vec::new() };
    let members: Vec<IdRow> = if let Some(s) = members { db.all(&s.sql, &s.args).await? } else { Vec::new() };
    let tasks: Vec<IdRow> = if let Some(s) = tasks { db.all(&s.sql, &s.args).await? } else { Vec::new() };
    let phases: Vec<PhaseRow> = if let Some(s) = phases { db.all(&s.sql, &s.args).await? } else { Vec::new() };
    let catalogue = Catalogue::from_rows(projects, members, tasks, phases)?;
    Ok(check_commands(commands, &catalogue))
}

/// The reads that find which of the commands' projects (with their clients' calendars), members,
/// tasks and phases exist for the provider, as data; `None` where the commands name none.
pub(crate) fn lookup_statements(provider: &str, commands: &[EntryCommand]) -> Result<[Option<Stmt>; 4]> {
    let mut project_ids: HashSet<&str> = HashSet::new();
    let mut member_ids: HashSet<&str> = HashSet::new();
    let mut task_ids: HashSet<&str> = HashSet::new();
    let mut phase_ids: HashSet<&str> = HashSet::new();
    for c in commands {
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
    let read = |sql: &'static str, ids: &HashSet<&str>| -> Result<Option<Stmt>> {
        if ids.is_empty() {
            return Ok(None);
        }
        Ok(Some(Stmt::new(sql, vec![Arg::from(provider), id_list(ids)?])))
    };
    Ok([
        read(
            "SELECT p.id, p.client_id, p.name, c.currency, p.budget_period, p.budget_minutes, p.budget_amount_minor,
                    p.budget_includes_non_billable, p.starts_on, p.ends_on, p.default_rate, p.alert_thresholds,
                    p.data_updated_at, c.time_zone, c.week_start
               FROM projects p JOIN clients c ON c.id = p.client_id
              WHERE p.provider_id = ?1 AND p.id IN (SELECT value FROM json_each(?2))",
            &project_ids,
        )?,
        read("SELECT id FROM members WHERE provider_id = ?1 AND id IN (SELECT value FROM json_each(?2))", &member_ids)?,
        read("SELECT id FROM tasks WHERE provider_id = ?1 AND id IN (SELECT value FROM json_each(?2))", &task_ids)?,
        read(
            "SELECT ph.id, ph.project_id FROM phases ph JOIN projects p ON p.id = ph.project_id
              WHERE p.provider_id = ?1 AND ph.id IN (SELECT value FROM json_each(?2))",
            &phase_ids,
        )?,
    ])
}

#[derive(Deserialize)]
pub(crate) struct PhaseRow {
    id: String,
    project_id: String,
}

/// What exists of what a delivery refers to.
#[derive(Default)]
pub(crate) struct Catalogue {
    projects: HashMap<String, (Project, ClientCalendar)>,
    members: HashSet<String>,
    tasks: HashSet<String>,
    /// Phase → its project.
    phases: HashMap<String, String>,
}

impl Catalogue {
    pub(crate) fn from_rows(projects: Vec<ProjectRow>, members: Vec<IdRow>, tasks: Vec<IdRow>, phases: Vec<PhaseRow>) -> Result<Self> {
        let mut c = Catalogue::default();
        for row in projects {
            let (project, calendar) = row.into_project_with_calendar()?;
            c.projects.insert(project.id.to_string(), (project, calendar));
        }
        c.members = members.into_iter().map(|r| r.id).collect();
        c.tasks = tasks.into_iter().map(|r| r.id).collect();
        c.phases = phases.into_iter().map(|r| (r.id, r.project_id)).collect();
        Ok(c)
    }
}

/// Checks each command against what exists (pure): unknown references and dates out of reason
/// (`entry::check_date`) are validation errors naming the entry (`entries[3].project_id`).
pub(crate) fn check_commands(commands: Vec<EntryCommand>, cat: &Catalogue) -> Vec<std::result::Result<Write, ValidationError>> {
    let mut out = Vec::with_capacity(commands.len());
    for (i, c) in commands.into_iter().enumerate() {
        let mut errors = ValidationError::default();
        match c {
            EntryCommand::Delete { external_id } => out.push(Ok(Write::Delete(external_id.to_string()))),
            EntryCommand::Upsert(d) => {
                let at = |f: &str| format!("entries[{i}].{f}");
                let Some((project, calendar)) = cat.projects.get(d.project_id.as_str()) else {
                    errors.push(at("project_id"), "no such project");
                    out.push(Err(errors));
                    continue;
                };
                if !cat.members.contains(d.member_id.as_str()) {
                    errors.push(at("member_id"), "no such team member");
                }
                if let Some(t) = &d.task_id {
                    if !cat.tasks.contains(t.as_str()) {
                        errors.push(at("task_id"), "no such task");
                    }
                }
                if let Some(p) = &d.phase_id {
                    if cat.phases.get(p.as_str()).map(String::as_str) != Some(d.project_id.as_str()) {
                        errors.push(at("phase_id"), "no such phase in this project");
                    }
                }
                let resolved = resolve(d, project, calendar);
                // Dates within reason (entry::check_date): refused, never stored.
                if let Err(m) = check_date(resolved.local_date, project) {
                    errors.push(at(DATE_FIELD), format!("entry {}: {m}", resolved.draft.external_id));
                }
                out.push(errors.into_result(Write::Upsert(resolved)));
            }
        }
    }
    out
}
