//! The access log as pages: the provider browses and filters its log and verifies the chain;
//! a client contact sees their own organisation's portal access.

use crate::auth;
use crate::pages::Nav;
use crate::{html, redirect};
use askama::Template;
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::access_log::{self, LogFilter, LogRow};
use clearhours_storage::provider::provider_name;
use worker::{Env, Request, Response};

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    nav: &'a Nav,
    f: &'a LogFilter,
    rows: &'a [LogRow],
    filtered: bool,
    show_client: bool,
    older: Option<String>,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage<'a> {
    nav: &'a Nav,
    rows: &'a [LogRow],
    filtered: bool,
    show_client: bool,
    older: Option<String>,
}

fn query(req: &Request, key: &str) -> String {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.chars().take(100).collect())).unwrap_or_default()
}

/// GET /admin/audit
pub async fn audit_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return redirect("/admin/login") };
    let f = LogFilter {
        client_id: query(req, "client"),
        actor_id: query(req, "actor"),
        action: query(req, "action"),
        from: query(req, "from"),
        to: query(req, "to"),
        before: query(req, "before").parse().unwrap_or(0),
    };
    let rows = access_log::browse(&ctx.db, &ctx.scope, &f).await?;
    let older = (rows.len() == 100).then(|| {
        let last = rows.last().map_or(0, |r| r.seq);
        format!("/admin/audit?client={}&actor={}&action={}&from={}&to={}&before={last}", f.client_id, f.actor_id, f.action, f.from, f.to)
    });
    let nav = Nav::Staff { provider_name: provider_name(&ctx.db, &ctx.scope).await?, csrf: ctx.csrf.clone() };
    let filtered = !(f.client_id.is_empty() && f.actor_id.is_empty() && f.action.is_empty() && f.from.is_empty() && f.to.is_empty());
    let body = AuditPage { nav: &nav, f: &f, rows: &rows, filtered, show_client: true, older }.render().map_err(ApiError::internal)?;
    html(200, body)
}

/// GET /admin/audit/verify — recomputes the chain and reports the first broken link.
pub async fn verify(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return Err(ApiError::unauthorized("sign in first")) };
    Ok(json(200, &access_log::verify(&ctx.db).await?))
}

/// GET /activity and /api/v1/activity — the contact's own organisation's portal access.
pub async fn activity(req: &Request, env: &Env, api: bool) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else {
        return if api { Err(ApiError::unauthorized("sign in first")) } else { redirect("/login") };
    };
    let before = query(req, "before").parse().unwrap_or(0);
    let rows = access_log::client_activity(&ctx.db, &ctx.scope, before).await?;
    ctx.log("view_activity", "", "success").await?;
    if api {
        return Ok(json(200, &serde_json::json!({ "activity": rows })));
    }
    let older = (rows.len() == 100).then(|| format!("/activity?before={}", rows.last().map_or(0, |r| r.seq)));
    let nav = Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes };
    let body = ActivityPage { nav: &nav, rows: &rows, filtered: false, show_client: false, older }.render().map_err(ApiError::internal)?;
    html(200, body)
}
