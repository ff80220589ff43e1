//! Client pages, the client JSON API and the staff overview. Each client figure is computed by
//! `figures::compute` and shown only through `client_view::project_dashboard`, so the page and
//! the API cannot disagree.

use crate::auth::{self, ContactCtx};
use crate::pages::{self, AdminProjectRow, Nav};
use crate::{html, redirect};
use chrono::{DateTime, Utc};
use clearhours_domain::client_view::{project_dashboard, project_notes, ClientContext, ClientDashboard};
use clearhours_domain::figures::{self, FigureInputs};
use clearhours_domain::ids::ProjectId;
use clearhours_domain::money::hours;
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::dashboard::{self as store, ProjectData};
use clearhours_storage::scope::ClientScope;
use clearhours_storage::Db;
use worker::{Env, Request, Response};

pub async fn home(req: &Request, env: &Env) -> ApiResult<Response> {
    if auth::contact(req, env).await?.is_some() {
        redirect("/projects")
    } else if auth::staff(req, env).await?.is_some() {
        redirect("/admin")
    } else {
        redirect("/login")
    }
}

async fn dashboards(ctx: &ContactCtx, only: Option<&ProjectId>) -> ApiResult<Vec<ClientDashboard>> {
    dashboards_for(&ctx.db, &ctx.scope, ctx.now, only).await
}

/// Dashboards of the projects a scope may see (all, or only `only`), from one D1 round trip.
/// Also serves the staff's "view as client" preview, with a scope built for that contact.
pub(crate) async fn dashboards_for(
    db: &Db,
    scope: &ClientScope,
    now: DateTime<Utc>,
    only: Option<&ProjectId>,
) -> ApiResult<Vec<ClientDashboard>> {
    let settings = scope.settings();
    let calendar = settings.calendar;
    let today = calendar.today(now);
    let (projects, catalogue) = store::load_visible(db, scope, only, figures::window_start(&calendar, today), today).await?;
    let cx = ClientContext {
        visibility: settings.visibility,
        currency: settings.currency,
        locale: settings.locale,
        time_zone: calendar.tz,
        members: &catalogue.members,
        tasks: &catalogue.tasks,
        phases: &catalogue.phases,
    };
    Ok(projects
        .into_iter()
        .map(|ProjectData { project, as_of, rollups: r, notes }| {
            let f = figures::compute(&FigureInputs {
                project: &project,
                calendar: &calendar,
                today,
                view: settings.visibility.view,
                show_non_billable: settings.visibility.shows_non_billable(),
                all_weeks: &r.all_weeks,
                recent: &r.recent,
                totals: &r.totals,
                future: &r.future,
            });
            let mut d = project_dashboard(&cx, &project, &f, as_of);
            d.notes = project_notes(&notes, &project.id, settings.visibility.view, calendar.week_of(today).start);
            d
        })
        .collect())
}

/// The dashboard of `id` if this contact may see it; 404 otherwise (never 403: no hint that
/// another client's project exists).
async fn one_dashboard(ctx: &ContactCtx, id: &str) -> ApiResult<ClientDashboard> {
    let id = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    match dashboards(ctx, Some(&id)).await?.into_iter().next() {
        Some(mut d) => {
            crate::budget::with_steps(&ctx.db, &ctx.scope, &mut d).await?;
            Ok(d)
        }
        None => {
            ctx.log("view_project", id.as_str(), "not_found").await?;
            Err(ApiError::not_found())
        }
    }
}

pub(crate) fn nav(ctx: &ContactCtx) -> Nav {
    Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes }
}

pub async fn portfolio_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let dashboards = dashboards(&ctx, None).await?;
    let billing = crate::billing::summary_for(&ctx).await?;
    ctx.log("view_projects", "", "success").await?;
    let body = pages::render_portfolio(&nav(&ctx), &dashboards, billing.as_ref()).map_err(ApiError::internal)?;
    html(200, body)
}

pub async fn dashboard_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let d = one_dashboard(&ctx, id).await?;
    ctx.log("view_project", d.project_id.as_str(), "success").await?;
    let billing = crate::billing::summary_for(&ctx).await?;
    let open_questions = crate::questions::open_count(&ctx, d.project_id.as_str()).await?;
    let body = pages::render_dashboard(&nav(&ctx), &d, billing.as_ref(), Some(open_questions)).map_err(ApiError::internal)?;
    html(200, body)
}

pub async fn projects_api(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let dashboards = dashboards(&ctx, None).await?;
    ctx.log("api_projects", "", "success").await?;
    Ok(json(200, &serde_json::json!({ "projects": dashboards })))
}

pub async fn dashboard_api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let d = one_dashboard(&ctx, id).await?;
    ctx.log("api_dashboard", d.project_id.as_str(), "success").await?;
    Ok(json(200, &d))
}

/// The staff overview: every active project, real time, all hours (the provider's own view).
pub async fn admin_home(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return redirect("/admin/login") };
    let now = ctx.now;
    let projects = clearhours_storage::provider::provider_projects(&ctx.db, &ctx.scope, false, now).await?;
    let provider_name = clearhours_storage::provider::provider_name(&ctx.db, &ctx.scope).await?;
    let rows = projects
        .iter()
        .map(|pp| {
            let f = pp.figures(now);
            AdminProjectRow {
                client_id: pp.project.client_id.to_string(),
                client_name: pp.client_name.clone(),
                project_id: pp.project.id.to_string(),
                project_name: pp.project.name.clone(),
                status_label: f.status.map(|s| s.label()),
                percent: f.budget.as_ref().and_then(|b| b.percent()),
                to_date_hours: hours(f.to_date_minutes, 2),
                this_week_hours: hours(f.this_week.as_ref().map_or(0, |w| w.total_minutes), 2),
                view: pp.view.as_str(),
            }
        })
        .collect::<Vec<_>>();
    let nav = Nav::Staff { provider_name: provider_name.clone(), csrf: ctx.csrf.clone() };
    let (open, _, median) = crate::questions::staff_summary(&ctx).await?;
    let body = pages::render_admin_home(&nav, &provider_name, &rows, &open, median).map_err(ApiError::internal)?;
    html(200, body)
}
