//! Reads behind the dashboard: projects a scope may see, and the rollups, names and catalogue
//! that `figures::compute` and the client-view projection need. Never reads raw entries.

use crate::args;
use crate::db::{rows, Arg, Db, Result, StorageError};
use crate::scope::ClientScope;
use chrono::NaiveDate;
use clearhours_domain::calendar::{Bucket, ClientCalendar};
use clearhours_domain::client_view::{MemberRecord, NoteRecord, PhaseRecord, TaskRecord};
use clearhours_domain::figures::DatedEntry;
use clearhours_domain::ids::{ClientId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::money::{Currency, HourlyRate};
use clearhours_domain::project::{Budget, BudgetPeriod, Project, Thresholds};
use clearhours_domain::rollup::{Dim, EntryFacts, Sums, TotalRow, WeekRow};
use serde::Deserialize;

pub(crate) const PROJECT_COLUMNS: &str = "p.id, p.client_id, p.name, c.currency, p.budget_period, p.budget_minutes, p.budget_amount_minor,
     p.budget_includes_non_billable, p.starts_on, p.ends_on, p.default_rate, p.alert_thresholds, p.data_updated_at";

#[derive(Deserialize)]
pub(crate) struct ProjectRow {
    id: String,
    client_id: String,
    name: String,
    currency: String,
    budget_period: Option<String>,
    budget_minutes: Option<i64>,
    budget_amount_minor: Option<i64>,
    budget_includes_non_billable: i64,
    starts_on: String,
    ends_on: Option<String>,
    default_rate: Option<String>,
    alert_thresholds: String,
    data_updated_at: Option<String>,
    /// Only in provider-side queries.
    #[serde(default)]
    pub(crate) client_name: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    week_start: Option<String>,
    #[serde(default)]
    pub(crate) view_mode: Option<String>,
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt("date", e))
}

impl ProjectRow {
    pub(crate) fn into_project(self) -> Result<(Project, Option<String>)> {
        let currency = Currency::parse(&self.currency).map_err(|e| corrupt("currency", e))?;
        let budget = match self.budget_period.as_deref() {
            None => None,
            Some(p) => Some(Budget {
                period: BudgetPeriod::parse(p).map_err(|e| corrupt("budget_period", e))?,
                minutes: self.budget_minutes,
                amount_minor: self.budget_amount_minor,
                includes_non_billable: self.budget_includes_non_billable != 0,
            }),
        };
        let project = Project {
            id: ProjectId::parse(&self.id).map_err(|e| corrupt("project id", e))?,
            client_id: ClientId::parse(&self.client_id).map_err(|e| corrupt("client id", e))?,
            name: self.name,
            currency,
            budget,
            starts_on: date(&self.starts_on)?,
            ends_on: self.ends_on.as_deref().map(date).transpose()?,
            default_rate: self.default_rate.as_deref().map(HourlyRate::parse).transpose().map_err(|e| corrupt("rate", e))?,
            thresholds: Thresholds::parse(&self.alert_thresholds).map_err(|e| corrupt("thresholds", e))?,
        };
        Ok((project, self.data_updated_at))
    }
}

impl ProjectRow {
    /// For rows selected with the client's `time_zone` and `week_start`.
    pub(crate) fn into_project_with_calendar(mut self) -> Result<(Project, ClientCalendar)> {
        let tz = self.time_zone.take().unwrap_or_else(|| "UTC".into());
        let ws = self.week_start.take().unwrap_or_else(|| "monday".into());
        let calendar = ClientCalendar::parse(&tz, &ws).map_err(|e| corrupt("calendar", e))?;
        Ok((self.into_project()?.0, calendar))
    }
}

/// Rollups of one project: `Dim::All` week rows for its whole life, other dimensions' week rows
/// from `window_start` on, and the totals; plus the entries dated after "today", which the
/// rollups include and `figures::compute` takes back out (see `figures`' module docs).
pub struct Rollups {
    pub all_weeks: Vec<WeekRow>,
    pub recent: Vec<WeekRow>,
    pub totals: Vec<TotalRow>,
    pub future: Vec<DatedEntry>,
}

/// The columns of a future-dated entry (prefix `project_id, ` when keyed).
pub(crate) const FUTURE_COLUMNS: &str = "local_date, week_start, month, member_id, task_id, phase_id, billable, minutes, amount_minor";

#[derive(Deserialize)]
pub(crate) struct FutureDb {
    pub(crate) project_id: String,
    local_date: String,
    week_start: String,
    month: String,
    member_id: String,
    task_id: Option<String>,
    phase_id: Option<String>,
    billable: i64,
    minutes: i64,
    amount_minor: i64,
}

impl FutureDb {
    pub(crate) fn into_dated(self) -> Result<DatedEntry> {
        Ok(DatedEntry {
            local_date: date(&self.local_date)?,
            facts: EntryFacts {
                bucket: Bucket { week_start: date(&self.week_start)?, month: date(&self.month)? },
                member_id: self.member_id,
                task_id: self.task_id,
                phase_id: self.phase_id,
                billable: self.billable != 0,
                minutes: self.minutes,
                amount_minor: self.amount_minor,
            },
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct WeekRowDb {
    week_start: String,
    month: String,
    dim: String,
    dim_id: String,
    billable: i64,
    minutes: i64,
    amount_minor: i64,
    entries: i64,
}

#[derive(Deserialize)]
pub(crate) struct TotalRowDb {
    dim: String,
    dim_id: String,
    billable: i64,
    minutes: i64,
    amount_minor: i64,
    entries: i64,
}

pub(crate) fn week_row(r: WeekRowDb) -> Result<WeekRow> {
    Ok(WeekRow {
        bucket: Bucket { week_start: date(&r.week_start)?, month: date(&r.month)? },
        dim: Dim::parse(&r.dim).ok_or_else(|| corrupt("dim", &r.dim))?,
        dim_id: r.dim_id,
        billable: r.billable != 0,
        sums: Sums { minutes: r.minutes, amount_minor: r.amount_minor, entries: r.entries },
    })
}

pub(crate) fn total_row(r: TotalRowDb) -> Result<TotalRow> {
    Ok(TotalRow {
        dim: Dim::parse(&r.dim).ok_or_else(|| corrupt("dim", &r.dim))?,
        dim_id: r.dim_id,
        billable: r.billable != 0,
        sums: Sums { minutes: r.minutes, amount_minor: r.amount_minor, entries: r.entries },
    })
}

/// The members, tasks and phases a client's projection may name.
pub struct Catalogue {
    pub members: Vec<MemberRecord>,
    pub tasks: Vec<TaskRecord>,
    pub phases: Vec<PhaseRecord>,
}

#[derive(Deserialize)]
pub(crate) struct MemberDb {
    id: String,
    name: String,
    role_title: String,
    email: String,
    phone: String,
    cost_rate: Option<String>,
    default_rate: Option<String>,
    personal_notes: String,
    seq: i64,
}

#[derive(Deserialize)]
pub(crate) struct TaskDb {
    id: String,
    name: String,
    client_explanation: String,
    billable_default: i64,
}

#[derive(Deserialize)]
pub(crate) struct PhaseDb {
    id: String,
    name: String,
}

pub(crate) fn catalogue_from(members: Vec<MemberDb>, tasks: Vec<TaskDb>, phases: Vec<PhaseDb>) -> Result<Catalogue> {
    let rate = |s: Option<String>| s.as_deref().map(HourlyRate::parse).transpose().map_err(|e| corrupt("rate", e));
    Ok(Catalogue {
        members: members
            .into_iter()
            .map(|m| {
                Ok(MemberRecord {
                    id: MemberId::parse(&m.id).map_err(|e| corrupt("member id", e))?,
                    name: m.name,
                    role_title: m.role_title,
                    email: m.email,
                    phone: m.phone,
                    cost_rate: rate(m.cost_rate)?,
                    default_rate: rate(m.default_rate)?,
                    personal_notes: m.personal_notes,
                    client_seq: u32::try_from(m.seq).unwrap_or(u32::MAX),
                })
            })
            .collect::<Result<_>>()?,
        tasks: tasks
            .into_iter()
            .map(|t| {
                Ok(TaskRecord {
                    id: TaskId::parse(&t.id).map_err(|e| corrupt("task id", e))?,
                    name: t.name,
                    client_explanation: t.client_explanation,
                    billable_default: t.billable_default != 0,
                })
            })
            .collect::<Result<_>>()?,
        phases: phases
            .into_iter()
            .map(|p| Ok(PhaseRecord { id: PhaseId::parse(&p.id).map_err(|e| corrupt("phase id", e))?, name: p.name }))
            .collect::<Result<_>>()?,
    })
}

#[derive(Deserialize)]
pub(crate) struct NoteDb {
    id: String,
    project_id: String,
    week_start: String,
    body: String,
    author_staff_id: String,
    created_at: String,
}

impl NoteDb {
    pub(crate) fn into_record(self) -> Result<NoteRecord> {
        Ok(NoteRecord {
            id: self.id,
            project_id: ProjectId::parse(&self.project_id).map_err(|e| corrupt("project id", e))?,
            week_start: date(&self.week_start)?,
            body: self.body,
            author_staff_id: self.author_staff_id,
            created_at: self.created_at,
        })
    }
}

/// One visible project with its rollups.
pub struct ProjectData {
    pub project: Project,
    /// Newest entry change (UTC), if any.
    pub as_of: Option<String>,
    pub rollups: Rollups,
    /// Staff notes for the client about this project's weeks (newest first, at most 50).
    pub notes: Vec<NoteRecord>,
}

#[derive(Deserialize)]
pub(crate) struct KeyedWeekRow {
    pub(crate) project_id: String,
    #[serde(flatten)]
    pub(crate) row: WeekRowDb,
}

/// The ids of the projects a contact may see. Parameters: ?1 client, ?2 all-projects flag (1/0),
/// ?3 contact, ?4 one project id or NULL for all. Every client-scoped read nests this.
pub(crate) const VISIBLE_PROJECTS: &str = "SELECT p.id FROM projects p WHERE p.client_id = ?1 AND p.status = 'active'
     AND (?2 = 1 OR p.id IN (SELECT project_id FROM contact_projects WHERE contact_id = ?3 AND client_id = ?1))
     AND (?4 IS NULL OR p.id = ?4)";

/// The projects a contact may see — all of them, or only `only` — with their rollups (dimension
/// rows from `window_start` on), their entries dated after `today` (through the index on
/// `(client_id, local_date)`: one row read per planned entry) and the catalogue to name members,
/// tasks and phases: one D1 round trip. A project outside the scope is simply absent (callers
/// answer 404).
pub async fn load_visible(
    db: &Db,
    scope: &ClientScope,
    only: Option<&ProjectId>,
    window_start: NaiveDate,
    today: NaiveDate,
) -> Result<(Vec<ProjectData>, Catalogue)> {
    let visible = VISIBLE_PROJECTS;
    let a = args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), only.map(|p| p.to_string())];
    let week_cols = "project_id, week_start, month, dim, dim_id, billable, minutes, amount_minor, entries";
    let mut with_window = a.clone();
    with_window.push(Arg::from(window_start.to_string()));
    let mut with_today = a.clone();
    with_today.push(Arg::from(today.to_string()));
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {PROJECT_COLUMNS} FROM projects p JOIN clients c ON c.id = p.client_id WHERE p.id IN ({visible}) ORDER BY p.name"), &a)?,
            db.stmt(&format!("SELECT {week_cols} FROM rollup_week WHERE client_id = ?1 AND dim = 'all' AND project_id IN ({visible})"), &a)?,
            db.stmt(
                &format!("SELECT {week_cols} FROM rollup_week WHERE client_id = ?1 AND dim IN ('member', 'task', 'phase') AND week_start >= ?5 AND project_id IN ({visible})"),
                &with_window,
            )?,
            db.stmt(
                &format!("SELECT project_id, dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_total WHERE client_id = ?1 AND project_id IN ({visible})"),
                &a,
            )?,
            db.stmt(
                "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                   FROM client_members cm JOIN members m ON m.id = cm.member_id WHERE cm.client_id = ? ORDER BY cm.seq",
                &args![scope.client_id.as_str()],
            )?,
            db.stmt("SELECT id, name, client_explanation, billable_default FROM tasks WHERE provider_id = ?", &args![scope.provider_id.as_str()])?,
            db.stmt(&format!("SELECT id, name FROM phases WHERE client_id = ?1 AND project_id IN ({visible}) ORDER BY position, name"), &a)?,
            db.stmt(
                &format!(
                    "SELECT id, project_id, week_start, body, author_staff_id, created_at FROM client_notes
                      WHERE client_id = ?1 AND deleted_at IS NULL AND project_id IN ({visible}) ORDER BY week_start DESC, created_at DESC LIMIT 50"
                ),
                &a,
            )?,
            db.stmt(
                &format!("SELECT project_id, {FUTURE_COLUMNS} FROM time_entries WHERE client_id = ?1 AND local_date > ?5 AND project_id IN ({visible})"),
                &with_today,
            )?,
        ])
        .await?;
    let [projects, weeks, recent, totals, members, tasks, phases, notes, future] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let mut by_project: Vec<ProjectData> = Vec::new();
    for row in rows::<ProjectRow>(projects)? {
        let (project, as_of) = row.into_project()?;
        by_project.push(ProjectData {
            project,
            as_of,
            rollups: Rollups { all_weeks: Vec::new(), recent: Vec::new(), totals: Vec::new(), future: Vec::new() },
            notes: Vec::new(),
        });
    }
    let slot = |id: &str, list: &mut Vec<ProjectData>| list.iter().position(|d| d.project.id.as_str() == id);
    for r in rows::<KeyedWeekRow>(weeks)? {
        if let Some(i) = slot(&r.project_id, &mut by_project) {
            by_project[i].rollups.all_weeks.push(week_row(r.row)?);
        }
    }
    for r in rows::<KeyedWeekRow>(recent)? {
        if let Some(i) = slot(&r.project_id, &mut by_project) {
            by_project[i].rollups.recent.push(week_row(r.row)?);
        }
    }
    #[derive(Deserialize)]
    struct KeyedTotal {
        project_id: String,
        #[serde(flatten)]
        row: TotalRowDb,
    }
    for r in rows::<KeyedTotal>(totals)? {
        if let Some(i) = slot(&r.project_id, &mut by_project) {
            by_project[i].rollups.totals.push(total_row(r.row)?);
        }
    }
    for r in rows::<FutureDb>(future)? {
        if let Some(i) = slot(&r.project_id, &mut by_project) {
            by_project[i].rollups.future.push(r.into_dated()?);
        }
    }
    for n in rows::<NoteDb>(notes)? {
        if let Some(i) = slot(&n.project_id, &mut by_project) {
            by_project[i].notes.push(n.into_record()?);
        }
    }
    let catalogue = catalogue_from(rows(members)?, rows(tasks)?, rows(phases)?)?;
    Ok((by_project, catalogue))
}
