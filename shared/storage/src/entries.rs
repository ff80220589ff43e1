//! Reads of raw time entries for client timesheets and their exports.
//!
//! The SQL here is the storage form of `client_view::entries::Selection`; its reference
//! definition is `client_view::entries::{select, totals, subtotals}` (same filter, same order
//! key, same keyset comparison). Every statement filters by the scope's client id and repeats
//! the visibility predicate (`dashboard::VISIBLE_PROJECTS`: the scope's client, active
//! projects, the contact's project list), so nothing of a project outside the scope is read.
//!
//! Pages are keyset pages: `ORDER BY <key> LIMIT n` continuing at `(<key>) > (<cursor>)`, read
//! on one project through the index `(project_id, local_date, id)` (migration 0013); D1 reads
//! stay bounded by the page, whatever the history's size. Totals for the whole filtered set come
//! from the rollups where the filter allows (`Selection::rollup_split`: whole week-in-month
//! buckets from `rollup_week`, the range's edges from entries), else from one aggregate
//! statement; subtotals from one aggregate statement.
//!
//! Bound parameters (the same numbering in every statement): `?1` client, `?2` all projects,
//! `?3` contact, `?4` project or NULL, `?5`/`?6` date range, `?7` member ids (JSON) or NULL,
//! `?8`/`?9` task ids and "no task", `?10`/`?11` phase ids and "no phase", `?12` billable or
//! NULL, `?13` a LIKE pattern or NULL, `?14` an invoice id or NULL; statements add their own from `?15` on.

use crate::args;
use crate::dashboard::{catalogue_from, date, Catalogue, NoteDb, VISIBLE_PROJECTS};
use crate::db::{rows, Arg, Db, Result, StorageError};
use crate::scope::ClientScope;
use clearhours_domain::calendar::add_days;
use clearhours_domain::client_view::entries::{
    EntryRecord, GroupRecord, KeyPart, Page, ProjectRef, RollupSplit, Selection, Sort, SubtotalDim, SubtotalRecord, TotalsRecord,
    UNKNOWN_RANK,
};
use clearhours_domain::client_view::NoteRecord;
use clearhours_domain::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::money::HourlyRate;
use serde::Deserialize;

/// What every timesheet view needs before it can resolve its filters: the visible projects
/// and the catalogue that names members, tasks (only those used for this client) and phases.
pub struct TimesheetBase {
    pub projects: Vec<ProjectRef>,
    pub catalogue: Catalogue,
}

#[derive(Deserialize)]
struct ProjectDb {
    id: String,
    name: String,
    starts_on: String,
}

#[derive(Deserialize)]
pub(crate) struct EntryDb {
    id: String,
    project_id: String,
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

#[derive(Deserialize)]
struct GroupDb {
    project_id: String,
    local_date: String,
    member_id: String,
    task_id: Option<String>,
    phase_id: Option<String>,
    billable: i64,
    rate: Option<String>,
    entries: i64,
    minutes: i64,
    amount_minor: i64,
}

#[derive(Deserialize)]
struct TotalsDb {
    entries: i64,
    minutes: Option<i64>,
    billable_minutes: Option<i64>,
    amount_minor: Option<i64>,
    groups: Option<i64>,
}

#[derive(Deserialize)]
struct SubtotalDb {
    key: Option<String>,
    entries: i64,
    minutes: i64,
    billable_minutes: i64,
    amount_minor: i64,
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
        project_id: id("project id", &r.project_id, ProjectId::parse)?,
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

fn group(r: GroupDb) -> Result<GroupRecord> {
    Ok(GroupRecord {
        project_id: id("project id", &r.project_id, ProjectId::parse)?,
        local_date: date(&r.local_date)?,
        member_id: id("member id", &r.member_id, MemberId::parse)?,
        task_id: r.task_id.as_deref().map(|t| id("task id", t, TaskId::parse)).transpose()?,
        phase_id: r.phase_id.as_deref().map(|p| id("phase id", p, PhaseId::parse)).transpose()?,
        billable: r.billable != 0,
        rate: r.rate,
        entries: r.entries,
        minutes: r.minutes,
        amount_minor: r.amount_minor,
    })
}

/// The visible projects (all, or only `only`) and the catalogue, in one round trip; `None` when
/// `only` is not visible to the scope (callers answer 404, never 403).
pub async fn timesheet_base(db: &Db, scope: &ClientScope, only: Option<&ProjectId>) -> Result<Option<TimesheetBase>> {
    let visible = VISIBLE_PROJECTS;
    let a = args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), only.map(|p| p.to_string())];
    let mut with_provider = a.clone();
    with_provider.push(Arg::from(scope.provider_id.as_str()));
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT p.id, p.name, p.starts_on FROM projects p WHERE p.id IN ({visible}) ORDER BY p.name, p.id"), &a)?,
            db.stmt(
                &format!(
                    "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                       FROM client_members cm JOIN members m ON m.id = cm.member_id
                      WHERE cm.client_id = ?1 AND EXISTS ({visible}) ORDER BY cm.seq"
                ),
                &a,
            )?,
            // Only tasks this client's visible projects have time on: the glossary and the
            // filter list name nothing of other clients' work.
            db.stmt(
                &format!(
                    "SELECT t.id, t.name, t.client_explanation, t.billable_default FROM tasks t
                      WHERE t.provider_id = ?5 AND EXISTS (SELECT 1 FROM rollup_total r WHERE r.client_id = ?1 AND r.dim = 'task'
                                                             AND r.dim_id = t.id AND r.project_id IN ({visible}))"
                ),
                &with_provider,
            )?,
            db.stmt(
                &format!("SELECT id, name FROM phases WHERE client_id = ?1 AND project_id IN ({visible}) ORDER BY position, name"),
                &a,
            )?,
        ])
        .await?;
    let [projects, members, tasks, phases] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let projects: Vec<ProjectRef> = rows::<ProjectDb>(projects)?
        .into_iter()
        .map(|p| Ok(ProjectRef { id: id("project id", &p.id, ProjectId::parse)?, name: p.name, starts_on: date(&p.starts_on)? }))
        .collect::<Result<_>>()?;
    if only.is_some() && projects.is_empty() {
        return Ok(None);
    }
    let catalogue = catalogue_from(rows(members)?, rows(tasks)?, rows(phases)?)?;
    Ok(Some(TimesheetBase { projects, catalogue }))
}

/// `LIKE` pattern for a lower-case substring, `%` `_` `\` escaped.
fn like(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn json_ids<T: ToString>(ids: &Option<Vec<T>>) -> Option<String> {
    ids.as_ref().map(|v| serde_json::to_string(&v.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into()))
}

/// `?1`…`?14` (see the module docs).
fn common_args(scope: &ClientScope, sel: &Selection) -> Vec<Arg> {
    args![
        scope.client_id.as_str(),
        i64::from(scope.all_projects),
        scope.contact_id.as_str(),
        sel.project.as_ref().map(|p| p.to_string()),
        sel.from.to_string(),
        sel.to.to_string(),
        json_ids(&sel.members),
        json_ids(&sel.tasks),
        i64::from(sel.no_task),
        json_ids(&sel.phases),
        i64::from(sel.no_phase),
        sel.billable.map(i64::from),
        sel.text.as_deref().map(like),
        sel.invoice.as_ref().map(|i| i.to_string())
    ]
}

/// The WHERE clause over `time_entries e` for `?1`…`?14`.
fn common_where(sel: &Selection) -> String {
    let visible = VISIBLE_PROJECTS;
    let one = if sel.project.is_some() { "e.project_id = ?4 AND " } else { "" };
    format!(
        "{one}e.client_id = ?1 AND e.project_id IN ({visible}) AND e.local_date BETWEEN ?5 AND ?6
         AND (?7 IS NULL OR e.member_id IN (SELECT value FROM json_each(?7)))
         AND (?8 IS NULL OR e.task_id IN (SELECT value FROM json_each(?8)) OR (?9 = 1 AND e.task_id IS NULL))
         AND (?10 IS NULL OR e.phase_id IN (SELECT value FROM json_each(?10)) OR (?11 = 1 AND e.phase_id IS NULL))
         AND (?12 IS NULL OR e.billable = ?12)
         AND (?13 IS NULL OR e.description LIKE ?13 ESCAPE '\\')
         AND (?14 IS NULL OR e.invoice_id = ?14)"
    )
}

fn rank_expr(param: usize, column: &str) -> String {
    format!("coalesce((SELECT value FROM json_each(?{param}) WHERE key = coalesce({column}, '')), {UNKNOWN_RANK})")
}

fn key_arg(k: &KeyPart) -> Arg {
    match k {
        KeyPart::Int(n) => Arg::Int(*n),
        KeyPart::Text(s) => Arg::Text(s.clone()),
    }
}

/// `(k…) > (?n…)` and the cursor's arguments, when there is a cursor.
fn keyset(keys: &[String], sel: &Selection, args: &mut Vec<Arg>) -> String {
    let Some(c) = &sel.after else { return String::new() };
    let start = args.len() + 1;
    args.extend(c.0.iter().map(key_arg));
    let params: Vec<String> = (start..start + c.0.len()).map(|i| format!("?{i}")).collect();
    format!("AND ({}) > ({})", keys.join(", "), params.join(", "))
}

/// The page (or export chunk) query: at most `limit` records after the selection's cursor.
fn page_stmt(db: &Db, scope: &ClientScope, sel: &Selection, limit: usize) -> Result<worker::D1PreparedStatement> {
    let mut a = common_args(scope, sel);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let filter = common_where(sel);
    if !sel.grouped {
        let keys: Vec<String> = match sel.sort {
            Sort::Date => vec![],
            Sort::Person => vec![rank_expr(15, "e.member_id")],
            Sort::Task => vec![rank_expr(15, "e.task_id")],
            Sort::Phase => vec![rank_expr(15, "e.phase_id")],
            Sort::Hours => vec!["-e.minutes".into()],
        }
        .into_iter()
        .chain(["e.local_date".to_string(), "e.id".to_string()])
        .collect();
        match sel.sort {
            Sort::Person => a.push(Arg::from(Selection::ranks_json(&sel.member_ranks))),
            Sort::Task => a.push(Arg::from(Selection::ranks_json(&sel.task_ranks))),
            Sort::Phase => a.push(Arg::from(Selection::ranks_json(&sel.phase_ranks))),
            Sort::Date | Sort::Hours => {}
        }
        let after = keyset(&keys, sel, &mut a);
        a.push(Arg::Int(limit));
        let lim = a.len();
        let index = if sel.project.is_some() && sel.sort == Sort::Date { "INDEXED BY time_entries_project_date_id" } else { "" };
        let sql = format!(
            "SELECT e.id, e.project_id, e.external_id, e.source, e.member_id, e.task_id, e.phase_id, e.local_date, e.minutes, e.billable,
                    e.description, e.internal_note, e.rate, e.amount_minor, e.invoice_id
               FROM time_entries e {index}
              WHERE {filter} {after}
              ORDER BY {} LIMIT ?{lim}",
            keys.join(", ")
        );
        return db.stmt(&sql, &a);
    }
    a.push(Arg::from(sel.rates_split));
    a.push(Arg::from(Selection::ranks_json(&sel.member_ranks)));
    a.push(Arg::from(Selection::ranks_json(&sel.task_ranks)));
    a.push(Arg::from(Selection::ranks_json(&sel.phase_ranks)));
    let (m, t, p) = (rank_expr(16, "g.member_id"), rank_expr(17, "g.task_id"), rank_expr(18, "g.phase_id"));
    let (date, project, nb, rate) =
        ("g.local_date".to_string(), "g.project_id".to_string(), "1 - g.billable".to_string(), "coalesce(g.rate, '')".to_string());
    let head: Vec<String> = match sel.sort {
        Sort::Date => vec![date, project, m, t, p],
        Sort::Person => vec![m, date, project, t, p],
        Sort::Task => vec![t, date, project, m, p],
        Sort::Phase => vec![p, date, project, m, t],
        Sort::Hours => vec!["-g.minutes".into(), date, project, m, t, p],
    };
    let keys: Vec<String> = head.into_iter().chain([nb, rate]).collect();
    let after = keyset(&keys, sel, &mut a);
    a.push(Arg::Int(limit));
    let lim = a.len();
    let sql = format!(
        "SELECT g.* FROM (
           SELECT e.project_id, e.local_date, e.member_id, e.task_id, e.phase_id, e.billable,
                  CASE WHEN ?15 = 1 AND e.billable = 1 THEN e.rate END AS rate,
                  COUNT(*) AS entries, SUM(e.minutes) AS minutes, SUM(e.amount_minor) AS amount_minor
             FROM time_entries e WHERE {filter}
            GROUP BY e.project_id, e.local_date, e.member_id, e.task_id, e.phase_id, e.billable, 7) g
          WHERE 1 = 1 {after}
          ORDER BY {} LIMIT ?{lim}",
        keys.join(", ")
    );
    db.stmt(&sql, &a)
}

fn totals_stmt(db: &Db, scope: &ClientScope, sel: &Selection, rollup: Option<&RollupSplit>) -> Result<worker::D1PreparedStatement> {
    let mut a = common_args(scope, sel);
    let sums = "SUM(e.minutes) AS minutes, SUM(CASE WHEN e.billable = 1 THEN e.minutes ELSE 0 END) AS billable_minutes, SUM(e.amount_minor) AS amount_minor";
    if let (Some(r), false) = (rollup, sel.grouped) {
        // Whole buckets from the rollups, the edges (under a week at each end) from entries.
        a.push(Arg::from(r.dim));
        a.push(Arg::from(r.ids.as_ref().map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))));
        a.push(Arg::from(r.from.to_string()));
        a.push(Arg::from(r.to.to_string()));
        a.push(Arg::from(add_days(r.from, -1).to_string()));
        a.push(Arg::from(add_days(r.to, 1).to_string()));
        let visible = VISIBLE_PROJECTS;
        let one = if sel.project.is_some() { "r.project_id = ?4 AND " } else { "" };
        let left = common_where(sel).replace("e.local_date BETWEEN ?5 AND ?6", "e.local_date BETWEEN ?5 AND ?19");
        let right = common_where(sel).replace("e.local_date BETWEEN ?5 AND ?6", "e.local_date BETWEEN ?20 AND ?6");
        return db.stmt(
            &format!(
                "SELECT coalesce(SUM(entries), 0) AS entries, SUM(minutes) AS minutes, SUM(billable_minutes) AS billable_minutes,
                        SUM(amount_minor) AS amount_minor, NULL AS groups FROM (
                   SELECT SUM(r.entries) AS entries, SUM(r.minutes) AS minutes, SUM(CASE WHEN r.billable = 1 THEN r.minutes ELSE 0 END) AS billable_minutes,
                          SUM(r.amount_minor) AS amount_minor
                     FROM rollup_week r
                    WHERE {one}r.client_id = ?1 AND r.project_id IN ({visible}) AND r.dim = ?15
                      AND (?16 IS NULL OR r.dim_id IN (SELECT value FROM json_each(?16))) AND (?12 IS NULL OR r.billable = ?12)
                      AND r.week_start BETWEEN date(?17, '-6 days') AND ?18 AND max(r.week_start, r.month) BETWEEN ?17 AND ?18
                   UNION ALL SELECT COUNT(*) AS entries, {sums} FROM time_entries e WHERE {left}
                   UNION ALL SELECT COUNT(*) AS entries, {sums} FROM time_entries e WHERE {right})"
            ),
            &a,
        );
    }
    let filter = common_where(sel);
    let groups = if sel.grouped {
        a.push(Arg::from(sel.rates_split));
        format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM time_entries e WHERE {filter}
               GROUP BY e.project_id, e.local_date, e.member_id, e.task_id, e.phase_id, e.billable,
                        CASE WHEN ?15 = 1 AND e.billable = 1 THEN e.rate END))"
        )
    } else {
        "NULL".into()
    };
    db.stmt(&format!("SELECT COUNT(*) AS entries, {sums}, {groups} AS groups FROM time_entries e WHERE {filter}"), &a)
}

fn subtotals_stmt(db: &Db, scope: &ClientScope, sel: &Selection, dim: SubtotalDim) -> Result<worker::D1PreparedStatement> {
    let key = match dim {
        SubtotalDim::Week => "e.week_start",
        SubtotalDim::Person => "e.member_id",
        SubtotalDim::Task => "e.task_id",
        SubtotalDim::Phase => "e.phase_id",
    };
    db.stmt(
        &format!(
            "SELECT {key} AS key, COUNT(*) AS entries, SUM(e.minutes) AS minutes,
                    SUM(CASE WHEN e.billable = 1 THEN e.minutes ELSE 0 END) AS billable_minutes, SUM(e.amount_minor) AS amount_minor
               FROM time_entries e WHERE {} GROUP BY 1",
            common_where(sel)
        ),
        &common_args(scope, sel),
    )
}

fn notes_stmt(db: &Db, scope: &ClientScope, sel: &Selection) -> Result<worker::D1PreparedStatement> {
    let visible = VISIBLE_PROJECTS;
    db.stmt(
        &format!(
            "SELECT id, project_id, week_start, body, author_staff_id, created_at FROM client_notes
              WHERE client_id = ?1 AND deleted_at IS NULL AND project_id IN ({visible}) AND week_start BETWEEN ?5 AND ?6
              ORDER BY week_start, created_at LIMIT 200"
        ),
        &args![
            scope.client_id.as_str(),
            i64::from(scope.all_projects),
            scope.contact_id.as_str(),
            sel.project.as_ref().map(|p| p.to_string()),
            add_days(sel.from, -6).to_string(),
            sel.to.to_string()
        ],
    )
}

fn page_from(sel: &Selection, r: &worker::D1Result) -> Result<Page> {
    Ok(if sel.grouped {
        Page::Groups(rows::<GroupDb>(r)?.into_iter().map(group).collect::<Result<_>>()?)
    } else {
        Page::Entries(rows::<EntryDb>(r)?.into_iter().map(entry).collect::<Result<_>>()?)
    })
}

fn totals_from(sel: &Selection, r: &worker::D1Result) -> Result<TotalsRecord> {
    let t = rows::<TotalsDb>(r)?.into_iter().next().ok_or_else(|| StorageError::D1("totals returned no row".into()))?;
    Ok(TotalsRecord {
        entries: t.entries,
        minutes: t.minutes.unwrap_or(0),
        billable_minutes: t.billable_minutes.unwrap_or(0),
        amount_minor: t.amount_minor.unwrap_or(0),
        rows: if sel.grouped { t.groups.unwrap_or(0) } else { t.entries },
    })
}

fn subtotals_from(r: &worker::D1Result) -> Result<Vec<SubtotalRecord>> {
    Ok(rows::<SubtotalDb>(r)?
        .into_iter()
        .map(|s| SubtotalRecord {
            key: s.key,
            entries: s.entries,
            minutes: s.minutes,
            billable_minutes: s.billable_minutes,
            amount_minor: s.amount_minor,
        })
        .collect())
}

/// A timesheet page as storage read it.
pub struct TimesheetData {
    pub page: Page,
    pub totals: TotalsRecord,
    pub subtotals: Vec<SubtotalRecord>,
    pub notes: Vec<NoteRecord>,
}

/// One page (`limit` records), the totals, the subtotals by `dim` and the staff notes of the
/// range: one D1 round trip. A selection that matches nothing reads no entries.
pub async fn timesheet_page(
    db: &Db,
    scope: &ClientScope,
    sel: &Selection,
    rollup: Option<&RollupSplit>,
    limit: usize,
    dim: Option<SubtotalDim>,
) -> Result<TimesheetData> {
    if sel.nothing {
        let notes = db.batch(vec![notes_stmt(db, scope, sel)?]).await?;
        let notes = notes.first().map(rows::<NoteDb>).transpose()?.unwrap_or_default();
        return Ok(TimesheetData {
            page: if sel.grouped { Page::Groups(Vec::new()) } else { Page::Entries(Vec::new()) },
            totals: TotalsRecord::default(),
            subtotals: Vec::new(),
            notes: notes.into_iter().map(NoteDb::into_record).collect::<Result<_>>()?,
        });
    }
    let mut stmts = vec![page_stmt(db, scope, sel, limit)?, totals_stmt(db, scope, sel, rollup)?, notes_stmt(db, scope, sel)?];
    if let Some(dim) = dim {
        stmts.push(subtotals_stmt(db, scope, sel, dim)?);
    }
    let results = db.batch(stmts).await?;
    let (Some(page), Some(totals), Some(notes)) = (results.first(), results.get(1), results.get(2)) else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    Ok(TimesheetData {
        page: page_from(sel, page)?,
        totals: totals_from(sel, totals)?,
        subtotals: results.get(3).map(subtotals_from).transpose()?.unwrap_or_default(),
        notes: rows::<NoteDb>(notes)?.into_iter().map(NoteDb::into_record).collect::<Result<_>>()?,
    })
}

/// The totals and the subtotals by each of `dims` (exports: the row count before writing, the
/// summary sheet): one round trip.
pub async fn timesheet_totals(
    db: &Db,
    scope: &ClientScope,
    sel: &Selection,
    rollup: Option<&RollupSplit>,
    dims: &[SubtotalDim],
) -> Result<(TotalsRecord, Vec<Vec<SubtotalRecord>>)> {
    if sel.nothing {
        return Ok((TotalsRecord::default(), dims.iter().map(|_| Vec::new()).collect()));
    }
    let mut stmts = vec![totals_stmt(db, scope, sel, rollup)?];
    for d in dims {
        stmts.push(subtotals_stmt(db, scope, sel, *d)?);
    }
    let results = db.batch(stmts).await?;
    let Some(t) = results.first() else { return Err(StorageError::D1("batch returned no result".into())) };
    Ok((totals_from(sel, t)?, results.iter().skip(1).map(subtotals_from).collect::<Result<_>>()?))
}

/// The next `limit` records after the selection's cursor (exports page through with this).
pub async fn timesheet_chunk(db: &Db, scope: &ClientScope, sel: &Selection, limit: usize) -> Result<Page> {
    if sel.nothing {
        return Ok(if sel.grouped { Page::Groups(Vec::new()) } else { Page::Entries(Vec::new()) });
    }
    let results = db.batch(vec![page_stmt(db, scope, sel, limit)?]).await?;
    let Some(r) = results.first() else { return Err(StorageError::D1("batch returned no result".into())) };
    page_from(sel, r)
}
