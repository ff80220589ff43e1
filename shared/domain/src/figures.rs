//! The dashboard's figures, computed from rollups. **This module's docs are the contract the
//! numbers are checked against.**
//!
//! Two filters decide which minutes count:
//! - *visible* minutes: billable minutes, plus non-billable ones when the client's visibility
//!   shows non-billable time. Hours by member/task/phase, weekly hours and "to date" use these.
//! - *budget* minutes: billable minutes, plus non-billable ones when the budget says
//!   `includes_non_billable`. Budget used, burn rate, projection and status use these (money
//!   budgets: the billed amount of billable entries).
//!
//! A *cut-off* applies to both. In real-time mode nothing is cut. In weekly-summary mode every
//! figure ignores the current (incomplete) week, everywhere.
//!
//! **Entries dated after the client's today count nowhere** (trackers allow planned time): no
//! figure, chart, budget, burn rate or projection includes them until their local date is today
//! (in the client's time zone). They are stored, and the rollups include them; storage passes
//! them in as [`FigureInputs::future`] and [`compute`] takes each one back out of the rows it
//! belongs to before computing anything. *Why subtract at read time* rather than keep them out
//! of the rollups: the rollups are kept by SQLite triggers inside the entry's write, and a
//! future entry matures when the clock passes midnight — with no write at all. Subtracting the
//! few future-dated entries (read through the index on `(project_id, local_date)`, so the read
//! costs one row per planned entry) is correct at every instant, needs no job that "releases"
//! entries at midnight, and leaves the triggers and `rollup::recompute` as they are. Storage may
//! pass a superset (e.g. everything after the earliest "today" on Earth): entries dated today or
//! earlier in `future` are ignored here.
//!
//! - **This week so far** (real time only): visible minutes in the client's current week, by
//!   member; the total is the sum over members.
//! - **Last week**: the same for the previous, complete week (shown in both modes).
//! - **To date**: visible minutes in the budget period: the project's life for fixed budgets (and
//!   no budget), the current calendar month for a monthly retainer.
//! - **Budget**: allocated vs used in the period; remaining = allocated − used (negative when
//!   over); % consumed = used / allocated × 100, one decimal, half-to-even.
//! - **Burn rate**: budget minutes per week averaged over the last *n* complete weeks, where
//!   n = min(4, complete weeks since the project's first week). The current week never counts.
//!   n = 0 ⇒ no burn rate.
//! - **Projected run-out**: today + ⌈remaining × 7 / burn-per-week⌉ days (money budgets, when
//!   there is no hours budget, use amounts the same way). None when the burn rate is 0 or there
//!   is no budget. When used ≥ allocated: "over budget by" used − allocated. The end to compare
//!   against is the project's end date (retainer: the month's last day): a run-out on or after it
//!   "lasts"; before it "runs out N days early".
//! - **Status**: used ≥ allocated ⇒ over budget; otherwise by how many thresholds below 100 %
//!   are reached (compared exactly, not on the rounded percentage): none ⇒ on track, one ⇒
//!   watch, two or more ⇒ at risk (defaults 75/90/100). With both an hours and a money budget,
//!   the worse status decides. An allocation of 0 counts as used up. **A projected run-out
//!   before the end date raises the status to at least "at risk"**, so the badge never says
//!   "on track" beside a budget that will not last. [`StatusReason`] says which rule decided.
//! - **To date, non-billable**: the part of "to date" that is non-billable (only when the client
//!   sees non-billable time); it is shown but counts against the budget only when the budget
//!   includes non-billable time.
//! - **Weekly hours**: visible minutes for each of the last 12 weeks ending with the newest
//!   visible week, zero-filled.
//! - **Burn-up**: cumulative budget minutes (and billed amounts) at the end of each week of the
//!   period, through the newest visible week, against the allocated line(s); the projection
//!   continues from today to the run-out date; the period's end date is marked.
//! - **What changed**: weekly series by task, phase and member and the callouts, see
//!   [`changes`] (complete weeks only).
//! - **Internal time in the budget**: the non-billable minutes among the budget's used minutes
//!   (`BudgetFigures::non_billable_minutes`; 0 unless the budget includes non-billable time). A
//!   client who cannot see non-billable time is told how much of it the budget counts.
//! - **Covers until** (weekly summary only): the instant the last complete week ended (local
//!   midnight at the start of the current week). The data's "as of" shown to a weekly-summary
//!   client is this instant, so it does not move while the current week changes.
//! - **Arithmetic never panics or wraps**: run-out days are computed in 128 bits and the date
//!   saturates at the calendar's end (a far run-out is far, never "today").

pub mod changes;

use crate::calendar::{add_days, week_start_of, ClientCalendar, Week};
use crate::money::percent;
use crate::project::{Period, Project};
use crate::rollup::{Dim, EntryFacts, Sums, TotalRow, WeekRow};
use crate::settings::ViewMode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Weeks averaged for the burn rate.
pub const BURN_WEEKS: i64 = 4;
/// Weeks in the weekly-hours chart.
pub const CHART_WEEKS: i64 = 12;

/// A stored entry with its local date: what [`compute`] needs to take a future-dated entry back
/// out of the rollups (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedEntry {
    pub local_date: NaiveDate,
    pub facts: EntryFacts,
}

/// What the figures are computed from. `all_weeks` holds the project's `Dim::All` week rows;
/// `recent` the other dimensions' week rows from [`window_start`] on; `totals` the total rows;
/// `future` the project's stored entries dated after `today` (a superset is fine).
pub struct FigureInputs<'a> {
    pub project: &'a Project,
    pub calendar: &'a ClientCalendar,
    pub today: NaiveDate,
    pub view: ViewMode,
    pub show_non_billable: bool,
    pub all_weeks: &'a [WeekRow],
    pub recent: &'a [WeekRow],
    pub totals: &'a [TotalRow],
    pub future: &'a [DatedEntry],
}

/// The first week start whose per-dimension rows [`compute`] needs: the oldest week of the
/// "what changed" series ([`changes::CHANGE_WEEKS`] complete weeks), or the week of the current
/// month's first day if earlier (a retainer's period). Independent of the project, so storage
/// can load everything in one round trip.
pub fn window_start(calendar: &ClientCalendar, today: NaiveDate) -> NaiveDate {
    let oldest = add_days(calendar.week_of(today).start, -7 * changes::CHANGE_WEEKS);
    oldest.min(budget_window_start(calendar, today))
}

/// The narrower window for provider-side views that never show "what changed" (the staff
/// overview; the alert job reads 12 weeks for its weekly note): the previous week, or the current month's first week if earlier. With
/// rows from here every figure is right except [`ProjectFigures::changes`], which is then
/// incomplete and must not be shown.
pub fn budget_window_start(calendar: &ClientCalendar, today: NaiveDate) -> NaiveDate {
    let previous = calendar.week_of(today).previous().start;
    previous.min(week_start_of(crate::calendar::month_start_of(today), calendar.first_day))
}

/// Minutes of one key (member, task or phase id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slice {
    pub id: String,
    pub minutes: i64,
}

/// One week's visible minutes by member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeekHours {
    pub week: Week,
    pub total_minutes: i64,
    pub by_member: Vec<Slice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetFigures {
    pub allocated_minutes: Option<i64>,
    pub used_minutes: i64,
    pub remaining_minutes: Option<i64>,
    pub percent_minutes: Option<rust_decimal::Decimal>,
    pub allocated_amount_minor: Option<i64>,
    pub used_amount_minor: i64,
    pub remaining_amount_minor: Option<i64>,
    pub percent_amount: Option<rust_decimal::Decimal>,
    /// Non-billable minutes among `used_minutes` (0 unless the budget includes them).
    pub non_billable_minutes: i64,
}

impl BudgetFigures {
    /// The higher of the two percentages.
    pub fn percent(&self) -> Option<rust_decimal::Decimal> {
        match (self.percent_minutes, self.percent_amount) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurnRate {
    /// Complete weeks averaged (0..=4).
    pub weeks: i64,
    pub minutes: i64,
    pub amount_minor: i64,
}

impl BurnRate {
    /// Minutes per week, exact (display code rounds).
    pub fn minutes_per_week(&self) -> Option<rust_decimal::Decimal> {
        (self.weeks > 0).then(|| rust_decimal::Decimal::from(self.minutes) / rust_decimal::Decimal::from(self.weeks))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndCheck {
    Lasts { end: NaiveDate },
    RunsOutEarly { end: NaiveDate, days_early: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Projection {
    NoBudget,
    NoBurn,
    /// Used ≥ allocated; `over_minutes`/`over_amount_minor` ≥ 0.
    Exhausted {
        over_minutes: Option<i64>,
        over_amount_minor: Option<i64>,
    },
    RunsOut {
        date: NaiveDate,
        days_left: i64,
        end: Option<EndCheck>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    Watch,
    AtRisk,
    OverBudget,
}

/// Which rule decided the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusReason {
    /// Used ≥ allocated (hours or money).
    OverBudget,
    /// No threshold below 100 % reached, no early run-out.
    BelowThresholds,
    /// The highest threshold below 100 % that is reached.
    Threshold { percent: u16 },
    /// The projected run-out comes `days_early` days before the end date (raises to "at risk").
    RunsOutEarly { run_out: NaiveDate, end: NaiveDate, days_early: i64 },
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::OnTrack => "On track",
            Status::Watch => "Watch",
            Status::AtRisk => "At risk",
            Status::OverBudget => "Over budget",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChartPoint {
    pub week: Week,
    pub minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurnUp {
    /// Cumulative budget minutes at each week's end.
    pub points: Vec<ChartPoint>,
    pub allocated_minutes: Option<i64>,
    /// From (today, used) to (run-out date, allocated), when there is one.
    pub projection: Option<(NaiveDate, NaiveDate)>,
    /// Cumulative billed amount at each week's end (same weeks as `points`).
    pub amount_points: Vec<i64>,
    pub allocated_amount_minor: Option<i64>,
    /// The period's last day (end date, or a retainer's month end), marked on the chart.
    pub end: Option<NaiveDate>,
    pub today: NaiveDate,
}

/// Everything the dashboard shows for one project, before privacy projection (ids, not names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectFigures {
    pub today: NaiveDate,
    pub view: ViewMode,
    pub period: Period,
    pub this_week: Option<WeekHours>,
    pub last_week: WeekHours,
    pub to_date_minutes: i64,
    /// Non-billable minutes inside `to_date_minutes` (0 unless the client sees them).
    pub to_date_non_billable_minutes: i64,
    pub budget: Option<BudgetFigures>,
    pub burn: BurnRate,
    pub projection: Projection,
    pub status: Option<Status>,
    pub status_reason: Option<StatusReason>,
    pub runs_out_before_end: Option<i64>,
    pub by_member: Vec<Slice>,
    pub by_task: Vec<Slice>,
    pub by_phase: Vec<Slice>,
    pub weekly: Vec<ChartPoint>,
    pub burn_up: BurnUp,
    /// Complete only when `recent` holds the rows from [`window_start`] on.
    pub changes: changes::Changes,
    /// Weekly summary: the instant the last complete week ended; `None` in real time.
    pub covers_until: Option<DateTime<Utc>>,
}

struct Filters {
    current: Week,
    summary: bool,
    show_non_billable: bool,
    budget_non_billable: bool,
}

impl Filters {
    fn in_view(&self, week_start: NaiveDate) -> bool {
        !(self.summary && week_start >= self.current.start)
    }
    fn visible(&self, week_start: NaiveDate, billable: bool) -> bool {
        self.in_view(week_start) && (billable || self.show_non_billable)
    }
    fn budget(&self, week_start: NaiveDate, billable: bool) -> bool {
        self.in_view(week_start) && (billable || self.budget_non_billable)
    }
}

/// ⌈a / b⌉ for b > 0, in 128 bits, saturated into i64 (0 when b ≤ 0).
fn ceil_div(a: i128, b: i128) -> i64 {
    if b <= 0 {
        return 0;
    }
    let q = a.div_euclid(b) + i128::from(a.rem_euclid(b) != 0);
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// `all_weeks`, `recent` and `totals`, possibly with negative rows added.
type Rows<'a> = (Cow<'a, [WeekRow]>, Cow<'a, [WeekRow]>, Cow<'a, [TotalRow]>);

/// The rows with every entry dated after `today` taken back out (see the module docs): one
/// negative row per rollup row the entry was added to. Borrowed unchanged when there is none.
fn without_future<'a>(inputs: &FigureInputs<'a>) -> Rows<'a> {
    let future: Vec<&EntryFacts> = inputs.future.iter().filter(|e| e.local_date > inputs.today).map(|e| &e.facts).collect();
    if future.is_empty() {
        return (Cow::Borrowed(inputs.all_weeks), Cow::Borrowed(inputs.recent), Cow::Borrowed(inputs.totals));
    }
    let (mut all_weeks, mut recent, mut totals) = (inputs.all_weeks.to_vec(), inputs.recent.to_vec(), inputs.totals.to_vec());
    let from = window_start(inputs.calendar, inputs.today);
    for e in future {
        let minus = Sums { minutes: -e.minutes, amount_minor: -e.amount_minor, entries: -1 };
        for (dim, id) in [
            (Dim::All, String::new()),
            (Dim::Member, e.member_id.clone()),
            (Dim::Task, e.task_id.clone().unwrap_or_default()),
            (Dim::Phase, e.phase_id.clone().unwrap_or_default()),
        ] {
            let week = WeekRow { bucket: e.bucket, dim, dim_id: id.clone(), billable: e.billable, sums: minus };
            if dim == Dim::All {
                all_weeks.push(week);
            } else if e.bucket.week_start >= from {
                recent.push(week);
            }
            totals.push(TotalRow { dim, dim_id: id, billable: e.billable, sums: minus });
        }
    }
    (Cow::Owned(all_weeks), Cow::Owned(recent), Cow::Owned(totals))
}

/// The UTC instant of local midnight at the start of `date` (the first instant of the day when
/// midnight falls in a DST gap).
fn local_midnight(calendar: &ClientCalendar, date: NaiveDate) -> Option<DateTime<Utc>> {
    (0..24)
        .find_map(|h| date.and_hms_opt(h, 0, 0).and_then(|t| calendar.tz.from_local_datetime(&t).earliest()))
        .map(|t| t.with_timezone(&Utc))
}

fn sorted_slices(map: BTreeMap<String, i64>) -> Vec<Slice> {
    let mut v: Vec<Slice> = map.into_iter().filter(|(_, m)| *m != 0).map(|(id, minutes)| Slice { id, minutes }).collect();
    v.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.id.cmp(&b.id)));
    v
}

fn week_hours(recent: &[WeekRow], f: &Filters, week: Week) -> WeekHours {
    let mut by: BTreeMap<String, i64> = BTreeMap::new();
    for r in recent.iter().filter(|r| r.dim == Dim::Member && r.bucket.week_start == week.start) {
        if f.visible(r.bucket.week_start, r.billable) {
            *by.entry(r.dim_id.clone()).or_default() += r.sums.minutes;
        }
    }
    let by_member = sorted_slices(by);
    WeekHours { week, total_minutes: by_member.iter().map(|s| s.minutes).sum(), by_member }
}

/// Computes every figure (see the module docs for the definitions).
pub fn compute(inputs: &FigureInputs) -> ProjectFigures {
    let (all_weeks, recent, totals) = without_future(inputs);
    let (all_weeks, recent, totals) = (all_weeks.as_ref(), recent.as_ref(), totals.as_ref());
    let project = inputs.project;
    let today = inputs.today;
    let current = inputs.calendar.week_of(today);
    let budget = project.budget;
    let f = Filters {
        current,
        summary: inputs.view == ViewMode::WeeklySummary,
        show_non_billable: inputs.show_non_billable,
        budget_non_billable: budget.is_some_and(|b| b.includes_non_billable),
    };
    let period = project.period_on(today);
    let monthly = project.is_monthly();
    let in_period = |r: &WeekRow| !monthly || r.bucket.month == period.start;

    let this_week = (!f.summary).then(|| week_hours(recent, &f, current));
    let last_week = week_hours(recent, &f, current.previous());

    // Period sums from the all-dimension week rows.
    let mut to_date = 0i64;
    let mut to_date_non_billable = 0i64;
    let mut used = Sums::default();
    let mut used_non_billable = 0i64;
    for r in all_weeks.iter().filter(|r| r.dim == Dim::All && in_period(r)) {
        if f.visible(r.bucket.week_start, r.billable) {
            to_date += r.sums.minutes;
            if !r.billable {
                to_date_non_billable += r.sums.minutes;
            }
        }
        if f.budget(r.bucket.week_start, r.billable) {
            used.minutes += r.sums.minutes;
            if r.billable {
                used.amount_minor += r.sums.amount_minor;
            } else {
                used_non_billable += r.sums.minutes;
            }
        }
    }

    let budget_figures = budget.map(|b| BudgetFigures {
        allocated_minutes: b.minutes,
        used_minutes: used.minutes,
        remaining_minutes: b.minutes.map(|a| a - used.minutes),
        percent_minutes: b.minutes.and_then(|a| percent(used.minutes, a)),
        allocated_amount_minor: b.amount_minor,
        used_amount_minor: used.amount_minor,
        remaining_amount_minor: b.amount_minor.map(|a| a - used.amount_minor),
        percent_amount: b.amount_minor.and_then(|a| percent(used.amount_minor, a)),
        non_billable_minutes: used_non_billable,
    });

    // Burn rate over the last complete weeks since the project's first week.
    let first_week = week_start_of(project.starts_on, inputs.calendar.first_day);
    let complete_weeks = (current.start - first_week).num_days().div_euclid(7).max(0);
    let n = complete_weeks.min(BURN_WEEKS);
    let burn_from = add_days(current.start, -7 * n);
    let mut burn = BurnRate { weeks: n, minutes: 0, amount_minor: 0 };
    for r in all_weeks.iter().filter(|r| r.dim == Dim::All) {
        let w = r.bucket.week_start;
        if w >= burn_from && w < current.start && (r.billable || f.budget_non_billable) {
            burn.minutes += r.sums.minutes;
            if r.billable {
                burn.amount_minor += r.sums.amount_minor;
            }
        }
    }

    let projection = project_run_out(budget_figures.as_ref(), &burn, today, period);
    let runs_out_before_end = match projection {
        Projection::RunsOut { end: Some(EndCheck::RunsOutEarly { days_early, .. }), .. } => Some(days_early),
        _ => None,
    };
    let by_thresholds = budget_figures.as_ref().and_then(|b| {
        let t = project.thresholds.values();
        let by_minutes = b.allocated_minutes.map(|a| (status_for(b.used_minutes, a, t), highest_reached(b.used_minutes, a, t)));
        let by_amount =
            b.allocated_amount_minor.map(|a| (status_for(b.used_amount_minor, a, t), highest_reached(b.used_amount_minor, a, t)));
        by_minutes.max(by_amount)
    });
    let (status, status_reason) = match (by_thresholds, projection) {
        (None, _) => (None, None),
        (Some((Status::OverBudget, _)), _) => (Some(Status::OverBudget), Some(StatusReason::OverBudget)),
        (Some((s, _)), Projection::RunsOut { date, end: Some(EndCheck::RunsOutEarly { end, days_early }), .. }) if s <= Status::AtRisk => {
            (Some(Status::AtRisk), Some(StatusReason::RunsOutEarly { run_out: date, end, days_early }))
        }
        (Some((s, Some(t))), _) => (Some(s), Some(StatusReason::Threshold { percent: t })),
        (Some((s, None)), _) => (Some(s), Some(StatusReason::BelowThresholds)),
    };

    // Where time goes: totals (fixed) or the period's rows (retainer), minus what is cut off.
    let mut by: [BTreeMap<String, i64>; 3] = Default::default();
    let slot = |d: Dim| match d {
        Dim::Member => Some(0),
        Dim::Task => Some(1),
        Dim::Phase => Some(2),
        Dim::All => None,
    };
    if monthly {
        for r in recent.iter().filter(|r| in_period(r) && f.visible(r.bucket.week_start, r.billable)) {
            if let Some(i) = slot(r.dim) {
                *by[i].entry(r.dim_id.clone()).or_default() += r.sums.minutes;
            }
        }
    } else {
        for r in totals.iter().filter(|r| r.billable || f.show_non_billable) {
            if let Some(i) = slot(r.dim) {
                *by[i].entry(r.dim_id.clone()).or_default() += r.sums.minutes;
            }
        }
        if f.summary {
            for r in recent.iter().filter(|r| r.bucket.week_start >= current.start && (r.billable || f.show_non_billable)) {
                if let Some(i) = slot(r.dim) {
                    *by[i].entry(r.dim_id.clone()).or_default() -= r.sums.minutes;
                }
            }
        }
    }
    let [by_member, by_task, by_phase] = by.map(sorted_slices);

    // Charts.
    let newest = if f.summary { current.previous() } else { current };
    let mut weekly_map: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut budget_by_week: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut amount_by_week: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for r in all_weeks.iter().filter(|r| r.dim == Dim::All && r.bucket.week_start <= newest.start) {
        if f.visible(r.bucket.week_start, r.billable) {
            *weekly_map.entry(r.bucket.week_start).or_default() += r.sums.minutes;
        }
        if in_period(r) && f.budget(r.bucket.week_start, r.billable) {
            *budget_by_week.entry(r.bucket.week_start).or_default() += r.sums.minutes;
            if r.billable {
                *amount_by_week.entry(r.bucket.week_start).or_default() += r.sums.amount_minor;
            }
        }
    }
    let weekly = (0..CHART_WEEKS)
        .rev()
        .map(|i| {
            let week = Week { start: add_days(newest.start, -7 * i) };
            ChartPoint { week, minutes: weekly_map.get(&week.start).copied().unwrap_or(0) }
        })
        .collect();
    let mut points = Vec::new();
    let mut amount_points = Vec::new();
    let mut cumulative = 0i64;
    let mut cumulative_amount = 0i64;
    let mut week = Week { start: week_start_of(period.start, inputs.calendar.first_day) };
    while week.start <= newest.start && points.len() < 1_000 {
        cumulative += budget_by_week.get(&week.start).copied().unwrap_or(0);
        cumulative_amount += amount_by_week.get(&week.start).copied().unwrap_or(0);
        points.push(ChartPoint { week, minutes: cumulative });
        amount_points.push(cumulative_amount);
        week = week.next();
    }
    let burn_up = BurnUp {
        points,
        allocated_minutes: budget.and_then(|b| b.minutes),
        projection: match projection {
            Projection::RunsOut { date, .. } => Some((today, date)),
            _ => None,
        },
        amount_points,
        allocated_amount_minor: budget.and_then(|b| b.amount_minor),
        end: period.end,
        today,
    };
    let changes = changes::compute(recent, current, project.starts_on, inputs.calendar.first_day, f.show_non_billable);

    ProjectFigures {
        today,
        view: inputs.view,
        period,
        this_week,
        last_week,
        to_date_minutes: to_date,
        to_date_non_billable_minutes: to_date_non_billable,
        budget: budget_figures,
        burn,
        projection,
        status,
        status_reason,
        runs_out_before_end,
        by_member,
        by_task,
        by_phase,
        weekly,
        burn_up,
        changes,
        covers_until: if f.summary { local_midnight(inputs.calendar, current.start) } else { None },
    }
}

fn project_run_out(b: Option<&BudgetFigures>, burn: &BurnRate, today: NaiveDate, period: Period) -> Projection {
    let Some(b) = b else { return Projection::NoBudget };
    let over_minutes = b.remaining_minutes.filter(|r| *r <= 0).map(|r| -r);
    let over_amount = b.remaining_amount_minor.filter(|r| *r <= 0).map(|r| -r);
    if over_minutes.is_some() || over_amount.is_some() {
        return Projection::Exhausted { over_minutes, over_amount_minor: over_amount };
    }
    let wide = i128::from;
    let days = match (b.remaining_minutes, b.remaining_amount_minor) {
        (Some(rem), _) if burn.minutes > 0 => ceil_div(wide(rem) * 7 * wide(burn.weeks), wide(burn.minutes)),
        (None, Some(rem)) if burn.amount_minor > 0 => ceil_div(wide(rem) * 7 * wide(burn.weeks), wide(burn.amount_minor)),
        (None, None) => return Projection::NoBudget,
        _ => return Projection::NoBurn,
    };
    let date = add_days(today, days);
    let end = period.end.map(|end| {
        if date >= end {
            EndCheck::Lasts { end }
        } else {
            EndCheck::RunsOutEarly { end, days_early: end.signed_duration_since(date).num_days() }
        }
    });
    Projection::RunsOut { date, days_left: days, end }
}

/// The highest threshold below 100 % that `used` reaches, if any.
pub fn highest_reached(used: i64, allocated: i64, thresholds: &[u16]) -> Option<u16> {
    thresholds.iter().copied().filter(|t| *t < 100 && i128::from(used) * 100 >= i128::from(*t) * i128::from(allocated)).max()
}

/// Status of `used` against `allocated` (see the module docs). Compared exactly, not on the
/// rounded percentage: 9,996 of 10,000 minutes is "at risk", not "over budget".
pub fn status_for(used: i64, allocated: i64, thresholds: &[u16]) -> Status {
    if allocated <= 0 || used >= allocated {
        return Status::OverBudget;
    }
    let reached = thresholds.iter().filter(|t| **t < 100 && i128::from(used) * 100 >= i128::from(**t) * i128::from(allocated)).count();
    match reached {
        0 => Status::OnTrack,
        1 => Status::Watch,
        _ => Status::AtRisk,
    }
}
