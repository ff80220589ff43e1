//! Sign-in, sign-out, and turning a request's session cookie into an authorised context.

use crate::pages::{self, LoginKind};
use crate::session::{self, Keys, LOGIN_CSRF_COOKIE};
use crate::staff::field;
use crate::{html, redirect};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::network::IpAllowlist;
use clearhours_domain::password;
use clearhours_http::{client_ip, cookie, now, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::auth::{self as store, LoginCandidate, Session, SubjectKind};
use clearhours_storage::mfa;
use clearhours_storage::scope::{ClientScope, ProviderScope};
use clearhours_storage::throttle::{self, Gate};
use clearhours_storage::Db;
use worker::{Env, Request, Response};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Contact,
    Staff,
}

pub fn db(env: &Env) -> ApiResult<Db> {
    clearhours_http::db(env)
}

/// The sign-in form with a fresh double-submit CSRF cookie.
pub fn login_form(kind: LoginKind, email: &str, error: Option<(u16, &str)>) -> ApiResult<Response> {
    let csrf = session::random_token()?;
    let body = pages::render_login(kind, email, error.map(|e| e.1), &csrf).map_err(ApiError::internal)?;
    let mut r = html(error.map_or(200, |e| e.0), body)?;
    r.headers_mut().append("set-cookie", &session::login_csrf_cookie(&csrf))?;
    Ok(r)
}

const BAD_LOGIN: &str = "E-mail or password is incorrect.";
const NETWORK_DENIED: &str = "Access from your network is not allowed for this account. Ask your agency to allow it.";

/// Whether `ip` passes a stored allowlist; a list that does not parse lets nobody through.
fn allowed(list: &str, ip: &str) -> bool {
    IpAllowlist::parse(list).is_ok_and(|l| l.allows(ip))
}

pub async fn login(mut req: Request, env: &Env, kind: LoginKind) -> ApiResult<Response> {
    let now = now(&req, env);
    let cookie_csrf = cookie(&req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let (ip, ua) = (client_ip(&req), user_agent(&req));
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the sign-in form"))?;
    let (email, pw, csrf) = (field(&form, "email"), field(&form, "password"), field(&form, "csrf"));
    let email = email.trim().to_string();
    if !session::double_submit_ok(&cookie_csrf, &csrf) {
        return login_form(kind, &email, Some((403, "Your sign-in form expired. Please try again.")));
    }
    if email.is_empty() || email.len() > 254 || pw.is_empty() || pw.len() > 1024 {
        return login_form(kind, &email, Some((401, BAD_LOGIN)));
    }
    let db = db(env)?;
    let (actor_kind, subject) = match kind {
        LoginKind::Client => ("contact", SubjectKind::Contact),
        LoginKind::Staff => ("staff", SubjectKind::Staff),
    };
    let event = |action: &'static str, outcome: &'static str| AccessEvent {
        at: now,
        provider_id: None,
        client_id: None,
        actor_kind,
        actor_id: "",
        action,
        target: "",
        outcome,
        ip: "",
        user_agent: "",
    };
    match throttle::gate(&db, &email, &ip, now).await? {
        Gate::Open => {}
        Gate::AccountLocked { retry_minutes } | Gate::IpLocked { retry_minutes } => {
            access_log::append(&db, &AccessEvent { target: &email, ip: &ip, user_agent: &ua, ..event("login", "throttled") }).await?;
            let msg = format!("Too many failed sign-ins. Try again in {retry_minutes} minutes.");
            return login_form(kind, &email, Some((429, &msg)));
        }
    }
    let candidate = match kind {
        LoginKind::Client => store::find_contact_login(&db, &email).await?,
        LoginKind::Staff => store::find_staff_login(&db, &email).await?,
    };
    // Unknown accounts spend the same Argon2 time as known ones.
    let hash = candidate.as_ref().and_then(|c| c.password_hash.clone()).unwrap_or_else(|| password::DUMMY_HASH.to_string());
    let verified = password::verify(&pw, &hash);
    let who = match candidate {
        Some(c) if verified && c.password_hash.is_some() && c.disabled_at.is_none() => Some(c),
        _ => None,
    };
    let Some(who) = who else {
        access_log::append(&db, &AccessEvent { target: &email, ip: &ip, user_agent: &ua, ..event("login", "failure") }).await?;
        if throttle::record_failure(&db, &email, &ip, now).await? {
            access_log::append(&db, &AccessEvent { target: &email, ip: &ip, user_agent: &ua, ..event("lockout", "locked") }).await?;
        }
        return login_form(kind, &email, Some((401, BAD_LOGIN)));
    };
    throttle::clear(&db, &email).await?;
    if !network_allows(&db, &who, subject, now, &ip, &ua).await? {
        return login_form(kind, &email, Some((403, NETWORK_DENIED)));
    }
    sign_in(env, &db, &who, subject, now, &ip, &ua, "login").await
}

/// Starts a session for an account whose first factor is proven (password, invitation, or an
/// e-mailed link): the second step is pending if the account has MFA, enrollment is demanded if
/// MFA is required, and the access log records `action`.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    env: &Env,
    db: &Db,
    who: &LoginCandidate,
    subject: SubjectKind,
    now: DateTime<Utc>,
    ip: &str,
    ua: &str,
    action: &str,
) -> ApiResult<Response> {
    let (enrolled, required) = mfa::requirement(db, subject, &who.id).await?;
    let mfa_state = if enrolled {
        "pending"
    } else if required {
        "enroll"
    } else {
        "none"
    };
    let s = store::create_session_with(db, who, subject, mfa_state, now, ip, ua).await?;
    access_log::append(
        db,
        &AccessEvent {
            at: now,
            provider_id: Some(&who.provider_id),
            client_id: who.client_id.as_deref(),
            actor_kind: subject.as_str(),
            actor_id: &who.id,
            action,
            target: "",
            outcome: "success",
            ip,
            user_agent: ua,
        },
    )
    .await?;
    let keys = Keys::from_env(env)?;
    let lifetime = Duration::hours(store::ABSOLUTE_HOURS);
    let token = keys.issue(&s.id, subject.as_str(), now, lifetime)?;
    let next = match (mfa_state, subject) {
        ("pending", _) => "/mfa",
        ("enroll", _) => "/mfa/setup",
        (_, SubjectKind::Contact) => "/projects",
        (_, SubjectKind::Staff) => "/admin",
    };
    let mut r = redirect(next)?;
    r.headers_mut().append("set-cookie", &session::session_cookie(&token, lifetime.num_seconds()))?;
    r.headers_mut().append("set-cookie", &format!("{LOGIN_CSRF_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"))?;
    Ok(r)
}

/// Whether an account may sign in from `ip`; logs and says no when it may not.
pub async fn network_allows(
    db: &Db,
    who: &LoginCandidate,
    subject: SubjectKind,
    now: DateTime<Utc>,
    ip: &str,
    ua: &str,
) -> ApiResult<bool> {
    if allowed(&who.ip_allowlist, ip) {
        return Ok(true);
    }
    let denied = AccessEvent {
        at: now,
        provider_id: Some(&who.provider_id),
        client_id: who.client_id.as_deref(),
        actor_kind: subject.as_str(),
        actor_id: &who.id,
        action: "login",
        target: "",
        outcome: "ip_denied",
        ip,
        user_agent: ua,
    };
    access_log::append(db, &denied).await?;
    Ok(false)
}

pub const NETWORK_DENIED_MESSAGE: &str = NETWORK_DENIED;

/// The live session behind the request's cookie, if any.
async fn live(req: &Request, env: &Env, db: &Db, now: DateTime<Utc>, kind: SubjectKind) -> ApiResult<Option<(Session, Keys)>> {
    let Some(token) = session::session_token(req) else { return Ok(None) };
    let keys = Keys::from_env(env)?;
    let Some((sid, knd)) = keys.verify(&token, now) else { return Ok(None) };
    if knd != kind.as_str() {
        return Ok(None);
    }
    Ok(store::live_session(db, &sid, now).await?.map(|s| (s, keys)))
}

/// An authorised client contact.
pub struct ContactCtx {
    /// The session's idle timeout, for the page's expiry warning.
    pub idle_minutes: i64,
    pub db: Db,
    pub now: DateTime<Utc>,
    pub scope: ClientScope,
    pub csrf: String,
    pub ip: String,
    pub user_agent: String,
}

impl ContactCtx {
    /// Appends to the access log as this contact.
    pub async fn log(&self, action: &str, target: &str, outcome: &str) -> ApiResult<()> {
        access_log::append(
            &self.db,
            &AccessEvent {
                at: self.now,
                provider_id: Some(self.scope.provider_id().as_str()),
                client_id: Some(self.scope.client_id().as_str()),
                actor_kind: "contact",
                actor_id: self.scope.contact_id().as_str(),
                action,
                target,
                outcome,
                ip: &self.ip,
                user_agent: &self.user_agent,
            },
        )
        .await?;
        Ok(())
    }
}

pub async fn contact(req: &Request, env: &Env) -> ApiResult<Option<ContactCtx>> {
    let db = db(env)?;
    let now = now(req, env);
    let Some(token) = session::session_token(req) else { return Ok(None) };
    let keys = Keys::from_env(env)?;
    let Some((sid, knd)) = keys.verify(&token, now) else { return Ok(None) };
    if knd != SubjectKind::Contact.as_str() {
        return Ok(None);
    }
    let Some((session, scope)) = store::live_contact(&db, &sid, now).await? else { return Ok(None) };
    let csrf = keys.csrf_token(&session.id);
    let ctx =
        ContactCtx { idle_minutes: session.idle_timeout_minutes, db, now, scope, csrf, ip: client_ip(req), user_agent: user_agent(req) };
    if !ctx.scope.settings().ip_allowlist.allows(&ctx.ip) {
        ctx.log("request", &req.path(), "ip_denied").await?;
        return Err(ApiError::forbidden(NETWORK_DENIED));
    }
    Ok(Some(ctx))
}

/// An authorised provider staff user.
pub struct StaffCtx {
    pub db: Db,
    pub now: DateTime<Utc>,
    pub scope: ProviderScope,
    pub csrf: String,
}

pub async fn staff(req: &Request, env: &Env) -> ApiResult<Option<StaffCtx>> {
    let db = db(env)?;
    let now = now(req, env);
    let Some((session, keys)) = live(req, env, &db, now, SubjectKind::Staff).await? else { return Ok(None) };
    let Some(scope) = store::staff_scope(&db, &session).await? else { return Ok(None) };
    let ip = client_ip(req);
    if !scope.staff_ip_allowlist().allows(&ip) {
        let denied = AccessEvent {
            at: now,
            provider_id: Some(scope.provider_id().as_str()),
            client_id: None,
            actor_kind: "staff",
            actor_id: scope.staff_id().map(|s| s.as_str()).unwrap_or_default(),
            action: "request",
            target: &req.path(),
            outcome: "ip_denied",
            ip: &ip,
            user_agent: &user_agent(req),
        };
        access_log::append(&db, &denied).await?;
        return Err(ApiError::forbidden(NETWORK_DENIED));
    }
    let csrf = keys.csrf_token(&session.id);
    Ok(Some(StaffCtx { db, now, scope, csrf }))
}

/// POST only, with the session's CSRF token; revokes the session row at once.
pub async fn logout(mut req: Request, env: &Env, who: Who) -> ApiResult<Response> {
    let db = db(env)?;
    let now = now(&req, env);
    let kind = if who == Who::Contact { SubjectKind::Contact } else { SubjectKind::Staff };
    let login = if who == Who::Contact { "/login" } else { "/admin/login" };
    let live = live(&req, env, &db, now, kind).await?;
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the sign-out form"))?;
    if let Some((s, keys)) = live {
        if !keys.csrf_ok(&s.id, &field(&form, "csrf")) {
            return Err(ApiError::forbidden("CSRF token missing or wrong"));
        }
        store::revoke_session(&db, &s.id, now).await?;
        access_log::append(
            &db,
            &AccessEvent {
                at: now,
                provider_id: Some(&s.provider_id),
                client_id: s.client_id.as_deref(),
                actor_kind: kind.as_str(),
                actor_id: &s.subject_id,
                action: "logout",
                target: "",
                outcome: "success",
                ip: &client_ip(&req),
                user_agent: &user_agent(&req),
            },
        )
        .await?;
    }
    let mut r = redirect(login)?;
    r.headers_mut().append("set-cookie", &session::clear_session_cookie())?;
    Ok(r)
}
