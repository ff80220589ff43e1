//! From a parsed query to a [`Selection`]: the records storage returns, the selection (ids
//! instead of labels, the visibility rules applied, the order keys, the rollup split) and
//! [`plan`], which resolves a query against the client's settings and catalogue. See the parent
//! module's docs for the rules.

use super::super::{member_labels, ClientContext, PhaseRecord, TaskRecord};
use super::query::{BillableFilter, Cursor, GroupBy, KeyPart, QueryError, Sort, TimesheetQuery};
use crate::calendar::{add_days, month_end_of, ClientCalendar};
use crate::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, ProjectId, TaskId};
use crate::money::HourlyRate;
use crate::settings::{DescriptionMode, RatesVisibility, ViewMode};
use chrono::{Datelike, NaiveDate};

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
pub(super) struct Names<'a> {
    pub(super) members: HashMap<MemberId, String>,
    tasks: HashMap<&'a str, (&'a str, &'a str)>,
    phases: HashMap<&'a str, &'a str>,
}

pub(super) fn names<'a>(ctx: &'a ClientContext) -> Names<'a> {
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
    pub(super) fn member(&self, id: &MemberId) -> String {
        self.members.get(id).cloned().unwrap_or_else(|| "Team member".to_string())
    }
    pub(super) fn task(&self, id: Option<&TaskId>) -> (&str, &str) {
        match id {
            None => ("No task", ""),
            Some(t) => self.tasks.get(t.as_str()).copied().unwrap_or(("Other", "")),
        }
    }
    pub(super) fn phase(&self, id: Option<&PhaseId>) -> &str {
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
