//! The portal worker: client pages, the client JSON API, sign-in for contacts and staff, and
//! the staff overview. Thin: routing, request parsing, rendering, wiring. The numbers come from
//! `clearhours_domain::figures`, what a client may see from `clearhours_domain::client_view`.
//!
//! Routes (GET unless noted):
//! - `/` → `/projects` or `/login`; `/healthz`; `/static/app.css`, `/static/app.js`
//! - `/login` (+POST), POST `/logout`; `/admin/login` (+POST), POST `/admin/logout`
//! - `/projects` (portfolio), `/projects/{id}` (dashboard)
//! - `/projects/{id}/entries`, `/timesheet` (all projects), their exports `…/entries.{csv,xlsx,pdf}`
//!   and `/timesheet.{csv,xlsx,pdf}`, `/glossary`; `/api/v1/projects/{id}/entries`, `/api/v1/entries`
//! - `/api/v1/projects`, `/api/v1/projects/{id}/dashboard` (same figures and privacy as pages)
//! - `/admin` (staff overview), `/admin/clients/{id}` (visibility, portal accounts; POSTs under
//!   it), `/admin/contacts/{id}/{invite|revoke|disable|enable}` (POST),
//!   `/admin/preview/{contact}/projects[/{id}]` ("view as client"), `/admin/alerts` (+POST
//!   `settings`, `{id}/retry`)
//! - `/admin/audit` (the provider's access log), `/admin/audit/verify` (JSON; POST checks a
//!   held checkpoint), `/admin/audit/checkpoint` (signed checkpoint), `/admin/audit/key`;
//!   `/activity`, `/api/v1/activity` (a contact's view of portal activity)
//! - `/invite` (+POST): an invited contact sets a password
//! - `/password/forgot`, `/password/reset`, `/login/link`, `/login/link/confirm` (+POST each):
//!   e-mailed single-use links; `/mfa`, `/mfa/setup` (+POST): two-step verification
//! - `/account` (contacts and staff: password, two-step verification, recovery codes, sessions),
//!   POST `/account/{password|recovery-codes|sessions}`
//! - billing contacts only (404 for viewers): `/billing`, `/api/v1/billing`,
//!   `/billing/invoices/{number}[/pdf]`, `/api/v1/invoices/{number}`; `invoice=<number>` on the
//!   timesheet (`/timesheet`, `/api/v1/entries`, exports): the hours behind an invoice
//! - `/admin/clients/{id}/invoices` (+POST: create), `/admin/invoices/{id}` and POSTs under it
//!   (`issue`, `payments`, `void`, `payment-url`), POST `/admin/clients/{id}/billing`,
//!   POST `/admin/payment-endpoints` (a payment webhook endpoint; its secret shown once)
//! - questions (issue 15, `questions`): `/projects/{id}/questions` (+POST), `/questions/{q}`,
//!   POST `/questions/{q}/{reply|resolve}`, `/api/v1/projects/{id}/questions`,
//!   `/api/v1/questions/{q}`, `/admin/questions`, `/admin/questions/{q}`, POST
//!   `/admin/questions/{q}/{answer|resolve|promote}`
//! - budget decisions (issue 15, `budget`): `/projects/{id}/budget` (+POST: request),
//!   `/api/v1/projects/{id}/budget`, POST `/budget/{r}/{accept|decline}` (a counter),
//!   `/admin/budget`, `/admin/budget/{r}`, POST `/admin/budget/{r}/{accept|decline|counter}`
//! - weekly sign-off (issue 15, `signoff`): `/projects/{id}/weeks`, `/api/v1/projects/{id}/weeks`,
//!   POST `/projects/{id}/weeks/{week_start}/approve`, `/admin/signoffs`, POST
//!   `/admin/clients/{id}/signoff`
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

mod account;
mod account_page;
mod admin;
mod admin_alerts;
mod admin_catalog;
mod admin_import;
mod admin_invoices;
mod admin_pages;
mod audit_views;
mod auth;
mod billing;
mod budget;
mod charts;
mod entries;
mod mfa;
mod notify;
mod pages;
mod qr;
mod questions;
mod session;
mod signoff;
mod staff;
mod unsubscribe;
mod views;

use clearhours_http::{json, secure, segments, ApiError, ApiResult, Kind};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let (env, invocation) = clearhours_http::invocation(env);
    // D1 sessions for this request: replicas for reads, from the browser's bookmark (issue 16).
    let env = clearhours_http::replicas::start(env, &req);
    let bookmark_probe = req.headers().get("cookie").ok().flatten();
    let wants_html = !req.path().starts_with("/api/");
    // A GET has no body, so a copy is cheap: it lets an error page show the signed-in header.
    let probe = if wants_html && req.method() == Method::Get { req.clone().ok() } else { None };
    let routed = route(req, &env).await;
    let (resp, kind) = match routed {
        Ok(r) => r,
        Err(e) if wants_html && e.status != 500 => {
            let nav = match (&probe, e.status) {
                (Some(p), 404 | 405) => signed_in_nav(p, &env).await,
                _ => pages::Nav::None,
            };
            (error_page(&nav, e.status, &e.detail), Kind::Private)
        }
        Err(_) if wants_html => (error_page(&pages::Nav::None, 500, "Something went wrong on our side."), Kind::Private),
        Err(e) => (e.into_response(), Kind::Private),
    };
    write_deferred_log(&env, &ctx);
    write_deferred_cache(&env, &ctx);
    let mut resp = secure(resp, kind);
    if kind == Kind::Private {
        if let Some(c) = clearhours_http::replicas::bookmark_cookie(&env, bookmark_probe.as_deref()) {
            let _ = resp.headers_mut().append("set-cookie", &c);
        }
    }
    Ok(invocation.finish(resp))
}

/// Writes the access-log rows that views queued (`access_log::defer`) after the response, so a
/// view neither waits for nor fails on the log. A failure is logged for the operator.
fn write_deferred_log(env: &Env, ctx: &Context) {
    let rows = clearhours_storage::access_log::take_deferred();
    if rows.is_empty() {
        return;
    }
    // The rows are counted now on the invocation's meter (D1 counts `wait_until` work against the
    // invocation) and written later on handles of their own — each on its provider's shard.
    if let Err(e) = clearhours_http::db(env).and_then(|metered| metered.reserve(rows.len()).map_err(clearhours_http::ApiError::internal)) {
        return worker::console_error!("access log: {} rows not written: {}", rows.len(), e.detail);
    }
    let mut by_shard: Vec<(clearhours_storage::Db, Vec<clearhours_storage::access_log::OwnedEvent>)> = Vec::new();
    for (binding, row) in rows {
        let db = match env.d1(&binding) {
            Ok(d1) => clearhours_storage::Db::new(d1).with_binding(&binding),
            Err(e) => {
                worker::console_error!("access log: a row for {binding} not written: {e}");
                continue;
            }
        };
        match by_shard.iter_mut().find(|(d, _)| d.binding() == binding) {
            Some((_, list)) => list.push(row),
            None => by_shard.push((db, vec![row])),
        }
    }
    ctx.wait_until(async move {
        // A transient database error (a busy local SQLite, a D1 hiccup) gets two more tries; the
        // batch is one transaction, so a retry never writes a row twice.
        for (db, rows) in &by_shard {
            for chunk in rows.chunks(clearhours_storage::access_log::BATCH) {
                for wait_ms in [50, 250, 0] {
                    match clearhours_storage::access_log::append_all(db, chunk).await {
                        Ok(()) => break,
                        Err(e) if wait_ms == 0 => worker::console_error!("access log: {} rows not written: {e}", chunk.len()),
                        Err(_) => worker::Delay::from(std::time::Duration::from_millis(wait_ms)).await,
                    }
                }
            }
        }
    });
}

/// Stores the views this request rendered on a cache miss (`kv::defer_put`) after the
/// response, so a miss does not wait for KV's write either.
fn write_deferred_cache(env: &Env, ctx: &Context) {
    let values = clearhours_storage::kv::take_deferred();
    if values.is_empty() {
        return;
    }
    let cache = clearhours_storage::kv::ViewCache::new(env.kv("KV").ok());
    ctx.wait_until(async move {
        for (key, value) in values {
            cache.put(&key, &value).await;
        }
    });
}

/// The header of whoever is signed in (contact or staff), for a "not found" page; no header if
/// nobody is, or if anything about the session fails.
pub(crate) async fn signed_in_nav(req: &Request, env: &Env) -> pages::Nav {
    if let Ok(Some(ctx)) = auth::contact(req, env).await {
        return views::nav(&ctx);
    }
    match auth::staff(req, env).await {
        Ok(Some(ctx)) => staff::nav(&ctx).await.unwrap_or(pages::Nav::None),
        _ => pages::Nav::None,
    }
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
        (Method::Post, ["admin", "audit", "verify"]) => private(audit_views::verify_held(req, env).await),
        (Method::Get, ["admin", "audit", "checkpoint"]) => private(audit_views::checkpoint(&req, env).await),
        (Method::Get, ["admin", "audit", "key"]) => private(audit_views::verifier_key(&req, env).await),
        (Method::Get, ["activity"]) => private(audit_views::activity(&req, env, false).await),
        (Method::Get, ["api", "v1", "activity"]) => private(audit_views::activity(&req, env, true).await),
        (Method::Get, ["admin", "clients", id]) => private(admin::client_page(&req, env, id).await),
        (Method::Post, ["admin", "clients", id, "visibility"]) => private(admin::save_visibility(req, env, id).await),
        (Method::Get, ["admin", "security"]) => private(admin::security_page(&req, env).await),
        (Method::Post, ["admin", "security"]) => private(admin::save_security(req, env).await),
        (Method::Post, ["admin", "clients", id, "timeout"]) => private(admin::save_timeout(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "mfa"]) => private(admin::save_mfa(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "network"]) => private(admin::save_network(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "alerts"]) => private(admin::save_shared_thresholds(req, env, id).await),
        (Method::Get, ["unsubscribe"]) => private(unsubscribe::page(&req, env).await),
        (Method::Post, ["unsubscribe"]) => private(unsubscribe::post(req, env).await),
        (Method::Post, ["admin", "clients", id, "notes"]) => private(admin::add_note(req, env, id).await),
        (Method::Post, ["admin", "notes", id, "delete"]) => private(admin::delete_note(req, env, id).await),
        (Method::Post, ["admin", "clients", id, "contacts"]) => private(admin::create_contact(req, env, id).await),
        (Method::Post, ["admin", "contacts", id, action @ ("invite" | "revoke" | "disable" | "enable" | "reset-mfa")]) => {
            private(admin::contact_action(req, env, id, action).await)
        }
        (Method::Get, ["admin", "preview", contact, "projects"]) => private(admin::preview(&req, env, contact, None).await),
        (Method::Get, ["admin", "preview", contact, "projects", id]) => private(admin::preview(&req, env, contact, Some(id)).await),
        (Method::Get, ["admin", "preview", contact, "projects", id, "entries"]) => {
            private(entries::page(&req, env, Some(id), Some(contact)).await)
        }
        (Method::Get, ["admin", "preview", contact, "timesheet"]) => private(entries::page(&req, env, None, Some(contact)).await),
        (Method::Get, ["admin", "preview", contact, "glossary"]) => private(entries::glossary_page(&req, env, Some(contact)).await),
        (Method::Get, ["admin", "preview", contact, "projects", id, file]) if file.starts_with("entries.") => {
            match entries::Format::from_segment(file) {
                Some(f) => private(entries::export(&req, env, Some(id), f, Some(contact)).await),
                None => Err(ApiError::not_found()),
            }
        }
        (Method::Get, ["admin", "preview", contact, file]) if file.starts_with("timesheet.") => match entries::Format::from_segment(file) {
            Some(f) => private(entries::export(&req, env, None, f, Some(contact)).await),
            None => Err(ApiError::not_found()),
        },
        (_, ["admin", "projects" | "team" | "tasks", ..]) => private(admin_catalog::route(req, env).await),
        (_, ["admin", "alerts", ..]) => private(admin_alerts::route(req, env).await),
        (_, ["admin", "integrations" | "import" | "unmapped", ..]) => private(admin_import::route(req, env).await),
        (_, ["admin", "invoices" | "payment-endpoints", ..] | ["admin", "clients", _, "invoices" | "billing"]) => {
            private(admin_invoices::route(req, env).await)
        }
        (Method::Get, ["password", "forgot"]) => private(account::page(&req, account::Form::Forgot)),
        (Method::Post, ["password", "forgot"]) => private(account::request_link(req, env, account::Form::Forgot).await),
        (Method::Get, ["password", "reset"]) => private(account::page(&req, account::Form::Reset)),
        (Method::Post, ["password", "reset"]) => private(account::use_link(req, env, account::Form::Reset).await),
        (Method::Get, ["login", "link"]) => private(account::page(&req, account::Form::LinkRequest)),
        (Method::Post, ["login", "link"]) => private(account::request_link(req, env, account::Form::LinkRequest).await),
        (Method::Get, ["login", "link", "confirm"]) => private(account::page(&req, account::Form::LinkConfirm)),
        (Method::Post, ["login", "link", "confirm"]) => private(account::use_link(req, env, account::Form::LinkConfirm).await),
        (Method::Get, ["account"]) => private(account_page::page(&req, env).await),
        (Method::Post, ["account", action @ ("password" | "recovery-codes" | "sessions" | "notifications")]) => {
            private(account_page::post(req, env, action).await)
        }
        (Method::Get, ["mfa"]) => private(mfa::prompt_page(&req, env).await),
        (Method::Post, ["mfa"]) => private(mfa::verify(req, env).await),
        (Method::Get, ["mfa", "setup"]) => private(mfa::setup_form(&req, env).await),
        (Method::Post, ["mfa", "setup"]) => private(mfa::setup_confirm(req, env).await),
        (Method::Get, ["invite"]) => private(admin::invite_form(None)),
        (Method::Post, ["invite"]) => private(admin::accept_invite(req, env).await),
        (Method::Get, ["projects"]) => private(views::portfolio_page(&req, env).await),
        (Method::Get, ["projects", id]) => private(views::dashboard_page(&req, env, id).await),
        (Method::Get, ["projects", id, "entries"]) => private(entries::page(&req, env, Some(id), None).await),
        (Method::Get, ["timesheet"]) => private(entries::page(&req, env, None, None).await),
        (Method::Get, ["glossary"]) => private(entries::glossary_page(&req, env, None).await),
        (Method::Get, ["projects", id, file]) if file.starts_with("entries.") => match entries::Format::from_segment(file) {
            Some(f) => private(entries::export(&req, env, Some(id), f, None).await),
            None => Err(ApiError::not_found()),
        },
        (Method::Get, [file]) if file.starts_with("timesheet.") => match entries::Format::from_segment(file) {
            Some(f) => private(entries::export(&req, env, None, f, None).await),
            None => Err(ApiError::not_found()),
        },
        (Method::Get, ["api", "v1", "projects", id, "entries"]) => private(entries::api(&req, env, Some(id)).await),
        (Method::Get, ["api", "v1", "entries"]) => private(entries::api(&req, env, None).await),
        (Method::Get, ["projects", id, "questions"]) => private(questions::client_list(&req, env, id).await),
        (Method::Post, ["projects", id, "questions"]) => private(questions::ask(req, env, id).await),
        (Method::Get, ["questions", q]) => private(questions::client_thread_page(&req, env, q).await),
        (Method::Post, ["questions", q, action @ ("reply" | "resolve")]) => private(questions::client_action(req, env, q, action).await),
        (Method::Get, ["api", "v1", "projects", id, "questions"]) => private(questions::client_list_api(&req, env, id).await),
        (Method::Get, ["api", "v1", "questions", q]) => private(questions::client_thread_api(&req, env, q).await),
        (Method::Get, ["projects", id, "budget"]) => private(budget::client_page(&req, env, id).await),
        (Method::Post, ["projects", id, "budget"]) => private(budget::request(req, env, id).await),
        (Method::Get, ["api", "v1", "projects", id, "budget"]) => private(budget::client_api(&req, env, id).await),
        (Method::Post, ["budget", r, action @ ("accept" | "decline")]) => private(budget::answer_counter(req, env, r, action).await),
        (Method::Get, ["projects", id, "weeks"]) => private(signoff::page(&req, env, id).await),
        (Method::Get, ["api", "v1", "projects", id, "weeks"]) => private(signoff::api(&req, env, id).await),
        (Method::Post, ["projects", id, "weeks", w, "approve"]) => private(signoff::approve(req, env, id, w).await),
        (Method::Get, ["admin", "signoffs"]) => private(signoff::admin_list(&req, env).await),
        (Method::Post, ["admin", "clients", id, "signoff"]) => private(signoff::admin_set(req, env, id).await),
        (Method::Get, ["admin", "budget"]) => private(budget::admin_list(&req, env).await),
        (Method::Get, ["admin", "budget", r]) => private(budget::admin_request(&req, env, r).await),
        (Method::Post, ["admin", "budget", r, action @ ("accept" | "decline" | "counter")]) => {
            private(budget::admin_decide(req, env, r, action).await)
        }
        (Method::Get, ["admin", "questions"]) => private(questions::admin_list(&req, env).await),
        (Method::Get, ["admin", "questions", q]) => private(questions::admin_thread(&req, env, q).await),
        (Method::Post, ["admin", "questions", q, action @ ("answer" | "resolve" | "promote")]) => {
            private(questions::admin_action(req, env, q, action).await)
        }
        (Method::Get, ["api", "v1", "projects"]) => private(views::projects_api(&req, env).await),
        (Method::Get, ["billing"]) => private(billing::billing_page(&req, env).await),
        (Method::Get, ["api", "v1", "billing"]) => private(billing::billing_api(&req, env).await),
        (Method::Get, ["billing", "invoices", n]) => private(billing::invoice_page(&req, env, n).await),
        (Method::Get, ["billing", "invoices", n, "pdf"]) => private(billing::invoice_pdf(&req, env, n).await),
        (Method::Get, ["api", "v1", "invoices", n]) => private(billing::invoice_api(&req, env, n).await),
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

/// A form field's text, or "" when absent or a file.
pub(crate) fn field(form: &worker::FormData, name: &str) -> String {
    match form.get(name) {
        Some(worker::FormEntry::Field(v)) => v,
        _ => String::new(),
    }
}

fn error_page(nav: &pages::Nav, status: u16, message: &str) -> Response {
    let message = match status {
        404 => "We could not find that page.",
        405 => "That action is not available here.",
        _ => message,
    };
    pages::render_error(nav, status, message)
        .map_err(ApiError::internal)
        .and_then(|body| html(status, body))
        .unwrap_or_else(|e| e.into_response())
}
