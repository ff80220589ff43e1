//! Client view of time entries: one week of one project's timesheet, as the client may see it.
//!
//! [`project_entries`] is the only function that turns [`EntryRecord`]s into [`ClientEntries`];
//! it destructures `EntryRecord` field by field, without `..`. These rules are the contract (the
//! tests below check each of them):
//!
//! 1. **One week, up to today.** Only entries whose local date lies in `week` and is not after
//!    `today` count: an entry dated after the client's today (planned time) appears nowhere until
//!    its day comes, as in every figure (`figures`' contract). With no week asked for,
//!    [`default_week`] is the current week in real time and the last complete week in weekly
//!    summary. A week is *complete* when its last date is before today.
//! 2. **Weekly summary withholds the incomplete week.** Under `ViewMode::WeeklySummary`, a week
//!    that is not complete (the current week or later) has `withheld: true`, no rows and zero
//!    totals, whatever entries are passed in. In real time the current week shows as tracked
//!    (`complete: false`, `withheld: false`).
//! 3. **Non-billable** entries appear only when `visibility.non_billable == Shown`; hidden ones
//!    count nowhere, not even in the totals.
//! 4. **Team members** are labelled by [`member_labels`], exactly as on the dashboard (names,
//!    role pseudonyms, or "Team member A"…).
//! 5. **Descriptions.** `Detailed`: one row per entry with its client-facing `description`.
//!    `Summarised`: one row per (local date, member, task, phase, billable) with summed minutes;
//!    its `description` is the number of entries and the task's client explanation, e.g.
//!    "3 entries · Building and changing features" — never an entry's own text. (With rates
//!    shown, billable entries of one group at different rates make one row per rate, so that
//!    every row has a single rate.)
//! 6. **Rates.** `Shown`: each row has `amount` (the sum of its entries' amounts, each rounded
//!    when it was stored) and, when billable and priced, the hourly `rate`; non-billable rows have
//!    no rate; the totals have the week's `amount`. `Hidden`: no money at all — no rate, no row
//!    amount and no week total (any amount divided by its hours would reveal the rate; money is
//!    shown only against the budget, see `client_view`'s module docs). The money fields are
//!    [`RowMoney`], which only a [`MoneyPolicy`] with rates shown makes.
//! 7. **Never shown:** internal notes, entry ids, external ids, sources, invoice ids, and
//!    members' personal fields. No client type has a field for them.
//! 8. **Order:** rows by date, then member label, then task label (then phase label, billable
//!    first, description).
//! 9. **Totals:** minutes and hours (two places), billable minutes and hours, the amount
//!    formatted with [`Money`], the number of entries and of rows.

use super::{member_labels, ClientContext, MoneyPolicy, PhaseRecord, RowMoney, TaskRecord};
use crate::calendar::{ClientCalendar, Week};
use crate::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, TaskId};
use crate::money::{hours, HourlyRate};
use crate::settings::{DescriptionMode, ViewMode};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A stored time entry with everything a client-facing surface could be tempted by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRecord {
    pub id: EntryId,
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

/// One timesheet row (one entry, or one summarised group).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntryRow {
    pub date: NaiveDate,
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
    /// The week's amount; only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<RowMoney>,
    pub entries: i64,
    pub rows: usize,
}

/// One week of a project's entries as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntries {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub today: NaiveDate,
    pub view: ViewMode,
    /// The week's last date is before today.
    pub complete: bool,
    /// Weekly summary and the week is not complete: no rows until it is.
    pub withheld: bool,
    pub previous_week: NaiveDate,
    /// `None` when the next week has not started (real time) or is not complete (weekly summary).
    pub next_week: Option<NaiveDate>,
    pub descriptions: DescriptionMode,
    pub rates_shown: bool,
    pub non_billable_shown: bool,
    pub rows: Vec<ClientEntryRow>,
    pub totals: ClientEntryTotals,
}

/// The week shown when none is asked for: the current week in real time, else the last
/// complete one.
pub fn default_week(view: ViewMode, calendar: &ClientCalendar, today: NaiveDate) -> Week {
    let current = calendar.week_of(today);
    match view {
        ViewMode::RealTime => current,
        ViewMode::WeeklySummary => current.previous(),
    }
}

/// Whether a client with this view may look at `week` on `today` (see the module docs).
fn viewable(view: ViewMode, week: Week, today: NaiveDate) -> bool {
    match view {
        ViewMode::RealTime => week.start <= today,
        ViewMode::WeeklySummary => week.end() < today,
    }
}

/// "3 entries · Building and changing features".
fn summary(entries: i64, explanation: &str) -> String {
    let count = if entries == 1 { "1 entry".to_string() } else { format!("{entries} entries") };
    match explanation.trim() {
        "" => count,
        e => format!("{count} · {e}"),
    }
}

/// A visible entry with client-facing labels, before rows are made.
struct Line<'a> {
    date: NaiveDate,
    member: String,
    task: &'a str,
    explanation: &'a str,
    phase: &'a str,
    billable: bool,
    minutes: i64,
    amount_minor: i64,
    rate: Option<HourlyRate>,
    description: &'a str,
    /// Ids keep rows with equal labels apart and the order total; never shown.
    group: (&'a str, &'a str, &'a str, String),
    tiebreak: &'a str,
}

/// The one projection of a week's entries (see the module docs for the rules).
pub fn project_entries(ctx: &ClientContext, week: Week, today: NaiveDate, entries: &[EntryRecord]) -> ClientEntries {
    let v = ctx.visibility;
    let complete = week.end() < today;
    let withheld = v.view == ViewMode::WeeklySummary && !complete;
    let pay = MoneyPolicy::of(&v, ctx.currency);
    let rates_shown = pay.rates_shown();
    let labels = member_labels(ctx.members, v.team);
    let tasks: HashMap<&TaskId, (&str, &str)> = ctx
        .tasks
        .iter()
        .map(|t| {
            let TaskRecord { id, name, client_explanation, billable_default: _ } = t;
            (id, (name.as_str(), client_explanation.as_str()))
        })
        .collect();
    let phases: HashMap<&PhaseId, &str> = ctx
        .phases
        .iter()
        .map(|p| {
            let PhaseRecord { id, name } = p;
            (id, name.as_str())
        })
        .collect();
    let entries = if withheld { &[][..] } else { entries };
    let mut lines: Vec<Line> = Vec::new();
    for e in entries {
        let EntryRecord {
            id,
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
        if !week.contains(*local_date) || *local_date > today || (!*billable && !v.shows_non_billable()) {
            continue;
        }
        let (task, explanation) = match task_id {
            None => ("No task", ""),
            Some(t) => tasks.get(t).copied().unwrap_or(("Other", "")),
        };
        let phase = match phase_id {
            None => "No phase",
            Some(p) => phases.get(p).copied().unwrap_or("Other"),
        };
        let rate = if *billable { *rate } else { None };
        lines.push(Line {
            date: *local_date,
            member: labels.get(member_id).cloned().unwrap_or_else(|| "Team member".to_string()),
            task,
            explanation,
            phase,
            billable: *billable,
            minutes: *minutes,
            amount_minor: *amount_minor,
            rate,
            description,
            group: (
                member_id.as_str(),
                task_id.as_ref().map_or("", TaskId::as_str),
                phase_id.as_ref().map_or("", PhaseId::as_str),
                if rates_shown { rate.map(|r| r.0.normalize().to_string()).unwrap_or_default() } else { String::new() },
            ),
            tiebreak: id.as_str(),
        });
    }
    lines.sort_by(|a, b| {
        (a.date, &a.member, a.task, a.phase, !a.billable, a.description, &a.group, a.tiebreak).cmp(&(
            b.date,
            &b.member,
            b.task,
            b.phase,
            !b.billable,
            b.description,
            &b.group,
            b.tiebreak,
        ))
    });
    let row = |l: &Line, description: String, entries: i64, minutes: i64, amount_minor: i64| ClientEntryRow {
        date: l.date,
        member: l.member.clone(),
        task: l.task.to_string(),
        phase: l.phase.to_string(),
        description,
        entries,
        billable: l.billable,
        hours: hours(minutes, 2),
        minutes,
        rate: l.rate.and_then(|r| pay.rate(r)),
        amount: pay.row(amount_minor),
    };
    let rows: Vec<ClientEntryRow> = match v.descriptions {
        DescriptionMode::Detailed => lines.iter().map(|l| row(l, l.description.to_string(), 1, l.minutes, l.amount_minor)).collect(),
        DescriptionMode::Summarised => {
            // The key starts with the sort order, so the map yields the rows in order.
            let mut groups: BTreeMap<_, (&Line, i64, i64, i64)> = BTreeMap::new();
            for l in &lines {
                let key = (l.date, &l.member, l.task, l.phase, !l.billable, &l.group);
                let g = groups.entry(key).or_insert((l, 0, 0, 0));
                g.1 += 1;
                g.2 = g.2.saturating_add(l.minutes);
                g.3 = g.3.saturating_add(l.amount_minor);
            }
            groups.into_values().map(|(l, n, minutes, amount)| row(l, summary(n, l.explanation), n, minutes, amount)).collect()
        }
    };
    let sum = |f: fn(&Line) -> i64| lines.iter().fold(0i64, |a, l| a.saturating_add(f(l)));
    let minutes = sum(|l| l.minutes);
    let billable_minutes = sum(|l| if l.billable { l.minutes } else { 0 });
    let totals = ClientEntryTotals {
        minutes,
        hours: hours(minutes, 2),
        billable_minutes,
        billable_hours: hours(billable_minutes, 2),
        amount: pay.row(sum(|l| l.amount_minor)),
        entries: i64::try_from(lines.len()).unwrap_or(i64::MAX),
        rows: rows.len(),
    };
    ClientEntries {
        week_start: week.start,
        week_end: week.end(),
        today,
        view: v.view,
        complete,
        withheld,
        previous_week: week.previous().start,
        next_week: viewable(v.view, week.next(), today).then(|| week.next().start),
        descriptions: v.descriptions,
        rates_shown,
        non_billable_shown: v.shows_non_billable(),
        rows,
        totals,
    }
}

#[cfg(test)]
#[path = "entries_tests.rs"]
mod tests;
