//! The access log as pages: the provider browses and filters its own log (names, words, local
//! time), verifies its chain, downloads signed checkpoints and checks one it kept; a client
//! contact sees the portal activity they may see (`client_view::activity`).

use crate::auth;
use crate::pages::Nav;
use crate::staff::{field, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clearhours_domain::audit::words;
use clearhours_domain::client_view::activity::{project_activity, ActivityRecord, ClientActivity};
use clearhours_domain::text::encode_component as url_part;
use clearhours_http::{audit_keys, audit_note_keys, json, ApiError, ApiResult};
use clearhours_storage::access_log::{self, Held, LogFilter, LogRow, Start};
use clearhours_storage::provider::provider_name;
use worker::{Env, Request, Response};

/// One line of the staff log page.
pub struct AdminLine {
    pub at: String,
    pub when: String,
    pub client: String,
    pub who: String,
    pub what: String,
    pub target: String,
    pub outcome: String,
    pub ip: String,
}

/// An option of a filter's list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    nav: &'a Nav,
    f: &'a LogFilter,
    clients: &'a [Choice],
    actions: &'a [Choice],
    lines: &'a [AdminLine],
    filtered: bool,
    time_zone: &'a str,
    csrf: &'a str,
    older: Option<String>,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage<'a> {
    nav: &'a Nav,
    rows: &'a [ClientActivity],
    time_zone: &'a str,
    older: Option<String>,
}

fn query(req: &Request, key: &str) -> String {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.chars().take(100).collect())).unwrap_or_default()
}

fn parse_at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

fn admin_line(r: LogRow, tz: Tz) -> AdminLine {
    let LogRow {
        seq: _,
        at,
        client_id,
        client_name,
        time_zone: _,
        actor_kind,
        actor_id,
        actor_name,
        action,
        target,
        target_name,
        target_visible: _,
        outcome,
        ip,
    } = r;
    let at = parse_at(&at);
    let kind = match actor_kind.as_str() {
        "staff" => "staff",
        "contact" => "client contact",
        other => other,
    };
    let who = match (actor_name.is_empty(), actor_id.is_empty()) {
        (false, _) => format!("{actor_name} ({kind})"),
        (true, false) => format!("{actor_id} ({kind})"),
        (true, true) => format!("unknown account ({kind})"),
    };
    AdminLine {
        at: words::local_rfc3339(at, tz),
        when: words::local_time(at, tz),
        client: if client_name.is_empty() { client_id } else { client_name },
        who,
        what: words::action(&action),
        target: if target_name.is_empty() { target } else { target_name },
        outcome: words::outcome(&outcome),
        ip,
    }
}

/// GET /admin/audit
pub async fn audit_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return redirect("/admin/login") };
    let f = LogFilter {
        client_id: query(req, "client"),
        actor_id: query(req, "actor"),
        action: query(req, "action"),
        from: query(req, "from"),
        to: query(req, "to"),
        before: query(req, "before").parse().unwrap_or(0),
    };
    let rows = access_log::browse(&ctx.db, &ctx.scope, &f).await?;
    let older = (rows.len() == 100).then(|| {
        let last = rows.last().map_or(0, |r| r.seq);
        format!(
            "/admin/audit?client={}&actor={}&action={}&from={}&to={}&before={last}",
            url_part(&f.client_id),
            url_part(&f.actor_id),
            url_part(&f.action),
            url_part(&f.from),
            url_part(&f.to)
        )
    });
    let time_zone = access_log::provider_time_zone(&ctx.db, &ctx.scope).await?;
    let tz: Tz = time_zone.parse().unwrap_or(Tz::UTC);
    let lines: Vec<AdminLine> = rows.into_iter().map(|r| admin_line(r, tz)).collect();
    let nav = Nav::Staff { provider_name: provider_name(&ctx.db, &ctx.scope).await?, csrf: ctx.csrf.clone() };
    let filtered = !(f.client_id.is_empty() && f.actor_id.is_empty() && f.action.is_empty() && f.from.is_empty() && f.to.is_empty());
    let clients: Vec<Choice> = clearhours_storage::admin::clients(&ctx.db, &ctx.scope)
        .await?
        .into_iter()
        .map(|c| Choice { selected: c.id == f.client_id, value: c.id, label: c.name })
        .collect();
    let actions: Vec<Choice> = words::ACTIONS
        .iter()
        .map(|(code, label)| Choice { value: (*code).to_string(), label: (*label).to_string(), selected: *code == f.action })
        .collect();
    let body = AuditPage {
        nav: &nav,
        f: &f,
        clients: &clients,
        actions: &actions,
        lines: &lines,
        filtered,
        time_zone: &time_zone,
        csrf: &ctx.csrf,
        older,
    }
    .render()
    .map_err(ApiError::internal)?;
    html(200, body)
}

/// GET /admin/audit/verify[?full=1] — seals what is waiting, then verifies the caller's
/// provider's chain from the last signed checkpoint (or from the start), as JSON.
pub async fn verify(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return Err(ApiError::unauthorized("sign in first")) };
    let (keys, notes) = (audit_keys(env)?, audit_note_keys(env)?);
    let start = if query(req, "full") == "1" { Start::Beginning } else { Start::LastCheckpoint };
    let v = access_log::verify(&ctx.db, &keys, &notes, &ctx.scope, ctx.now, start, None).await?;
    Ok(json(200, &v))
}

/// POST /admin/audit/verify — checks a checkpoint the provider kept (form field `checkpoint`,
/// the signed note as downloaded) against the chain as it stands: a shorter chain or a
/// different row at the checkpoint's position is reported.
pub async fn verify_held(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(_) => return Err(ApiError::unauthorized("sign in first")),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let note = field(&form, "checkpoint");
    if note.trim().is_empty() || note.len() > 4096 {
        return Err(ApiError::bad_request("paste the checkpoint (the signed note as downloaded) into `checkpoint`"));
    }
    let (keys, notes) = (audit_keys(env)?, audit_note_keys(env)?);
    let cp = notes
        .open_for(&note, ctx.scope.provider_id().as_str())
        .map_err(|e| ApiError::new(422, "bad_checkpoint", format!("checkpoint: {e}")))?;
    let v = access_log::verify(&ctx.db, &keys, &notes, &ctx.scope, ctx.now, Start::LastCheckpoint, Some(&Held(cp))).await?;
    Ok(json(200, &v))
}

/// GET /admin/audit/checkpoint — seals, verifies, and answers the signed checkpoint of the
/// provider's chain as a text file to keep outside Clearhours (409 when the chain is broken).
pub async fn checkpoint(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(ctx) = auth::staff(req, env).await? else { return Err(ApiError::unauthorized("sign in first")) };
    let (keys, notes) = (audit_keys(env)?, audit_note_keys(env)?);
    let v = access_log::verify(&ctx.db, &keys, &notes, &ctx.scope, ctx.now, Start::LastCheckpoint, None).await?;
    let note = match (&v.checkpoint, v.ok, v.complete) {
        (Some(n), true, true) => n.clone(),
        (_, true, false) => {
            return Err(ApiError::new(409, "incomplete", "the log is long: verify again until `complete` is true, then download"))
        }
        _ => return Ok(json(409, &v)),
    };
    let mut r = Response::ok(note)?;
    r.headers_mut().set("content-type", "text/plain; charset=utf-8")?;
    let name = format!("clearhours-audit-{}-{}.txt", url_part(ctx.scope.provider_id().as_str()), v.size);
    r.headers_mut().set("content-disposition", &format!("attachment; filename=\"{name}\""))?;
    Ok(r)
}

/// GET /admin/audit/key — the verifier keys of checkpoints (signed-note format), newest first.
pub async fn verifier_key(req: &Request, env: &Env) -> ApiResult<Response> {
    let Some(_ctx) = auth::staff(req, env).await? else { return Err(ApiError::unauthorized("sign in first")) };
    let notes = audit_note_keys(env)?;
    let mut r = Response::ok(notes.verifier_keys().join("\n") + "\n")?;
    r.headers_mut().set("content-type", "text/plain; charset=utf-8")?;
    Ok(r)
}

/// GET /activity and /api/v1/activity — the portal activity this contact may see.
pub async fn activity(req: &Request, env: &Env, api: bool) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else {
        return if api { Err(ApiError::unauthorized("sign in first")) } else { redirect("/login") };
    };
    let before = query(req, "before").parse().unwrap_or(0);
    let rows = access_log::client_activity(&ctx.db, &ctx.scope, before).await?;
    ctx.log("view_activity", "", "success").await?;
    let more = rows.len() == 100;
    let visible: std::collections::BTreeSet<String> = rows.iter().filter(|r| r.target_visible != 0).map(|r| r.target.clone()).collect();
    let records: Vec<ActivityRecord> = rows
        .into_iter()
        .map(|r| {
            let LogRow {
                seq,
                at,
                client_id: _,
                client_name: _,
                time_zone: _,
                actor_kind: _,
                actor_id,
                actor_name,
                action,
                target,
                target_name,
                target_visible: _,
                outcome,
                ip,
            } = r;
            ActivityRecord { seq, at: parse_at(&at), actor_id, actor_name, action, target, target_name, outcome, ip }
        })
        .collect();
    let cal = &ctx.scope.settings().calendar;
    let lines = project_activity(cal, ctx.scope.contact_id().as_str(), records, |t| visible.contains(t));
    let older = more.then(|| lines.last().map_or(0, |r| r.id));
    if api {
        return Ok(json(200, &serde_json::json!({ "time_zone": cal.tz.name(), "activity": lines, "older_before": older })));
    }
    let older = older.map(|b| format!("/activity?before={b}"));
    let nav = Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes };
    let body = ActivityPage { nav: &nav, rows: &lines, time_zone: cal.tz.name(), older }.render().map_err(ApiError::internal)?;
    html(200, body)
}
