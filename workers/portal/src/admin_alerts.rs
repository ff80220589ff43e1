//! The admin alerts page: where the provider's alerts go (a Slack webhook, stored sealed and
//! never shown again; an alert address), what was sent, and what failed — with the endpoint's
//! error and a "retry" button for a row that stopped.
//!
//! - GET `/admin/alerts`
//! - POST `/admin/alerts/settings` (Slack webhook, alert e-mail)
//! - POST `/admin/alerts/projects` (a project's own webhook and address, instead of the provider's)
//! - POST `/admin/alerts/{id}/retry`

use crate::pages::Nav;
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::alerts::{self, AlertSettings, OutboxItem};
use worker::{Env, Method, Request, Response};

#[derive(Template)]
#[template(path = "admin_alerts.html")]
struct AlertsPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    settings: &'a AlertSettings,
    rows: &'a [OutboxItem],
    projects: &'a [alerts::ProjectChannels],
    /// Projects with channels of their own.
    overrides: usize,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

pub async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let segs = clearhours_http::segments(&req);
    match (req.method(), segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
        (Method::Get, ["admin", "alerts"]) => page(&req, env).await,
        (Method::Post, ["admin", "alerts", "settings"]) => save_settings(req, env).await,
        (Method::Post, ["admin", "alerts", "projects"]) => save_project(req, env).await,
        (Method::Post, ["admin", "alerts", id, "retry"]) => retry(req, env, id).await,
        (Method::Get | Method::Post, _) => Err(ApiError::not_found()),
        _ => Err(ApiError::method_not_allowed()),
    }
}

async fn render(ctx: &crate::auth::StaffCtx, notice: Option<&str>, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let settings = alerts::settings(&ctx.db, &ctx.scope).await?;
    let rows = alerts::recent(&ctx.db, &ctx.scope).await?;
    let projects = alerts::project_channels(&ctx.db, &ctx.scope).await?;
    let overrides = projects.iter().filter(|p| p.slack != 0 || p.alert_email.is_some()).count();
    let nav = nav(ctx).await?;
    let body = AlertsPage { nav: &nav, csrf: &ctx.csrf, settings: &settings, rows: &rows, projects: &projects, overrides, notice, error }
        .render()
        .map_err(ApiError::internal)?;
    html(status, body)
}

async fn page(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let done = req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "done").map(|(_, v)| v.to_string()));
    let notice = match done.as_deref() {
        Some("saved") => Some("Saved."),
        Some("retry") => Some("The alert will be sent again on the next run."),
        _ => None,
    };
    render(&ctx, notice, None, 200).await
}

/// A Slack incoming-webhook URL: https, or plain http to this machine (the local capture server).
fn valid_webhook(url: &str) -> bool {
    let Ok(u) = worker::Url::parse(url) else { return false };
    match u.scheme() {
        "https" => u.host_str().is_some(),
        "http" => matches!(u.host_str(), Some("127.0.0.1" | "localhost")),
        _ => false,
    }
}

fn valid_email(a: &str) -> bool {
    let mut parts = a.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && a.len() <= 254
        && !a.chars().any(|c| c.is_whitespace() || c.is_control())
}

async fn save_settings(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let url = field(&form, "slack_webhook_url").trim().to_string();
    let remove = field(&form, "remove_slack") == "1";
    let email = field(&form, "alert_email").trim().to_string();
    if !url.is_empty() && !valid_webhook(&url) {
        return render(&ctx, None, Some("Not saved: the Slack webhook must be an https:// URL."), 400).await;
    }
    if !email.is_empty() && !valid_email(&email) {
        return render(&ctx, None, Some("Not saved: the alert e-mail is not an e-mail address."), 400).await;
    }
    let slack = if remove {
        Some("")
    } else if url.is_empty() {
        None
    } else {
        Some(url.as_str())
    };
    alerts::save_settings(&ctx.db, &ctx.scope, slack, &email).await?;
    // The log names what changed, never the webhook itself (it is a secret).
    let what = format!(
        "slack={} email={}",
        match slack {
            Some("") => "removed",
            Some(_) => "replaced",
            None => "kept",
        },
        if email.is_empty() { "none" } else { "set" }
    );
    log(&ctx, &req, None, "admin_alert_settings", &what).await?;
    redirect("/admin/alerts?done=saved")
}

/// POST /admin/alerts/projects — a project's own Slack webhook (sealed, write-only) and alert
/// address, used instead of the provider's for that project's alerts and notes.
async fn save_project(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let project = field(&form, "project_id");
    let url = field(&form, "slack_webhook_url").trim().to_string();
    let email = field(&form, "alert_email").trim().to_string();
    if !url.is_empty() && !valid_webhook(&url) {
        return render(&ctx, None, Some("Not saved: the project's Slack webhook must be an https:// URL."), 400).await;
    }
    if !email.is_empty() && !valid_email(&email) {
        return render(&ctx, None, Some("Not saved: the project's alert e-mail is not an e-mail address."), 400).await;
    }
    let slack = if field(&form, "remove_slack") == "1" {
        Some("")
    } else if url.is_empty() {
        None
    } else {
        Some(url.as_str())
    };
    if clearhours_domain::ids::ProjectId::parse(&project).is_err()
        || !alerts::save_project_channels(&ctx.db, &ctx.scope, &project, slack, &email).await?
    {
        return render(&ctx, None, Some("Not saved: choose one of your projects."), 400).await;
    }
    let what = format!(
        "project={project} slack={} email={}",
        match slack {
            Some("") => "provider's",
            Some(_) => "replaced",
            None => "kept",
        },
        if email.is_empty() { "provider's" } else { "set" }
    );
    log(&ctx, &req, None, "admin_project_alert_channels", &what).await?;
    redirect("/admin/alerts?done=saved")
}

async fn retry(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    staff_form(&mut req, &ctx).await?;
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    if !alerts::retry(&ctx.db, &ctx.scope, id).await? {
        return render(&ctx, None, Some("That alert is not waiting for a retry (it was sent, or is already queued)."), 409).await;
    }
    log(&ctx, &req, None, "admin_alert_retry", &id.to_string()).await?;
    redirect("/admin/alerts?done=retry")
}
