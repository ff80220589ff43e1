//! Weekly sign-off (issue 15; per client, off by default). An approver contact approves a
//! completed week of a project's timesheet — the rows and totals exactly as they see them
//! (`entries::week_as_seen`), hashed with SHA-256 (`client_view::signoff::lines_hash`) — or
//! flags it with a question (the week's ask form). The approval is in the access log and shown
//! on invoices covering the week. A later change to an approved week marks it "changed since
//! approval" in the transaction of the change (triggers, migration 0020), shown on both sides.
//!
//! Client routes: GET `/projects/{id}/weeks`, GET `/api/v1/projects/{id}/weeks`, POST
//! `/projects/{id}/weeks/{week_start}/approve`. Staff: GET `/admin/signoffs`, POST
//! `/admin/clients/{id}/signoff` (turn it on or off).

use crate::auth::{self, ContactCtx};
use crate::pages::Nav;
use crate::questions::{client_nav, contact_form, contact_may, log_now, staff_may};
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use chrono::NaiveDate;
use clearhours_domain::client_view::signoff::{lines_hash, project_signoffs, signoff, ClientSignoff};
use clearhours_domain::client_view::MoneyPolicy;
use clearhours_domain::ids::{ClientId, ProjectId};
use clearhours_domain::roles::{allows, Action, Actor, ClientRole};
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::scope::ClientScope;
use clearhours_storage::signoff as store;
use worker::{Env, Request, Response};

/// Complete weeks shown on the sign-off page.
const WEEKS: i64 = 8;

fn pay(scope: &ClientScope) -> MoneyPolicy {
    let s = scope.settings();
    MoneyPolicy::of(&s.visibility, s.currency).in_locale(s.locale)
}

/// The last complete weeks (newest first) and their states.
async fn weeks(ctx: &ContactCtx, project: &ProjectId, project_name: &str) -> ApiResult<Vec<ClientSignoff>> {
    let cal = ctx.scope.settings().calendar;
    let this_week = cal.week_of(cal.today(ctx.now));
    let mut out = Vec::new();
    let mut w = this_week.previous();
    for _ in 0..WEEKS {
        out.push((w.start, w.end()));
        w = w.previous();
    }
    let (from, to) = (out.last().map_or(this_week.start, |x| x.0), this_week.start);
    let records = store::client_signoffs(&ctx.db, &ctx.scope, Some(project), from, to).await?;
    Ok(project_signoffs(project.as_str(), project_name, &out, &records, &pay(&ctx.scope)))
}

#[derive(Template)]
#[template(path = "signoff.html")]
struct Page<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    project_id: &'a str,
    project_name: &'a str,
    enabled: bool,
    approver: bool,
    weeks: &'a [ClientSignoff],
    error: Option<&'a str>,
}

fn approver(ctx: &ContactCtx) -> bool {
    allows(Actor::Contact(ClientRole::from(ctx.scope.role())), Action::SignOffWeek)
}

/// GET /projects/{id}/weeks
pub async fn page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let Some((project_name, _)) = crate::questions::load(&ctx, &project).await? else {
        ctx.log("view_signoff", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let weeks = weeks(&ctx, &project, &project_name).await?;
    let enabled = store::enabled(&ctx.db, &ctx.scope).await?;
    let body = Page {
        nav: &client_nav(&ctx),
        csrf: &ctx.csrf,
        project_id: project.as_str(),
        project_name: &project_name,
        enabled,
        approver: approver(&ctx),
        weeks: &weeks,
        error: None,
    }
    .render()
    .map_err(ApiError::internal)?;
    ctx.log("view_signoff", project.as_str(), "success").await?;
    html(200, body)
}

/// GET /api/v1/projects/{id}/weeks
pub async fn api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let Some((project_name, _)) = crate::questions::load(&ctx, &project).await? else {
        ctx.log("api_signoff", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let weeks = weeks(&ctx, &project, &project_name).await?;
    let enabled = store::enabled(&ctx.db, &ctx.scope).await?;
    ctx.log("api_signoff", project.as_str(), "success").await?;
    Ok(json(200, &serde_json::json!({ "enabled": enabled, "weeks": weeks })))
}

/// POST /projects/{id}/weeks/{week_start}/approve
pub async fn approve(mut req: Request, env: &Env, id: &str, week: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(&req, env).await? else { return redirect("/login") };
    let _form = contact_form(&mut req, &ctx).await?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let target = format!("{project}/{week}");
    contact_may(&ctx, Action::SignOffWeek, "approve_week", &target).await?;
    if !store::enabled(&ctx.db, &ctx.scope).await? {
        log_now(&ctx, "approve_week", &target, "refused").await?;
        return Err(ApiError::forbidden("weekly sign-off is not on for your account"));
    }
    let start =
        NaiveDate::parse_from_str(week, "%Y-%m-%d").map_err(|_| ApiError::bad_request("the week must be a date written YYYY-MM-DD"))?;
    let cal = ctx.scope.settings().calendar;
    let w = cal.week_of(start);
    if w.start != start {
        return Err(ApiError::bad_request("that date is not the first day of one of your weeks"));
    }
    let today = cal.today(ctx.now);
    if w.end() >= today {
        log_now(&ctx, "approve_week", &target, "refused").await?;
        return Err(ApiError::bad_request("only a completed week can be approved"));
    }
    let Some((rows, ts, amount)) = crate::entries::week_as_seen(&ctx.db, &ctx.scope, &project, (w.start, w.end()), today).await? else {
        log_now(&ctx, "approve_week", &target, "not_found").await?;
        return Err(ApiError::not_found());
    };
    if ts.withheld {
        return Err(ApiError::bad_request("that week is not shown yet"));
    }
    let hash = lines_hash(&rows, &ts.totals);
    // The amount seen (the totals' amount), stored only when the contact saw amounts.
    let amount_minor = ts.rates_shown.then_some(amount);
    let a = store::Approval {
        week_start: w.start,
        week_end: w.end(),
        minutes: ts.totals.minutes,
        billable_minutes: ts.totals.billable_minutes,
        rows: ts.totals.rows,
        amount_minor,
        lines_hash: &hash,
    };
    let Some(sid) = store::approve(&ctx.db, &ctx.scope, &project, &a, ctx.now).await? else {
        log_now(&ctx, "approve_week", &target, "not_found").await?;
        return Err(ApiError::not_found());
    };
    log_now(&ctx, "approve_week", &format!("{target} {sid} sha256:{hash}"), "success").await?;
    redirect(&format!("/projects/{project}/weeks"))
}

/// The approvals of weeks overlapping an invoice's period (the invoice page).
pub async fn for_period(ctx: &ContactCtx, from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<Vec<ClientSignoff>> {
    let Some(to) = to else { return Ok(Vec::new()) };
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(370));
    let records = store::client_signoffs(&ctx.db, &ctx.scope, None, from, to).await?;
    let pay = pay(&ctx.scope);
    Ok(records.iter().map(|r| signoff(r, &pay)).collect())
}

// ---- Staff ----

#[derive(Template)]
#[template(path = "signoff_admin.html")]
struct AdminPage<'a> {
    nav: &'a Nav,
    rows: &'a [store::StaffSignoff],
}

/// GET /admin/signoffs
pub async fn admin_list(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let rows = store::staff_signoffs(&ctx.db, &ctx.scope).await?;
    let body = AdminPage { nav: &nav(&ctx).await?, rows: &rows }.render().map_err(ApiError::internal)?;
    log(&ctx, req, None, "admin_signoffs_view", "").await?;
    html(200, body)
}

/// POST /admin/clients/{id}/signoff — `enabled` = 1 turns weekly sign-off on.
pub async fn admin_set(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let client = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    staff_may(&ctx, &req, client.as_str(), Action::ManageClient, "admin_signoff_setting", id).await?;
    let on = field(&form, "enabled") == "1";
    if !store::set_enabled(&ctx.db, &ctx.scope, &client, on).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(client.as_str()), if on { "admin_signoff_on" } else { "admin_signoff_off" }, id).await?;
    redirect(&format!("/admin/clients/{id}"))
}
