//! Server-rendered HTML pages (askama templates in `templates/`). Client pages are built only
//! from `clearhours_domain::client_view` types. No inline scripts or styles anywhere: the CSP is
//! `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:`.

use crate::charts;
use askama::Template;
use chrono::NaiveDate;
use clearhours_domain::client_view::invoices::ClientBillingSummary;
use clearhours_domain::client_view::{ClientBudget, ClientChartPoint, ClientDashboard, ClientHours, ClientSeries, ClientWeek};
use clearhours_domain::locale::Locale;
use clearhours_domain::settings::ViewMode;
use rust_decimal::Decimal;

/// The header's navigation, per who is signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nav {
    None,
    Client {
        client_name: String,
        csrf: String,
        idle_minutes: i64,
    },
    Staff {
        provider_name: String,
        csrf: String,
    },
    /// Staff previewing what a contact sees ("view as client").
    Preview {
        label: String,
        csrf: String,
    },
    /// Signed in with a password, the second step still open (the MFA pages): the only way on
    /// is the code, the way back is signing out.
    Pending {
        csrf: String,
        staff: bool,
    },
}

/// What the header shows for a signed-in user.
pub struct NavHeader<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    /// The header's links: (href, label).
    pub links: &'static [(&'static str, &'static str)],
    pub logout_action: &'static str,
}

impl Nav {
    pub fn header(&self) -> Option<NavHeader<'_>> {
        match self {
            Nav::None => None,
            Nav::Client { client_name, csrf, .. } => Some(NavHeader {
                name: client_name,
                csrf,
                links: &[("/projects", "Projects"), ("/account", "Account")],
                logout_action: "/logout",
            }),
            Nav::Preview { label, csrf } => {
                Some(NavHeader { name: label, csrf, links: &[("/admin", "Back to admin")], logout_action: "/admin/logout" })
            }
            Nav::Staff { provider_name, csrf } => Some(NavHeader {
                name: provider_name,
                csrf,
                links: &[("/admin", "Overview"), ("/account", "Account")],
                logout_action: "/admin/logout",
            }),
            Nav::Pending { csrf, staff } => {
                Some(NavHeader { name: "", csrf, links: &[], logout_action: if *staff { "/admin/logout" } else { "/logout" } })
            }
        }
    }

    /// Minutes of inactivity after which the session ends (the page warns before).
    pub fn idle_minutes(&self) -> Option<i64> {
        match self {
            Nav::None | Nav::Pending { .. } => None,
            Nav::Client { idle_minutes, .. } => Some(*idle_minutes),
            Nav::Staff { .. } | Nav::Preview { .. } => Some(clearhours_storage::auth::STAFF_IDLE_MINUTES),
        }
    }

    pub fn home_href(&self) -> &'static str {
        self.header().and_then(|h| h.links.first()).map_or("/", |l| l.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Client,
    Staff,
}

/// One row of the staff overview.
pub struct AdminProjectRow {
    pub client_id: String,
    pub client_name: String,
    pub project_id: String,
    pub project_name: String,
    pub status_label: Option<&'static str>,
    pub percent: Option<Decimal>,
    pub to_date_hours: Decimal,
    pub this_week_hours: Decimal,
    pub view: &'static str,
}

/// A status badge: CSS class and the words (colour is never the only signal).
pub struct Badge {
    pub class: &'static str,
    pub text: &'static str,
}

fn badge(label: Option<&'static str>) -> Badge {
    let class = match label {
        Some("On track") => "ok",
        Some("Watch") => "watch",
        Some("At risk") => "risk",
        Some("Over budget") => "over",
        _ => "none",
    };
    Badge { class, text: label.unwrap_or("No budget") }
}

/// "Nov 16, 2024" (en-US; the invoice pages are not localised yet).
pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%b %-d, %Y").to_string()
}

fn view_label(view: &str) -> &str {
    match view {
        "real_time" => "Real time",
        "weekly_summary" => "Weekly summary",
        other => other,
    }
}

/// A table row: label, optional explanation, hours and share of the total.
pub struct Row {
    pub label: String,
    pub note: String,
    pub hours: String,
    pub share: String,
}

/// `minutes` as a share of `total`, one decimal, in the locale ("12.5%", "12,5 %").
fn share(minutes: i64, total: i64, loc: Locale) -> String {
    if total <= 0 {
        return "—".to_string();
    }
    let tenths = i128::from(minutes) * 1000 / i128::from(total);
    let tenths = i64::try_from(tenths).unwrap_or(0);
    loc.percent(Decimal::new(tenths, 1))
}

fn rows(items: &[ClientHours], loc: Locale) -> (Vec<Row>, String) {
    let total = items.iter().fold(0i64, |a, h| a.saturating_add(h.minutes));
    let rows = items
        .iter()
        .map(|h| Row { label: h.label.clone(), note: String::new(), hours: loc.number(h.hours, 2), share: share(h.minutes, total, loc) })
        .collect();
    (rows, loc.hours_of_minutes(total, 2))
}

/// A week's table by team member.
pub struct WeekTable {
    pub caption: String,
    pub empty: String,
    pub rows: Vec<Row>,
    pub total: String,
}

fn week_table(w: &ClientWeek, caption: String, empty: String, loc: Locale) -> WeekTable {
    let (rows, _) = rows(&w.members, loc);
    WeekTable { caption, empty, rows, total: loc.number(w.total_hours, 2) }
}

fn chart_rows(points: &[ClientChartPoint], loc: Locale) -> Vec<Row> {
    points
        .iter()
        .map(|p| Row {
            label: loc.date_range(p.week_start, p.week_end, true),
            note: String::new(),
            hours: loc.number(p.hours, 2),
            share: String::new(),
        })
        .collect()
}

/// Budget figures in words. Totals only, never rates.
pub struct BudgetView {
    pub used: String,
    pub detail: Vec<String>,
}

fn budget_view(d: &ClientDashboard, b: &ClientBudget, loc: Locale) -> BudgetView {
    let used = match b.percent {
        Some(p) => loc.percent(p),
        None => loc.hours(b.hours_used),
    };
    let mut detail = Vec::new();
    if let Some(a) = b.hours_allocated {
        let counted = if d.budget_includes_non_billable { "" } else { " (billable)" };
        detail.push(format!("{} used of {}{counted}", loc.hours(b.hours_used), loc.hours(a)));
    }
    if let Some(r) = b.hours_remaining {
        if r.is_sign_negative() && !r.is_zero() {
            detail.push(format!("Over by {}", loc.hours(r.abs())));
        } else {
            detail.push(format!("{} remaining", loc.hours(r)));
        }
    }
    if let (Some(used), Some(alloc)) = (&b.amount_used, &b.amount_allocated) {
        detail.push(format!("{used} used of {alloc}"));
    }
    if let Some(r) = &b.amount_remaining {
        detail.push(format!("{r} remaining"));
    }
    if let Some(n) = &b.internal_note {
        detail.push(n.clone());
    }
    BudgetView { used, detail }
}

/// "Hours to date" in words that match the period: its label, the dates it covers, and why it
/// may differ from the hours counted against the budget.
pub struct ToDate {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    pub counted_note: Option<String>,
}

fn to_date(d: &ClientDashboard, loc: Locale) -> ToDate {
    let monthly = is_monthly(d);
    // In weekly-summary mode the figures stop at the last complete week.
    let through = if d.this_week.is_some() { d.today } else { d.last_week.end.min(d.today) };
    let note = if monthly {
        format!("{} – {}", loc.day_month(d.period_start), loc.date(through))
    } else if d.this_week.is_some() {
        format!("Since {}", loc.date(d.period_start))
    } else {
        format!("Since {}, through {}", loc.date(d.period_start), loc.date(through))
    };
    let nb = d.to_date_non_billable_hours;
    let counted_note = match (nb.is_zero(), d.budget.is_some(), d.budget_includes_non_billable) {
        (false, true, false) => Some(format!("Includes {} non-billable: shown, but not counted against the budget.", loc.hours(nb))),
        (false, true, true) => Some(format!("Includes {} non-billable, which this budget counts.", loc.hours(nb))),
        (false, false, _) => Some(format!("Includes {} non-billable.", loc.hours(nb))),
        _ => None,
    };
    ToDate { label: if monthly { "Hours this month" } else { "Hours to date" }, value: loc.hours(d.to_date_hours), note, counted_note }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    nav: Nav,
    staff: bool,
    action: &'static str,
    email: &'a str,
    error: Option<&'a str>,
    csrf: &'a str,
}

pub fn render_login(kind: LoginKind, email: &str, error: Option<&str>, csrf: &str) -> Result<String, askama::Error> {
    let (staff, action) = match kind {
        LoginKind::Client => (false, "/login"),
        LoginKind::Staff => (true, "/admin/login"),
    };
    LoginPage { nav: Nav::None, staff, action, email, error, csrf }.render()
}

/// One project card on the portfolio page.
pub struct Card<'a> {
    pub d: &'a ClientDashboard,
    pub badge: Badge,
    pub progress: String,
    pub percent: Option<String>,
    pub week_label: &'static str,
    pub week_value: String,
    pub week_note: Option<&'static str>,
    pub to_date: ToDate,
    pub callouts: Vec<&'a str>,
    /// The projection sentence, unless the status reason already says it (an early run-out).
    pub show_projection: bool,
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioPage<'a> {
    nav: &'a Nav,
    cards: Vec<Card<'a>>,
    billing: Option<BillingLine<'a>>,
}

/// Unbilled amount and next invoice date, for billing contacts only.
pub struct BillingLine<'a> {
    pub s: &'a ClientBillingSummary,
    pub next: String,
}

fn billing_line(s: Option<&ClientBillingSummary>) -> Option<BillingLine<'_>> {
    s.map(|s| BillingLine { s, next: long_date(s.next_invoice_on) })
}

fn is_monthly(d: &ClientDashboard) -> bool {
    d.budget.as_ref().is_some_and(|b| b.period == "monthly")
}

pub fn render_portfolio(
    nav: &Nav,
    dashboards: &[ClientDashboard],
    billing: Option<&ClientBillingSummary>,
) -> Result<String, askama::Error> {
    let cards = dashboards
        .iter()
        .map(|d| {
            let loc = d.locale;
            let badge = badge(d.status_label);
            let percent = d.budget.as_ref().and_then(|b| b.percent);
            let (week_label, week_value, week_note) = match &d.this_week {
                Some(w) => ("This week so far", loc.hours(w.total_hours), None),
                None => ("Last week", loc.hours(d.last_week.total_hours), Some("Weekly summary: completed weeks only")),
            };
            Card {
                d,
                progress: charts::progress_bar(percent, badge.class),
                badge,
                percent: percent.map(|p| loc.percent(p)),
                week_label,
                week_value,
                week_note,
                to_date: to_date(d, loc),
                callouts: d.changes.callouts.iter().map(|c| c.text.as_str()).collect(),
                show_projection: d.projection.lasts_until_end != Some(false) || d.status_reason.is_none(),
            }
        })
        .collect();
    PortfolioPage { nav, cards, billing: billing_line(billing) }.render()
}

/// One "what changed" table: weekly hours per task, phase or team member, shaded per row.
pub struct HeatTable {
    pub id: &'static str,
    pub title: &'static str,
    pub column: &'static str,
    pub rows: Vec<HeatRow>,
}

pub struct HeatRow {
    pub label: String,
    pub cells: Vec<HeatCell>,
    pub total: String,
}

pub struct HeatCell {
    pub text: String,
    /// 0 (none) to 4 (the row's busiest week), for the shading; the number is always printed.
    pub level: i64,
    pub recent: bool,
}

/// The "what changed" section.
pub struct ChangesView<'a> {
    pub span: String,
    pub weeks: Vec<(String, String, bool)>,
    pub callouts: Vec<(&'static str, &'a str)>,
    pub tables: Vec<HeatTable>,
}

fn changes_view(d: &ClientDashboard, loc: Locale) -> ChangesView<'_> {
    let c = &d.changes;
    let n = c.weeks.len();
    // The longest recent span a callout can use is marked in the table head.
    let recent_from = n.saturating_sub(4);
    let span = match (c.weeks.first(), c.weeks.last()) {
        (Some(a), Some(b)) => loc.date_range(a.start, b.end, true),
        _ => String::new(),
    };
    let weeks =
        c.weeks.iter().enumerate().map(|(i, w)| (loc.day_month(w.start), loc.date_range(w.start, w.end, true), i >= recent_from)).collect();
    let table = |id: &'static str, title: &'static str, column: &'static str, list: &[ClientSeries]| HeatTable {
        id,
        title,
        column,
        rows: list
            .iter()
            .map(|s| {
                let max = s.minutes.iter().copied().max().unwrap_or(0).max(1);
                HeatRow {
                    label: s.label.clone(),
                    cells: s
                        .minutes
                        .iter()
                        .zip(&s.hours)
                        .enumerate()
                        .map(|(i, (m, h))| HeatCell {
                            text: loc.number(*h, 1),
                            level: if *m <= 0 { 0 } else { ((*m * 4 + max - 1) / max).clamp(1, 4) },
                            recent: i >= recent_from,
                        })
                        .collect(),
                    total: loc.number(s.total_hours, 1),
                }
            })
            .collect(),
    };
    let mut tables =
        vec![table("changes-task", "By task", "Task", &c.by_task), table("changes-member", "By team member", "Team member", &c.by_member)];
    if !c.by_phase.is_empty() {
        tables.push(table("changes-phase", "By phase", "Phase", &c.by_phase));
    }
    let callouts = c
        .callouts
        .iter()
        .map(|x| (if x.direction == clearhours_domain::figures::changes::Direction::Up { "up" } else { "down" }, x.text.as_str()))
        .collect();
    ChangesView { span, weeks, callouts, tables }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    nav: &'a Nav,
    d: &'a ClientDashboard,
    /// Unresolved questions on the project (issue 15); `None` hides the link.
    open_questions: Option<i64>,
    badge: Badge,
    monthly: bool,
    period: String,
    today: String,
    as_of: Option<(&'a str, String)>,
    this_week_value: Option<String>,
    this_week_dates: Option<String>,
    last_week_value: String,
    last_week_dates: String,
    to_date: ToDate,
    budget: Option<BudgetView>,
    progress: String,
    burn_value: Option<String>,
    run_out: String,
    projection_alert: bool,
    week_table: WeekTable,
    weekly_svg: String,
    weekly_rows: Vec<Row>,
    burn_caption: String,
    burn_svg: String,
    burn_rows: Vec<Row>,
    burn_column: &'static str,
    burn_budget: Option<String>,
    end_date: Option<String>,
    breakdowns: [Breakdown; 3],
    changes: ChangesView<'a>,
    notes: Vec<(String, &'a str)>,
    method: Vec<String>,
    billing: Option<BillingLine<'a>>,
}

/// One "where the time goes" table.
pub struct Breakdown {
    pub title: &'static str,
    pub column: &'static str,
    pub rows: Vec<Row>,
    pub total: String,
}

fn breakdown(title: &'static str, column: &'static str, (rows, total): (Vec<Row>, String)) -> Breakdown {
    Breakdown { title, column, rows, total }
}

/// "How these numbers are computed", matched to this client's settings.
fn method_notes(d: &ClientDashboard) -> Vec<String> {
    let mut m = vec![
        if d.rates_visible {
            "Hours come from your agency's time tracking. Billable time always counts; non-billable time is shown only if your agency chose to show it, and counts against the budget only if the budget includes it. Amounts here are totals; the rates behind them are on your time entries.".to_string()
        } else {
            format!(
                "Hours come from your agency's time tracking. Billable time always counts; non-billable time is shown only if your agency chose to show it, and counts against the budget only if the budget includes it. You see totals, never individual rates: money appears only against the budget{}.",
                if d.budget.as_ref().is_some_and(|b| b.money_shown_as == "percentages") { ", and there only as a percentage" } else { "" }
            )
        },
        if d.this_week.is_some() {
            "\"This week so far\" updates as time is tracked; \"last week\" is the previous complete week.".to_string()
        } else {
            "This project uses a weekly summary: the current week is left out of every figure until it is complete.".to_string()
        },
        "Hours to date count every hour you see in the budget period (the whole project, or the current calendar month for a monthly retainer). Budget used counts only what the budget covers, so the two differ by any non-billable time that is shown but not counted.".to_string(),
        "Budget used is hours (or amount) used divided by the budget, to one decimal place. Remaining is the budget minus what is used; a negative remainder means over budget.".to_string(),
        "The burn rate is the average per week over the last four complete weeks (fewer for a new project). The current week never counts.".to_string(),
        "The projected run-out date is today plus the remaining budget divided by the burn rate, rounded up to whole days, and is compared with the project's end date (or the end of the month for a retainer).".to_string(),
        "Status: on track until the first alert threshold is reached (75% by default), then \"watch\"; \"at risk\" from the second threshold (90% by default) or whenever the projected run-out comes before the end date; \"over budget\" once everything is used.".to_string(),
        "What changed compares the last 2 to 4 complete weeks with the weeks before (up to 12 weeks). A task or phase is called out when its weekly hours at least doubled, rose by at least 4 hours a week, grew as a share of all hours and had been worked on in at least three earlier weeks; a team member when their weekly hours at least doubled or halved by at least 4 hours a week. The change must also stand out against the weeks just before, so ordinary ups and downs raise nothing.".to_string(),
    ];
    m.push("Charts show the last 12 weeks, and the budget's cumulative use week by week with the projection dashed from today to the run-out; the end date and today are marked.".to_string());
    m
}

pub fn render_dashboard(
    nav: &Nav,
    d: &ClientDashboard,
    billing: Option<&ClientBillingSummary>,
    open_questions: Option<i64>,
) -> Result<String, askama::Error> {
    let loc = d.locale;
    let badge = badge(d.status_label);
    let p = &d.projection;
    let run_out = match (p.kind, p.run_out_date) {
        ("over_budget", _) => "Over budget".to_string(),
        (_, Some(date)) => loc.date(date),
        _ => "—".to_string(),
    };
    let week_table = match &d.this_week {
        Some(w) => {
            let dates = loc.date_range(w.start, w.end, true);
            week_table(w, format!("This week so far ({dates})"), format!("No hours recorded this week ({dates}) yet."), loc)
        }
        None => {
            let dates = loc.date_range(d.last_week.start, d.last_week.end, true);
            week_table(
                &d.last_week,
                format!("Last week ({dates}). This project shows completed weeks only."),
                format!("No hours recorded last week ({dates}). This project shows completed weeks only."),
                loc,
            )
        }
    };
    let task_total = d.by_task.iter().fold(0i64, |a, t| a.saturating_add(t.minutes));
    let by_task = d
        .by_task
        .iter()
        .map(|t| Row {
            label: t.label.clone(),
            note: t.explanation.clone(),
            hours: loc.number(t.hours, 2),
            share: share(t.minutes, task_total, loc),
        })
        .collect();
    let b = &d.burn_up;
    let (burn_caption, burn_column, burn_rows, burn_budget) = if b.budget_unit == "money" {
        let rows = b
            .percent_points
            .iter()
            .skip(1)
            .map(|p| Row {
                label: format!("Through {}", loc.date(p.date)),
                note: String::new(),
                hours: loc.percent(p.percent),
                share: String::new(),
            })
            .collect();
        let caption = if d.rates_visible {
            "Budget used week by week, in percent of the money budget"
        } else {
            "Budget used, in percent of the money budget (totals only: weekly amounts are not shown)"
        };
        (caption.to_string(), "Budget used", rows, b.amount_allocated.as_ref().map(ToString::to_string))
    } else {
        let rows = b
            .points
            .iter()
            .map(|p| Row {
                label: format!("Through {}", loc.date(p.week_end.min(d.today))),
                note: String::new(),
                hours: loc.number(p.hours, 2),
                share: String::new(),
            })
            .collect();
        let caption = if b.budget_unit == "hours" { "Cumulative hours against the budget" } else { "Cumulative hours" };
        (caption.to_string(), "Cumulative hours", rows, b.hours_allocated.map(|h| loc.hours(h)))
    };
    let mut burn_caption = burn_caption;
    if is_monthly(d) {
        burn_caption.push_str(" this month");
    }
    if b.projection_to.is_some() {
        burn_caption.push_str("; dashed: the projection at the current pace");
    }
    DashboardPage {
        nav,
        d,
        open_questions,
        monthly: is_monthly(d),
        period: match d.period_end {
            Some(e) => loc.date_range(d.period_start, e, true),
            None => format!("Since {}", loc.date(d.period_start)),
        },
        today: loc.date(d.today),
        // Weekly summary: the data cover complete weeks (as_of is the last one's end).
        as_of: d.as_of.as_deref().map(|s| match d.view {
            ViewMode::WeeklySummary => (s, format!("the end of {}", loc.date(d.last_week.end))),
            ViewMode::RealTime => (s, d.as_of_local.clone().unwrap_or_else(|| s.to_string())),
        }),
        this_week_value: d.this_week.as_ref().map(|w| loc.hours(w.total_hours)),
        this_week_dates: d.this_week.as_ref().map(|w| loc.date_range(w.start, w.end, false)),
        last_week_value: loc.hours(d.last_week.total_hours),
        last_week_dates: loc.date_range(d.last_week.start, d.last_week.end, false),
        to_date: to_date(d, loc),
        budget: d.budget.as_ref().map(|b| budget_view(d, b, loc)),
        progress: charts::progress_bar(d.budget.as_ref().and_then(|b| b.percent), badge.class),
        badge,
        burn_value: d.burn_hours_per_week.map(|r| format!("{}/week", loc.hours(r))),
        run_out,
        projection_alert: p.kind == "over_budget" || p.lasts_until_end == Some(false),
        week_table,
        weekly_svg: charts::weekly_bars(&d.weekly, "Hours per week, last 12 weeks", loc),
        weekly_rows: chart_rows(&d.weekly, loc),
        burn_svg: charts::burn_up(&d.burn_up, &burn_caption, loc),
        burn_caption,
        burn_rows,
        burn_column,
        burn_budget,
        end_date: d.period_end.map(|e| loc.date(e)),
        breakdowns: [
            breakdown("By phase", "Phase", rows(&d.by_phase, loc)),
            breakdown("By task", "Task", (by_task, loc.hours_of_minutes(task_total, 2))),
            breakdown("By team member", "Team member", rows(&d.by_member, loc)),
        ],
        changes: changes_view(d, loc),
        notes: d.notes.iter().map(|n| (loc.date_range(n.week_start, n.week_end, true), n.body.as_str())).collect(),
        method: method_notes(d),
        billing: billing_line(billing),
    }
    .render()
}

/// A staff overview row, formatted.
pub struct AdminRow<'a> {
    pub r: &'a AdminProjectRow,
    pub badge: Badge,
    pub percent: String,
    pub view: &'a str,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    nav: &'a Nav,
    provider_name: &'a str,
    rows: Vec<AdminRow<'a>>,
    /// Unanswered questions, oldest first, and the median response time (issue 15).
    open: &'a [crate::questions::StaffRow],
    median: Option<String>,
}

pub fn render_admin_home(
    nav: &Nav,
    provider_name: &str,
    rows: &[AdminProjectRow],
    open: &[crate::questions::StaffRow],
    median: Option<String>,
) -> Result<String, askama::Error> {
    let rows = rows
        .iter()
        .map(|r| AdminRow {
            r,
            badge: badge(r.status_label),
            percent: r.percent.map_or_else(|| "—".to_string(), |p| format!("{p}%")),
            view: view_label(r.view),
        })
        .collect();
    AdminPage { nav, provider_name, rows, open, median }.render()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: &'a Nav,
    status: u16,
    title: &'static str,
    message: &'a str,
}

pub fn render_error(nav: &Nav, status: u16, message: &str) -> Result<String, askama::Error> {
    let title = match status {
        400 => "Bad request",
        401 => "Please sign in",
        403 => "Not allowed",
        404 => "Page not found",
        405 => "Not allowed here",
        409 => "Conflict",
        429 => "Too many requests",
        500..=599 => "Something went wrong",
        _ => "Something is not right",
    };
    ErrorPage { nav, status, title, message }.render()
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    nav: &'a Nav,
    token: &'a str,
    done: bool,
}

/// The unsubscribe confirm page (`done` = false, a form posting the signed token) or its result.
pub fn render_unsubscribe(token: &str, done: bool) -> Result<String, askama::Error> {
    UnsubscribePage { nav: &Nav::None, token, done }.render()
}
