//! Reads of raw time entries for client timesheets, one week at a time.
//!
//! Everything the entries page needs comes from one D1 round trip: whether the project is
//! visible to the scope (the same predicate as `dashboard::load_visible`: the scope's client, an
//! active project, and the contact's project list), its name, the week's entries and the
//! catalogue that names members, tasks and phases. Every statement filters by the scope's
//! client id and repeats the visibility predicate, so nothing of a project outside the scope is
//! read into memory.

use crate::args;
use crate::dashboard::{catalogue_from, date, Catalogue, VISIBLE_PROJECTS};
use crate::db::{rows, Db, Result, StorageError};
use crate::scope::ClientScope;
use chrono::NaiveDate;
use clearhours_domain::client_view::entries::EntryRecord;
use clearhours_domain::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::money::HourlyRate;
use serde::Deserialize;

/// Most entries one week of one project returns; a real week is far below this.
pub const WEEK_LIMIT: i64 = 5000;

/// One visible project's entries for a date range, with what the projection needs to name them.
pub struct WeekEntries {
    pub project_id: ProjectId,
    pub project_name: String,
    pub catalogue: Catalogue,
    /// Ordered by local date, then id; at most [`WEEK_LIMIT`].
    pub entries: Vec<EntryRecord>,
}

#[derive(Deserialize)]
struct ProjectDb {
    id: String,
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct EntryDb {
    id: String,
    external_id: String,
    source: String,
    member_id: String,
    task_id: Option<String>,
    phase_id: Option<String>,
    local_date: String,
    minutes: i64,
    billable: i64,
    description: String,
    internal_note: String,
    rate: Option<String>,
    amount_minor: i64,
    invoice_id: Option<String>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("{what}: {e}"))
}

fn rate(s: Option<&str>) -> Result<Option<HourlyRate>> {
    s.map(HourlyRate::parse).transpose().map_err(|e| corrupt("rate", e))
}

fn id<T>(what: &str, s: &str, parse: fn(&str) -> std::result::Result<T, clearhours_domain::ids::IdError>) -> Result<T> {
    parse(s).map_err(|e| corrupt(what, e))
}

pub(crate) fn entry(r: EntryDb) -> Result<EntryRecord> {
    Ok(EntryRecord {
        id: id("entry id", &r.id, EntryId::parse)?,
        external_id: id("external id", &r.external_id, ExternalId::parse)?,
        source: r.source,
        member_id: id("member id", &r.member_id, MemberId::parse)?,
        task_id: r.task_id.as_deref().map(|t| id("task id", t, TaskId::parse)).transpose()?,
        phase_id: r.phase_id.as_deref().map(|p| id("phase id", p, PhaseId::parse)).transpose()?,
        local_date: date(&r.local_date)?,
        minutes: r.minutes,
        billable: r.billable != 0,
        description: r.description,
        internal_note: r.internal_note,
        rate: rate(r.rate.as_deref())?,
        amount_minor: r.amount_minor,
        invoice_id: r.invoice_id.as_deref().map(|i| id("invoice id", i, InvoiceId::parse)).transpose()?,
    })
}

/// Entries of `project` with a local date in `from ..= to`, if the scope may see the project;
/// `None` otherwise (callers answer 404, never 403). One D1 round trip; the entries are read
/// through the `(project_id, local_date)` index.
pub async fn week_entries(
    db: &Db,
    scope: &ClientScope,
    project: &ProjectId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<WeekEntries>> {
    let visible = VISIBLE_PROJECTS;
    let a = args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), project.as_str()];
    let mut range = a.clone();
    range.extend(args![from.to_string(), to.to_string(), WEEK_LIMIT]);
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT p.id, p.name FROM projects p WHERE p.id IN ({visible})"), &a)?,
            db.stmt(
                &format!(
                    "SELECT e.id, e.external_id, e.source, e.member_id, e.task_id, e.phase_id, e.local_date, e.minutes, e.billable,
                            e.description, e.internal_note, e.rate, e.amount_minor, e.invoice_id
                       FROM time_entries e INDEXED BY time_entries_project_date
                      WHERE e.project_id = ?4 AND e.local_date BETWEEN ?5 AND ?6 AND e.client_id = ?1
                        AND e.project_id IN ({visible})
                      ORDER BY e.local_date, e.id LIMIT ?7"
                ),
                &range,
            )?,
            db.stmt(
                &format!(
                    "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                       FROM client_members cm JOIN members m ON m.id = cm.member_id
                      WHERE cm.client_id = ?1 AND EXISTS ({visible}) ORDER BY cm.seq"
                ),
                &a,
            )?,
            db.stmt(
                &format!("SELECT id, name, client_explanation, billable_default FROM tasks WHERE provider_id = ?5 AND EXISTS ({visible})"),
                &{
                    let mut t = a.clone();
                    t.extend(args![scope.provider_id.as_str()]);
                    t
                },
            )?,
            db.stmt(
                &format!("SELECT id, name FROM phases WHERE client_id = ?1 AND project_id IN ({visible}) ORDER BY position, name"),
                &a,
            )?,
        ])
        .await?;
    let [projects, entries, members, tasks, phases] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let Some(p) = rows::<ProjectDb>(projects)?.into_iter().next() else { return Ok(None) };
    let catalogue = catalogue_from(rows(members)?, rows(tasks)?, rows(phases)?)?;
    Ok(Some(WeekEntries {
        project_id: id("project id", &p.id, ProjectId::parse)?,
        project_name: p.name,
        catalogue,
        entries: rows::<EntryDb>(entries)?.into_iter().map(entry).collect::<Result<_>>()?,
    }))
}
