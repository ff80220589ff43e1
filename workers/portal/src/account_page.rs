//! The account page (`/account`), for client contacts and staff alike, linked from the header:
//! change the password, turn on two-step verification (the setup itself is `/mfa/setup`) and
//! renew recovery codes, see where the account is signed in and sign out everywhere.
//! Every change asks for the current password (except signing out) and is logged.

use crate::auth::{self, ContactCtx, StaffCtx};
use crate::pages::Nav;
use crate::session;
use crate::staff::field;
use crate::{html, redirect, staff, views};
use askama::Template;
use chrono::{DateTime, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::password;
use clearhours_domain::throttle::{Outcome, Purpose};
use clearhours_http::{client_ip, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::account::{self as store, Account, SessionInfo};
use clearhours_storage::auth::SubjectKind;
use clearhours_storage::throttle;
use clearhours_storage::Db;
use worker::{Env, Request, Response};

/// Whoever is signed in: a contact or a staff user, with what the page needs of either.
struct Who {
    kind: SubjectKind,
    subject: String,
    session_id: String,
    provider_id: String,
    client_id: Option<String>,
    csrf: String,
    db: Db,
    now: DateTime<Utc>,
    /// Times are shown in the client's time zone (staff: UTC).
    calendar: Option<ClientCalendar>,
    nav: Nav,
    /// A contact's scope (their e-mail choices are read and saved through it).
    scope: Option<clearhours_storage::scope::ClientScope>,
}

impl Who {
    fn contact(ctx: ContactCtx) -> Self {
        let nav = views::nav(&ctx);
        Who {
            kind: SubjectKind::Contact,
            subject: ctx.scope.contact_id().to_string(),
            session_id: ctx.session_id,
            provider_id: ctx.scope.provider_id().to_string(),
            client_id: Some(ctx.scope.client_id().to_string()),
            calendar: Some(ctx.scope.settings().calendar),
            scope: Some(ctx.scope.clone()),
            csrf: ctx.csrf,
            db: ctx.db,
            now: ctx.now,
            nav,
        }
    }

    async fn staff(ctx: StaffCtx) -> ApiResult<Self> {
        let nav = staff::nav(&ctx).await?;
        Ok(Who {
            kind: SubjectKind::Staff,
            subject: ctx.scope.staff_id().map(ToString::to_string).unwrap_or_default(),
            session_id: ctx.session_id,
            provider_id: ctx.scope.provider_id().to_string(),
            client_id: None,
            calendar: None,
            scope: None,
            csrf: ctx.csrf,
            db: ctx.db,
            now: ctx.now,
            nav,
        })
    }

    async fn log(&self, req: &Request, action: &str, outcome: &str) -> ApiResult<()> {
        access_log::append(
            &self.db,
            &AccessEvent {
                at: self.now,
                provider_id: Some(&self.provider_id),
                client_id: self.client_id.as_deref(),
                actor_kind: self.kind.as_str(),
                actor_id: &self.subject,
                action,
                target: "",
                outcome,
                ip: &client_ip(req),
                user_agent: &user_agent(req),
            },
        )
        .await?;
        Ok(())
    }

    fn time(&self, stored: &str) -> String {
        match (DateTime::parse_from_rfc3339(stored), self.calendar) {
            (Ok(t), Some(c)) => t.with_timezone(&c.tz).format("%b %-d, %Y, %H:%M %Z").to_string(),
            (Ok(t), None) => t.with_timezone(&Utc).format("%b %-d, %Y, %H:%M UTC").to_string(),
            (Err(_), _) => stored.to_string(),
        }
    }

    fn login_path(&self) -> &'static str {
        match self.kind {
            SubjectKind::Contact => "/login",
            SubjectKind::Staff => "/admin/login",
        }
    }
}

/// The signed-in account, contact first; `None` for nobody.
async fn who(req: &Request, env: &Env) -> ApiResult<Option<Who>> {
    if let Some(ctx) = auth::contact(req, env).await? {
        return Ok(Some(Who::contact(ctx)));
    }
    match auth::staff(req, env).await? {
        Some(ctx) => Ok(Some(Who::staff(ctx).await?)),
        None => Ok(None),
    }
}

/// One row of "where you are signed in".
pub struct SessionRow {
    pub device: String,
    pub ip: String,
    pub started: String,
    pub last_active: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account_settings.html")]
struct AccountPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    account: &'a Account,
    staff: bool,
    mfa_since: Option<String>,
    recovery_total: usize,
    new_codes: Option<Vec<String>>,
    sessions: Vec<SessionRow>,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    /// A contact's e-mail choices (staff: `None`).
    prefs: Option<clearhours_storage::alerts::ContactPrefs>,
}

/// "Chrome on macOS" from a user-agent string (or "Unknown device").
fn device(ua: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari")]
        .iter()
        .find(|(k, _)| ua.contains(k))
        .map(|(_, v)| *v);
    let os =
        [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]
            .iter()
            .find(|(k, _)| ua.contains(k))
            .map(|(_, v)| *v);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => "Unknown device".to_string(),
    }
}

async fn render(w: &Who, notice: Option<&str>, error: Option<&str>, new_codes: Option<Vec<String>>, status: u16) -> ApiResult<Response> {
    let account = store::account(&w.db, w.kind, &w.subject).await?.ok_or_else(ApiError::not_found)?;
    let mut sessions: Vec<SessionInfo> = store::live_sessions(&w.db, w.kind, &w.subject, w.now).await?;
    // This session first, then the others, most recently used first.
    sessions.sort_by_key(|s| s.id != w.session_id);
    let sessions = sessions
        .iter()
        .map(|s| SessionRow {
            device: device(&s.user_agent),
            ip: if s.ip.is_empty() { "—".to_string() } else { s.ip.clone() },
            started: w.time(&s.created_at),
            last_active: w.time(&s.last_seen_at),
            current: s.id == w.session_id,
        })
        .collect();
    let prefs = match &w.scope {
        Some(scope) => Some(clearhours_storage::alerts::contact_prefs(&w.db, scope).await?),
        None => None,
    };
    let body = AccountPage {
        prefs,
        nav: &w.nav,
        csrf: &w.csrf,
        mfa_since: account.mfa_since.as_deref().map(|t| w.time(t)),
        account: &account,
        staff: w.kind == SubjectKind::Staff,
        recovery_total: clearhours_storage::mfa::RECOVERY_CODES,
        new_codes,
        sessions,
        notice,
        error,
    }
    .render()
    .map_err(ApiError::internal)?;
    html(status, body)
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "password" => "Password changed. You stay signed in here; every other session was signed out.",
        "others" => "Signed out of every other session.",
        "mfa" => "Two-step verification is on.",
        "notifications" => "Your e-mail choices are saved.",
        _ => return None,
    })
}

/// GET /account
pub async fn page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(w) = who(req, env).await? else { return redirect("/login") };
    let notice = req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "done").map(|(_, v)| v.to_string()));
    w.log(req, "view_account", "success").await?;
    render(&w, notice.as_deref().and_then(notice_text), None, None, 200).await
}

/// Checks the current password (throttled like sign-in); `Err` is the page to show instead.
async fn current_password_ok(w: &Who, req: &Request, given: &str, account: &Account) -> ApiResult<Result<(), Response>> {
    // The same atomic reservation as the sign-in form (one conditional INSERT before Argon2),
    // keyed by the signed-in account, so a stolen session cannot brute-force the password.
    let key = throttle::account_key("account", &w.subject);
    let prefix = throttle::ip_prefix(&client_ip(req));
    let attempt = throttle::Attempt { purpose: Purpose::Password, account: &key, prefix: &prefix };
    if let Outcome::Throttled { retry_minutes } = throttle::reserve(&w.db, &attempt, w.now).await? {
        w.log(req, "account_password_check", "throttled").await?;
        let msg = format!("Too many wrong passwords. Try again in {retry_minutes} minutes.");
        return Ok(Err(render(w, None, Some(&msg), None, 429).await?));
    }
    let hash = account.password_hash.clone().unwrap_or_else(|| password::DUMMY_HASH.to_string());
    if given.is_empty() || given.len() > 1024 || !password::verify(given, &hash) || account.password_hash.is_none() {
        w.log(req, "account_password_check", "failure").await?;
        return Ok(Err(render(w, None, Some("Your current password is not right."), None, 400).await?));
    }
    throttle::succeeded(&w.db, &attempt).await?;
    Ok(Ok(()))
}

/// POST /account/{password|recovery-codes|sessions}
pub async fn post(mut req: Request, env: &Env, action: &str) -> ApiResult<Response> {
    let Some(w) = who(&req, env).await? else { return redirect("/login") };
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    let given = field(&form, "csrf");
    if given.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), w.csrf.as_bytes())) {
        return Err(ApiError::forbidden("CSRF token missing or wrong"));
    }
    match action {
        "password" => {
            let account = store::account(&w.db, w.kind, &w.subject).await?.ok_or_else(ApiError::not_found)?;
            let (new, new2) = (field(&form, "password"), field(&form, "password2"));
            if new != new2 {
                return render(&w, None, Some("The two new passwords differ."), None, 400).await;
            }
            if let Err(e) = password::check_new(&new) {
                return render(&w, None, Some(&e), None, 400).await;
            }
            if let Err(page) = current_password_ok(&w, &req, &field(&form, "current"), &account).await? {
                return Ok(page);
            }
            let hash = password::hash(&new, &clearhours_storage::db::random_salt()?).map_err(ApiError::internal)?;
            store::change_password(&w.db, w.kind, &w.subject, &hash, &w.session_id, w.now).await?;
            w.log(&req, "password_change", "success").await?;
            redirect("/account?done=password")
        }
        "recovery-codes" => {
            let account = store::account(&w.db, w.kind, &w.subject).await?.ok_or_else(ApiError::not_found)?;
            if let Err(page) = current_password_ok(&w, &req, &field(&form, "current"), &account).await? {
                return Ok(page);
            }
            let Some(codes) = store::new_recovery_codes(&w.db, w.kind, &w.subject).await? else {
                return render(&w, None, Some("Turn on two-step verification first."), None, 409).await;
            };
            w.log(&req, "mfa_recovery_codes", "success").await?;
            render(&w, Some("New recovery codes made. The old ones no longer work."), None, Some(codes), 200).await
        }
        "sessions" => {
            let everywhere = field(&form, "which") == "all";
            let keep = (!everywhere).then_some(w.session_id.as_str());
            store::revoke_sessions(&w.db, w.kind, &w.subject, keep, w.now).await?;
            w.log(&req, if everywhere { "logout_everywhere" } else { "logout_others" }, "success").await?;
            if everywhere {
                let mut r = redirect(w.login_path())?;
                r.headers_mut().append("set-cookie", &session::clear_session_cookie())?;
                Ok(r)
            } else {
                redirect("/account?done=others")
            }
        }
        "notifications" => {
            let Some(scope) = &w.scope else { return Err(ApiError::not_found()) };
            let on = |name: &str| field(&form, name) == "1";
            let (thresholds, digest) = (on("thresholds"), on("digest"));
            clearhours_storage::alerts::set_contact_prefs(&w.db, scope, thresholds, digest).await?;
            w.log(&req, "notification_settings", "success").await?;
            redirect("/account?done=notifications")
        }
        _ => Err(ApiError::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_in_words() {
        let chrome_mac =
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0 Safari/537.36";
        assert_eq!(device(chrome_mac), "Chrome on macOS");
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(safari_iphone), "Safari on iOS");
        assert_eq!(device(""), "Unknown device");
    }
}
