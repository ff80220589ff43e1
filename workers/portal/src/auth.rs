//! Sign-in, sign-out, and turning a request's session cookie into an authorised context.

use crate::pages::{self, LoginKind};
use crate::session::{self, Keys, LOGIN_CSRF_COOKIE};
use crate::{field, html, redirect};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::password;
use clearhours_domain::sign_in::{self, SecondStep, Verdict, BAD_LOGIN, NETWORK_DENIED, THROTTLED_DELAY_MS};
use clearhours_domain::throttle::{Outcome, Purpose};
use clearhours_http::{client_ip, cookie, now, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::auth::{self as store, LoginCandidate, Session, SubjectKind};
use clearhours_storage::mfa;
use clearhours_storage::scope::{ClientScope, ProviderScope};
use clearhours_storage::throttle;
use clearhours_storage::Db;
use worker::{Delay, Env, Request, Response};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Contact,
    Staff,
}

/// The directory database (and default shard): sign-in lookups, links, invitations.
pub fn db(env: &Env) -> ApiResult<Db> {
    clearhours_http::db(env)
}

/// The database of a shard named by a signed session token or the directory.
pub fn shard_db(env: &Env, binding: &str) -> ApiResult<Db> {
    clearhours_http::db_for(env, binding)
}

/// The shard an e-mailed link's token names (`BINDING.token`, see `storage::shards::tag_token`)
/// and the bare token; `None` when the name is malformed or not one of `D1_SHARDS` (the caller
/// answers "not valid", a 4xx). The token is then checked by its hash on that shard only.
pub fn token_db<'t>(env: &Env, tagged: &'t str) -> ApiResult<Option<(Db, &'t str)>> {
    let Some((binding, token)) = clearhours_storage::shards::split_token(tagged) else { return Ok(None) };
    if !clearhours_http::shard_bindings(env).iter().any(|b| b == binding) {
        return Ok(None);
    }
    Ok(Some((shard_db(env, binding)?, token)))
}

/// The shard holding the account that signs in with `email` (the directory says).
pub async fn login_db(env: &Env, email: &str, kind: SubjectKind) -> ApiResult<Db> {
    shard_db(env, &clearhours_storage::shards::login_binding(&db(env)?, email, kind.as_str()).await?)
}

/// The sign-in form with a fresh double-submit CSRF cookie.
pub fn login_form(kind: LoginKind, email: &str, error: Option<(u16, &str)>) -> ApiResult<Response> {
    let csrf = session::random_token()?;
    let body = pages::render_login(kind, email, error.map(|e| e.1), &csrf).map_err(ApiError::internal)?;
    let mut r = html(error.map_or(200, |e| e.0), body)?;
    r.headers_mut().append("set-cookie", &session::login_csrf_cookie(&csrf))?;
    Ok(r)
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
    if !sign_in::plausible(&email, &pw) {
        return login_form(kind, &email, Some((401, BAD_LOGIN)));
    }
    let (actor_kind, subject) = match kind {
        LoginKind::Client => ("contact", SubjectKind::Contact),
        LoginKind::Staff => ("staff", SubjectKind::Staff),
    };
    // Sign-in is global: the directory says which shard holds the account (one indexed read).
    let db = shard_db(env, &clearhours_storage::shards::login_binding(&db(env)?, &email, subject.as_str()).await?)?;
    // The account is looked up first (one cheap read) so every refusal below lands in its
    // provider's log; the typed e-mail itself is never logged.
    let candidate = match kind {
        LoginKind::Client => store::find_contact_login(&db, &email).await?,
        LoginKind::Staff => store::find_staff_login(&db, &email).await?,
    };
    let failed = FailedSignIn { env, db: &db, actor_kind, who: candidate.as_ref(), email: &email, now, ip: &ip, ua: &ua };
    // Reserve the attempt before verifying anything: one conditional INSERT, so concurrent
    // guesses cannot all pass the gate. The answers and what is logged are `sign_in`'s policy.
    let account = throttle::account_key(subject.as_str(), &email);
    let prefix = throttle::ip_prefix(&ip);
    let attempt = throttle::Attempt { purpose: Purpose::Password, account: &account, prefix: &prefix };
    let Outcome::Reserved(reservation) = throttle::reserve(&db, &attempt, now).await? else {
        // No Argon2 for a throttled attempt (under a flood, refusing must cost almost no CPU); it
        // waits about as long instead, on a timer.
        Delay::from(std::time::Duration::from_millis(THROTTLED_DELAY_MS)).await;
        failed.log("login", "throttled").await?;
        return login_form(kind, &email, Some((401, BAD_LOGIN)));
    };
    // Unknown accounts spend the same Argon2 time as known ones.
    let hash = candidate.as_ref().and_then(|c| c.password_hash.clone()).unwrap_or_else(|| password::DUMMY_HASH.to_string());
    let verified = password::verify(&pw, &hash);
    let account =
        candidate.as_ref().map(|c| sign_in::Account { has_password: c.password_hash.is_some(), disabled: c.disabled_at.is_some() });
    let proven = sign_in::proves(account, verified);
    // The network is asked only of a proven account (and logs its own refusal).
    let network = match (&candidate, proven) {
        (Some(w), true) => network_allows(&db, w, subject, now, &ip, &ua).await?,
        _ => false,
    };
    match (sign_in::verdict(proven, network, reservation.fills_lockout(Purpose::Password)), candidate.as_ref()) {
        (Verdict::Admit, Some(who)) => {
            throttle::succeeded(&db, &attempt).await?;
            sign_in(env, &db, who, subject, now, &ip, &ua, "login").await
        }
        (Verdict::Refuse { log_failure, log_lockout }, _) => {
            if log_failure {
                failed.log("login", "failure").await?;
            }
            if log_lockout {
                failed.log("lockout", "locked").await?;
            }
            login_form(kind, &email, Some((401, BAD_LOGIN)))
        }
        (Verdict::Admit, None) => Err(ApiError::internal("a sign-in was admitted without an account")),
    }
}

/// A failed or refused sign-in, as the access log records it: in the account's provider's log
/// (with the account as the actor) when the e-mail belongs to an account; otherwise in the log
/// of no provider with a keyed tag of the e-mail (`audit::email_tag`) — never the typed address.
struct FailedSignIn<'a> {
    env: &'a Env,
    db: &'a Db,
    actor_kind: &'a str,
    who: Option<&'a LoginCandidate>,
    email: &'a str,
    now: DateTime<Utc>,
    ip: &'a str,
    ua: &'a str,
}

impl FailedSignIn<'_> {
    async fn log(&self, action: &str, outcome: &str) -> ApiResult<()> {
        let tag = match self.who {
            Some(_) => String::new(),
            None => clearhours_http::audit_keys(self.env).map(|k| clearhours_domain::audit::email_tag(&k, self.email)).unwrap_or_default(),
        };
        let event = AccessEvent {
            at: self.now,
            provider_id: self.who.map(|c| c.provider_id.as_str()),
            client_id: self.who.and_then(|c| c.client_id.as_deref()),
            actor_kind: self.actor_kind,
            actor_id: self.who.map_or("", |c| c.id.as_str()),
            action,
            target: &tag,
            outcome,
            ip: self.ip,
            user_agent: self.ua,
        };
        access_log::append(self.db, &event).await?;
        Ok(())
    }
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
    let step = SecondStep::of(enrolled, required);
    let s = store::create_session_with(db, who, subject, step.as_str(), now, ip, ua).await?;
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
    let token = keys.issue(&s.id, subject.as_str(), db.binding(), now, lifetime)?;
    let mut r = redirect(step.next_page(subject == SubjectKind::Staff))?;
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
    if sign_in::network_allows(&who.ip_allowlist, ip) {
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

/// The session id the request's cookie carries for an account of `kind` (signature and expiry
/// checked, not yet the stored session) and its shard, with the keys that checked it.
fn session_id(req: &Request, env: &Env, now: DateTime<Utc>, kind: SubjectKind) -> ApiResult<Option<(String, String, Keys)>> {
    let Some(token) = session::session_token(req) else { return Ok(None) };
    let keys = Keys::from_env(env)?;
    Ok(keys.verify(&token, now).filter(|v| v.knd == kind.as_str()).map(|v| (v.sid, v.shard, keys)))
}

/// The live session behind the request's cookie, if any, with its shard's database.
async fn live(req: &Request, env: &Env, now: DateTime<Utc>, kind: SubjectKind) -> ApiResult<Option<(Session, Keys, Db)>> {
    let Some((sid, shard, keys)) = session_id(req, env, now, kind)? else { return Ok(None) };
    let db = shard_db(env, &shard)?;
    Ok(store::live_session(&db, &sid, now).await?.map(|s| (s, keys, db)))
}

/// An authorised client contact.
pub struct ContactCtx {
    /// The session's id (the account page keeps it when signing out elsewhere).
    pub session_id: String,
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
    /// Records a view or read as this contact. The row is written after the response (see
    /// `access_log::defer`): a view never waits for, or fails on, the log.
    pub async fn log(&self, action: &str, target: &str, outcome: &str) -> ApiResult<()> {
        access_log::defer_on(self.db.binding(), &self.event(action, target, outcome));
        Ok(())
    }

    fn event<'a>(&'a self, action: &'a str, target: &'a str, outcome: &'a str) -> AccessEvent<'a> {
        AccessEvent {
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
        }
    }
}

pub async fn contact(req: &Request, env: &Env) -> ApiResult<Option<ContactCtx>> {
    let now = now(req, env);
    let Some((sid, shard, keys)) = session_id(req, env, now, SubjectKind::Contact)? else { return Ok(None) };
    // The token names the shard; the session row and every query of the request are there.
    let db = shard_db(env, &shard)?;
    let Some((session, scope)) = store::live_contact(&db, &sid, now).await? else { return Ok(None) };
    let csrf = keys.csrf_token(&session.id);
    let ctx = ContactCtx {
        session_id: session.id,
        idle_minutes: session.idle_timeout_minutes,
        db,
        now,
        scope,
        csrf,
        ip: client_ip(req),
        user_agent: user_agent(req),
    };
    if !ctx.scope.settings().ip_allowlist.allows(&ctx.ip) {
        access_log::append(&ctx.db, &ctx.event("request", &req.path(), "ip_denied")).await?;
        return Err(ApiError::forbidden(NETWORK_DENIED));
    }
    Ok(Some(ctx))
}

/// An authorised provider staff user.
pub struct StaffCtx {
    /// The session's id (the account page keeps it when signing out elsewhere).
    pub session_id: String,
    pub db: Db,
    pub now: DateTime<Utc>,
    pub scope: ProviderScope,
    pub csrf: String,
}

pub async fn staff(req: &Request, env: &Env) -> ApiResult<Option<StaffCtx>> {
    let now = now(req, env);
    let Some((session, keys, db)) = live(req, env, now, SubjectKind::Staff).await? else { return Ok(None) };
    let Some(scope) = store::staff_scope(&db, &session).await? else { return Ok(None) };
    let (ip, ua, path) = (client_ip(req), user_agent(req), req.path());
    let event = |action, outcome| AccessEvent {
        at: now,
        provider_id: Some(scope.provider_id().as_str()),
        client_id: None,
        actor_kind: "staff",
        actor_id: scope.staff_id().map(|s| s.as_str()).unwrap_or_default(),
        action,
        target: &path,
        outcome,
        ip: &ip,
        user_agent: &ua,
    };
    if !scope.staff_ip_allowlist().allows(&ip) {
        access_log::append(&db, &event("request", "ip_denied")).await?;
        return Err(ApiError::forbidden(NETWORK_DENIED));
    }
    let csrf = keys.csrf_token(&session.id);
    if req.method() == worker::Method::Get {
        // Staff page views are on record like clients' (written after the response).
        access_log::defer_on(db.binding(), &event("admin_view", "success"));
    }
    Ok(Some(StaffCtx { session_id: session.id, db, now, scope, csrf }))
}

/// POST only, with the session's CSRF token; revokes the session row at once.
pub async fn logout(mut req: Request, env: &Env, who: Who) -> ApiResult<Response> {
    let now = now(&req, env);
    let kind = if who == Who::Contact { SubjectKind::Contact } else { SubjectKind::Staff };
    let login = if who == Who::Contact { "/login" } else { "/admin/login" };
    let live = live(&req, env, now, kind).await?;
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the sign-out form"))?;
    if let Some((s, keys, db)) = live {
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
