//! Two-step verification pages: the code prompt after a password (`/mfa`) and enrollment with a
//! QR code and recovery codes (`/mfa/setup`). They accept sessions whose second step is still
//! open; every other page refuses those sessions (storage filters on `mfa_state`).

use crate::pages::Nav;
use crate::session::{self, Keys};
use crate::staff::field;
use crate::{html, qr, redirect};
use askama::Template;
use chrono::{DateTime, Utc};
use clearhours_domain::throttle::{Outcome, Purpose};
use clearhours_domain::totp;
use clearhours_http::{client_ip, now, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::auth::{self as store, Session};
use clearhours_storage::mfa;
use clearhours_storage::throttle;
use clearhours_storage::Db;
use worker::{Env, Request, Response};

#[derive(Template)]
#[template(path = "mfa.html")]
struct PromptPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mfa_setup.html")]
struct SetupPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    error: Option<&'a str>,
    qr: &'a str,
    secret: &'a str,
    required: bool,
    recovery: Option<Vec<String>>,
    continue_to: &'a str,
    /// Set up from the account page (the session was already complete): a way back to it.
    from_account: bool,
}

struct Ctx {
    db: Db,
    now: DateTime<Utc>,
    session: Session,
    keys: Keys,
    ip: String,
    ua: String,
}

impl Ctx {
    fn home(&self) -> &'static str {
        if self.session.subject_kind == "staff" {
            "/admin"
        } else {
            "/projects"
        }
    }

    fn csrf(&self) -> String {
        self.keys.csrf_token(&self.session.id)
    }

    /// The header: the full one for a complete session (enrolling from the account page), else
    /// only "Sign out" — the way back from a second step the user cannot finish.
    async fn nav(&self, req: &Request, env: &Env) -> Nav {
        if self.session.is_complete() {
            crate::signed_in_nav(req, env).await
        } else {
            Nav::Pending { csrf: self.csrf(), staff: self.session.subject_kind == "staff" }
        }
    }

    async fn log(&self, action: &str, outcome: &str) -> ApiResult<()> {
        access_log::append(
            &self.db,
            &AccessEvent {
                at: self.now,
                provider_id: Some(&self.session.provider_id),
                client_id: self.session.client_id.as_deref(),
                actor_kind: &self.session.subject_kind,
                actor_id: &self.session.subject_id,
                action,
                target: "",
                outcome,
                ip: &self.ip,
                user_agent: &self.ua,
            },
        )
        .await?;
        Ok(())
    }
}

async fn ctx(req: &Request, env: &Env) -> ApiResult<Option<Ctx>> {
    let Some(token) = session::session_token(req) else { return Ok(None) };
    let keys = Keys::from_env(env)?;
    let now = now(req, env);
    let Some(v) = keys.verify(&token, now) else { return Ok(None) };
    let sid = v.sid;
    let db = clearhours_http::db_for(env, &v.shard)?;
    let Some(session) = store::live_session(&db, &sid, now).await? else { return Ok(None) };
    Ok(Some(Ctx { db, now, session, keys, ip: client_ip(req), ua: user_agent(req) }))
}

async fn checked_form(req: &mut Request, c: &Ctx) -> ApiResult<worker::FormData> {
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    if !c.keys.csrf_ok(&c.session.id, &field(&form, "csrf")) {
        return Err(ApiError::forbidden("CSRF token missing or wrong"));
    }
    Ok(form)
}

fn prompt(c: &Ctx, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let nav = Nav::Pending { csrf: c.csrf(), staff: c.session.subject_kind == "staff" };
    let body = PromptPage { nav: &nav, csrf: &c.csrf(), error }.render().map_err(ApiError::internal)?;
    html(status, body)
}

/// GET /mfa
pub async fn prompt_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(c) = ctx(req, env).await? else { return redirect("/login") };
    match c.session.mfa_state.as_str() {
        "pending" => prompt(&c, None, 200),
        "enroll" => redirect("/mfa/setup"),
        _ => redirect(c.home()),
    }
}

/// POST /mfa — a TOTP code (each usable once) or a recovery code (each usable once).
pub async fn verify(mut req: Request, env: &Env) -> ApiResult<Response> {
    let Some(c) = ctx(&req, env).await? else { return redirect("/login") };
    if c.session.mfa_state != "pending" {
        return redirect(c.home());
    }
    let form = checked_form(&mut req, &c).await?;
    // Reserve the attempt before checking the code (one conditional INSERT): however many codes
    // arrive at once, at most the limit are checked; the rest are refused unchecked.
    let account = throttle::account_key(&format!("mfa:{}", c.session.subject_kind), &c.session.subject_id);
    let prefix = throttle::ip_prefix(&c.ip);
    let attempt = throttle::Attempt { purpose: Purpose::Mfa, account: &account, prefix: &prefix };
    let reservation = match throttle::reserve(&c.db, &attempt, c.now).await? {
        Outcome::Reserved(r) => r,
        Outcome::Throttled { retry_minutes } => {
            c.log("mfa", "throttled").await?;
            return prompt(&c, Some(&format!("Too many wrong codes. Try again in {retry_minutes} minutes.")), 429);
        }
    };
    let code = field(&form, "code");
    let factor = mfa::factor(&c.db, &c.session.subject_kind, &c.session.subject_id).await?.filter(|f| f.confirmed_at.is_some());
    let mut ok = false;
    if let Some(f) = &factor {
        let key = totp::base32_decode(&f.secret).unwrap_or_default();
        if let Some(step) = totp::verify(&key, &code, c.now.timestamp(), f.last_used_step) {
            ok = mfa::use_step(&c.db, &c.session, step).await?;
        }
    }
    if !ok && code.trim().len() > 6 {
        ok = mfa::use_recovery_code(&c.db, &c.session, &code, c.now).await?;
    }
    if !ok {
        c.log("mfa", "failure").await?;
        if reservation.fills_lockout(Purpose::Mfa) {
            c.log("mfa_lockout", "locked").await?;
        }
        return prompt(&c, Some("That code is not right, or was already used."), 401);
    }
    throttle::succeeded(&c.db, &attempt).await?;
    mfa::set_session_state(&c.db, &c.session.id, "verified").await?;
    c.log("mfa", "success").await?;
    redirect(c.home())
}

async fn setup_page(c: &Ctx, nav: &Nav, secret: &str, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let account = if c.session.subject_kind == "staff" { "staff" } else { "client portal" };
    let uri = totp::otpauth_uri("Clearhours", &format!("{} ({account})", c.session.subject_id), secret);
    let svg = qr::svg(&uri, "QR code for your authenticator app").unwrap_or_default();
    let required = c.session.mfa_state == "enroll";
    let from_account = c.session.is_complete();
    let body = SetupPage { nav, csrf: &c.csrf(), error, qr: &svg, secret, required, recovery: None, continue_to: c.home(), from_account }
        .render()
        .map_err(ApiError::internal)?;
    html(status, body)
}

/// GET /mfa/setup — a new secret for an unconfirmed enrollment.
pub async fn setup_form(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(c) = ctx(req, env).await? else { return redirect("/login") };
    if c.session.mfa_state == "pending" {
        return redirect("/mfa");
    }
    if let Some(f) = mfa::factor(&c.db, &c.session.subject_kind, &c.session.subject_id).await? {
        if f.confirmed_at.is_some() {
            return redirect(c.home());
        }
    }
    let mut key = [0u8; 20];
    getrandom::fill(&mut key).map_err(|e| ApiError::internal(format!("randomness: {e}")))?;
    let secret = totp::base32_encode(&key);
    mfa::begin_enrollment(&c.db, &c.session, &secret, c.now).await?;
    let nav = c.nav(req, env).await;
    setup_page(&c, &nav, &secret, None, 200).await
}

/// POST /mfa/setup — confirms with a first code and shows the recovery codes once.
pub async fn setup_confirm(mut req: Request, env: &Env) -> ApiResult<Response> {
    let Some(c) = ctx(&req, env).await? else { return redirect("/login") };
    let form = checked_form(&mut req, &c).await?;
    let Some(f) = mfa::factor(&c.db, &c.session.subject_kind, &c.session.subject_id).await?.filter(|f| f.confirmed_at.is_none()) else {
        return redirect("/mfa/setup");
    };
    let key = totp::base32_decode(&f.secret).unwrap_or_default();
    let Some(step) = totp::verify(&key, &field(&form, "code"), c.now.timestamp(), None) else {
        let nav = c.nav(&req, env).await;
        return setup_page(&c, &nav, &f.secret, Some("That code is not right. Check the time on your phone and try the next code."), 400)
            .await;
    };
    mfa::use_step(&c.db, &c.session, step).await?;
    let codes = mfa::confirm_enrollment(&c.db, &c.session, c.now).await?;
    c.log("mfa_enroll", "success").await?;
    // The session is verified now: the full header.
    let nav = crate::signed_in_nav(&req, env).await;
    let from_account = c.session.is_complete();
    let body = SetupPage {
        nav: &nav,
        csrf: &c.csrf(),
        error: None,
        qr: "",
        secret: "",
        required: false,
        recovery: Some(codes),
        continue_to: if from_account { "/account?done=mfa" } else { c.home() },
        from_account,
    }
    .render()
    .map_err(ApiError::internal)?;
    html(200, body)
}
