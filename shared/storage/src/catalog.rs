//! The provider's catalogue in the admin area: projects (budgets, periods, thresholds, dates),
//! their phases, tasks (with the explanation clients see) and team members (with their private
//! fields). Every function takes a [`ProviderScope`] and touches only that provider's rows.
//!
//! Changing a project, task or member never touches entries or rollups; it bumps the affected
//! clients' `data_version` so nothing cached under the old catalogue is served again.

use crate::args;
use crate::auth::ts;
use crate::db::{new_id, Db, Result, StorageError};
use crate::scope::ProviderScope;
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::ids::{ClientId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::money::HourlyRate;
use clearhours_domain::project::{Budget, Thresholds};
use serde::Deserialize;
use worker::D1Result;

/// A project as the admin area lists and edits it (stored form).
#[derive(Clone, Debug, Deserialize)]
pub struct ProjectRow {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub currency: String,
    pub name: String,
    pub code: String,
    pub status: String,
    pub budget_period: Option<String>,
    pub budget_minutes: Option<i64>,
    pub budget_amount_minor: Option<i64>,
    pub budget_includes_non_billable: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub default_rate: Option<String>,
    pub alert_thresholds: String,
}

/// A validated project form: what a create or update writes.
#[derive(Clone, Debug)]
pub struct ProjectInput {
    pub name: String,
    pub code: String,
    pub budget: Option<Budget>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub default_rate: Option<HourlyRate>,
    pub thresholds: Thresholds,
}

const PROJECT_SELECT: &str = "SELECT p.id, p.client_id, c.name AS client_name, c.currency, p.name, p.code, p.status, p.budget_period,
        p.budget_minutes, p.budget_amount_minor, p.budget_includes_non_billable, p.starts_on, p.ends_on, p.default_rate, p.alert_thresholds
   FROM projects p JOIN clients c ON c.id = p.client_id";

/// Rows changed by the `i`th statement of a batch, counting what its triggers changed (D1
/// reports the database's total changes): "was a row written" is `>= 1`, never `== 1` — the
/// data-version triggers (migrations/0022) write more rows.
fn changes(results: &[D1Result], i: usize) -> usize {
    results.get(i).and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0)
}

fn corrupt_id(e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("new id: {e}"))
}

fn rate_text(r: Option<HourlyRate>) -> Option<String> {
    r.map(|r| r.0.to_string())
}

/// Every project of the provider, by client and name.
pub async fn projects(db: &Db, scope: &ProviderScope) -> Result<Vec<ProjectRow>> {
    db.all(&format!("{PROJECT_SELECT} WHERE p.provider_id = ? ORDER BY c.name, p.name"), &args![scope.provider_id.as_str()]).await
}

pub async fn project(db: &Db, scope: &ProviderScope, id: &ProjectId) -> Result<Option<ProjectRow>> {
    db.first(&format!("{PROJECT_SELECT} WHERE p.id = ? AND p.provider_id = ?"), &args![id.as_str(), scope.provider_id.as_str()]).await
}

fn budget_args(p: &ProjectInput) -> Vec<crate::db::Arg> {
    args![
        p.budget.map(|b| b.period.as_str()),
        p.budget.and_then(|b| b.minutes),
        p.budget.and_then(|b| b.amount_minor),
        p.budget.is_some_and(|b| b.includes_non_billable),
    ]
}

/// Creates a project for one of the provider's clients; `None` if the client is not theirs.
pub async fn create_project(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    p: &ProjectInput,
    now: DateTime<Utc>,
) -> Result<Option<ProjectId>> {
    let id = new_id("prj")?;
    let mut a = args![id.as_str(), p.name.as_str(), p.code.as_str()];
    a.extend(budget_args(p));
    a.extend(args![
        p.starts_on.to_string(),
        p.ends_on.map(|d| d.to_string()),
        rate_text(p.default_rate),
        p.thresholds.to_stored(),
        ts(now),
        client.as_str(),
        scope.provider_id.as_str(),
    ]);
    let n = db
        .run(
            "INSERT INTO projects (id, provider_id, client_id, name, code, budget_period, budget_minutes, budget_amount_minor,
                                   budget_includes_non_billable, starts_on, ends_on, default_rate, alert_thresholds, created_at)
             SELECT ?1, c.provider_id, c.id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM clients c WHERE c.id = ?13 AND c.provider_id = ?14",
            &a,
        )
        .await?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(ProjectId::parse(&id).map_err(corrupt_id)?))
}

/// Saves a project's fields (never its client, entries or rollups); false if not the provider's.
pub async fn update_project(db: &Db, scope: &ProviderScope, id: &ProjectId, p: &ProjectInput) -> Result<bool> {
    let mut a = args![p.name.as_str(), p.code.as_str()];
    a.extend(budget_args(p));
    a.extend(args![
        p.starts_on.to_string(),
        p.ends_on.map(|d| d.to_string()),
        rate_text(p.default_rate),
        p.thresholds.to_stored(),
        id.as_str(),
        scope.provider_id.as_str(),
    ]);
    let results = db
        .batch(vec![
            db.stmt(
                "UPDATE projects SET name = ?1, code = ?2, budget_period = ?3, budget_minutes = ?4, budget_amount_minor = ?5,
                        budget_includes_non_billable = ?6, starts_on = ?7, ends_on = ?8, default_rate = ?9, alert_thresholds = ?10
                  WHERE id = ?11 AND provider_id = ?12",
                &a,
            )?,
            bump_project_client(db, scope, id)?,
        ])
        .await?;
    Ok(changes(&results, 0) >= 1)
}

fn bump_project_client(db: &Db, scope: &ProviderScope, project: &ProjectId) -> Result<worker::D1PreparedStatement> {
    db.stmt(
        "UPDATE clients SET data_version = data_version + 1
          WHERE id = (SELECT client_id FROM projects WHERE id = ? AND provider_id = ?) AND provider_id = ?",
        &args![project.as_str(), scope.provider_id.as_str(), scope.provider_id.as_str()],
    )
}

fn bump_provider_clients(db: &Db, scope: &ProviderScope) -> Result<worker::D1PreparedStatement> {
    db.stmt("UPDATE clients SET data_version = data_version + 1 WHERE provider_id = ?", &args![scope.provider_id.as_str()])
}

/// Runs one catalogue write and `bump` (a client data-version bump: what clients see changed) in
/// one batch; the rows the write changed.
async fn write_and_bump(db: &Db, bump: worker::D1PreparedStatement, sql: &str, args: &[crate::db::Arg]) -> Result<usize> {
    let results = db.batch(vec![db.stmt(sql, args)?, bump]).await?;
    Ok(changes(&results, 0))
}

/// Archives (hidden from clients and the overview) or reactivates a project.
pub async fn set_project_archived(db: &Db, scope: &ProviderScope, id: &ProjectId, archived: bool) -> Result<bool> {
    let status = if archived { "archived" } else { "active" };
    let bump = bump_project_client(db, scope, id)?;
    let sql = "UPDATE projects SET status = ? WHERE id = ? AND provider_id = ?";
    Ok(write_and_bump(db, bump, sql, &args![status, id.as_str(), scope.provider_id.as_str()]).await? >= 1)
}

#[derive(Clone, Debug, Deserialize)]
pub struct PhaseRow {
    pub id: String,
    pub name: String,
    pub position: i64,
}

/// A project's phases in position order.
pub async fn phases(db: &Db, scope: &ProviderScope, project: &ProjectId) -> Result<Vec<PhaseRow>> {
    db.all(
        "SELECT ph.id, ph.name, ph.position FROM phases ph JOIN projects p ON p.id = ph.project_id
          WHERE ph.project_id = ? AND p.provider_id = ? ORDER BY ph.position, ph.name",
        &args![project.as_str(), scope.provider_id.as_str()],
    )
    .await
}

/// Adds a phase after the project's last one; `None` if the project is not the provider's.
pub async fn add_phase(db: &Db, scope: &ProviderScope, project: &ProjectId, name: &str) -> Result<Option<PhaseId>> {
    let id = new_id("phs")?;
    let changed = write_and_bump(
        db,
        bump_project_client(db, scope, project)?,
        "INSERT INTO phases (id, client_id, project_id, name, position)
         SELECT ?, p.client_id, p.id, ?, COALESCE((SELECT MAX(position) + 1 FROM phases WHERE project_id = p.id), 0)
           FROM projects p WHERE p.id = ? AND p.provider_id = ?",
        &args![id.as_str(), name, project.as_str(), scope.provider_id.as_str()],
    )
    .await?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(Some(PhaseId::parse(&id).map_err(corrupt_id)?))
}

/// Renames a phase of one of the provider's projects; false if there is no such phase.
pub async fn rename_phase(db: &Db, scope: &ProviderScope, project: &ProjectId, phase: &PhaseId, name: &str) -> Result<bool> {
    let changed = write_and_bump(
        db,
        bump_project_client(db, scope, project)?,
        "UPDATE phases SET name = ? WHERE id = ? AND project_id = ?
            AND project_id IN (SELECT id FROM projects WHERE id = ? AND provider_id = ?)",
        &args![name, phase.as_str(), project.as_str(), project.as_str(), scope.provider_id.as_str()],
    )
    .await?;
    Ok(changed >= 1)
}

#[derive(Clone, Debug, Deserialize)]
pub struct TaskRow {
    pub id: String,
    pub name: String,
    pub client_explanation: String,
    pub billable_default: i64,
}

/// A validated task form.
#[derive(Clone, Debug)]
pub struct TaskInput {
    pub name: String,
    pub client_explanation: String,
    pub billable_default: bool,
}

pub async fn tasks(db: &Db, scope: &ProviderScope) -> Result<Vec<TaskRow>> {
    db.all(
        "SELECT id, name, client_explanation, billable_default FROM tasks WHERE provider_id = ? ORDER BY name, id",
        &args![scope.provider_id.as_str()],
    )
    .await
}

pub async fn create_task(db: &Db, scope: &ProviderScope, t: &TaskInput) -> Result<TaskId> {
    let id = new_id("tsk")?;
    write_and_bump(
        db,
        bump_provider_clients(db, scope)?,
        "INSERT INTO tasks (id, provider_id, name, client_explanation, billable_default) VALUES (?, ?, ?, ?, ?)",
        &args![id.as_str(), scope.provider_id.as_str(), t.name.as_str(), t.client_explanation.as_str(), t.billable_default],
    )
    .await?;
    TaskId::parse(&id).map_err(corrupt_id)
}

/// Saves a task; false if it is not the provider's.
pub async fn update_task(db: &Db, scope: &ProviderScope, id: &TaskId, t: &TaskInput) -> Result<bool> {
    let changed = write_and_bump(
        db,
        bump_provider_clients(db, scope)?,
        "UPDATE tasks SET name = ?, client_explanation = ?, billable_default = ? WHERE id = ? AND provider_id = ?",
        &args![t.name.as_str(), t.client_explanation.as_str(), t.billable_default, id.as_str(), scope.provider_id.as_str()],
    )
    .await?;
    Ok(changed >= 1)
}

/// A team member with the private fields (staff pages only).
#[derive(Clone, Debug, Deserialize)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub role_title: String,
    pub email: String,
    pub phone: String,
    pub cost_rate: Option<String>,
    pub default_rate: Option<String>,
    pub personal_notes: String,
    pub active: i64,
}

/// A validated member form.
#[derive(Clone, Debug)]
pub struct MemberInput {
    pub name: String,
    pub role_title: String,
    pub email: String,
    pub phone: String,
    pub cost_rate: Option<HourlyRate>,
    pub default_rate: Option<HourlyRate>,
    pub personal_notes: String,
    pub active: bool,
}

pub async fn members(db: &Db, scope: &ProviderScope) -> Result<Vec<MemberRow>> {
    db.all(
        "SELECT id, name, role_title, email, phone, cost_rate, default_rate, personal_notes, active
           FROM members WHERE provider_id = ? ORDER BY active DESC, name, id",
        &args![scope.provider_id.as_str()],
    )
    .await
}

pub async fn create_member(db: &Db, scope: &ProviderScope, m: &MemberInput, now: DateTime<Utc>) -> Result<MemberId> {
    let id = new_id("mem")?;
    write_and_bump(
        db,
        bump_provider_clients(db, scope)?,
        "INSERT INTO members (id, provider_id, name, role_title, email, phone, cost_rate, default_rate, personal_notes, active, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &args![
            id.as_str(),
            scope.provider_id.as_str(),
            m.name.as_str(),
            m.role_title.as_str(),
            m.email.as_str(),
            m.phone.as_str(),
            rate_text(m.cost_rate),
            rate_text(m.default_rate),
            m.personal_notes.as_str(),
            m.active,
            ts(now)
        ],
    )
    .await?;
    MemberId::parse(&id).map_err(corrupt_id)
}

/// Saves a member; false if they are not the provider's.
pub async fn update_member(db: &Db, scope: &ProviderScope, id: &MemberId, m: &MemberInput) -> Result<bool> {
    let changed = write_and_bump(
        db,
        bump_provider_clients(db, scope)?,
        "UPDATE members SET name = ?, role_title = ?, email = ?, phone = ?, cost_rate = ?, default_rate = ?, personal_notes = ?, active = ?
          WHERE id = ? AND provider_id = ?",
        &args![
            m.name.as_str(),
            m.role_title.as_str(),
            m.email.as_str(),
            m.phone.as_str(),
            rate_text(m.cost_rate),
            rate_text(m.default_rate),
            m.personal_notes.as_str(),
            m.active,
            id.as_str(),
            scope.provider_id.as_str()
        ],
    )
    .await?;
    Ok(changed >= 1)
}
