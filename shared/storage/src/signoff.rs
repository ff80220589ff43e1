//! Weekly sign-off (issue 15): approvals of a project's completed week by approver contacts,
//! the client's setting, and the lists for both sides. An approval supersedes the earlier one of
//! the same week in the same batch; `changed_at` is written only by the triggers of migration
//! 0020 (in the transaction of the entry change).

use crate::args;
use crate::auth::ts;
use crate::dashboard::VISIBLE_PROJECTS;
use crate::db::{new_id, Arg, Db, Result, StorageError};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::client_view::signoff::SignoffRecord;
use clearhours_domain::ids::{ClientId, ProjectId};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    id: String,
    project_id: String,
    project_name: Option<String>,
    week_start: String,
    week_end: String,
    contact_name: Option<String>,
    approved_at: String,
    minutes: i64,
    billable_minutes: i64,
    rows: i64,
    amount_minor: Option<i64>,
    lines_hash: String,
    changed_at: Option<String>,
}

const COLS: &str =
    "s.id, s.project_id, p.name AS project_name, s.week_start, s.week_end, c.name AS contact_name, s.approved_at, s.minutes, s.billable_minutes, s.rows,
     s.amount_minor, s.lines_hash, s.changed_at FROM week_signoffs s LEFT JOIN contacts c ON c.id = s.contact_id
     LEFT JOIN projects p ON p.id = s.project_id";

fn record(r: Row) -> Result<SignoffRecord> {
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StorageError::Corrupt(format!("sign-off date: {e}")));
    Ok(SignoffRecord {
        week_start: d(&r.week_start)?,
        week_end: d(&r.week_end)?,
        id: r.id,
        project_id: r.project_id,
        project_name: r.project_name.unwrap_or_default(),
        contact_name: r.contact_name.unwrap_or_default(),
        approved_at: r.approved_at,
        minutes: r.minutes,
        billable_minutes: r.billable_minutes,
        rows: r.rows,
        amount_minor: r.amount_minor,
        lines_hash: r.lines_hash,
        changed_at: r.changed_at,
    })
}

fn visible(scope: &ClientScope, project: Option<&ProjectId>) -> Vec<Arg> {
    args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), project.map(ToString::to_string)]
}

/// Whether the client has weekly sign-off on.
pub async fn enabled(db: &Db, scope: &ClientScope) -> Result<bool> {
    #[derive(Deserialize)]
    struct R {
        weekly_signoff: i64,
    }
    let r: Option<R> = db.first("SELECT weekly_signoff FROM clients WHERE id = ?", &args![scope.client_id.as_str()]).await?;
    Ok(r.is_some_and(|r| r.weekly_signoff == 1))
}

/// The current approvals (newest first) of the visible projects (or `project`) for weeks that
/// start in `from..=to`.
pub async fn client_signoffs(
    db: &Db,
    scope: &ClientScope,
    project: Option<&ProjectId>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SignoffRecord>> {
    let mut a = visible(scope, project);
    a.extend(args![from.to_string(), to.to_string()]);
    let rows: Vec<Row> = db
        .all(
            &format!(
                "SELECT {COLS} WHERE s.client_id = ?1 AND s.project_id IN ({VISIBLE_PROJECTS}) AND s.superseded_at IS NULL
                   AND s.week_end >= ?5 AND s.week_start <= ?6 ORDER BY s.week_start DESC, s.approved_at DESC LIMIT 200"
            ),
            &a,
        )
        .await?;
    rows.into_iter().map(record).collect()
}

/// What an approval records.
pub struct Approval<'a> {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub minutes: i64,
    pub billable_minutes: i64,
    pub rows: i64,
    pub amount_minor: Option<i64>,
    pub lines_hash: &'a str,
}

/// Records an approval (superseding the week's earlier one) when the project is visible and the
/// client has sign-off on. Returns the new id, or `None` (nothing written).
pub async fn approve(db: &Db, scope: &ClientScope, project: &ProjectId, a: &Approval<'_>, now: DateTime<Utc>) -> Result<Option<String>> {
    let id = new_id("so")?;
    let mut v = visible(scope, Some(project));
    v.extend(args![
        id.as_str(),
        scope.provider_id.as_str(),
        a.week_start.to_string(),
        a.week_end.to_string(),
        ts(now),
        a.minutes,
        a.billable_minutes,
        a.rows,
        a.amount_minor,
        a.lines_hash
    ]);
    let guard = format!("EXISTS (SELECT 1 FROM clients WHERE id = ?1 AND weekly_signoff = 1) AND ?4 IN ({VISIBLE_PROJECTS})");
    let results = db
        .batch(vec![
            db.stmt(
                &format!("UPDATE week_signoffs SET superseded_at = ?9 WHERE client_id = ?1 AND project_id = ?4 AND week_start = ?7 AND superseded_at IS NULL AND {guard}"),
                // D1 wants exactly as many bindings as the highest parameter number (?9 here).
                v.get(..9).unwrap_or_default(),
            )?,
            db.stmt(
                &format!(
                    "INSERT INTO week_signoffs (id, provider_id, client_id, project_id, week_start, week_end, contact_id, approved_at, minutes, billable_minutes, rows, amount_minor, lines_hash)
                     SELECT ?5, ?6, ?1, ?4, ?7, ?8, ?3, ?9, ?10, ?11, ?12, ?13, ?14 WHERE {guard}"
                ),
                &v,
            )?,
        ])
        .await?;
    let n = results.get(1).and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    Ok((n >= 1).then_some(id))
}

/// A sign-off as staff see it.
#[derive(Clone, Debug, Deserialize)]
pub struct StaffSignoff {
    pub client_name: String,
    pub project_name: String,
    pub week_start: String,
    pub contact_name: Option<String>,
    pub approved_at: String,
    pub minutes: i64,
    pub lines_hash: String,
    pub changed_at: Option<String>,
}

/// The provider's latest current approvals, changed ones first.
pub async fn staff_signoffs(db: &Db, scope: &ProviderScope) -> Result<Vec<StaffSignoff>> {
    db.all(
        "SELECT cl.name AS client_name, p.name AS project_name, s.week_start, c.name AS contact_name, s.approved_at, s.minutes, s.lines_hash, s.changed_at
           FROM week_signoffs s JOIN clients cl ON cl.id = s.client_id JOIN projects p ON p.id = s.project_id LEFT JOIN contacts c ON c.id = s.contact_id
          WHERE s.provider_id = ?1 AND s.superseded_at IS NULL
          ORDER BY s.changed_at IS NULL, s.week_start DESC LIMIT 200",
        &args![scope.provider_id.as_str()],
    )
    .await
}

/// Turns a client's weekly sign-off on or off. `false` when the client is not the provider's.
pub async fn set_enabled(db: &Db, scope: &ProviderScope, client: &ClientId, on: bool) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE clients SET weekly_signoff = ?1 WHERE id = ?2 AND provider_id = ?3",
            &args![on, client.as_str(), scope.provider_id.as_str()],
        )
        .await?
        >= 1)
}
