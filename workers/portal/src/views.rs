//! Client pages, the client JSON API and the staff overview. Each client figure is computed by
//! `figures::compute` and shown only through `client_view::project_dashboard`, so the page and
//! the API cannot disagree.

use crate::auth::{self, ContactCtx};
use crate::pages::{self, AdminProjectRow, Nav};
use crate::{html, redirect};
use chrono::{DateTime, Utc};
use clearhours_domain::client_view::ClientDashboard;
use clearhours_domain::ids::ProjectId;
use clearhours_domain::money::hours;
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::kv::{view_key, View, ViewCache};
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
    clearhours_http::dashboards::for_scope(db, scope, now, only).await
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

/// Stands in for the session's CSRF token in a cached page (pages are shared by the contacts
/// of a client; the token is per session and put in on the way out). Letters only, so HTML
/// escaping leaves it as it is.
const CSRF_SLOT: &str = "chCsrfSlotXq";

/// The view cache; off in dev mode for a request with `x-clearhours-cache: bypass` (the load
/// benchmark's uncached half).
pub(crate) fn cache(env: &Env, req: &Request) -> ViewCache {
    #[cfg(feature = "dev")]
    if clearhours_http::dev_mode(env) && req.headers().get("x-clearhours-cache").ok().flatten().as_deref() == Some("bypass") {
        return ViewCache::new(None);
    }
    let _ = req;
    ViewCache::new(env.kv("KV").ok())
}

/// The client's local date (part of every cache key: figures depend on "today").
fn today(ctx: &ContactCtx) -> chrono::NaiveDate {
    ctx.scope.settings().calendar.today(ctx.now)
}

/// The header for a page that may be cached: the CSRF token is a slot filled per response.
pub(crate) fn slot_nav(ctx: &ContactCtx) -> Nav {
    Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: CSRF_SLOT.to_string(), idle_minutes: ctx.idle_minutes }
}

/// A page from the cache or just rendered: the session's CSRF token put in, and (dev builds)
/// `x-clearhours-cache: hit|miss` for the tests and the load benchmark.
pub(crate) fn cached_page(ctx: &ContactCtx, body: &str, hit: bool) -> ApiResult<Response> {
    let r = html(200, body.replace(CSRF_SLOT, &ctx.csrf))?;
    mark(r, hit)
}

#[allow(unused_mut, unused_variables)]
pub(crate) fn mark(mut r: Response, hit: bool) -> ApiResult<Response> {
    #[cfg(feature = "dev")]
    r.headers_mut().set("x-clearhours-cache", if hit { "hit" } else { "miss" })?;
    Ok(r)
}

fn cached_json(body: String, hit: bool) -> ApiResult<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", "application/json; charset=utf-8")?;
    mark(r, hit)
}

pub async fn portfolio_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let key = view_key(&ctx.scope, today(&ctx), View::PortfolioPage { idle: ctx.idle_minutes });
    let cache = cache(env, req);
    // A hit is logged exactly as a miss is (written after the response).
    if let Some(body) = cache.get(&key).await {
        ctx.log("view_projects", "", "success").await?;
        return cached_page(&ctx, &body, true);
    }
    let dashboards = dashboards(&ctx, None).await?;
    let billing = crate::billing::summary_for(&ctx).await?;
    ctx.log("view_projects", "", "success").await?;
    let body = pages::render_portfolio(&slot_nav(&ctx), &dashboards, billing.as_ref()).map_err(ApiError::internal)?;
    let r = cached_page(&ctx, &body, false);
    cache.defer(key, body);
    r
}

pub async fn dashboard_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let pid = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let key = view_key(&ctx.scope, today(&ctx), View::DashboardPage { project: pid.as_str(), idle: ctx.idle_minutes });
    let cache = cache(env, req);
    if let Some(body) = cache.get(&key).await {
        ctx.log("view_project", pid.as_str(), "success").await?;
        return cached_page(&ctx, &body, true);
    }
    let d = one_dashboard(&ctx, id).await?;
    ctx.log("view_project", d.project_id.as_str(), "success").await?;
    let billing = crate::billing::summary_for(&ctx).await?;
    let open_questions = crate::questions::open_count(&ctx, d.project_id.as_str()).await?;
    let body = pages::render_dashboard(&slot_nav(&ctx), &d, billing.as_ref(), Some(open_questions)).map_err(ApiError::internal)?;
    let r = cached_page(&ctx, &body, false);
    cache.defer(key, body);
    r
}

pub async fn projects_api(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let key = view_key(&ctx.scope, today(&ctx), View::PortfolioApi);
    let cache = cache(env, req);
    if let Some(body) = cache.get(&key).await {
        ctx.log("api_projects", "", "success").await?;
        return cached_json(body, true);
    }
    let dashboards = dashboards(&ctx, None).await?;
    ctx.log("api_projects", "", "success").await?;
    let body = serde_json::to_string(&serde_json::json!({ "projects": dashboards })).map_err(ApiError::internal)?;
    cache.defer(key, body.clone());
    cached_json(body, false)
}

pub async fn dashboard_api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let pid = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let key = view_key(&ctx.scope, today(&ctx), View::DashboardApi { project: pid.as_str() });
    let cache = cache(env, req);
    if let Some(body) = cache.get(&key).await {
        ctx.log("api_dashboard", pid.as_str(), "success").await?;
        return cached_json(body, true);
    }
    let d = one_dashboard(&ctx, id).await?;
    ctx.log("api_dashboard", d.project_id.as_str(), "success").await?;
    let body = serde_json::to_string(&d).map_err(ApiError::internal)?;
    cache.defer(key, body.clone());
    cached_json(body, false)
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
