//! Server-rendered HTML pages (askama templates in `templates/`). Client pages are built only
//! from `clearhours_domain::client_view` types. No inline scripts or styles anywhere: the CSP is
//! `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:`.

use crate::charts::{self, hours_text, short_date};
use askama::Template;
use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use clearhours_domain::client_view::invoices::ClientBillingSummary;
use clearhours_domain::client_view::{ClientBudget, ClientChartPoint, ClientDashboard, ClientHours, ClientWeek};
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
}

/// What the header shows for a signed-in user.
pub struct NavHeader<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
    pub home_href: &'static str,
    pub home_label: &'static str,
    pub logout_action: &'static str,
}

impl Nav {
    pub fn header(&self) -> Option<NavHeader<'_>> {
        match self {
            Nav::None => None,
            Nav::Client { client_name, csrf, .. } => {
                Some(NavHeader { name: client_name, csrf, home_href: "/projects", home_label: "Projects", logout_action: "/logout" })
            }
            Nav::Preview { label, csrf } => {
                Some(NavHeader { name: label, csrf, home_href: "/admin", home_label: "Back to admin", logout_action: "/admin/logout" })
            }
            Nav::Staff { provider_name, csrf } => {
                Some(NavHeader { name: provider_name, csrf, home_href: "/admin", home_label: "Overview", logout_action: "/admin/logout" })
            }
        }
    }

    /// Minutes of inactivity after which the session ends (the page warns before).
    pub fn idle_minutes(&self) -> Option<i64> {
        match self {
            Nav::None => None,
            Nav::Client { idle_minutes, .. } => Some(*idle_minutes),
            Nav::Staff { .. } | Nav::Preview { .. } => Some(clearhours_storage::auth::STAFF_IDLE_MINUTES),
        }
    }

    pub fn home_href(&self) -> &'static str {
        self.header().map_or("/", |h| h.home_href)
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

/// "Nov 16, 2024".
pub(crate) fn long_date(d: NaiveDate) -> String {
    format!("{}, {}", short_date(d), d.year())
}

/// "Nov 11 – Nov 17".
fn range(from: NaiveDate, to: NaiveDate) -> String {
    format!("{} – {}", short_date(from), short_date(to))
}

/// The budget period in words: "Nov 1 – Nov 30, 2024" or "Since Nov 1, 2024".
fn period_text(start: NaiveDate, end: Option<NaiveDate>) -> String {
    match end {
        Some(e) => format!("{} – {}", short_date(start), long_date(e)),
        None => format!("Since {}", long_date(start)),
    }
}

/// An RFC 3339 timestamp as "Nov 18, 2024, 14:05 UTC" (raw text if it does not parse).
fn timestamp(s: &str) -> String {
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => {
            let t = t.naive_utc();
            format!("{}, {:02}:{:02} UTC", long_date(t.date()), t.hour(), t.minute())
        }
        Err(_) => s.to_string(),
    }
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

fn share(minutes: i64, total: i64) -> String {
    if total <= 0 {
        return "—".to_string();
    }
    let tenths = i128::from(minutes) * 1000 / i128::from(total);
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}%", tenths.abs() / 10, tenths.abs() % 10)
}

fn rows(items: &[ClientHours]) -> (Vec<Row>, String) {
    let total = items.iter().fold(0i64, |a, h| a.saturating_add(h.minutes));
    let rows = items
        .iter()
        .map(|h| Row { label: h.label.clone(), note: String::new(), hours: h.hours.to_string(), share: share(h.minutes, total) })
        .collect();
    (rows, hours_text(total))
}

/// A week's table by team member.
pub struct WeekTable {
    pub caption: String,
    pub empty: String,
    pub rows: Vec<Row>,
    pub total: String,
}

fn week_table(w: &ClientWeek, caption: String, empty: String) -> WeekTable {
    let (rows, _) = rows(&w.members);
    WeekTable { caption, empty, rows, total: w.total_hours.to_string() }
}

fn chart_rows(points: &[ClientChartPoint]) -> Vec<Row> {
    points
        .iter()
        .map(|p| Row { label: range(p.week_start, p.week_end), note: String::new(), hours: p.hours.to_string(), share: String::new() })
        .collect()
}

/// Budget figures in words. Totals only, never rates.
pub struct BudgetView {
    pub used: String,
    pub detail: Vec<String>,
}

fn budget_view(b: &ClientBudget) -> BudgetView {
    let used = match b.percent {
        Some(p) => format!("{p}%"),
        None => format!("{} h", b.hours_used),
    };
    let mut detail = Vec::new();
    if let Some(a) = b.hours_allocated {
        detail.push(format!("{} h used of {} h", b.hours_used, a));
    }
    if let Some(r) = b.hours_remaining {
        if r.is_sign_negative() && !r.is_zero() {
            detail.push(format!("Over by {} h", r.abs()));
        } else {
            detail.push(format!("{r} h remaining"));
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
    pub percent: Option<Decimal>,
    pub monthly: bool,
    pub period: String,
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
            let badge = badge(d.status_label);
            let percent = d.budget.as_ref().and_then(|b| b.percent);
            Card {
                d,
                progress: charts::progress_bar(percent, badge.class),
                badge,
                percent,
                monthly: is_monthly(d),
                period: period_text(d.period_start, d.period_end),
            }
        })
        .collect();
    PortfolioPage { nav, cards, billing: billing_line(billing) }.render()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    nav: &'a Nav,
    d: &'a ClientDashboard,
    badge: Badge,
    monthly: bool,
    period: String,
    today: String,
    as_of: Option<(&'a str, String)>,
    this_week_dates: Option<String>,
    last_week_dates: String,
    budget: Option<BudgetView>,
    progress: String,
    run_out: String,
    projection_alert: bool,
    week_table: WeekTable,
    weekly_svg: String,
    weekly_rows: Vec<Row>,
    burn_svg: String,
    burn_rows: Vec<Row>,
    breakdowns: [Breakdown; 3],
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

pub fn render_dashboard(nav: &Nav, d: &ClientDashboard, billing: Option<&ClientBillingSummary>) -> Result<String, askama::Error> {
    let badge = badge(d.status_label);
    let p = &d.projection;
    let run_out = match (p.kind, p.run_out_date) {
        ("over_budget", _) => "Over budget".to_string(),
        (_, Some(date)) => long_date(date),
        _ => "—".to_string(),
    };
    let week_table = match &d.this_week {
        Some(w) => {
            let dates = range(w.start, w.end);
            week_table(w, format!("This week so far ({dates})"), format!("No hours recorded this week ({dates}) yet."))
        }
        None => {
            let dates = range(d.last_week.start, d.last_week.end);
            week_table(
                &d.last_week,
                format!("Last week ({dates}). This project shows completed weeks only."),
                format!("No hours recorded last week ({dates}). This project shows completed weeks only."),
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
            hours: t.hours.to_string(),
            share: share(t.minutes, task_total),
        })
        .collect();
    let burn_rows = d
        .burn_up
        .points
        .iter()
        .map(|p| Row {
            label: format!("Through {}", long_date(p.week_end.min(d.today))),
            note: String::new(),
            hours: p.hours.to_string(),
            share: String::new(),
        })
        .collect();
    DashboardPage {
        nav,
        d,
        monthly: is_monthly(d),
        period: period_text(d.period_start, d.period_end),
        today: long_date(d.today),
        // Weekly summary: the data cover complete weeks (as_of is the last one's end).
        as_of: d.as_of.as_deref().map(|s| match d.view {
            ViewMode::WeeklySummary => (s, format!("the end of {}", long_date(d.last_week.end))),
            ViewMode::RealTime => (s, timestamp(s)),
        }),
        this_week_dates: d.this_week.as_ref().map(|w| range(w.start, w.end)),
        last_week_dates: range(d.last_week.start, d.last_week.end),
        budget: d.budget.as_ref().map(budget_view),
        progress: charts::progress_bar(d.budget.as_ref().and_then(|b| b.percent), badge.class),
        badge,
        run_out,
        projection_alert: p.kind == "over_budget" || p.lasts_until_end == Some(false),
        week_table,
        weekly_svg: charts::weekly_bars(&d.weekly, "Hours per week, last 12 weeks"),
        weekly_rows: chart_rows(&d.weekly),
        burn_svg: charts::burn_up(&d.burn_up, "Cumulative hours against the budget"),
        burn_rows,
        breakdowns: [
            breakdown("By phase", "Phase", rows(&d.by_phase)),
            breakdown("By task", "Task", (by_task, hours_text(task_total))),
            breakdown("By team member", "Team member", rows(&d.by_member)),
        ],
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
}

pub fn render_admin_home(nav: &Nav, provider_name: &str, rows: &[AdminProjectRow]) -> Result<String, askama::Error> {
    let rows = rows
        .iter()
        .map(|r| AdminRow {
            r,
            badge: badge(r.status_label),
            percent: r.percent.map_or_else(|| "—".to_string(), |p| format!("{p}%")),
            view: view_label(r.view),
        })
        .collect();
    AdminPage { nav, provider_name, rows }.render()
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
