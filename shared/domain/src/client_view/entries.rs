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
#[path = "entries_reference.rs"]
mod reference;
pub use reference::{select, subtotals, totals};
#[path = "entries_selection.rs"]
mod selection;
pub use selection::*;

use super::{ClientContext, MoneyPolicy, NoteRecord, RowMoney, TaskRecord};
use crate::calendar::add_days;
use crate::ids::{MemberId, PhaseId, ProjectId, TaskId};
use crate::money::{hours, Currency, HourlyRate};
use crate::settings::{DescriptionMode, RatesVisibility, ViewMode};
use chrono::NaiveDate;
pub use query::{parse_query, BillableFilter, Cursor, GroupBy, KeyPart, Preset, QueryError, Sort, TimesheetQuery};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

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

#[cfg(test)]
#[path = "entries_tests.rs"]
mod tests;
