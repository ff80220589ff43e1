//! Client time entries, one week at a time: the page and the JSON API from one function, so they
//! cannot disagree. What a client sees is decided only by `client_view::entries::project_entries`
//! (see its module docs); this module parses the request, loads, renders and logs.
//!
//! `?week=YYYY-MM-DD` picks the week containing that date (snapped to the client's first day of
//! the week). Without it: the current week in real time, the last complete week in weekly
//! summary. In weekly summary an incomplete week is withheld: the page says so, the API answers
//! 200 with `"withheld": true`, `"complete": false` and empty `rows`. A bad `week` is a 400; a
//! project the contact may not see is a 404.

use crate::auth::{self, ContactCtx};
use crate::charts::short_date;
use crate::pages::Nav;
use crate::{html, redirect};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use clearhours_domain::client_view::entries::{default_week, project_entries, ClientEntries};
use clearhours_domain::client_view::ClientContext;
use clearhours_domain::ids::ProjectId;
use clearhours_domain::settings::{DescriptionMode, ViewMode};
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::entries as store;
use worker::{Env, Request, Response};

/// One week of one project, as the client may see it.
struct Loaded {
    project_id: ProjectId,
    project_name: String,
    /// The week shown when none is asked for (for the "latest week" link).
    default_start: NaiveDate,
    entries: ClientEntries,
}

/// `?week=`: absent or empty means the default week; anything but a date is a 400.
fn requested_date(req: &Request) -> ApiResult<Option<NaiveDate>> {
    let url = req.url().map_err(|_| ApiError::bad_request("the URL could not be read"))?;
    let Some((_, v)) = url.query_pairs().find(|(k, _)| k == "week") else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if v.len() == 10 => Ok(Some(d)),
        _ => Err(ApiError::bad_request("week must be a date written YYYY-MM-DD, such as 2026-11-23")),
    }
}

async fn load(ctx: &ContactCtx, id: &str, asked: Option<NaiveDate>, action: &str) -> ApiResult<Loaded> {
    let id = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let settings = ctx.scope.settings();
    let calendar = settings.calendar;
    let today = calendar.today(ctx.now);
    let default = default_week(settings.visibility.view, &calendar, today);
    let week = asked.map_or(default, |d| calendar.week_of(d));
    let Some(data) = store::week_entries(&ctx.db, &ctx.scope, &id, week.start, week.end()).await? else {
        ctx.log(action, id.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let cx = ClientContext {
        visibility: settings.visibility,
        currency: settings.currency,
        members: &data.catalogue.members,
        tasks: &data.catalogue.tasks,
        phases: &data.catalogue.phases,
    };
    let entries = project_entries(&cx, week, today, &data.entries);
    ctx.log(action, data.project_id.as_str(), "success").await?;
    Ok(Loaded { project_id: data.project_id, project_name: data.project_name, default_start: default.start, entries })
}

pub async fn entries_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let asked = requested_date(req)?;
    let loaded = load(&ctx, id, asked, "view_entries").await?;
    let nav = Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes };
    let body = render(&nav, &loaded).map_err(ApiError::internal)?;
    html(200, body)
}

pub async fn entries_api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let asked = requested_date(req)?;
    let loaded = load(&ctx, id, asked, "api_entries").await?;
    Ok(json(200, &loaded.entries))
}

/// A table row, formatted.
struct PageRow {
    date_iso: String,
    date: String,
    member: String,
    task: String,
    phase: String,
    description: String,
    non_billable: bool,
    hours: String,
    rate: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "entries.html")]
struct EntriesPage<'a> {
    nav: &'a Nav,
    project_id: &'a str,
    project_name: &'a str,
    e: &'a ClientEntries,
    range: String,
    today: String,
    previous_href: String,
    next_href: Option<String>,
    /// The default week's link, when another week is shown.
    latest_href: Option<String>,
    current_week: bool,
    summarised: bool,
    weekly_summary: bool,
    rows: Vec<PageRow>,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "Mon, Nov 23".
fn day(d: NaiveDate) -> String {
    let w = WEEKDAYS.get(d.weekday().num_days_from_monday() as usize).copied().unwrap_or("");
    format!("{w}, {}", short_date(d))
}

fn render(nav: &Nav, l: &Loaded) -> Result<String, askama::Error> {
    let e = &l.entries;
    let href = |d: NaiveDate| format!("/projects/{}/entries?week={d}", l.project_id);
    let rows = e
        .rows
        .iter()
        .map(|r| PageRow {
            date_iso: r.date.to_string(),
            date: day(r.date),
            member: r.member.clone(),
            task: r.task.clone(),
            phase: r.phase.clone(),
            description: if r.description.trim().is_empty() { "—".to_string() } else { r.description.clone() },
            non_billable: !r.billable,
            hours: r.hours.to_string(),
            rate: r.rate.as_ref().map_or_else(|| "—".to_string(), ToString::to_string),
            amount: r.amount.as_ref().map(ToString::to_string).unwrap_or_default(),
        })
        .collect();
    EntriesPage {
        nav,
        project_id: l.project_id.as_str(),
        project_name: &l.project_name,
        e,
        range: format!("{} – {}, {}", day(e.week_start), day(e.week_end), e.week_end.year()),
        today: format!("{}, {}", short_date(e.today), e.today.year()),
        previous_href: href(e.previous_week),
        next_href: e.next_week.map(href),
        latest_href: (e.week_start != l.default_start).then(|| format!("/projects/{}/entries", l.project_id)),
        current_week: e.week_start <= e.today && e.today <= e.week_end,
        summarised: e.descriptions == DescriptionMode::Summarised,
        weekly_summary: e.view == ViewMode::WeeklySummary,
        rows,
    }
    .render()
}
