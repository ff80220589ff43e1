//! Budget decisions (issue 15): requests from approver contacts, staff decisions, counter
//! answers, and the budget's history. Every write is one D1 batch (a transaction) that also
//! writes its notice into the alerts outbox (`notices`).
//!
//! A decision's batch: the request's state moves only from the state it must be in (so two
//! staff deciding at once, or a double submit, decide once: the loser changes nothing and gets
//! `false`) and takes a fresh `decision_id`; the budget change row, the raise of the project's
//! budget and the notice are all guarded by that `decision_id`, so they happen exactly when the
//! state moved. The change row is inserted before the project is updated, reading the budget
//! before the raise.
//!
//! Client reads filter by the scope's client and nest `VISIBLE_PROJECTS`; staff reads by
//! provider.

use crate::args;
use crate::auth::ts;
use crate::dashboard::VISIBLE_PROJECTS;
use crate::db::{new_id, rows, Arg, Db, Result, StorageError};
use crate::notices::{contact_row, staff_rows, Event, StaffPayloads};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::client_view::budget::{BudgetChangeRecord, BudgetRequestRecord, CurrentBudget, CutRecord, RequestState};
use clearhours_domain::ids::ProjectId;
use serde::Deserialize;

#[derive(Deserialize)]
struct RequestDb {
    id: String,
    project_id: String,
    contact_name: Option<String>,
    add_minutes: i64,
    add_amount_minor: i64,
    cuts: String,
    reason: String,
    state: String,
    counter_minutes: Option<i64>,
    counter_amount_minor: Option<i64>,
    response: String,
    decided_by_name: Option<String>,
    decided_at: Option<String>,
    created_at: String,
}

#[derive(Deserialize)]
struct ChangeDb {
    id: String,
    effective_on: String,
    before_minutes: Option<i64>,
    after_minutes: Option<i64>,
    before_amount_minor: Option<i64>,
    after_amount_minor: Option<i64>,
    requested_by_name: Option<String>,
    approved_by_name: Option<String>,
    reason: String,
    created_at: String,
}

#[derive(Deserialize)]
struct ProjectDb {
    name: String,
    budget_period: Option<String>,
    budget_minutes: Option<i64>,
    budget_amount_minor: Option<i64>,
}

const R_COLS: &str = "r.id, r.project_id, c.name AS contact_name, r.add_minutes, r.add_amount_minor, r.cuts, r.reason, r.state,
     r.counter_minutes, r.counter_amount_minor, r.response, s.name AS decided_by_name, r.decided_at, r.created_at
     FROM budget_requests r LEFT JOIN contacts c ON c.id = r.contact_id LEFT JOIN staff_users s ON s.id = r.decided_by";
const C_COLS: &str = "b.id, b.effective_on, b.before_minutes, b.after_minutes, b.before_amount_minor, b.after_amount_minor,
     c.name AS requested_by_name, s.name AS approved_by_name, b.reason, b.created_at
     FROM budget_changes b LEFT JOIN contacts c ON c.id = b.requested_by LEFT JOIN staff_users s ON s.id = b.approved_by";

fn request(r: RequestDb) -> Result<BudgetRequestRecord> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("budget request {}: {what}", r.id));
    Ok(BudgetRequestRecord {
        state: RequestState::parse(&r.state).ok_or_else(|| corrupt("state"))?,
        cuts: serde_json::from_str::<Vec<CutRecord>>(&r.cuts).map_err(|_| corrupt("cuts"))?,
        id: r.id,
        project_id: r.project_id,
        contact_name: r.contact_name.unwrap_or_default(),
        add_minutes: r.add_minutes,
        add_amount_minor: r.add_amount_minor,
        reason: r.reason,
        counter_minutes: r.counter_minutes,
        counter_amount_minor: r.counter_amount_minor,
        response: r.response,
        decided_by_name: r.decided_by_name,
        decided_at: r.decided_at,
        created_at: r.created_at,
    })
}

fn change(c: ChangeDb) -> Result<BudgetChangeRecord> {
    Ok(BudgetChangeRecord {
        effective_on: NaiveDate::parse_from_str(&c.effective_on, "%Y-%m-%d")
            .map_err(|e| StorageError::Corrupt(format!("budget change date: {e}")))?,
        id: c.id,
        before_minutes: c.before_minutes,
        after_minutes: c.after_minutes,
        before_amount_minor: c.before_amount_minor,
        after_amount_minor: c.after_amount_minor,
        requested_by_name: c.requested_by_name.unwrap_or_default(),
        approved_by_name: c.approved_by_name.unwrap_or_default(),
        reason: c.reason,
        created_at: c.created_at,
    })
}

/// A project's budget, its changes (oldest first) and its requests (newest first).
pub struct BudgetData {
    pub project_name: String,
    /// `None` when the project has no budget.
    pub current: Option<CurrentBudget>,
    pub changes: Vec<BudgetChangeRecord>,
    pub requests: Vec<BudgetRequestRecord>,
}

fn visible_args(scope: &ClientScope, project: &ProjectId) -> Vec<Arg> {
    args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), project.as_str()]
}

/// What the contact may see of a project's budget decisions; `None` when the project is not
/// visible. One round trip.
pub async fn client_budget(db: &Db, scope: &ClientScope, project: &ProjectId) -> Result<Option<BudgetData>> {
    let a = visible_args(scope, project);
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT name, budget_period, budget_minutes, budget_amount_minor FROM projects WHERE id IN ({VISIBLE_PROJECTS})"), &a)?,
            db.stmt(&format!("SELECT {C_COLS} WHERE b.client_id = ?1 AND b.project_id IN ({VISIBLE_PROJECTS}) ORDER BY b.created_at, b.rowid LIMIT 200"), &a)?,
            db.stmt(&format!("SELECT {R_COLS} WHERE r.client_id = ?1 AND r.project_id IN ({VISIBLE_PROJECTS}) ORDER BY r.created_at DESC, r.id LIMIT 100"), &a)?,
        ])
        .await?;
    let [p, c, r] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    let Some(p) = rows::<ProjectDb>(p)?.into_iter().next() else { return Ok(None) };
    Ok(Some(BudgetData {
        project_name: p.name,
        current: p.budget_period.is_some().then_some(CurrentBudget { minutes: p.budget_minutes, amount_minor: p.budget_amount_minor }),
        changes: rows::<ChangeDb>(c)?.into_iter().map(change).collect::<Result<_>>()?,
        requests: rows::<RequestDb>(r)?.into_iter().map(request).collect::<Result<_>>()?,
    }))
}

/// A new request's id (its notice links to it before it is written).
pub fn new_request_id() -> Result<String> {
    new_id("br")
}

/// What an approver asks for.
pub struct NewRequest<'a> {
    pub id: &'a str,
    pub add_minutes: i64,
    pub add_amount_minor: i64,
    pub cuts: &'a [CutRecord],
    pub reason: &'a str,
}

/// An approver contact's request on a visible, budgeted project, with the provider's notice.
/// `false` when the project is not visible or has no budget (nothing written).
pub async fn request_change(
    db: &Db,
    scope: &ClientScope,
    project: &ProjectId,
    r: &NewRequest<'_>,
    notice: &StaffPayloads,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut a = visible_args(scope, project);
    a.extend(args![r.id, scope.provider_id.as_str(), r.add_minutes, r.add_amount_minor, Arg::json(r.cuts)?, r.reason, ts(now)]);
    let event = Event {
        provider_id: scope.provider_id.as_str(),
        client_id: scope.client_id.as_str(),
        project_id: project.as_str(),
        kind: "budget",
        key: r.id,
    };
    let mut batch = vec![db.stmt(
        &format!(
            "INSERT INTO budget_requests (id, provider_id, client_id, project_id, contact_id, add_minutes, add_amount_minor, cuts, reason, state, created_at)
             SELECT ?5, ?6, ?1, p.id, ?3, ?7, ?8, ?9, ?10, 'requested', ?11 FROM projects p
              WHERE p.id IN ({VISIBLE_PROJECTS}) AND p.budget_period IS NOT NULL"
        ),
        &a,
    )?];
    batch.extend(staff_rows(db, &event, notice, &Some(("EXISTS (SELECT 1 FROM budget_requests WHERE id = ?)", args![r.id])), now)?);
    let results = db.batch(batch).await?;
    Ok(results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) >= 1)
}

/// A request as staff see it.
pub struct StaffRequest {
    pub client_id: String,
    pub client_name: String,
    pub project_name: String,
    pub contact_id: String,
    pub current: Option<CurrentBudget>,
    pub record: BudgetRequestRecord,
    pub changes: Vec<BudgetChangeRecord>,
}

/// One of the provider's requests with the project's budget and history. One round trip.
pub async fn staff_request(db: &Db, scope: &ProviderScope, id: &str) -> Result<Option<StaffRequest>> {
    #[derive(Deserialize)]
    struct Extra {
        client_id: String,
        client_name: String,
        contact_id: String,
        name: String,
        budget_period: Option<String>,
        budget_minutes: Option<i64>,
        budget_amount_minor: Option<i64>,
    }
    let a = args![id, scope.provider_id.as_str()];
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {R_COLS} WHERE r.id = ?1 AND r.provider_id = ?2"), &a)?,
            db.stmt(
                "SELECT r.client_id, cl.name AS client_name, r.contact_id, p.name, p.budget_period, p.budget_minutes, p.budget_amount_minor
                   FROM budget_requests r JOIN clients cl ON cl.id = r.client_id JOIN projects p ON p.id = r.project_id
                  WHERE r.id = ?1 AND r.provider_id = ?2",
                &a,
            )?,
            db.stmt(
                &format!("SELECT {C_COLS} WHERE b.project_id = (SELECT project_id FROM budget_requests WHERE id = ?1 AND provider_id = ?2) ORDER BY b.created_at, b.rowid LIMIT 200"),
                &a,
            )?,
        ])
        .await?;
    let [r, x, c] = results.as_slice() else { return Err(StorageError::D1("unexpected batch result".into())) };
    let (Some(r), Some(x)) = (rows::<RequestDb>(r)?.into_iter().next(), rows::<Extra>(x)?.into_iter().next()) else { return Ok(None) };
    Ok(Some(StaffRequest {
        client_id: x.client_id,
        client_name: x.client_name,
        project_name: x.name,
        contact_id: x.contact_id,
        current: x.budget_period.is_some().then_some(CurrentBudget { minutes: x.budget_minutes, amount_minor: x.budget_amount_minor }),
        record: request(r)?,
        changes: rows::<ChangeDb>(c)?.into_iter().map(change).collect::<Result<_>>()?,
    }))
}

/// The provider's requests waiting for a decision (oldest first) and the latest others.
pub async fn staff_list(db: &Db, scope: &ProviderScope) -> Result<Vec<(String, String, BudgetRequestRecord)>> {
    #[derive(Deserialize)]
    struct Row {
        client_name: String,
        project_name: String,
        #[serde(flatten)]
        r: RequestDb,
    }
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    let rows: Vec<Row> = db
        .all(
            &format!(
                "SELECT cl.name AS client_name, p.name AS project_name, {R_COLS} JOIN clients cl ON cl.id = r.client_id JOIN projects p ON p.id = r.project_id
                  WHERE r.provider_id = ?1
                    AND (EXISTS (SELECT 1 FROM staff_users WHERE id = ?2 AND provider_id = ?1 AND role = 'admin')
                         OR r.client_id IN (SELECT client_id FROM staff_client_assignments WHERE staff_id = ?2))
                  ORDER BY CASE r.state WHEN 'requested' THEN 0 ELSE 1 END, r.created_at DESC LIMIT 100"
            ),
            &args![scope.provider_id.as_str(), staff.as_str()],
        )
        .await?;
    rows.into_iter().map(|r| Ok((r.client_name, r.project_name, request(r.r)?))).collect()
}

/// A staff decision.
pub enum Decision<'a> {
    /// Raise the budget by what was asked.
    Accept {
        response: &'a str,
    },
    Decline {
        response: &'a str,
    },
    Counter {
        minutes: i64,
        amount_minor: i64,
        response: &'a str,
    },
}

/// Statements that record a change and raise the budget by the request's `add_*` or
/// `counter_*` columns, guarded by the decision id; nothing when both are zero.
fn apply(
    db: &Db,
    id: &str,
    decision: &str,
    cols: (&str, &str),
    effective_on: NaiveDate,
    approved_by_sql: &str,
    now: DateTime<Utc>,
) -> Result<Vec<worker::D1PreparedStatement>> {
    let (m, a) = cols;
    let guard = "FROM budget_requests r JOIN projects p ON p.id = r.project_id WHERE r.id = ?1 AND r.decision_id = ?2";
    Ok(vec![
        db.stmt(
            &format!(
                "INSERT INTO budget_changes (id, provider_id, client_id, project_id, request_id, effective_on, before_minutes, after_minutes,
                                             before_amount_minor, after_amount_minor, requested_by, approved_by, reason, created_at)
                 SELECT ?3, r.provider_id, r.client_id, r.project_id, r.id, ?4, p.budget_minutes,
                        CASE WHEN p.budget_minutes IS NULL THEN NULL ELSE p.budget_minutes + COALESCE(r.{m}, 0) END,
                        p.budget_amount_minor,
                        CASE WHEN p.budget_amount_minor IS NULL THEN NULL ELSE p.budget_amount_minor + COALESCE(r.{a}, 0) END,
                        r.contact_id, {approved_by_sql}, r.reason, ?5
                 {guard} AND (COALESCE(r.{m}, 0) > 0 OR COALESCE(r.{a}, 0) > 0)"
            ),
            &args![id, decision, new_id("bc")?, effective_on.to_string(), ts(now)],
        )?,
        db.stmt(
            &format!(
                "UPDATE projects SET budget_minutes = CASE WHEN budget_minutes IS NULL THEN NULL ELSE budget_minutes + COALESCE(r.{m}, 0) END,
                                     budget_amount_minor = CASE WHEN budget_amount_minor IS NULL THEN NULL ELSE budget_amount_minor + COALESCE(r.{a}, 0) END
                  FROM budget_requests r WHERE r.id = ?1 AND r.decision_id = ?2 AND projects.id = r.project_id"
            ),
            &args![id, decision],
        )?,
    ])
}

/// Staff decide a `requested` request (one batch: the state, the budget change and raise on
/// acceptance, the requester's e-mail). `false` when it was not waiting (already decided).
/// `effective_on` is the client's today.
pub async fn decide(
    db: &Db,
    scope: &ProviderScope,
    r: &StaffRequest,
    d: &Decision<'_>,
    effective_on: NaiveDate,
    notice: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let staff = scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string);
    let decision = new_id("bd")?;
    let id = r.record.id.as_str();
    let (state, response, counter) = match d {
        Decision::Accept { response } => ("accepted", *response, None),
        Decision::Decline { response } => ("declined", *response, None),
        Decision::Counter { minutes, amount_minor, response } => ("countered", *response, Some((*minutes, *amount_minor))),
    };
    let mut batch = vec![db.stmt(
        "UPDATE budget_requests SET state = ?3, response = ?4, decided_by = ?5, decided_at = ?6, decision_id = ?7,
                counter_minutes = ?8, counter_amount_minor = ?9
          WHERE id = ?1 AND provider_id = ?2 AND state = 'requested'",
        &args![
            id,
            scope.provider_id.as_str(),
            state,
            response,
            staff.as_str(),
            ts(now),
            decision.as_str(),
            counter.map(|c| c.0),
            counter.map(|c| c.1)
        ],
    )?];
    if state == "accepted" {
        batch.extend(apply(db, id, &decision, ("add_minutes", "add_amount_minor"), effective_on, "r.decided_by", now)?);
    }
    let event = Event {
        provider_id: scope.provider_id.as_str(),
        client_id: &r.client_id,
        project_id: &r.record.project_id,
        kind: "budget",
        key: &decision,
    };
    batch.push(contact_row(
        db,
        &event,
        &r.contact_id,
        notice,
        &Some(("EXISTS (SELECT 1 FROM budget_requests WHERE id = ? AND decision_id = ?)", args![id, decision.as_str()])),
        now,
    )?);
    let results = db.batch(batch).await?;
    Ok(results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) >= 1)
}

/// The request as the contact sees it (a visible project of theirs), for answering a counter.
pub async fn client_request(db: &Db, scope: &ClientScope, id: &str) -> Result<Option<BudgetRequestRecord>> {
    let mut a = args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), Option::<String>::None];
    a.push(Arg::from(id));
    let r: Option<RequestDb> =
        db.first(&format!("SELECT {R_COLS} WHERE r.id = ?5 AND r.client_id = ?1 AND r.project_id IN ({VISIBLE_PROJECTS})"), &a).await?;
    r.map(request).transpose()
}

/// An approver answers a counter-proposal: accepted raises the budget by the counter (recorded
/// as approved by the staff member who countered); both tell the provider. One batch; `false`
/// when it was not waiting for an answer.
pub async fn answer_counter(
    db: &Db,
    scope: &ClientScope,
    r: &BudgetRequestRecord,
    accept: bool,
    effective_on: NaiveDate,
    notice: &StaffPayloads,
    now: DateTime<Utc>,
) -> Result<bool> {
    let decision = new_id("bd")?;
    let id = r.id.as_str();
    let mut batch = vec![db.stmt(
        "UPDATE budget_requests SET state = ?3, decision_id = ?4 WHERE id = ?1 AND client_id = ?2 AND state = 'countered'",
        &args![id, scope.client_id.as_str(), if accept { "counter_accepted" } else { "counter_declined" }, decision.as_str()],
    )?];
    if accept {
        batch.extend(apply(db, id, &decision, ("counter_minutes", "counter_amount_minor"), effective_on, "r.decided_by", now)?);
    }
    let event = Event {
        provider_id: scope.provider_id.as_str(),
        client_id: scope.client_id.as_str(),
        project_id: &r.project_id,
        kind: "budget",
        key: &decision,
    };
    batch.extend(staff_rows(
        db,
        &event,
        notice,
        &Some(("EXISTS (SELECT 1 FROM budget_requests WHERE id = ? AND decision_id = ?)", args![id, decision.as_str()])),
        now,
    )?);
    let results = db.batch(batch).await?;
    Ok(results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) >= 1)
}

/// A project's budget changes (oldest first) for the contact's dashboard chart steps.
pub async fn client_changes(db: &Db, scope: &ClientScope, project: &ProjectId) -> Result<Vec<BudgetChangeRecord>> {
    let rows: Vec<ChangeDb> = db
        .all(
            &format!(
                "SELECT {C_COLS} WHERE b.client_id = ?1 AND b.project_id IN ({VISIBLE_PROJECTS}) ORDER BY b.created_at, b.rowid LIMIT 200"
            ),
            &visible_args(scope, project),
        )
        .await?;
    rows.into_iter().map(change).collect()
}

/// The client of one of the provider's requests (for the role check before anything else).
pub async fn client_of(db: &Db, scope: &ProviderScope, id: &str) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        client_id: String,
    }
    let r: Option<Row> =
        db.first("SELECT client_id FROM budget_requests WHERE id = ? AND provider_id = ?", &args![id, scope.provider_id.as_str()]).await?;
    Ok(r.map(|r| r.client_id))
}
