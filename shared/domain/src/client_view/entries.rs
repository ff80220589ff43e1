//! Client view of time entries: the timesheet (filters, sort, pages, totals, subtotals) as the
//! client may see it, for the page, the JSON API and every export.
//!
//! How it fits together: [`query::parse_query`] reads the URL; [`plan`] resolves it against the
//! client's settings and catalogue into a [`Selection`] — ids instead of labels, the visibility
//! rules applied, the order key — that storage runs as SQL (`storage::entries`); the records it
//! returns come back through [`project_timesheet`] / [`rows`], the only functions that make
//! [`ClientEntryRow`]s. [`select`], [`totals`] and [`subtotals`] are the in-memory reference
//! definition of what the SQL must return (the property tests check the projection against a
//! recomputation; the integration tests check the SQL).
//!
//! The rules (each is tested):
//!
//! 1. **Range.** The query's range (preset or custom). *Project to date* starts at the earliest
//!    start of the projects shown.
//! 2. **Weekly summary withholds the incomplete week.** Under `ViewMode::WeeklySummary` nothing
//!    dated in the current week or later is read or shown: the range is cut at the current
//!    week's start (`withheld_from`), and a range that lies wholly inside is `withheld` (no rows,
//!    zero totals). Staff week notes follow the same rule.
//!    Entries dated after today (planned time) appear nowhere until their day (`figures`).
//! 3. **Non-billable** entries count only when `visibility.non_billable == Shown`; otherwise
//!    they are in no row, total or subtotal, and the `billable` filter cannot bring them back.
//! 4. **Team members** are labelled by [`member_labels`], as on the dashboard; the `person`
//!    filter takes that label, never a hidden name.
//! 5. **Descriptions.** `Detailed`: one row per entry with its client-facing `description`;
//!    the text search looks in it. `Summarised`: one row per (project, date, member, task,
//!    phase, billable) with summed minutes and `description` "3 entries" — never an entry's own
//!    text; the task's explanation is said once, in the glossary and the task's subtotal, not on
//!    every row; the text search looks in task names and explanations only (searching hidden
//!    text would reveal it). With rates shown, billable entries of one group at different rates
//!    make one row per rate.
//! 6. **Money only with rates shown.** `Shown`: rows have `amount` and, when billable and
//!    priced, `rate`; totals and subtotals have `amount`. `Hidden`: no amount or rate anywhere
//!    in the timesheet (an amount over hours would reveal the rate); money totals stay on the
//!    dashboard's budget.
//! 7. **Never shown:** internal notes, entry ids, external ids, sources, invoice ids, members'
//!    personal fields. No client type has a field for them; [`EntryRecord`] is destructured
//!    without `..`.
//! 8. **Order** by the [`Selection::entry_key`] / [`Selection::group_key`]: date then id
//!    (detailed, index order), or the chosen sort's label rank first; pages of
//!    [`PAGE_SIZE`] rows continue after the last row's key (keyset).
//! 9. **Totals** are for the whole filtered set, not the page: minutes and hours, billable
//!    minutes and hours, entries, rows, and the amount when rates are shown.

#[path = "entries_query.rs"]
pub mod query;

use super::{member_labels, ClientContext, MoneyPolicy, NoteRecord, PhaseRecord, RowMoney, TaskRecord};
use crate::calendar::{add_days, month_end_of, ClientCalendar};
use crate::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, ProjectId, TaskId};
use crate::money::{hours, Currency, HourlyRate};
use crate::settings::{DescriptionMode, RatesVisibility, ViewMode};
use chrono::{Datelike, NaiveDate};
pub use query::{parse_query, BillableFilter, Cursor, GroupBy, KeyPart, Preset, QueryError, Sort, TimesheetQuery};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Rows per page.
pub const PAGE_SIZE: usize = 50;
/// Rank of a member, task or phase the catalogue does not know (sorts last).
pub const UNKNOWN_RANK: i64 = 1_000_000;

/// A stored time entry with everything a client-facing surface could be tempted by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRecord {
    pub id: EntryId,
    pub project_id: ProjectId,
    pub external_id: ExternalId,
    /// `api`, `fixture`, `toggl`, …
    pub source: String,
    pub member_id: MemberId,
    pub task_id: Option<TaskId>,
    pub phase_id: Option<PhaseId>,
    pub local_date: NaiveDate,
    pub minutes: i64,
    pub billable: bool,
    /// Client-facing text.
    pub description: String,
    /// Provider-only text.
    pub internal_note: String,
    pub rate: Option<HourlyRate>,
    pub amount_minor: i64,
    pub invoice_id: Option<InvoiceId>,
}

/// A project the contact may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub name: String,
    pub starts_on: NaiveDate,
}

/// One summarised group as storage adds it up (summarised descriptions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    pub project_id: ProjectId,
    pub local_date: NaiveDate,
    pub member_id: MemberId,
    pub task_id: Option<TaskId>,
    pub phase_id: Option<PhaseId>,
    pub billable: bool,
    /// The stored rate text, only when [`Selection::rates_split`] and billable.
    pub rate: Option<String>,
    pub entries: i64,
    pub minutes: i64,
    pub amount_minor: i64,
}

/// The sums over the whole selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TotalsRecord {
    pub entries: i64,
    pub minutes: i64,
    pub billable_minutes: i64,
    pub amount_minor: i64,
    /// Rows the selection makes (entries, or groups when summarised).
    pub rows: i64,
}

/// Subtotals by … (the `group` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubtotalDim {
    Week,
    Person,
    Task,
    Phase,
}

impl SubtotalDim {
    pub fn of(g: GroupBy) -> Option<SubtotalDim> {
        match g {
            GroupBy::None => None,
            GroupBy::Week => Some(SubtotalDim::Week),
            GroupBy::Person => Some(SubtotalDim::Person),
            GroupBy::Task => Some(SubtotalDim::Task),
            GroupBy::Phase => Some(SubtotalDim::Phase),
        }
    }
}

/// Sums for one key of a [`SubtotalDim`]: the week's first date, or a member, task or phase
/// id (`None`: no task / no phase).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtotalRecord {
    pub key: Option<String>,
    pub entries: i64,
    pub minutes: i64,
    pub billable_minutes: i64,
    pub amount_minor: i64,
}

/// What storage reads: the filter resolved to ids, and the order. Built only by [`plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// One project, or every project the scope may see.
    pub project: Option<ProjectId>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Nothing can match (an unknown label, a withheld range): storage need not read entries.
    pub nothing: bool,
    /// `None`: any.
    pub members: Option<Vec<MemberId>>,
    /// `None`: any task; `Some(ids)`: these, plus entries without a task when `no_task`.
    pub tasks: Option<Vec<TaskId>>,
    pub no_task: bool,
    pub phases: Option<Vec<PhaseId>>,
    pub no_phase: bool,
    /// `Some(true)`: billable only.
    pub billable: Option<bool>,
    /// Lower-case (ASCII) text that the description must contain.
    pub text: Option<String>,
    /// Summarised: rows are [`GroupRecord`]s.
    pub grouped: bool,
    /// Summarised with rates shown: groups split by rate.
    pub rates_split: bool,
    pub sort: Sort,
    /// Only the entries of this invoice (`invoice=<number>`, resolved by the portal).
    pub invoice: Option<InvoiceId>,
    pub member_ranks: BTreeMap<String, i64>,
    /// Key `""` is "No task".
    pub task_ranks: BTreeMap<String, i64>,
    /// Key `""` is "No phase".
    pub phase_ranks: BTreeMap<String, i64>,
    pub after: Option<Cursor>,
}

fn ascii_contains(hay: &str, needle_lower: &str) -> bool {
    hay.to_ascii_lowercase().contains(needle_lower)
}

fn rank(map: &BTreeMap<String, i64>, key: &str) -> i64 {
    map.get(key).copied().unwrap_or(UNKNOWN_RANK)
}

fn text(s: &str) -> KeyPart {
    KeyPart::Text(s.to_string())
}

impl Selection {
    /// Whether an entry belongs to the selection (the reference for storage's WHERE clause;
    /// the cursor is not part of it).
    pub fn matches(&self, e: &EntryRecord) -> bool {
        let in_list = |list: &Option<Vec<_>>, id: Option<&str>, none_ok: bool| match (list, id) {
            (None, _) => true,
            (Some(_), None) => none_ok,
            (Some(l), Some(id)) => l.iter().any(|x: &String| x == id),
        };
        let members: Option<Vec<String>> = self.members.as_ref().map(|m| m.iter().map(ToString::to_string).collect());
        let tasks: Option<Vec<String>> = self.tasks.as_ref().map(|m| m.iter().map(ToString::to_string).collect());
        let phases: Option<Vec<String>> = self.phases.as_ref().map(|m| m.iter().map(ToString::to_string).collect());
        !self.nothing
            && self.project.as_ref().is_none_or(|p| *p == e.project_id)
            && e.local_date >= self.from
            && e.local_date <= self.to
            && in_list(&members, Some(e.member_id.as_str()), false)
            && in_list(&tasks, e.task_id.as_ref().map(TaskId::as_str), self.no_task)
            && in_list(&phases, e.phase_id.as_ref().map(PhaseId::as_str), self.no_phase)
            && self.billable.is_none_or(|b| b == e.billable)
            && self.text.as_ref().is_none_or(|t| ascii_contains(&e.description, t))
            && self.invoice.as_ref().is_none_or(|i| e.invoice_id.as_ref() == Some(i))
    }

    /// Number of parts in this selection's order key.
    pub fn key_len(&self) -> usize {
        match (self.grouped, self.sort) {
            (false, Sort::Date) => 2,
            (false, _) => 3,
            (true, Sort::Hours) => 8,
            (true, _) => 7,
        }
    }

    /// The order key of an entry (detailed): `[date, id]`, or the sort's rank (or minus the
    /// minutes) first. Storage's ORDER BY and keyset comparison use the same expressions.
    pub fn entry_key(&self, e: &EntryRecord) -> Vec<KeyPart> {
        let first = match self.sort {
            Sort::Date => None,
            Sort::Person => Some(rank(&self.member_ranks, e.member_id.as_str())),
            Sort::Task => Some(rank(&self.task_ranks, e.task_id.as_ref().map_or("", TaskId::as_str))),
            Sort::Phase => Some(rank(&self.phase_ranks, e.phase_id.as_ref().map_or("", PhaseId::as_str))),
            Sort::Hours => Some(-e.minutes),
        };
        first.map(KeyPart::Int).into_iter().chain([text(&e.local_date.to_string()), text(e.id.as_str())]).collect()
    }

    /// The order key of a group (summarised): `[date, project, member, task, phase rank,
    /// non-billable, rate]`, the sort's part moved first (hours: minus the minutes prepended).
    pub fn group_key(&self, g: &GroupRecord) -> Vec<KeyPart> {
        let m = KeyPart::Int(rank(&self.member_ranks, g.member_id.as_str()));
        let t = KeyPart::Int(rank(&self.task_ranks, g.task_id.as_ref().map_or("", TaskId::as_str)));
        let p = KeyPart::Int(rank(&self.phase_ranks, g.phase_id.as_ref().map_or("", PhaseId::as_str)));
        let (date, project) = (text(&g.local_date.to_string()), text(g.project_id.as_str()));
        let tail = [KeyPart::Int(i64::from(!g.billable)), text(g.rate.as_deref().unwrap_or(""))];
        let head: Vec<KeyPart> = match self.sort {
            Sort::Date => vec![date, project, m, t, p],
            Sort::Person => vec![m, date, project, t, p],
            Sort::Task => vec![t, date, project, m, p],
            Sort::Phase => vec![p, date, project, m, t],
            Sort::Hours => vec![KeyPart::Int(-g.minutes), date, project, m, t, p],
        };
        head.into_iter().chain(tail).collect()
    }

    /// A rank map as a JSON object, for storage to bind.
    pub fn ranks_json(map: &BTreeMap<String, i64>) -> String {
        serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
    }
}

/// Totals that can be read mostly from the rollups: whole rollup buckets (a week within a
/// month) in `[from, to]` are summed from `rollup_week` (`dim`, `ids`), and only the edges of the
/// range — at most six days at each end — from raw entries. See [`Selection::rollup_split`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollupSplit {
    /// `all`, `member`, `task` or `phase`.
    pub dim: &'static str,
    /// The dimension's ids (`""` for no task / no phase); `None` with `all`.
    pub ids: Option<Vec<String>>,
    /// The interior: the first bucket start and the last bucket end within the selection.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Selection {
    /// When the totals may come from rollups: no text search (rollups know no text), at most one
    /// of person / task / phase filtered (rollups have one dimension a row), detailed rows (the
    /// row count of summarised groups needs the entries), and at least one whole bucket inside
    /// the range. Weeks are the client's calendar's, as the rollups' are.
    pub fn rollup_split(&self, calendar: &ClientCalendar) -> Option<RollupSplit> {
        // Rollups know nothing of invoices: the invoice filter always reads entries.
        if self.nothing || self.text.is_some() || self.grouped || self.invoice.is_some() {
            return None;
        }
        let strs = |v: &Vec<String>, none: bool| v.iter().cloned().chain(none.then(String::new)).collect::<Vec<_>>();
        let (dim, ids) = match (&self.members, &self.tasks, &self.phases) {
            (None, None, None) => ("all", None),
            (Some(m), None, None) => ("member", Some(m.iter().map(ToString::to_string).collect())),
            (None, Some(t), None) => ("task", Some(strs(&t.iter().map(ToString::to_string).collect(), self.no_task))),
            (None, None, Some(p)) => ("phase", Some(strs(&p.iter().map(ToString::to_string).collect(), self.no_phase))),
            _ => return None,
        };
        let is_start = |d: NaiveDate| calendar.week_of(d).start == d || d.day() == 1;
        let is_end = |d: NaiveDate| calendar.week_of(d).end() == d || month_end_of(d) == d;
        let a = (0..7).map(|i| add_days(self.from, i)).find(|d| is_start(*d))?;
        let b = (0..7).map(|i| add_days(self.to, -i)).find(|d| is_end(*d))?;
        (a <= b && a >= self.from && b <= self.to).then_some(RollupSplit { dim, ids, from: a, to: b })
    }
}

/// A resolved timesheet request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub query: TimesheetQuery,
    pub selection: Selection,
    /// The range asked for (project to date resolved).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Weekly summary: entries from this date on are withheld.
    pub withheld_from: Option<NaiveDate>,
    pub week_start_today: NaiveDate,
}

/// Labels and ranks of the catalogue, as the client sees them.
struct Names<'a> {
    members: HashMap<MemberId, String>,
    tasks: HashMap<&'a str, (&'a str, &'a str)>,
    phases: HashMap<&'a str, &'a str>,
}

fn names<'a>(ctx: &'a ClientContext) -> Names<'a> {
    let tasks = ctx
        .tasks
        .iter()
        .map(|t| {
            let TaskRecord { id, name, client_explanation, billable_default: _ } = t;
            (id.as_str(), (name.as_str(), client_explanation.as_str()))
        })
        .collect();
    let phases = ctx
        .phases
        .iter()
        .map(|p| {
            let PhaseRecord { id, name } = p;
            (id.as_str(), name.as_str())
        })
        .collect();
    Names { members: member_labels(ctx.members, ctx.visibility.team), tasks, phases }
}

impl Names<'_> {
    fn member(&self, id: &MemberId) -> String {
        self.members.get(id).cloned().unwrap_or_else(|| "Team member".to_string())
    }
    fn task(&self, id: Option<&TaskId>) -> (&str, &str) {
        match id {
            None => ("No task", ""),
            Some(t) => self.tasks.get(t.as_str()).copied().unwrap_or(("Other", "")),
        }
    }
    fn phase(&self, id: Option<&PhaseId>) -> &str {
        match id {
            None => "No phase",
            Some(p) => self.phases.get(p.as_str()).copied().unwrap_or("Other"),
        }
    }
}

/// Ranks by (label, key): equal labels stay apart, the order is total.
fn ranks(mut labelled: Vec<(String, String)>) -> BTreeMap<String, i64> {
    labelled.sort();
    labelled.into_iter().enumerate().map(|(i, (_, key))| (key, i64::try_from(i).unwrap_or(UNKNOWN_RANK))).collect()
}

/// Resolves a query against the client's settings and catalogue (see the module docs). A
/// cursor of the wrong shape is a [`QueryError`] on `after`.
pub fn plan(
    ctx: &ClientContext,
    projects: &[ProjectRef],
    query: &TimesheetQuery,
    calendar: &ClientCalendar,
    today: NaiveDate,
) -> Result<Plan, QueryError> {
    let v = ctx.visibility;
    let n = names(ctx);
    let shown: Vec<&ProjectRef> = projects.iter().filter(|p| query.project.as_ref().is_none_or(|q| *q == p.id)).collect();
    let from = query.from.unwrap_or_else(|| shown.iter().map(|p| p.starts_on).min().unwrap_or(query.to));
    let to = query.to;
    let week_start_today = calendar.week_of(today).start;
    let mut nothing = shown.is_empty() || from > to;
    // Entries dated after today (planned time) appear nowhere until their day comes.
    let mut sel_to = to.min(today);
    nothing |= from > sel_to;
    let mut withheld_from = None;
    if v.view == ViewMode::WeeklySummary && to >= week_start_today {
        withheld_from = Some(week_start_today);
        sel_to = sel_to.min(add_days(week_start_today, -1));
        nothing |= from > sel_to;
    }
    let members = query.person.as_ref().map(|label| {
        let mut ids: Vec<MemberId> = n.members.iter().filter(|(_, l)| *l == label).map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids
    });
    let (mut tasks, mut no_task) = match &query.task {
        None => (None, false),
        Some(t) if t == "No task" => (Some(Vec::new()), true),
        Some(t) => {
            let mut ids: Vec<TaskId> = ctx.tasks.iter().filter(|x| x.name.trim() == t).map(|x| x.id.clone()).collect();
            ids.sort();
            (Some(ids), false)
        }
    };
    let (phases, no_phase) = match &query.phase {
        None => (None, false),
        Some(p) if p == "No phase" => (Some(Vec::new()), true),
        Some(p) => {
            let mut ids: Vec<PhaseId> = ctx.phases.iter().filter(|x| x.name.trim() == p).map(|x| x.id.clone()).collect();
            ids.sort();
            (Some(ids), false)
        }
    };
    let billable = match (v.shows_non_billable(), query.billable) {
        (false, BillableFilter::NonBillable) => {
            nothing = true;
            Some(true)
        }
        (false, _) | (true, BillableFilter::Billable) => Some(true),
        (true, BillableFilter::NonBillable) => Some(false),
        (true, BillableFilter::All) => None,
    };
    let grouped = v.descriptions == DescriptionMode::Summarised;
    let lower = query.q.as_ref().map(|q| q.to_ascii_lowercase());
    let mut text = None;
    if let Some(q) = lower {
        if grouped {
            // Only what the client can read: task names and explanations.
            let hits: Vec<TaskId> = ctx
                .tasks
                .iter()
                .filter(|t| ascii_contains(&t.name, &q) || ascii_contains(&t.client_explanation, &q))
                .map(|t| t.id.clone())
                .collect();
            tasks = Some(match tasks {
                None => hits,
                Some(ids) => ids.into_iter().filter(|i| hits.contains(i)).collect(),
            });
            no_task = no_task && ascii_contains("No task", &q);
        } else {
            text = Some(q);
        }
    }
    nothing |= matches!(&members, Some(m) if m.is_empty())
        || (matches!(&tasks, Some(t) if t.is_empty()) && !no_task)
        || (matches!(&phases, Some(p) if p.is_empty()) && !no_phase);
    let member_ranks = ranks(ctx.members.iter().map(|m| (n.member(&m.id), m.id.to_string())).collect());
    let task_ranks =
        ranks(ctx.tasks.iter().map(|t| (t.name.clone(), t.id.to_string())).chain([("No task".to_string(), String::new())]).collect());
    let phase_ranks =
        ranks(ctx.phases.iter().map(|p| (p.name.clone(), p.id.to_string())).chain([("No phase".to_string(), String::new())]).collect());
    let selection = Selection {
        project: query.project.clone(),
        from,
        to: sel_to,
        nothing,
        members,
        tasks,
        no_task,
        phases,
        no_phase,
        billable,
        text,
        grouped,
        rates_split: grouped && v.rates == RatesVisibility::Shown,
        sort: query.sort,
        // Set by the portal once it has resolved `query.invoice` for a billing contact.
        invoice: None,
        member_ranks,
        task_ranks,
        phase_ranks,
        after: query.after.clone(),
    };
    if let Some(c) = &selection.after {
        let ints_at: Vec<usize> = match (grouped, query.sort) {
            (false, Sort::Date) => vec![],
            (false, _) => vec![0],
            (true, Sort::Date) => vec![2, 3, 4, 5],
            (true, Sort::Hours) => vec![0, 3, 4, 5, 6],
            (true, _) => vec![0, 3, 4, 5],
        };
        let shape_ok =
            c.0.len() == selection.key_len() && c.0.iter().enumerate().all(|(i, p)| matches!(p, KeyPart::Int(_)) == ints_at.contains(&i));
        if !shape_ok {
            return Err(QueryError {
                field: "after",
                message: "after is not a cursor for this sort and view; start from the first page".into(),
            });
        }
    }
    Ok(Plan { query: query.clone(), selection, from, to, withheld_from, week_start_today })
}

/// A page (or chunk) of records as storage returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Entries(Vec<EntryRecord>),
    Groups(Vec<GroupRecord>),
}

impl Page {
    pub fn len(&self) -> usize {
        match self {
            Page::Entries(e) => e.len(),
            Page::Groups(g) => g.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The order key of the `i`-th record.
    pub fn key(&self, sel: &Selection, i: usize) -> Option<Cursor> {
        match self {
            Page::Entries(e) => e.get(i).map(|e| Cursor(sel.entry_key(e))),
            Page::Groups(g) => g.get(i).map(|g| Cursor(sel.group_key(g))),
        }
    }
    fn truncate(&mut self, n: usize) {
        match self {
            Page::Entries(e) => e.truncate(n),
            Page::Groups(g) => g.truncate(n),
        }
    }
}

/// One timesheet row (one entry, or one summarised group).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntryRow {
    pub date: NaiveDate,
    pub project: String,
    pub member: String,
    pub task: String,
    pub phase: String,
    pub description: String,
    /// How many entries the row stands for (1 when detailed).
    pub entries: i64,
    pub billable: bool,
    pub hours: Decimal,
    pub minutes: i64,
    /// Per hour, `USD 150.00`; only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RowMoney>,
    /// `USD 225.00`; only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<RowMoney>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntryTotals {
    pub minutes: i64,
    pub hours: Decimal,
    pub billable_minutes: i64,
    pub billable_hours: Decimal,
    /// Only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<RowMoney>,
    pub entries: i64,
    pub rows: i64,
}

/// Subtotals for one week, person, task or phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientSubtotal {
    /// The label (or the week's first date, `2026-11-23`).
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_start: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_end: Option<NaiveDate>,
    /// A task's client explanation (said once here, not on every row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    pub totals: ClientEntryTotals,
}

/// A project the contact may see, for links and the project filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientProjectRef {
    pub id: ProjectId,
    pub name: String,
}

/// A task as the glossary explains it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientTaskInfo {
    pub name: String,
    pub explanation: String,
}

/// A staff note about a week, beside that week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientWeekNote {
    pub project: String,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub body: String,
}

/// The filters as understood (echoed so the page and clients can show them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientFilter {
    pub range: Preset,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectId>,
    pub person: Option<String>,
    pub task: Option<String>,
    pub phase: Option<String>,
    pub billable: BillableFilter,
    pub q: Option<String>,
    pub sort: Sort,
    pub group: GroupBy,
}

/// The timesheet as a client sees it: one page of rows and totals for the whole filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientTimesheet {
    /// Set on a project's timesheet; `None` on the all-projects one.
    pub project: Option<ClientProjectRef>,
    pub projects: Vec<ClientProjectRef>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    pub view: ViewMode,
    pub currency: Currency,
    /// The range's last date is before today.
    pub complete: bool,
    /// Weekly summary: entries dated from here on are not shown yet.
    pub withheld_from: Option<NaiveDate>,
    /// The whole range is withheld: no rows until its weeks are complete.
    pub withheld: bool,
    pub descriptions: DescriptionMode,
    pub rates_shown: bool,
    pub non_billable_shown: bool,
    pub filter: ClientFilter,
    /// The canonical query string of this view (without a cursor).
    pub query: String,
    pub rows: Vec<ClientEntryRow>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    pub totals: ClientEntryTotals,
    pub subtotals: Vec<ClientSubtotal>,
    pub notes: Vec<ClientWeekNote>,
    /// Filter choices: people's labels, tasks (with explanations), phases.
    pub people: Vec<String>,
    pub tasks: Vec<ClientTaskInfo>,
    pub phases: Vec<String>,
}

/// "3 entries".
fn summary(entries: i64) -> String {
    if entries == 1 {
        "1 entry".to_string()
    } else {
        format!("{entries} entries")
    }
}

fn totals_view(t: TotalsRecord, pay: &MoneyPolicy) -> ClientEntryTotals {
    let TotalsRecord { entries, minutes, billable_minutes, amount_minor, rows } = t;
    ClientEntryTotals {
        minutes,
        hours: hours(minutes, 2),
        billable_minutes,
        billable_hours: hours(billable_minutes, 2),
        amount: pay.row(amount_minor),
        entries,
        rows,
    }
}

/// Client rows of a page or export chunk (see the module docs). Records outside the selection
/// are dropped, whatever storage returned.
pub fn rows(ctx: &ClientContext, projects: &[ProjectRef], sel: &Selection, page: &Page) -> Vec<ClientEntryRow> {
    let n = names(ctx);
    let currency = ctx.currency;
    let pay = MoneyPolicy::of(&ctx.visibility, currency);
    let rates_shown = pay.rates_shown();
    let project_name = |id: &ProjectId| projects.iter().find(|p| p.id == *id).map(|p| p.name.clone());
    match page {
        Page::Entries(entries) => entries
            .iter()
            .filter(|e| sel.matches(e) && !sel.grouped)
            .filter_map(|e| {
                let EntryRecord {
                    id: _,
                    project_id,
                    external_id: _,
                    source: _,
                    member_id,
                    task_id,
                    phase_id,
                    local_date,
                    minutes,
                    billable,
                    description,
                    internal_note: _,
                    rate,
                    amount_minor,
                    invoice_id: _,
                } = e;
                let rate = if *billable && rates_shown { *rate } else { None };
                Some(ClientEntryRow {
                    date: *local_date,
                    project: project_name(project_id)?,
                    member: n.member(member_id),
                    task: n.task(task_id.as_ref()).0.to_string(),
                    phase: n.phase(phase_id.as_ref()).to_string(),
                    description: description.clone(),
                    entries: 1,
                    billable: *billable,
                    hours: hours(*minutes, 2),
                    minutes: *minutes,
                    rate: rate.and_then(|r| pay.rate(r)),
                    amount: pay.row(*amount_minor),
                })
            })
            .collect(),
        Page::Groups(groups) => groups
            .iter()
            .filter(|g| {
                sel.grouped
                    && !sel.nothing
                    && g.local_date >= sel.from
                    && g.local_date <= sel.to
                    && sel.billable.is_none_or(|b| b == g.billable)
                    && sel.project.as_ref().is_none_or(|p| *p == g.project_id)
            })
            .filter_map(|g| {
                let GroupRecord { project_id, local_date, member_id, task_id, phase_id, billable, rate, entries, minutes, amount_minor } =
                    g;
                let rate = if *billable && rates_shown { rate.as_deref().and_then(|r| HourlyRate::parse(r).ok()) } else { None };
                Some(ClientEntryRow {
                    date: *local_date,
                    project: project_name(project_id)?,
                    member: n.member(member_id),
                    task: n.task(task_id.as_ref()).0.to_string(),
                    phase: n.phase(phase_id.as_ref()).to_string(),
                    description: summary(*entries),
                    entries: *entries,
                    billable: *billable,
                    hours: hours(*minutes, 2),
                    minutes: *minutes,
                    rate: rate.and_then(|r| pay.rate(r)),
                    amount: pay.row(*amount_minor),
                })
            })
            .collect(),
    }
}

/// Subtotals as the client sees them: keys named, equal labels merged, in label order (weeks by
/// date).
pub fn project_subtotals(ctx: &ClientContext, dim: SubtotalDim, records: &[SubtotalRecord]) -> Vec<ClientSubtotal> {
    let n = names(ctx);
    /// (sort key, label) → (week, explanation, sums).
    type Merged = BTreeMap<(String, String), (Option<NaiveDate>, Option<String>, TotalsRecord)>;
    let mut merged: Merged = BTreeMap::new();
    for r in records {
        let SubtotalRecord { key, entries, minutes, billable_minutes, amount_minor } = r;
        let (sort, label, week, explanation) = match dim {
            SubtotalDim::Week => {
                let Some(w) = key.as_deref().and_then(|k| NaiveDate::parse_from_str(k, "%Y-%m-%d").ok()) else { continue };
                (w.to_string(), w.to_string(), Some(w), None)
            }
            SubtotalDim::Person => {
                let Some(m) = key.as_deref().and_then(|k| MemberId::parse(k).ok()) else { continue };
                let l = n.member(&m);
                (l.clone(), l, None, None)
            }
            SubtotalDim::Task => {
                let t = key.as_deref().and_then(|k| TaskId::parse(k).ok());
                let (name, ex) = n.task(t.as_ref());
                (name.to_string(), name.to_string(), None, (!ex.trim().is_empty()).then(|| ex.to_string()))
            }
            SubtotalDim::Phase => {
                let p = key.as_deref().and_then(|k| PhaseId::parse(k).ok());
                let name = n.phase(p.as_ref()).to_string();
                (name.clone(), name, None, None)
            }
        };
        let slot = merged.entry((sort, label)).or_insert((week, explanation, TotalsRecord::default()));
        slot.2.entries += entries;
        slot.2.minutes += minutes;
        slot.2.billable_minutes += billable_minutes;
        slot.2.amount_minor += amount_minor;
        slot.2.rows += entries;
    }
    merged
        .into_iter()
        .map(|((_, label), (week, explanation, t))| ClientSubtotal {
            label,
            week_start: week,
            week_end: week.map(|w| add_days(w, 6)),
            explanation,
            totals: totals_view(t, &MoneyPolicy::of(&ctx.visibility, ctx.currency)),
        })
        .collect()
}

/// The visible projects as client types.
pub fn project_refs(projects: &[ProjectRef]) -> Vec<ClientProjectRef> {
    projects
        .iter()
        .map(|p| {
            let ProjectRef { id, name, starts_on: _ } = p;
            ClientProjectRef { id: id.clone(), name: name.clone() }
        })
        .collect()
}

/// The tasks a client may look up: name and explanation.
pub fn glossary(ctx: &ClientContext) -> Vec<ClientTaskInfo> {
    let mut out: Vec<ClientTaskInfo> = ctx
        .tasks
        .iter()
        .map(|t| {
            let TaskRecord { id: _, name, client_explanation, billable_default: _ } = t;
            ClientTaskInfo { name: name.clone(), explanation: client_explanation.clone() }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name && a.explanation == b.explanation);
    out
}

/// The data of one timesheet view, as storage read it.
pub struct Loaded<'a> {
    pub projects: &'a [ProjectRef],
    /// Up to [`PAGE_SIZE`] + 1 records (the extra one tells that a next page exists).
    pub page: Page,
    pub totals: TotalsRecord,
    pub subtotals: Vec<SubtotalRecord>,
    pub notes: &'a [NoteRecord],
}

/// The one projection of a timesheet page (see the module docs for the rules).
pub fn project_timesheet(ctx: &ClientContext, plan: &Plan, today: NaiveDate, loaded: Loaded) -> ClientTimesheet {
    let v = ctx.visibility;
    let sel = &plan.selection;
    let rates_shown = v.rates == RatesVisibility::Shown;
    let Loaded { projects, mut page, totals, subtotals, notes } = loaded;
    let withheld = v.view == ViewMode::WeeklySummary && plan.withheld_from.is_some_and(|w| plan.from >= w);
    let next_cursor = if page.len() > PAGE_SIZE && !sel.nothing { page.key(sel, PAGE_SIZE - 1).map(|c| c.encode()) } else { None };
    page.truncate(PAGE_SIZE);
    let rows = if sel.nothing { Vec::new() } else { rows(ctx, projects, sel, &page) };
    let totals = if sel.nothing { TotalsRecord::default() } else { totals };
    let subtotals = match SubtotalDim::of(plan.query.group) {
        Some(dim) if !sel.nothing => project_subtotals(ctx, dim, &subtotals),
        _ => Vec::new(),
    };
    let shown: Vec<&ProjectRef> = projects.iter().filter(|p| sel.project.as_ref().is_none_or(|q| *q == p.id)).collect();
    let mut week_notes: Vec<ClientWeekNote> = shown
        .iter()
        .flat_map(|p| {
            super::project_notes(notes, &p.id, v.view, plan.week_start_today).into_iter().map(move |n| {
                let super::ClientNote { week_start, week_end, body } = n;
                ClientWeekNote { project: p.name.clone(), week_start, week_end, body }
            })
        })
        .filter(|n| n.week_end >= plan.from && n.week_start <= sel.to)
        .collect();
    week_notes.sort_by(|a, b| (a.week_start, &a.project).cmp(&(b.week_start, &b.project)));
    let mut people: Vec<String> = names(ctx).members.into_values().collect();
    people.sort();
    people.dedup();
    let mut phases: Vec<String> = ctx.phases.iter().map(|p| p.name.clone()).collect();
    phases.sort();
    phases.dedup();
    let q = &plan.query;
    ClientTimesheet {
        project: q
            .project
            .as_ref()
            .and_then(|id| projects.iter().find(|p| p.id == *id))
            .map(|p| ClientProjectRef { id: p.id.clone(), name: p.name.clone() }),
        projects: project_refs(projects),
        from: plan.from,
        to: plan.to,
        today,
        view: v.view,
        currency: ctx.currency,
        complete: plan.to < today,
        withheld_from: plan.withheld_from,
        withheld,
        descriptions: v.descriptions,
        rates_shown,
        non_billable_shown: v.shows_non_billable(),
        filter: ClientFilter {
            range: q.preset,
            project: q.project.clone(),
            person: q.person.clone(),
            task: q.task.clone(),
            phase: q.phase.clone(),
            billable: q.billable,
            q: q.q.clone(),
            sort: q.sort,
            group: q.group,
        },
        query: q.to_query(true, None),
        rows,
        next_cursor,
        totals: totals_view(totals, &MoneyPolicy::of(&v, ctx.currency)),
        subtotals,
        notes: week_notes,
        people,
        tasks: glossary(ctx),
        phases,
    }
}

/// The reference for storage's page query: the selection's records in key order, after the
/// cursor (all of them; storage stops at a limit). Summarised selections are grouped.
pub fn select(sel: &Selection, entries: &[EntryRecord]) -> Page {
    let chosen = entries.iter().filter(|e| sel.matches(e));
    let after = |k: &Vec<KeyPart>| sel.after.as_ref().is_none_or(|c| *k > c.0);
    if !sel.grouped {
        let mut out: Vec<(Vec<KeyPart>, EntryRecord)> = chosen.map(|e| (sel.entry_key(e), e.clone())).filter(|(k, _)| after(k)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        return Page::Entries(out.into_iter().map(|(_, e)| e).collect());
    }
    type GroupKey = (ProjectId, NaiveDate, MemberId, Option<TaskId>, Option<PhaseId>, bool, Option<String>);
    let mut groups: BTreeMap<GroupKey, GroupRecord> = BTreeMap::new();
    for e in chosen {
        let rate = if sel.rates_split && e.billable { e.rate.map(|r| r.0.to_string()) } else { None };
        let key =
            (e.project_id.clone(), e.local_date, e.member_id.clone(), e.task_id.clone(), e.phase_id.clone(), e.billable, rate.clone());
        let g = groups.entry(key).or_insert_with(|| GroupRecord {
            project_id: e.project_id.clone(),
            local_date: e.local_date,
            member_id: e.member_id.clone(),
            task_id: e.task_id.clone(),
            phase_id: e.phase_id.clone(),
            billable: e.billable,
            rate,
            entries: 0,
            minutes: 0,
            amount_minor: 0,
        });
        g.entries += 1;
        g.minutes += e.minutes;
        g.amount_minor += e.amount_minor;
    }
    let mut out: Vec<(Vec<KeyPart>, GroupRecord)> =
        groups.into_values().map(|g| (sel.group_key(&g), g)).filter(|(k, _)| after(k)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Page::Groups(out.into_iter().map(|(_, g)| g).collect())
}

/// The reference for storage's totals query.
pub fn totals(sel: &Selection, entries: &[EntryRecord]) -> TotalsRecord {
    let mut t = TotalsRecord::default();
    for e in entries.iter().filter(|e| sel.matches(e)) {
        t.entries += 1;
        t.minutes += e.minutes;
        t.billable_minutes += if e.billable { e.minutes } else { 0 };
        t.amount_minor += e.amount_minor;
    }
    let unpaged = Selection { after: None, ..sel.clone() };
    t.rows = i64::try_from(select(&unpaged, entries).len()).unwrap_or(i64::MAX);
    t
}

/// The reference for storage's subtotals query (weeks by the client's calendar).
pub fn subtotals(sel: &Selection, dim: SubtotalDim, calendar: &ClientCalendar, entries: &[EntryRecord]) -> Vec<SubtotalRecord> {
    let mut map: BTreeMap<Option<String>, SubtotalRecord> = BTreeMap::new();
    for e in entries.iter().filter(|e| sel.matches(e)) {
        let key = match dim {
            SubtotalDim::Week => Some(calendar.week_of(e.local_date).start.to_string()),
            SubtotalDim::Person => Some(e.member_id.to_string()),
            SubtotalDim::Task => e.task_id.as_ref().map(ToString::to_string),
            SubtotalDim::Phase => e.phase_id.as_ref().map(ToString::to_string),
        };
        let s = map.entry(key.clone()).or_insert(SubtotalRecord { key, entries: 0, minutes: 0, billable_minutes: 0, amount_minor: 0 });
        s.entries += 1;
        s.minutes += e.minutes;
        s.billable_minutes += if e.billable { e.minutes } else { 0 };
        s.amount_minor += e.amount_minor;
    }
    map.into_values().collect()
}

#[cfg(test)]
#[path = "entries_tests.rs"]
mod tests;
