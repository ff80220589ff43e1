//! The portal worker: client pages, the client JSON API, sign-in for contacts and staff, and
//! the staff overview. Thin: routing, request parsing, rendering, wiring. The numbers come from
//! `clearhours_domain::figures`, what a client may see from `clearhours_domain::client_view`.
//!
//! Routes (GET unless noted):
//! - `/` → `/projects` or `/login`; `/healthz`; `/static/app.css`, `/static/app.js`
//! - `/login` (+POST), POST `/logout`; `/admin/login` (+POST), POST `/admin/logout`
//! - `/projects` (portfolio), `/projects/{id}` (dashboard)
//! - `/api/v1/projects`, `/api/v1/projects/{id}/dashboard` (same figures and privacy as pages)
//! - `/admin` (staff overview), `/admin/clients/{id}` (visibility, portal accounts; POSTs under
//!   it), `/admin/contacts/{id}/{invite|revoke|disable|enable}` (POST),
//!   `/admin/preview/{contact}/projects[/{id}]` ("view as client"), `/admin/alerts` (+POST
//!   `settings`, `{id}/retry`)
//! - `/invite` (+POST): an invited contact sets a password
//! - `/password/forgot`, `/password/reset`, `/login/link`, `/login/link/confirm` (+POST each):
//!   e-mailed single-use links; `/mfa`, `/mfa/setup` (+POST): two-step verification
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

mod account;
mod admin;
mod admin_alerts;
mod admin_catalog;
mod admin_import;
mod admin_pages;
mod audit_views;
mod auth;
mod charts;
mod entries;
mod mfa;
mod pages;
mod qr;
mod session;
mod staff;
mod views;

use clearhours_http::{json, secure, segments, ApiError, ApiResult, Kind};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let (env, invocation) = clearhours_http::invocation(env);
    let wants_html = !req.path().starts_with("/api/");
    let (resp, kind) = match route(req, &env).await {
        Ok(r) => r,
        Err(e) if wants_html && e.status != 500 => (error_page(e.status, &e.detail), Kind::Private),
        Err(_) if wants_html => (error_page(500, "Something went wrong on our side."), Kind::Private),
        Err(e) => (e.into_response(), Kind::Private),
    };
    Ok(invocation.finish(secure(resp, kind)))
}

async fn route(req: Request, env: &Env) -> ApiResult<(Response, Kind)> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let private = |r: ApiResult<Response>| r.map(|r| (r, Kind::Private));
    match (req.method(), segs.as_slice()) {
        (Method::Get, []) => private(views::home(&req, env).await),
        (Method::Get, ["healthz"]) => Ok((json(200, &serde_json::json!({"ok": true})), Kind::Public)),
        (Method::Get, ["static", "app.css"]) => Ok((asset(include_str!("../static/app.css"), "text/css; charset=utf-8")?, Kind::Public)),
        (Method::Get, ["static", "app.js"]) => {
            Ok((asset(include_str!("../static/app.js"), "text/javascript; charset=utf-8")?, Kind::Public))
        }
        (Method::Get, ["favicon.ico"]) => Ok((favicon()?, Kind::Public)),
        (Method::Get, ["login"]) => Ok((auth::login_form(pages::LoginKind::Client, "", None)?, Kind::Private)),
        (Method::Post, ["login"]) => private(auth::login(req, env, pages::LoginKind::Client).await),
        (Method::Post, ["logout"]) => private(auth::logout(req, env, auth::Who::Contact).await),
        (Method::Get, ["admin", "login"]) => Ok((auth::login_form(pages::LoginKind::Staff, "", None)?, Kind::Private)),
        (Method::Post, ["admin", "login"]) => private(auth::login(req, env, pages::LoginKind::Staff).await),
        (Method::Post, ["admin", "logout"]) => private(auth::logout(req, env, auth::Who::Staff).await),
        (Method::Get, ["admin"]) => private(views::admin_home(&req, env).await),
        (Method::Get, ["admin", "audit"]) => private(audit_views::audit_page(&req, env).await),
        (Method::Get, ["admin", "audit", "verify"]) => private(audit_views::verify(&req, env).await),
        (Method::Get, ["activity"]) => private(audit_views::activity(&req, env, false).await),
        (Method::Get, ["api", "v1", "activity"]) => private(audit_views::activity(&req, env, true).await),
        (Method::Get, ["admin", "clients", id]) => private(admin::client_page(&req, env, id).await),
        (Method::Post, ["admin", "clients", id, "visibility"]) => private(admin::save_visibility(req, env, id).await),
        (Method::Get, ["admin", "security"]) => private(admin::security_page(&req, env).await),
        (Method::Post, ["admin", "security"]) => private(admin::save_security(req, env).await),
        (Method::Post, ["admin", "clients", id, "timeout"]) => private(admin::save_timeout(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "mfa"]) => private(admin::save_mfa(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "network"]) => private(admin::save_network(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "notes"]) => private(admin::add_note(req, env, id).await),
        (Method::Post, ["admin", "notes", id, "delete"]) => private(admin::delete_note(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "contacts"]) => private(admin::create_contact(req, env, id).await),
        (Method::Post, ["admin", "contacts", id, action @ ("invite" | "revoke" | "disable" | "enable" | "reset-mfa")]) => {
            private(admin::contact_action(req, env, id, action).await)
        }
        (Method::Get, ["admin", "preview", contact, "projects"]) => private(admin::preview(&req, env, contact, None).await),
        (Method::Get, ["admin", "preview", contact, "projects", id]) => private(admin::preview(&req, env, contact, Some(id)).await),
        (_, ["admin", "projects" | "team" | "tasks", ..]) => private(admin_catalog::route(req, env).await),
        (_, ["admin", "alerts", ..]) => private(admin_alerts::route(req, env).await),
        (_, ["admin", "integrations" | "import" | "unmapped", ..]) => private(admin_import::route(req, env).await),
        (Method::Get, ["password", "forgot"]) => private(account::page(&req, account::Form::Forgot)),
        (Method::Post, ["password", "forgot"]) => private(account::request_link(req, env, account::Form::Forgot).await),
        (Method::Get, ["password", "reset"]) => private(account::page(&req, account::Form::Reset)),
        (Method::Post, ["password", "reset"]) => private(account::use_link(req, env, account::Form::Reset).await),
        (Method::Get, ["login", "link"]) => private(account::page(&req, account::Form::LinkRequest)),
        (Method::Post, ["login", "link"]) => private(account::request_link(req, env, account::Form::LinkRequest).await),
        (Method::Get, ["login", "link", "confirm"]) => private(account::page(&req, account::Form::LinkConfirm)),
        (Method::Post, ["login", "link", "confirm"]) => private(account::use_link(req, env, account::Form::LinkConfirm).await),
        (Method::Get, ["mfa"]) => private(mfa::prompt_page(&req, env).await),
        (Method::Post, ["mfa"]) => private(mfa::verify(req, env).await),
        (Method::Get, ["mfa", "setup"]) => private(mfa::setup_form(&req, env).await),
        (Method::Post, ["mfa", "setup"]) => private(mfa::setup_confirm(req, env).await),
        (Method::Get, ["invite"]) => private(admin::invite_form(None)),
        (Method::Post, ["invite"]) => private(admin::accept_invite(req, env).await),
        (Method::Get, ["projects"]) => private(views::portfolio_page(&req, env).await),
        (Method::Get, ["projects", id]) => private(views::dashboard_page(&req, env, id).await),
        (Method::Get, ["projects", id, "entries"]) => private(entries::entries_page(&req, env, id).await),
        (Method::Get, ["api", "v1", "projects", id, "entries"]) => private(entries::entries_api(&req, env, id).await),
        (Method::Get, ["api", "v1", "projects"]) => private(views::projects_api(&req, env).await),
        (Method::Get, ["api", "v1", "projects", id, "dashboard"]) => private(views::dashboard_api(&req, env, id).await),
        (_, ["login"] | ["logout"] | ["admin", "login"] | ["admin", "logout"]) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

fn asset(body: &str, content_type: &str) -> ApiResult<Response> {
    let mut r = Response::ok(body)?;
    r.headers_mut().set("content-type", content_type)?;
    r.headers_mut().set("cache-control", "public, max-age=300")?;
    Ok(r)
}

/// A small square in the accent colour, so browsers stop asking.
fn favicon() -> ApiResult<Response> {
    let mut r = Response::ok(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="2" y="2" width="12" height="12" rx="3" fill="#4f46e5"/></svg>"##,
    )?;
    r.headers_mut().set("content-type", "image/svg+xml")?;
    r.headers_mut().set("cache-control", "public, max-age=86400")?;
    Ok(r)
}

/// An HTML response.
pub(crate) fn html(status: u16, body: String) -> ApiResult<Response> {
    let mut r = Response::ok(body)?.with_status(status);
    r.headers_mut().set("content-type", "text/html; charset=utf-8")?;
    Ok(r)
}

/// A 303 See Other.
pub(crate) fn redirect(location: &str) -> ApiResult<Response> {
    let mut r = Response::empty()?.with_status(303);
    r.headers_mut().set("location", location)?;
    Ok(r)
}

fn error_page(status: u16, message: &str) -> Response {
    let message = match status {
        404 => "We could not find that page.",
        405 => "That action is not available here.",
        _ => message,
    };
    pages::render_error(&pages::Nav::None, status, message)
        .map_err(ApiError::internal)
        .and_then(|body| html(status, body))
        .unwrap_or_else(|e| e.into_response())
}
