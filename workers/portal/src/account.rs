//! Account links by e-mail: password reset (1 hour) and passwordless sign-in (10 minutes).
//! The request form answers the same whether the address exists or not (no enumeration); the
//! token travels in the link's fragment and is consumed only on POST; a reset revokes every
//! session and never signs in (so it cannot bypass MFA); a sign-in link goes through the same
//! network and MFA checks as a password.

use crate::admin::send_email;
use crate::auth::{self, NETWORK_DENIED_MESSAGE};
use crate::html;
use crate::pages::Nav;
use crate::session::{self, LOGIN_CSRF_COOKIE};
use crate::staff::field;
use askama::Template;
use clearhours_domain::email::{AccountLink, LinkPurpose};
use clearhours_domain::password;
use clearhours_domain::throttle::{Outcome, Purpose as Throttled};
use clearhours_http::{client_ip, cookie, now, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::account_links::{self as store, Purpose};
use clearhours_storage::auth::{find_contact_login, find_staff_login, SubjectKind};
use clearhours_storage::throttle;
use worker::{Env, Request, Response};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    nav: &'a Nav,
    title: &'a str,
    intro: &'a str,
    action: &'a str,
    button: &'a str,
    who: &'a str,
    csrf: &'a str,
    back: &'a str,
    show_form: bool,
    ask_email: bool,
    ask_token: bool,
    ask_password: bool,
    message: Option<&'a str>,
    error: Option<&'a str>,
}

/// Which form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Forgot,
    Reset,
    LinkRequest,
    LinkConfirm,
}

fn who_of(req: &Request) -> &'static str {
    let staff = req.url().ok().is_some_and(|u| u.query_pairs().any(|(k, v)| k == "who" && v == "staff"));
    if staff {
        "staff"
    } else {
        "contact"
    }
}

fn render(form: Form, who: &str, message: Option<&str>, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let csrf = session::random_token()?;
    let back = if who == "staff" { "/admin/login" } else { "/login" };
    let (title, intro, action, button) = match form {
        Form::Forgot => (
            "Reset your password",
            "We will e-mail you a link to choose a new password. It works once, for an hour.",
            "/password/forgot",
            "Send the link",
        ),
        Form::Reset => (
            "Choose a new password",
            "At least 8 characters; a phrase of a few words works well. Every signed-in session ends.",
            "/password/reset",
            "Save the password",
        ),
        Form::LinkRequest => (
            "Sign in by e-mail",
            "We will e-mail you a link that signs you in. It works once, for 10 minutes.",
            "/login/link",
            "Send the link",
        ),
        Form::LinkConfirm => ("Sign in", "Press the button to sign in with the link from your e-mail.", "/login/link/confirm", "Sign in"),
    };
    let sent = message.is_some();
    let body = AccountPage {
        nav: &Nav::None,
        title,
        intro,
        action,
        button,
        who,
        csrf: &csrf,
        back,
        show_form: !sent,
        ask_email: matches!(form, Form::Forgot | Form::LinkRequest),
        ask_token: matches!(form, Form::Reset | Form::LinkConfirm),
        ask_password: form == Form::Reset,
        message,
        error,
    }
    .render()
    .map_err(ApiError::internal)?;
    let mut r = html(status, body)?;
    r.headers_mut().append("set-cookie", &session::login_csrf_cookie(&csrf))?;
    Ok(r)
}

pub fn page(req: &Request, form: Form) -> ApiResult<Response> {
    render(form, who_of(req), None, None, 200)
}

/// A posted account form: its fields once the double-submit CSRF check has passed, or the page
/// to answer with (the form again, saying it expired).
struct Posted {
    now: chrono::DateTime<chrono::Utc>,
    ip: String,
    ua: String,
    form: worker::FormData,
    who: &'static str,
}

async fn read_form(req: &mut Request, env: &Env, form_kind: Form, expired: &str) -> ApiResult<Result<Posted, Response>> {
    let now = now(req, env);
    let (ip, ua) = (client_ip(req), user_agent(req));
    let cookie_csrf = cookie(req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    let who = if field(&form, "who") == "staff" { "staff" } else { "contact" };
    if !session::double_submit_ok(&cookie_csrf, &field(&form, "csrf")) {
        return Ok(Err(render(form_kind, who, None, Some(expired), 403)?));
    }
    Ok(Ok(Posted { now, ip, ua, form, who }))
}

const SENT: &str = "If an account uses that address, we have sent it a link. Check your inbox (and spam folder).";

/// POST /password/forgot and /login/link — the same answer whether the account exists or not.
pub async fn request_link(mut req: Request, env: &Env, form_kind: Form) -> ApiResult<Response> {
    let Posted { now, ip, ua, form, who } = match read_form(&mut req, env, form_kind, "This form expired. Please try again.").await? {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let email = field(&form, "email").trim().to_string();
    if email.is_empty() || email.len() > 254 {
        return render(form_kind, who, None, Some("Enter your e-mail address."), 400);
    }
    let kind = if who == "staff" { SubjectKind::Staff } else { SubjectKind::Contact };
    // The directory says which shard holds the address (the directory database for an unknown
    // one, which then finds nobody there); the throttle, token and log live on that shard.
    let db = auth::login_db(env, &email, kind).await?;
    // Reserve the request before looking anything up (one conditional INSERT, counted per
    // purpose, per address and network, per address and per network): no mailbox is flooded
    // and a burst cannot slip past the limit. Throttled answers like sent.
    let purpose = if form_kind == Form::Forgot { Purpose::Reset } else { Purpose::SignIn };
    let throttled_as = if purpose == Purpose::Reset { Throttled::ResetLink } else { Throttled::SignInLink };
    let account = throttle::account_key(who, &email);
    let prefix = throttle::ip_prefix(&ip);
    let attempt = throttle::Attempt { purpose: throttled_as, account: &account, prefix: &prefix };
    if let Outcome::Throttled { .. } = throttle::reserve(&db, &attempt, now).await? {
        return render(form_kind, who, Some(SENT), None, 200);
    }
    let candidate = if kind == SubjectKind::Staff { find_staff_login(&db, &email).await? } else { find_contact_login(&db, &email).await? };
    if let Some(c) = candidate.filter(|c| c.disabled_at.is_none()) {
        // The link names its shard in front of the token (`storage::shards::tag_token`).
        let token = clearhours_storage::shards::tag_token(db.binding(), &store::issue(&db, purpose, kind, &c.id, now).await?);
        let base = env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default();
        let mail = AccountLink {
            to: &email,
            name: &email,
            portal_base_url: &base,
            path: if purpose == Purpose::Reset { "/password/reset" } else { "/login/link/confirm" },
            token: &token,
            minutes_valid: purpose.minutes(),
            purpose: if purpose == Purpose::Reset { LinkPurpose::Reset } else { LinkPurpose::SignIn },
        }
        .render();
        if let Err(e) = send_email(env, &mail).await {
            worker::console_error!("account link e-mail failed: {e}");
        }
        let action = if purpose == Purpose::Reset { "password_reset_requested" } else { "sign_in_link_requested" };
        access_log::append(
            &db,
            &AccessEvent {
                at: now,
                provider_id: Some(&c.provider_id),
                client_id: c.client_id.as_deref(),
                actor_kind: kind.as_str(),
                actor_id: &c.id,
                action,
                target: "",
                outcome: "success",
                ip: &ip,
                user_agent: &ua,
            },
        )
        .await?;
    }
    render(form_kind, who, Some(SENT), None, 200)
}

const INVALID: &str = "This link is not valid any more: it was used, replaced by a newer one, or has expired. Ask for a new one.";

/// POST /password/reset and /login/link/confirm — consume the token.
pub async fn use_link(mut req: Request, env: &Env, form_kind: Form) -> ApiResult<Response> {
    let Posted { now, ip, ua, form, who } =
        match read_form(&mut req, env, form_kind, "This form expired. Open the link from the e-mail again.").await? {
            Ok(p) => p,
            Err(page) => return Ok(page),
        };
    let token = field(&form, "token");
    let token = token.trim();
    // The token names its shard (`BINDING.token`); an unknown or malformed name is an invalid
    // link, and a wrong one finds no token there.
    let found = if token.is_empty() || token.len() > 200 { None } else { auth::token_db(env, token)? };
    if form_kind == Form::Reset {
        let (pw, pw2) = (field(&form, "password"), field(&form, "password2"));
        if pw != pw2 {
            return render(form_kind, who, None, Some("The two passwords differ."), 400);
        }
        if let Err(e) = password::check_new(&pw) {
            return render(form_kind, who, None, Some(&e), 400);
        }
        let Some((db, token)) = found else { return render(form_kind, who, None, Some(INVALID), 400) };
        let Some((kind, c)) = store::consume(&db, Purpose::Reset, token, now).await? else {
            return render(form_kind, who, None, Some(INVALID), 400);
        };
        let hash = password::hash(&pw, &clearhours_storage::db::random_salt()?).map_err(ApiError::internal)?;
        store::set_password(&db, kind, &c.id, &hash, now).await?;
        access_log::append(
            &db,
            &AccessEvent {
                at: now,
                provider_id: Some(&c.provider_id),
                client_id: c.client_id.as_deref(),
                actor_kind: kind.as_str(),
                actor_id: &c.id,
                action: "password_reset",
                target: "",
                outcome: "success",
                ip: &ip,
                user_agent: &ua,
            },
        )
        .await?;
        let who = if kind == SubjectKind::Staff { "staff" } else { "contact" };
        return render(
            form_kind,
            who,
            Some("Your password is changed and every session has ended. Sign in with the new password."),
            None,
            200,
        );
    }
    let Some((db, token)) = found else { return render(form_kind, who, None, Some(INVALID), 400) };
    let Some((kind, c)) = store::consume(&db, Purpose::SignIn, token, now).await? else {
        return render(form_kind, who, None, Some(INVALID), 400);
    };
    if !auth::network_allows(&db, &c, kind, now, &ip, &ua).await? {
        return render(form_kind, who, None, Some(NETWORK_DENIED_MESSAGE), 403);
    }
    auth::sign_in(env, &db, &c, kind, now, &ip, &ua, "login_link").await
}
