//! The provider's admin area beyond the overview: a client's visibility settings, its portal
//! accounts (create, invite, resend, revoke, disable), "view as client", and the invitation
//! acceptance page. Every state change is a POST with the session's CSRF token and is logged.

use crate::admin_pages::{self, ClientPageData, ContactView};
use crate::auth::{self, StaffCtx};
use crate::pages::{self, Nav};
use crate::session::{self, LOGIN_CSRF_COOKIE};
use crate::staff::{field, log, staff_form, staff_or_login};
use crate::views::dashboards_for;
use crate::{html, redirect};
use askama::Template;
use clearhours_domain::email::{Email, Invitation};
use clearhours_domain::ids::{ClientId, ContactId, ProjectId};
use clearhours_domain::password;
use clearhours_domain::settings::{
    BudgetMoney, ContactRole, DescriptionMode, NonBillable, RatesVisibility, TeamDisplay, ViewMode, Visibility,
};
use clearhours_http::{client_ip, cookie, now, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::admin::{self as store, NewContactError};
use clearhours_storage::auth::{LoginCandidate, SubjectKind};
use clearhours_storage::provider::provider_name;
use worker::{Env, Fetch, Method, Request, RequestInit, Response};

/// GET /admin/clients/{id}
pub async fn client_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let notice = req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "done").map(|(_, v)| v.to_string()));
    render_client(&ctx, id, notice.as_deref().and_then(notice_text), None, 200).await
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "visibility" => "Visibility saved. The client sees the change on their next page view.",
        "invited" => "Invitation sent.",
        "revoked" => "Invitation revoked.",
        "disabled" => "Account disabled and signed out everywhere.",
        "enabled" => "Account enabled.",
        "mfa_reset" => {
            "Two-step verification removed and the account signed out everywhere. It is set up again at the next sign-in if required."
        }
        "note" => "Note added. The client sees it on the project's dashboard.",
        "note_deleted" => "Note deleted.",
        "network" => "Network access saved.",
        "shared_thresholds" => "Shared alerts saved. Contacts who opted in hear about these thresholds.",
        "mfa" => "Two-step verification setting saved. It applies from each contact's next sign-in.",
        _ => return None,
    })
}

async fn render_client(ctx: &StaffCtx, id: &str, notice: Option<&str>, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let id = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let client = store::client(&ctx.db, &ctx.scope, &id).await?.ok_or_else(ApiError::not_found)?;
    let contacts = store::contacts(&ctx.db, &ctx.scope, &id).await?;
    let views: Vec<ContactView> = contacts.iter().map(|c| ContactView::of(c, ctx.now)).collect();
    let visibility = client.visibility()?;
    let projects = clearhours_storage::notes::client_projects(&ctx.db, &ctx.scope, &id).await?;
    let notes = clearhours_storage::notes::notes(&ctx.db, &ctx.scope, &id).await?;
    let provider = provider_name(&ctx.db, &ctx.scope).await?;
    let nav = Nav::Staff { provider_name: provider, csrf: ctx.csrf.clone() };
    let shared_thresholds = clearhours_storage::alerts::shared_thresholds(&ctx.db, &ctx.scope, &id).await?;
    let data = ClientPageData {
        client: &client,
        visibility: &visibility,
        contacts: &views,
        projects: &projects,
        notes: &notes,
        shared_thresholds: &shared_thresholds,
    };
    let body = admin_pages::render_client(&nav, &data, &ctx.csrf, notice, error).map_err(ApiError::internal)?;
    html(status, body)
}

/// POST /admin/clients/{id}/visibility
pub async fn save_visibility(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let parsed = (|| -> Result<Visibility, String> {
        Ok(Visibility {
            rates: RatesVisibility::parse(&field(&form, "rates"))?,
            descriptions: DescriptionMode::parse(&field(&form, "descriptions"))?,
            team: TeamDisplay::parse(&field(&form, "team"))?,
            view: ViewMode::parse(&field(&form, "view"))?,
            non_billable: NonBillable::parse(&field(&form, "non_billable"))?,
            // Absent (a form from before the setting existed): the private choice.
            budget_money: match field(&form, "budget_money").as_str() {
                "" => BudgetMoney::default(),
                s => BudgetMoney::parse(s)?,
            },
        })
    })();
    let v = match parsed {
        Ok(v) => v,
        Err(e) => return render_client(&ctx, id, None, Some(&format!("Not saved: {e}")), 400).await,
    };
    // The locale: absent leaves it as it is; "" means "from the time zone".
    let locale = match form.get("locale") {
        None => None,
        Some(_) => {
            let raw = field(&form, "locale");
            if raw.trim().is_empty() {
                Some(String::new())
            } else {
                match clearhours_domain::locale::Locale::parse(&raw) {
                    Ok(l) => Some(l.tag().to_string()),
                    Err(e) => return render_client(&ctx, id, None, Some(&format!("Not saved: {e}")), 400).await,
                }
            }
        }
    };
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    if !store::set_visibility(&ctx.db, &ctx.scope, &cid, &v, locale.as_deref()).await? {
        return Err(ApiError::not_found());
    }
    let detail = format!(
        "rates={} descriptions={} team={} view={} non_billable={} budget_money={}{}",
        v.rates.as_str(),
        v.descriptions.as_str(),
        v.team.as_str(),
        v.view.as_str(),
        v.non_billable.as_str(),
        v.budget_money.as_str(),
        locale.as_deref().map_or_else(String::new, |l| format!(" locale={}", if l.is_empty() { "auto" } else { l }))
    );
    log(&ctx, &req, Some(cid.as_str()), "admin_visibility", &detail).await?;
    redirect(&format!("/admin/clients/{cid}?done=visibility"))
}

/// POST /admin/clients/{id}/contacts — create a contact and send the invitation.
pub async fn create_contact(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let (name, email) = (field(&form, "name").trim().to_string(), field(&form, "email").trim().to_string());
    let role = ContactRole::parse(&field(&form, "role")).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 200 {
        return render_client(&ctx, id, None, Some("Give the contact a name (at most 200 characters)."), 400).await;
    }
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') || email.contains(char::is_whitespace) {
        return render_client(&ctx, id, None, Some("That e-mail address does not look right."), 400).await;
    }
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let contact_id = match store::create_contact(&ctx.db, &ctx.scope, &cid, &email, &name, role, ctx.now).await? {
        Ok(c) => c,
        Err(NewContactError::UnknownClient) => return Err(ApiError::not_found()),
        Err(NewContactError::EmailTaken) => {
            return render_client(&ctx, id, None, Some("That e-mail address already has a portal account."), 409).await
        }
    };
    // Sign-in is global: the directory learns which provider (hence shard) holds the address.
    clearhours_storage::shards::add_login(&crate::auth::db(env)?, &email, "contact", ctx.scope.provider_id().as_str()).await?;
    log(&ctx, &req, Some(cid.as_str()), "admin_contact_create", contact_id.as_str()).await?;
    send_invitation(&ctx, &req, env, &contact_id).await
}

/// POST /admin/contacts/{id}/{invite|revoke|disable|enable}
pub async fn contact_action(mut req: Request, env: &Env, id: &str, action: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    staff_form(&mut req, &ctx).await?;
    let id = ContactId::parse(id).map_err(|_| ApiError::not_found())?;
    let contact = store::contact(&ctx.db, &ctx.scope, &id).await?.ok_or_else(ApiError::not_found)?;
    match action {
        "invite" => return send_invitation(&ctx, &req, env, &id).await,
        "revoke" => {
            store::revoke_invitations(&ctx.db, &contact, ctx.now).await?;
        }
        "disable" => store::set_disabled(&ctx.db, &contact, true, ctx.now).await?,
        "enable" => store::set_disabled(&ctx.db, &contact, false, ctx.now).await?,
        "reset-mfa" => clearhours_storage::mfa::reset(&ctx.db, "contact", &contact.id, ctx.now).await?,
        _ => return Err(ApiError::not_found()),
    }
    log(&ctx, &req, Some(&contact.client_id), &format!("admin_contact_{action}"), id.as_str()).await?;
    let done = match action {
        "revoke" => "revoked",
        "disable" => "disabled",
        "reset-mfa" => "mfa_reset",
        _ => "enabled",
    };
    redirect(&format!("/admin/clients/{}?done={done}", contact.client_id))
}

async fn send_invitation(ctx: &StaffCtx, req: &Request, env: &Env, id: &ContactId) -> ApiResult<Response> {
    let contact = store::contact(&ctx.db, &ctx.scope, id).await?.ok_or_else(ApiError::not_found)?;
    if contact.disabled_at.is_some() {
        return render_client(ctx, &contact.client_id, None, Some("Enable the account before inviting it."), 409).await;
    }
    if contact.has_password != 0 && contact.invitation_expires_at.is_none() {
        let msg = "This contact already has a password and signs in. If they forgot it, they can reset it from the sign-in page.";
        return render_client(ctx, &contact.client_id, None, Some(msg), 409).await;
    }
    let client = store::client(&ctx.db, &ctx.scope, &ClientId::parse(&contact.client_id).map_err(ApiError::internal)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (token, expires) = store::invite(&ctx.db, &ctx.scope, &contact, ctx.now).await?;
    // The link names the provider's shard in front of the token (`storage::shards::tag_token`).
    let token = clearhours_storage::shards::tag_token(ctx.db.binding(), &token);
    let base = env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default();
    let provider = provider_name(&ctx.db, &ctx.scope).await?;
    let email = Invitation {
        to: &contact.email,
        contact_name: &contact.name,
        client_name: &client.name,
        provider_name: &provider,
        portal_base_url: &base,
        token: &token,
        expires_on: expires.date_naive(),
    }
    .render();
    log(ctx, req, Some(&contact.client_id), "admin_invite", id.as_str()).await?;
    if let Err(e) = send_email(env, &email).await {
        worker::console_error!("invitation e-mail failed: {e}");
        return render_client(
            ctx,
            &contact.client_id,
            None,
            Some("The invitation was created but the e-mail could not be sent. Try “Resend invitation”."),
            502,
        )
        .await;
    }
    redirect(&format!("/admin/clients/{}?done=invited", contact.client_id))
}

/// Sends an e-mail through the HTTP e-mail API at `EMAIL_API_URL` (a capture server locally).
pub(crate) async fn send_email(env: &Env, email: &Email) -> Result<(), String> {
    let url = env.var("EMAIL_API_URL").map(|v| v.to_string()).map_err(|_| "EMAIL_API_URL is not configured".to_string())?;
    let headers = worker::Headers::new();
    headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
    let body = serde_json::to_string(email).map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let req = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let resp = Fetch::Request(req).send().await.map_err(|e| e.to_string())?;
    if (200..300).contains(&resp.status_code()) {
        Ok(())
    } else {
        Err(format!("e-mail API answered {}", resp.status_code()))
    }
}

/// GET /admin/preview/{contact}/projects[/{id}] — exactly what that contact would see.
pub async fn preview(req: &Request, env: &Env, contact: &str, project: Option<&str>) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let cid = ContactId::parse(contact).map_err(|_| ApiError::not_found())?;
    let scope = store::preview_scope(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    let contact_row = store::contact(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    let label = format!("Previewing as {} · {}", contact_row.name, scope.settings().name);
    let nav = Nav::Preview { label, csrf: ctx.csrf.clone() };
    let billing = crate::billing::summary_for_scope(&ctx.db, &scope, ctx.now).await?;
    let body = match project {
        None => {
            let ds = dashboards_for(&ctx.db, &scope, ctx.now, None).await?;
            pages::render_portfolio(&nav, &ds, billing.as_ref())
        }
        Some(p) => {
            let pid = ProjectId::parse(p).map_err(|_| ApiError::not_found())?;
            let mut d = dashboards_for(&ctx.db, &scope, ctx.now, Some(&pid)).await?.into_iter().next().ok_or_else(ApiError::not_found)?;
            crate::budget::with_steps(&ctx.db, &scope, &mut d).await?;
            {
                // Exactly what the contact sees, the open-questions link included.
                let open = clearhours_storage::questions::client_open_counts(&ctx.db, &scope).await?;
                let n = open.into_iter().find(|(p, _)| p == d.project_id.as_str()).map_or(0, |(_, n)| n);
                pages::render_dashboard(&nav, &d, billing.as_ref(), Some(n))
            }
        }
    }
    .map_err(ApiError::internal)?;
    log(&ctx, req, Some(scope.client_id().as_str()), "admin_preview", cid.as_str()).await?;
    // Links inside the client pages point at client routes; keep the preview inside the preview.
    // The client's own activity page maps to the provider's access log, filtered to this client.
    let body = body
        .replace("href=\"/projects", &format!("href=\"/admin/preview/{cid}/projects"))
        .replace("href=\"/activity\"", &format!("href=\"/admin/audit?client={}\"", scope.client_id()));
    html(200, body)
}

/// GET /invite — the set-password form; the token arrives in the fragment (see app.js) or pasted.
pub fn invite_form(error: Option<(u16, &str)>) -> ApiResult<Response> {
    let csrf = session::random_token()?;
    let body = admin_pages::render_invite(&csrf, error.map(|e| e.1)).map_err(ApiError::internal)?;
    let mut r = html(error.map_or(200, |e| e.0), body)?;
    r.headers_mut().append("set-cookie", &session::login_csrf_cookie(&csrf))?;
    Ok(r)
}

/// POST /invite — consumes the invitation, sets the password and signs the contact in.
pub async fn accept_invite(mut req: Request, env: &Env) -> ApiResult<Response> {
    let now = now(&req, env);
    let cookie_csrf = cookie(&req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let (ip, ua) = (client_ip(&req), user_agent(&req));
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    let (token, pw, pw2, csrf) = (field(&form, "token"), field(&form, "password"), field(&form, "password2"), field(&form, "csrf"));
    if !session::double_submit_ok(&cookie_csrf, &csrf) {
        return invite_form(Some((403, "This form expired. Open the link from the e-mail again.")));
    }
    if pw != pw2 {
        return invite_form(Some((400, "The two passwords differ.")));
    }
    if let Err(e) = password::check_new(&pw) {
        return invite_form(Some((400, &e)));
    }
    let token = token.trim();
    let invalid = "This invitation link is not valid any more: it was used, revoked or has expired. Ask for a new one.";
    // The token names its shard (`BINDING.token`): an unknown name is an invalid link, a wrong
    // one finds no invitation there.
    let Some((db, token)) = (if token.is_empty() || token.len() > 200 { None } else { auth::token_db(env, token)? }) else {
        return invite_form(Some((400, invalid)));
    };
    let Some(inv) = store::live_invitation(&db, token, now).await? else {
        return invite_form(Some((400, invalid)));
    };
    let hash = password::hash(&pw, &clearhours_storage::db::random_salt()?).map_err(ApiError::internal)?;
    if !store::accept_invitation(&db, &inv, &hash, now).await? {
        return invite_form(Some((400, invalid)));
    }
    access_log::append(
        &db,
        &AccessEvent {
            at: now,
            provider_id: Some(&inv.provider_id),
            client_id: Some(&inv.client_id),
            actor_kind: "contact",
            actor_id: &inv.contact_id,
            action: "accept_invitation",
            target: "",
            outcome: "success",
            ip: &ip,
            user_agent: &ua,
        },
    )
    .await?;
    let who = LoginCandidate {
        id: inv.contact_id.clone(),
        provider_id: inv.provider_id.clone(),
        client_id: Some(inv.client_id.clone()),
        password_hash: Some(hash),
        disabled_at: None,
        idle_timeout_minutes: inv.idle_timeout_minutes,
        // The client's allowlist is enforced on every request of the new session.
        ip_allowlist: String::new(),
    };
    auth::sign_in(env, &db, &who, SubjectKind::Contact, now, &ip, &ua, "login_invitation").await
}

/// POST /admin/clients/{id}/notes — a note for the client about one week of a project.
pub async fn add_note(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    let client = store::client(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    let body = field(&form, "body").trim().to_string();
    if body.is_empty() || body.chars().count() > 2000 {
        return render_client(&ctx, id, None, Some("Write a note of at most 2,000 characters."), 400).await;
    }
    // Control characters (a NUL ends the text for SQLite's length check) are refused, not a 500.
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return render_client(&ctx, id, None, Some("The note contains control characters; write plain text."), 400).await;
    }
    let Ok(date) = chrono::NaiveDate::parse_from_str(&field(&form, "week"), "%Y-%m-%d") else {
        return render_client(&ctx, id, None, Some("Pick a date in the week the note is about."), 400).await;
    };
    let calendar = clearhours_domain::calendar::ClientCalendar::parse(&client.time_zone, &client.week_start).map_err(ApiError::internal)?;
    let project = field(&form, "project");
    if !clearhours_storage::notes::add_note(&ctx.db, &ctx.scope, &cid, &project, calendar.week_of(date).start, &body, ctx.now).await? {
        return render_client(&ctx, id, None, Some("Pick one of this client's projects."), 400).await;
    }
    log(&ctx, &req, Some(cid.as_str()), "admin_note_add", &project).await?;
    redirect(&format!("/admin/clients/{cid}?done=note"))
}

/// POST /admin/notes/{id}/delete
pub async fn delete_note(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    staff_form(&mut req, &ctx).await?;
    let client = clearhours_storage::notes::delete_note(&ctx.db, &ctx.scope, id, ctx.now).await?.ok_or_else(ApiError::not_found)?;
    log(&ctx, &req, Some(&client), "admin_note_delete", id).await?;
    redirect(&format!("/admin/clients/{client}?done=note_deleted"))
}

/// POST /admin/clients/{id}/network — the client's IP allowlist.
pub async fn save_network(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let list = match clearhours_domain::network::IpAllowlist::parse(&field(&form, "ip_allowlist")) {
        Ok(l) => l,
        Err(e) => return render_client(&ctx, id, None, Some(&format!("Not saved: {e}")), 400).await,
    };
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    if !store::set_ip_allowlist(&ctx.db, &ctx.scope, &cid, &list).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(cid.as_str()), "admin_ip_allowlist", &list.to_stored()).await?;
    redirect(&format!("/admin/clients/{cid}?done=network"))
}

/// POST /admin/clients/{id}/alerts — which budget thresholds the client's contacts may opt in to
/// hear about by e-mail (`"90,100"`; empty = none).
pub async fn save_shared_thresholds(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let list = match clearhours_domain::notify::parse_shared_thresholds(&field(&form, "shared_thresholds")) {
        Ok(l) => l.iter().map(u16::to_string).collect::<Vec<_>>().join(","),
        Err(e) => return render_client(&ctx, id, None, Some(&format!("Not saved: shared thresholds: {e}")), 400).await,
    };
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    if !clearhours_storage::alerts::set_shared_thresholds(&ctx.db, &ctx.scope, &cid, &list).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(cid.as_str()), "admin_shared_thresholds", &list).await?;
    redirect(&format!("/admin/clients/{cid}?done=shared_thresholds"))
}

/// POST /admin/clients/{id}/mfa — whether the client's contacts must use two-step verification.
pub async fn save_mfa(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let required = field(&form, "mfa_required") == "1";
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    if !clearhours_storage::mfa::set_client_required(&ctx.db, &ctx.scope, cid.as_str(), required).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(cid.as_str()), "admin_mfa_required", if required { "on" } else { "off" }).await?;
    redirect(&format!("/admin/clients/{cid}?done=mfa"))
}

#[derive(askama::Template)]
#[template(path = "admin_security.html")]
struct SecurityPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    mfa_required: bool,
    allowlist: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

async fn render_security(ctx: &StaffCtx, notice: Option<&str>, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let (mfa_required, allowlist) = store::staff_security(&ctx.db, &ctx.scope).await?;
    let nav = Nav::Staff { provider_name: provider_name(&ctx.db, &ctx.scope).await?, csrf: ctx.csrf.clone() };
    let body = SecurityPage { nav: &nav, csrf: &ctx.csrf, mfa_required, allowlist: &allowlist, notice, error }
        .render()
        .map_err(ApiError::internal)?;
    html(status, body)
}

/// GET /admin/security
pub async fn security_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let saved = req.url().ok().is_some_and(|u| u.query_pairs().any(|(k, _)| k == "done"));
    render_security(&ctx, saved.then_some("Saved."), None, 200).await
}

/// POST /admin/security — staff MFA requirement and staff IP allowlist.
pub async fn save_security(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let list = match clearhours_domain::network::IpAllowlist::parse(&field(&form, "staff_ip_allowlist")) {
        Ok(l) => l,
        Err(e) => return render_security(&ctx, None, Some(&format!("Not saved: {e}")), 400).await,
    };
    if !list.allows(&client_ip(&req)) {
        return render_security(&ctx, None, Some("Not saved: your own network is not in the list, so you would be locked out."), 400).await;
    }
    let mfa_required = field(&form, "staff_mfa_required") == "1";
    store::set_staff_security(&ctx.db, &ctx.scope, mfa_required, &list).await?;
    log(&ctx, &req, None, "admin_staff_security", &format!("mfa_required={mfa_required} ips={}", list.to_stored())).await?;
    redirect("/admin/security?done=1")
}

/// POST /admin/clients/{id}/timeout — the client's session idle timeout.
pub async fn save_timeout(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let Some(minutes) = field(&form, "idle_timeout_minutes").trim().parse::<i64>().ok().filter(|m| (5..=480).contains(m)) else {
        return render_client(&ctx, id, None, Some("The idle timeout is a whole number of minutes between 5 and 480."), 400).await;
    };
    let cid = ClientId::parse(id).map_err(|_| ApiError::not_found())?;
    if !store::set_idle_timeout(&ctx.db, &ctx.scope, &cid, minutes).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(cid.as_str()), "admin_idle_timeout", &minutes.to_string()).await?;
    redirect(&format!("/admin/clients/{cid}?done=network"))
}
