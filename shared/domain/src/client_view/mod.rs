//! The one projection from internal records to what a client may see.
//!
//! Every client-facing surface (pages, JSON API, exports, client e-mails and alerts) is built
//! only from the `Client*` types in this module, and only [`project_dashboard`] and friends
//! make them. Internal records are destructured field by field, **without `..`**: adding a field
//! to an internal record is a compile error here until someone decides whether clients see it.
//!
//! **Money.** With rates hidden, money appears only at the budget level (allocated, used,
//! remaining, over by — for the budget's period), never per row, week, member, task or phase,
//! where amount ÷ hours gives a rate; and budget amounts appear only when the client's
//! `budget_money` setting is `amounts` (else percentages only). The types enforce it: client
//! money fields hold [`RowMoney`] or [`BudgetAmount`], which only [`MoneyPolicy`] makes (see
//! [`money`]).
//!
//! **As of.** In weekly summary the data's "as of" is the end of the last complete week
//! (`ProjectFigures::covers_until`), whatever changed since; in real time it is the newest
//! entry change.
//!
//! **Internal time.** A budget that counts non-billable time the client cannot see says how
//! much (`ClientBudget::internal_hours`, "Includes 16 h of internal time.").

use crate::figures::changes::{Callout, Changes, Direction, Series};
use crate::figures::{BudgetFigures, BurnUp, ChartPoint, EndCheck, ProjectFigures, Projection, Slice, Status, StatusReason, WeekHours};
use crate::ids::{MemberId, PhaseId, ProjectId, TaskId};
use crate::locale::Locale;
use crate::money::{hours, percent, Currency, HourlyRate};
use crate::project::{BudgetPeriod, Project};
use crate::rollup::Dim;
use crate::settings::{RatesVisibility, ViewMode, Visibility};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

pub mod activity;
pub mod budget;
pub mod entries;
pub mod invoices;
mod labels;
pub mod money;
mod notes;
pub mod questions;
pub mod signoff;

pub use labels::member_labels;
pub use money::{BudgetAmount, MoneyPolicy, RowMoney};
pub use notes::{project_notes, ClientNote, NoteRecord};

/// A team member as the provider knows them. Personal fields never reach a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    pub id: MemberId,
    pub name: String,
    pub role_title: String,
    pub email: String,
    pub phone: String,
    pub cost_rate: Option<HourlyRate>,
    pub default_rate: Option<HourlyRate>,
    pub personal_notes: String,
    /// Order in which this member first worked for the client (1-based); keeps pseudonyms stable.
    pub client_seq: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub name: String,
    pub client_explanation: String,
    pub billable_default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseRecord {
    pub id: PhaseId,
    pub name: String,
}

/// What the projection needs to know about the client and the provider's catalogue.
pub struct ClientContext<'a> {
    pub visibility: Visibility,
    pub currency: Currency,
    /// How numbers, money and dates are written for this client.
    pub locale: Locale,
    /// The client's time zone ("As of" is shown in it).
    pub time_zone: chrono_tz::Tz,
    pub members: &'a [MemberRecord],
    pub tasks: &'a [TaskRecord],
    pub phases: &'a [PhaseRecord],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientHours {
    pub label: String,
    /// Decimal hours with two places, as a string (`"7.50"`).
    pub hours: Decimal,
    pub minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientTaskHours {
    pub label: String,
    pub explanation: String,
    pub hours: Decimal,
    pub minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientWeek {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub total_hours: Decimal,
    pub total_minutes: i64,
    pub members: Vec<ClientHours>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBudget {
    pub period: &'static str,
    pub hours_allocated: Option<Decimal>,
    pub hours_used: Decimal,
    pub hours_remaining: Option<Decimal>,
    pub percent_hours: Option<Decimal>,
    /// Money totals for the period (never rates), formatted in the client's locale
    /// (`$1,234.50`, `1.234,50 €`); only when the client's budget money is shown as amounts.
    pub amount_allocated: Option<BudgetAmount>,
    pub amount_used: Option<BudgetAmount>,
    pub amount_remaining: Option<BudgetAmount>,
    pub percent_amount: Option<Decimal>,
    pub percent: Option<Decimal>,
    /// `amounts` or `percentages`: how this client sees the budget's money.
    pub money_shown_as: &'static str,
    /// Non-billable hours the budget counts that this client cannot see (else `None`).
    pub internal_hours: Option<Decimal>,
    /// "Includes 16 h of internal time." with `internal_hours`.
    pub internal_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientChartPoint {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub hours: Decimal,
    pub minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBurnUp {
    pub points: Vec<ClientChartPoint>,
    pub hours_allocated: Option<Decimal>,
    pub projection_from: Option<NaiveDate>,
    pub projection_to: Option<NaiveDate>,
    /// `hours` (an hours budget: the chart is in hours), `money` (a money-only budget: the chart
    /// is in percent of the budget, from `percent_points`) or `none`.
    pub budget_unit: &'static str,
    /// Money-only budgets: cumulative percent of the budget. Week by week when the client sees
    /// rates; otherwise only the period's start (0 %) and the latest total, so no per-week
    /// amount can be derived.
    pub percent_points: Vec<ClientPercentPoint>,
    /// The money budget (budget level only, when the client sees budget amounts), formatted.
    pub amount_allocated: Option<BudgetAmount>,
    /// The period's last day, marked on the chart.
    pub end_date: Option<NaiveDate>,
    pub today: NaiveDate,
    /// Budget changes (issue 15): the budget line steps at each (`budget::budget_steps`).
    pub budget_steps: Vec<budget::ClientBudgetStep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientPercentPoint {
    pub date: NaiveDate,
    pub percent: Decimal,
}

/// A week of the "what changed" series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientWeekSpan {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Weekly hours of one task, phase or team member (aligned with [`ClientChanges::weeks`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientSeries {
    pub label: String,
    pub minutes: Vec<i64>,
    pub hours: Vec<Decimal>,
    pub total_hours: Decimal,
}

/// A sharp change, in words (see `figures::changes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientCallout {
    /// `task`, `phase` or `member`.
    pub subject: &'static str,
    pub direction: Direction,
    pub label: String,
    pub recent_weeks: i64,
    pub recent_hours_per_week: Decimal,
    pub baseline_weeks: i64,
    pub baseline_hours_per_week: Decimal,
    /// Recent ÷ baseline average, one decimal.
    pub ratio: Decimal,
    pub text: String,
}

/// "What changed": the last complete weeks by task, phase and team member, and the callouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientChanges {
    pub weeks: Vec<ClientWeekSpan>,
    pub by_task: Vec<ClientSeries>,
    pub by_phase: Vec<ClientSeries>,
    pub by_member: Vec<ClientSeries>,
    pub callouts: Vec<ClientCallout>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientProjection {
    /// `no_budget`, `no_burn`, `over_budget`, `runs_out`.
    pub kind: &'static str,
    pub run_out_date: Option<NaiveDate>,
    pub days_left: Option<i64>,
    pub end_date: Option<NaiveDate>,
    pub lasts_until_end: Option<bool>,
    pub days_early: Option<i64>,
    pub over_by_hours: Option<Decimal>,
    pub over_by_amount: Option<BudgetAmount>,
    /// One sentence for people.
    pub summary: String,
}

/// A project's dashboard as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientDashboard {
    pub project_id: ProjectId,
    pub project_name: String,
    pub view: ViewMode,
    /// The client's locale (BCP 47 tag); every formatted string here follows it.
    pub locale: Locale,
    pub today: NaiveDate,
    /// Real time: the newest entry change (UTC, RFC 3339). Weekly summary: the end of the last
    /// complete week (see the module docs).
    pub as_of: Option<String>,
    /// `as_of` in the client's time zone and locale ("Nov 27, 2026, 10:51 AM EST").
    pub as_of_local: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: Option<NaiveDate>,
    pub this_week: Option<ClientWeek>,
    pub last_week: ClientWeek,
    pub to_date_hours: Decimal,
    pub to_date_minutes: i64,
    /// Non-billable hours inside "to date" (shown, not counted unless the budget includes them).
    pub to_date_non_billable_hours: Decimal,
    /// Whether the budget counts non-billable time.
    pub budget_includes_non_billable: bool,
    /// Whether this client sees individual rates (the method note depends on it).
    pub rates_visible: bool,
    pub budget: Option<ClientBudget>,
    pub burn_weeks: i64,
    pub burn_hours_per_week: Option<Decimal>,
    pub projection: ClientProjection,
    pub status: Option<Status>,
    pub status_label: Option<&'static str>,
    /// Why the status is what it is, in words.
    pub status_reason: Option<String>,
    pub warnings: Vec<String>,
    pub by_member: Vec<ClientHours>,
    pub by_task: Vec<ClientTaskHours>,
    pub by_phase: Vec<ClientHours>,
    pub weekly: Vec<ClientChartPoint>,
    pub burn_up: ClientBurnUp,
    pub changes: ClientChanges,
    /// Notes from the provider's team, newest week first (see [`project_notes`]).
    pub notes: Vec<ClientNote>,
}

fn h(minutes: i64) -> Decimal {
    hours(minutes, 2)
}

/// Minutes over weeks as hours per week, one decimal.
fn per_week(minutes: i64, weeks: i64) -> Decimal {
    if weeks <= 0 {
        return Decimal::ZERO;
    }
    let mut v = (Decimal::from(minutes) / Decimal::from(60 * weeks)).round_dp(1);
    v.rescale(1);
    v
}

/// Hours for sentences, in the locale: `16`, `16.5` (`16,5`), `0.25`.
fn hours_words(minutes: i64, loc: Locale) -> String {
    let v = h(minutes).normalize();
    loc.number(v, v.scale())
}

fn point(p: &ChartPoint) -> ClientChartPoint {
    ClientChartPoint { week_start: p.week.start, week_end: p.week.end(), hours: h(p.minutes), minutes: p.minutes }
}

/// The projection for the dashboard. `as_of` is the newest data's timestamp (UTC, RFC 3339);
/// in weekly summary it is replaced by the end of the last complete week.
pub fn project_dashboard(ctx: &ClientContext, project: &Project, figures: &ProjectFigures, as_of: Option<String>) -> ClientDashboard {
    let labels = member_labels(ctx.members, ctx.visibility.team);
    let member_label =
        |id: &str| MemberId::parse(id).ok().and_then(|m| labels.get(&m).cloned()).unwrap_or_else(|| "Team member".to_string());
    let tasks: BTreeMap<&str, (&str, &str)> = ctx
        .tasks
        .iter()
        .map(|t| {
            let TaskRecord { id, name, client_explanation, billable_default: _ } = t;
            (id.as_str(), (name.as_str(), client_explanation.as_str()))
        })
        .collect();
    let phases: BTreeMap<&str, &str> = ctx
        .phases
        .iter()
        .map(|p| {
            let PhaseRecord { id, name } = p;
            (id.as_str(), name.as_str())
        })
        .collect();
    let week = |w: &WeekHours| {
        let WeekHours { week, total_minutes, by_member } = w;
        ClientWeek {
            start: week.start,
            end: week.end(),
            total_hours: h(*total_minutes),
            total_minutes: *total_minutes,
            members: by_member
                .iter()
                .map(|s| ClientHours { label: member_label(&s.id), hours: h(s.minutes), minutes: s.minutes })
                .collect(),
        }
    };
    let ProjectFigures {
        today,
        view,
        period,
        this_week,
        last_week,
        to_date_minutes,
        to_date_non_billable_minutes,
        budget,
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
        covers_until,
    } = figures;
    let loc = ctx.locale;
    let pay = MoneyPolicy::of(&ctx.visibility, ctx.currency).in_locale(loc);
    let as_of = match covers_until {
        Some(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None if *view == ViewMode::WeeklySummary => None,
        None => as_of,
    };
    let client_budget = budget.as_ref().map(|b| {
        let BudgetFigures {
            allocated_minutes,
            used_minutes,
            remaining_minutes,
            percent_minutes,
            allocated_amount_minor,
            used_amount_minor,
            remaining_amount_minor,
            percent_amount,
            non_billable_minutes,
        } = b;
        let has_money = allocated_amount_minor.is_some();
        let internal = (!ctx.visibility.shows_non_billable() && *non_billable_minutes > 0).then_some(*non_billable_minutes);
        ClientBudget {
            period: match project.budget.map(|b| b.period) {
                Some(BudgetPeriod::Monthly) => "monthly",
                _ => "fixed",
            },
            hours_allocated: allocated_minutes.map(h),
            hours_used: h(*used_minutes),
            hours_remaining: remaining_minutes.map(h),
            percent_hours: *percent_minutes,
            amount_allocated: allocated_amount_minor.and_then(|m| pay.budget(m)),
            amount_used: if has_money { pay.budget(*used_amount_minor) } else { None },
            amount_remaining: remaining_amount_minor.and_then(|m| pay.budget(m)),
            percent_amount: *percent_amount,
            percent: b.percent(),
            money_shown_as: ctx.visibility.budget_money.as_str(),
            internal_hours: internal.map(h),
            internal_note: internal.map(|m| format!("Includes {} h of internal time.", hours_words(m, loc))),
        }
    });
    let client_projection = match projection {
        Projection::NoBudget => ClientProjection::empty("no_budget", "This project has no budget, so there is no run-out date."),
        Projection::NoBurn => ClientProjection::empty("no_burn", "No hours in the recent complete weeks, so there is no run-out date."),
        Projection::Exhausted { over_minutes, over_amount_minor } => {
            let over_h = over_minutes.map(h);
            let over_a = over_amount_minor.and_then(|m| pay.budget(m));
            let percent = client_budget.as_ref().and_then(|b| b.percent);
            let summary = match (&over_h, &over_a, percent) {
                (Some(x), _, _) => format!("The budget is used up: over by {}.", loc.hours(*x)),
                (None, Some(a), _) => format!("The budget is used up: over by {a}."),
                (None, None, Some(p)) => format!("The budget is used up: {} used.", loc.percent(p)),
                _ => "The budget is used up.".to_string(),
            };
            ClientProjection { over_by_hours: over_h, over_by_amount: over_a, ..ClientProjection::empty("over_budget", &summary) }
        }
        Projection::RunsOut { date, days_left, end } => {
            let (end_date, lasts, early) = match end {
                Some(EndCheck::Lasts { end }) => (Some(*end), Some(true), None),
                Some(EndCheck::RunsOutEarly { end, days_early }) => (Some(*end), Some(false), Some(*days_early)),
                None => (None, None, None),
            };
            let summary = match (end_date, early) {
                (Some(e), Some(d)) => format!(
                    "At the current pace the budget runs out on {}, {} days before the end date ({}).",
                    loc.date(*date),
                    loc.integer(d),
                    loc.date(e)
                ),
                (Some(e), None) => {
                    format!(
                        "At the current pace the budget lasts until the end date ({}); it would run out on {}.",
                        loc.date(e),
                        loc.date(*date)
                    )
                }
                _ => format!("At the current pace the budget runs out on {}.", loc.date(*date)),
            };
            ClientProjection {
                kind: "runs_out",
                run_out_date: Some(*date),
                days_left: Some(*days_left),
                end_date,
                lasts_until_end: lasts,
                days_early: early,
                over_by_hours: None,
                over_by_amount: None,
                summary,
            }
        }
    };
    let used_percent = client_budget.as_ref().and_then(|b| b.percent);
    let mut warnings = Vec::new();
    // The share used, when the thresholds (not the run-out) decide the status.
    let by_thresholds = matches!(status_reason, Some(StatusReason::Threshold { .. } | StatusReason::OverBudget));
    if let (Some(s), Some(p), true) = (status, used_percent, by_thresholds) {
        if *s >= Status::Watch {
            warnings.push(format!("{} of the budget is used ({}).", loc.percent(p), s.label().to_lowercase()));
        }
    }
    if let Some(d) = runs_out_before_end {
        warnings.push(format!("At the current pace the budget runs out {} days before the end date.", loc.integer(*d)));
    }
    let used_text = used_percent.map_or_else(String::new, |p| format!("{} of the budget is used", loc.percent(p)));
    let status_reason_text = status_reason.map(|r| match r {
        StatusReason::OverBudget => "Over budget: everything allocated is used.".to_string(),
        StatusReason::BelowThresholds => format!("On track: {used_text}, below every alert threshold, with no early run-out."),
        StatusReason::Threshold { percent: t } => {
            format!(
                "{}: {used_text}, past the {} alert threshold.",
                status.map_or("Status", |s| s.label()),
                loc.percent_places(Decimal::from(t), 0)
            )
        }
        StatusReason::RunsOutEarly { run_out, end, days_early } => format!(
            "At risk: at the current pace the budget runs out on {}, {} days before the end date ({}).",
            loc.date(run_out),
            loc.integer(days_early),
            loc.date(end)
        ),
    });
    let slices = |v: &[Slice], label: &dyn Fn(&str) -> String| -> Vec<ClientHours> {
        v.iter().map(|s| ClientHours { label: label(&s.id), hours: h(s.minutes), minutes: s.minutes }).collect()
    };
    let task_label = |id: &str| -> String {
        if id.is_empty() {
            "No task".to_string()
        } else {
            tasks.get(id).map_or_else(|| "Other".to_string(), |(n, _)| (*n).to_string())
        }
    };
    let phase_label = |id: &str| phases.get(id).map_or_else(|| "No phase".to_string(), |n| (*n).to_string());
    let client_changes = project_changes(changes, loc, &task_label, &phase_label, &member_label);
    let as_of_local = as_of
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| loc.date_time_in(t.with_timezone(&chrono::Utc), ctx.time_zone));
    let rates_visible = ctx.visibility.rates == RatesVisibility::Shown;
    let client_burn_up = project_burn_up(burn_up, rates_visible, &pay, &point);
    ClientDashboard {
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        view: *view,
        locale: loc,
        today: *today,
        as_of,
        as_of_local,
        period_start: period.start,
        period_end: period.end,
        this_week: this_week.as_ref().map(week),
        last_week: week(last_week),
        to_date_hours: h(*to_date_minutes),
        to_date_minutes: *to_date_minutes,
        to_date_non_billable_hours: h(*to_date_non_billable_minutes),
        budget_includes_non_billable: project.budget.is_some_and(|b| b.includes_non_billable),
        rates_visible,
        budget: client_budget,
        burn_weeks: burn.weeks,
        burn_hours_per_week: burn.minutes_per_week().map(|m| {
            let mut h = (m / Decimal::from(60)).round_dp(2);
            h.rescale(2);
            h
        }),
        projection: client_projection,
        status: *status,
        status_label: status.map(|s| s.label()),
        status_reason: status_reason_text,
        warnings,
        by_member: slices(by_member, &member_label),
        by_task: by_task
            .iter()
            .map(|s| {
                let (label, explanation) =
                    if s.id.is_empty() { ("No task", "") } else { tasks.get(s.id.as_str()).copied().unwrap_or(("Other", "")) };
                ClientTaskHours { label: label.to_string(), explanation: explanation.to_string(), hours: h(s.minutes), minutes: s.minutes }
            })
            .collect(),
        by_phase: slices(by_phase, &|id: &str| phases.get(id).map_or_else(|| "No phase".to_string(), |n| n.to_string())),
        weekly: weekly.iter().map(point).collect(),
        burn_up: client_burn_up,
        changes: client_changes,
        notes: Vec::new(),
    }
}

/// The burn-up chart's data (see [`ClientBurnUp`]).
fn project_burn_up(b: &BurnUp, rates_visible: bool, pay: &MoneyPolicy, point: &dyn Fn(&ChartPoint) -> ClientChartPoint) -> ClientBurnUp {
    let BurnUp { points, allocated_minutes, projection, amount_points, allocated_amount_minor, end, today } = b;
    let budget_unit = match (allocated_minutes, allocated_amount_minor) {
        (Some(_), _) => "hours",
        (None, Some(_)) => "money",
        (None, None) => "none",
    };
    // A point sits at its week's end, but never after today.
    let at = |p: &ChartPoint| p.week.end().min(*today).max(p.week.start);
    let mut percent_points = Vec::new();
    if let (None, Some(alloc)) = (allocated_minutes, allocated_amount_minor) {
        let pct = |amount: i64| percent(amount, *alloc).unwrap_or(Decimal::ZERO);
        if let Some(first) = points.first() {
            percent_points.push(ClientPercentPoint { date: first.week.start, percent: pct(0) });
        }
        if rates_visible {
            for (p, a) in points.iter().zip(amount_points) {
                percent_points.push(ClientPercentPoint { date: at(p), percent: pct(*a) });
            }
        } else if let (Some(p), Some(a)) = (points.last(), amount_points.last()) {
            percent_points.push(ClientPercentPoint { date: at(p), percent: pct(*a) });
        }
    }
    ClientBurnUp {
        points: points.iter().map(point).collect(),
        hours_allocated: allocated_minutes.map(h),
        projection_from: projection.map(|p| p.0),
        projection_to: projection.map(|p| p.1),
        budget_unit,
        percent_points,
        amount_allocated: allocated_amount_minor.and_then(|m| pay.budget(m)),
        end_date: *end,
        today: *today,
        budget_steps: Vec::new(),
    }
}

/// "What changed" under the client's labels (see `figures::changes`).
fn project_changes(
    c: &Changes,
    loc: Locale,
    task_label: &dyn Fn(&str) -> String,
    phase_label: &dyn Fn(&str) -> String,
    member_label: &dyn Fn(&str) -> String,
) -> ClientChanges {
    let Changes { weeks, by_task, by_phase, by_member, callouts } = c;
    let series = |list: &[Series], label: &dyn Fn(&str) -> String| -> Vec<ClientSeries> {
        list.iter()
            .map(|s| {
                let Series { id, minutes } = s;
                ClientSeries {
                    label: label(id),
                    minutes: minutes.clone(),
                    hours: minutes.iter().map(|m| h(*m)).collect(),
                    total_hours: h(minutes.iter().sum()),
                }
            })
            .collect()
    };
    let callouts = callouts
        .iter()
        .map(|c| {
            let Callout { dim, id, direction, recent_weeks, recent_minutes, baseline_weeks, baseline_minutes } = c;
            let (subject, label) = match dim {
                Dim::Task => ("task", task_label(id)),
                Dim::Phase => ("phase", phase_label(id)),
                _ => ("member", member_label(id)),
            };
            let recent = per_week(*recent_minutes, *recent_weeks);
            let baseline = per_week(*baseline_minutes, *baseline_weeks);
            // Exact ratio of the averages, one decimal.
            let ratio = if *baseline_minutes > 0 {
                let mut r = (Decimal::from(*recent_minutes) * Decimal::from(*baseline_weeks)
                    / (Decimal::from(*baseline_minutes) * Decimal::from(*recent_weeks)))
                .round_dp(1);
                r.rescale(1);
                r
            } else {
                Decimal::ZERO
            };
            let lead = format!(
                "{}{}: {} h/week over the last {} weeks",
                label,
                if subject == "phase" { " (phase)" } else { "" },
                loc.number(recent, 1),
                loc.integer(*recent_weeks)
            );
            let text = match (subject, direction) {
                ("member", Direction::Down) => format!("{lead}, down from {}.", loc.number(baseline, 1)),
                ("member", Direction::Up) => format!("{lead}, up from {}.", loc.number(baseline, 1)),
                _ => format!("{lead}, {}× the {} h/week before.", loc.number(ratio, 1), loc.number(baseline, 1)),
            };
            ClientCallout {
                subject,
                direction: *direction,
                label,
                recent_weeks: *recent_weeks,
                recent_hours_per_week: recent,
                baseline_weeks: *baseline_weeks,
                baseline_hours_per_week: baseline,
                ratio,
                text,
            }
        })
        .collect();
    ClientChanges {
        weeks: weeks.iter().map(|w| ClientWeekSpan { start: w.start, end: w.end() }).collect(),
        by_task: series(by_task, task_label),
        by_phase: series(by_phase, phase_label),
        by_member: series(by_member, member_label),
        callouts,
    }
}

impl ClientProjection {
    fn empty(kind: &'static str, summary: &str) -> Self {
        Self {
            kind,
            run_out_date: None,
            days_left: None,
            end_date: None,
            lasts_until_end: None,
            days_early: None,
            over_by_hours: None,
            over_by_amount: None,
            summary: summary.to_string(),
        }
    }
}
