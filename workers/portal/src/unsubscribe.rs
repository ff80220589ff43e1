//! One-click unsubscribe from client e-mails (RFC 8058). Every client e-mail carries
//! `List-Unsubscribe: <…/unsubscribe?t=TOKEN>` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click`; the token is signed (`domain::notify`), names the contact and
//! expires, so no session is needed.
//!
//! - `POST /unsubscribe?t=TOKEN` (the mail client's one-click POST, body
//!   `List-Unsubscribe=One-Click`, or our confirm form with `t` in the body): turns every client
//!   e-mail of that contact off. The signed token is what a forger lacks, so it is this POST's
//!   CSRF protection; it can only ever turn e-mails *off*.
//! - `GET /unsubscribe?t=TOKEN`: a confirm page with that form (a link scanner that follows GET
//!   links unsubscribes nobody).
//!
//! A missing, damaged, forged or expired token is a 400 page (or JSON), never a 5xx.
//!
//! The token names the contact's shard under its signature (issue 16; none = the directory
//! database), so the POST opens that one database; a signed name that is not in `D1_SHARDS`
//! any more is a 400 too.

use crate::{html, pages};
use clearhours_domain::notify::{verify_unsubscribe, Unsubscribe};
use clearhours_http::{ApiError, ApiResult};
use worker::{Env, Request, Response};

fn query_token(req: &Request) -> String {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "t").map(|(_, v)| v.to_string())).unwrap_or_default()
}

/// The contact (and shard) a token names, or the 4xx saying why not.
fn contact_of(env: &Env, req: &Request, token: &str) -> ApiResult<Unsubscribe> {
    if token.is_empty() {
        // The signed token is this POST's CSRF protection: none is refused like a missing token.
        return Err(ApiError::forbidden("the unsubscribe link has no token"));
    }
    if token.len() > 512 {
        return Err(ApiError::bad_request("the unsubscribe link is not valid"));
    }
    let key =
        clearhours_http::unsubscribe_key(env).ok_or_else(|| ApiError::new(503, "not_configured", "unsubscribing is not configured"))?;
    let u = verify_unsubscribe(&key, token, clearhours_http::now(req, env)).map_err(|e| ApiError::bad_request(e.message()))?;
    if u.shard.as_deref().is_some_and(|s| !clearhours_http::shard_bindings(env).iter().any(|b| b == s)) {
        return Err(ApiError::bad_request("the unsubscribe link is not valid"));
    }
    Ok(u)
}

/// GET /unsubscribe?t=…
pub async fn page(req: &Request, env: &Env) -> ApiResult<Response> {
    let token = query_token(req);
    contact_of(env, req, &token)?;
    let body = pages::render_unsubscribe(&token, false).map_err(ApiError::internal)?;
    html(200, body)
}

/// POST /unsubscribe (token in the query, as RFC 8058 posts it, or in the form).
pub async fn post(mut req: Request, env: &Env) -> ApiResult<Response> {
    let mut token = query_token(&req);
    if token.is_empty() {
        let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
        token = crate::staff::field(&form, "t");
    }
    let Unsubscribe { contact_id: contact, shard } = contact_of(env, &req, &token)?;
    let db = match shard {
        Some(s) => clearhours_http::db_for(env, &s)?,
        None => clearhours_http::db(env)?,
    };
    if let Some((provider, client)) = clearhours_storage::alerts::unsubscribe(&db, &contact).await? {
        // Logged like any change a contact makes, in their provider's log.
        clearhours_storage::access_log::append(
            &db,
            &clearhours_storage::access_log::AccessEvent {
                at: clearhours_http::now(&req, env),
                provider_id: Some(&provider),
                client_id: Some(&client),
                actor_kind: "contact",
                actor_id: &contact,
                action: "unsubscribe",
                target: "",
                outcome: "success",
                ip: &clearhours_http::client_ip(&req),
                user_agent: &clearhours_http::user_agent(&req),
            },
        )
        .await?;
    }
    let body = pages::render_unsubscribe("", true).map_err(ApiError::internal)?;
    html(200, body)
}
