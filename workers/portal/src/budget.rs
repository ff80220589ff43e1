//! Budget decisions (issue 15). An approver contact requests more budget (hours and/or an
//! amount — the amount only when the client sees budget amounts — with a reason) or marks
//! phases/tasks to cut or defer; staff (a manager for assigned clients, an admin) accept (the
//! budget is raised in the same batch, recorded with who, when, why), decline or counter; the
//! approver accepts or declines a counter. The history and the requests are shown to both
//! sides; what the client sees comes only from `client_view::budget`. Every action is in the
//! access log and notifies the other side through the alerts outbox.
//!
//! Client routes: GET `/projects/{id}/budget`, GET `/api/v1/projects/{id}/budget`, POST
//! `/projects/{id}/budget` (request), POST `/budget/{r}/{accept|decline}` (answer a counter).
//! Staff routes: GET `/admin/budget`, GET `/admin/budget/{r}`, POST
//! `/admin/budget/{r}/{accept|decline|counter}`.

use crate::auth::{self, ContactCtx};
use crate::pages::Nav;
use crate::questions::{client_nav, contact_form, contact_may, cx, form_field, load, log_now, staff_may};
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use clearhours_domain::client_view::budget::{
    budget_steps, client_request, project_budget_history, BudgetChangeRecord, BudgetRequestRecord, ClientBudgetHistory, CurrentBudget,
    CutRecord,
};
use clearhours_domain::client_view::{ClientContext, ClientDashboard};
use clearhours_domain::ids::ProjectId;
use clearhours_domain::money::{hours, Money};
use clearhours_domain::project::Budget;
use clearhours_domain::roles::{Action, ClientRole};
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::budget as store;
use clearhours_storage::scope::ClientScope;
use clearhours_storage::Db;
use worker::{Env, Request, Response};

/// Adds the budget's steps to a dashboard's burn-up (one statement).
pub async fn with_steps(db: &Db, scope: &ClientScope, d: &mut ClientDashboard) -> ApiResult<()> {
    if d.budget.is_none() {
        return Ok(());
    }
    let changes = store::client_changes(db, scope, &d.project_id).await?;
    if let Some(last) = changes.last() {
        let current = CurrentBudget { minutes: last.after_minutes, amount_minor: last.after_amount_minor };
        d.burn_up.budget_steps = budget_steps(d.burn_up.budget_unit, current, &changes);
    }
    Ok(())
}

struct Loaded {
    project_name: String,
    current: CurrentBudget,
    history: ClientBudgetHistory,
}

async fn loaded(ctx: &ContactCtx, project: &ProjectId) -> ApiResult<Option<Loaded>> {
    let Some((_, catalogue)) = load(ctx, project).await? else { return Ok(None) };
    let Some(data) = store::client_budget(&ctx.db, &ctx.scope, project).await? else { return Ok(None) };
    let Some(current) = data.current else { return Ok(None) };
    let c = cx(ctx, &catalogue);
    let history = project_budget_history(&c, project.as_str(), current, &data.changes, &data.requests);
    Ok(Some(Loaded { project_name: data.project_name, current, history }))
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "budget.html")]
struct BudgetPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    project_id: &'a str,
    project_name: &'a str,
    h: &'a ClientBudgetHistory,
    /// The contact may request changes and answer counters (approver).
    approver: bool,
    phases: Vec<Choice>,
    tasks: Vec<Choice>,
    error: Option<&'a str>,
}

fn is_approver(ctx: &ContactCtx) -> bool {
    clearhours_domain::roles::allows(clearhours_domain::roles::Actor::Contact(ClientRole::from(ctx.scope.role())), Action::RequestBudget)
}

async fn page(ctx: &ContactCtx, project: &ProjectId, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let Some((_, catalogue)) = load(ctx, project).await? else {
        ctx.log("view_budget", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let Some(l) = loaded(ctx, project).await? else {
        ctx.log("view_budget", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let body = BudgetPage {
        nav: &client_nav(ctx),
        csrf: &ctx.csrf,
        project_id: project.as_str(),
        project_name: &l.project_name,
        h: &l.history,
        approver: is_approver(ctx),
        phases: catalogue.phases.iter().map(|p| Choice { value: p.id.to_string(), label: p.name.clone() }).collect(),
        tasks: catalogue.tasks.iter().map(|t| Choice { value: t.id.to_string(), label: t.name.clone() }).collect(),
        error,
    }
    .render()
    .map_err(ApiError::internal)?;
    ctx.log("view_budget", project.as_str(), "success").await?;
    html(status, body)
}

/// GET /projects/{id}/budget
pub async fn client_page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    page(&ctx, &project, None, 200).await
}

/// GET /api/v1/projects/{id}/budget
pub async fn client_api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let Some(l) = loaded(&ctx, &project).await? else {
        ctx.log("api_budget", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    ctx.log("api_budget", project.as_str(), "success").await?;
    Ok(json(200, &l.history))
}

fn parse_minutes(s: &str) -> Result<i64, String> {
    match s.trim() {
        "" | "0" => Ok(0),
        h => Budget::parse_hours(h).map_err(|e| format!("hours {e}")),
    }
}

/// POST /projects/{id}/budget — fields `hours`, `amount` (major units; only when the client
/// sees budget amounts), `cut` (repeated `phase:<id>:cut|defer` or `task:<id>:cut|defer`),
/// `reason`.
pub async fn request(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(&req, env).await? else { return redirect("/login") };
    let form = contact_form(&mut req, &ctx).await?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    contact_may(&ctx, Action::RequestBudget, "budget_request", project.as_str()).await?;
    let Some(l) = loaded(&ctx, &project).await? else {
        log_now(&ctx, "budget_request", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let Some((_, catalogue)) = load(&ctx, &project).await? else { return Err(ApiError::not_found()) };
    let bad = |m: String| ApiError::bad_request(&m);
    let add_minutes = parse_minutes(&form_field(&form, "hours")).map_err(bad)?;
    let amount = form_field(&form, "amount");
    let add_amount_minor = match amount.trim() {
        "" | "0" => 0,
        a => {
            if !l.history.amounts_shown || l.current.amount_minor.is_none() {
                return Err(ApiError::bad_request("this budget has no amount you can change here; ask for hours or explain in the reason"));
            }
            Money::parse_major(a, ctx.scope.settings().currency).map_err(|e| bad(format!("amount {e}")))?.minor
        }
    };
    if add_minutes > 0 && l.current.minutes.is_none() {
        return Err(ApiError::bad_request("this budget is an amount, not hours; ask for an amount or explain in the reason"));
    }
    let mut cuts = Vec::new();
    for v in form.get_all("cut").unwrap_or_default() {
        let worker::FormEntry::Field(v) = v else { continue };
        if v.is_empty() {
            continue;
        }
        let parts: Vec<&str> = v.splitn(3, ':').collect();
        let [kind, cid, action] = parts.as_slice() else {
            return Err(ApiError::bad_request("cut must be phase:<id>:cut|defer or task:<id>:cut|defer"));
        };
        let known = match *kind {
            "phase" => catalogue.phases.iter().any(|p| p.id.as_str() == *cid),
            "task" => catalogue.tasks.iter().any(|t| t.id.as_str() == *cid),
            _ => false,
        };
        if !known || !matches!(*action, "cut" | "defer") {
            return Err(ApiError::bad_request("cut must name one of the project's phases or tasks, to cut or defer"));
        }
        cuts.push(CutRecord { kind: (*kind).to_string(), id: (*cid).to_string(), action: (*action).to_string() });
    }
    if cuts.len() > 20 {
        return Err(ApiError::bad_request("at most 20 phases or tasks to cut or defer"));
    }
    let reason = clearhours_domain::conversation::check_body(&form_field(&form, "reason"))
        .map_err(|e| ApiError::bad_request(format!("reason: {e}")))?;
    if add_minutes == 0 && add_amount_minor == 0 && cuts.is_empty() {
        return Err(ApiError::bad_request("ask for hours, an amount, or phases or tasks to cut or defer"));
    }
    let rid = store::new_request_id()?;
    let c = cx(&ctx, &catalogue);
    let record = BudgetRequestRecord {
        id: rid.clone(),
        project_id: project.to_string(),
        contact_name: clearhours_storage::questions::contact_name(&ctx.db, &ctx.scope).await?,
        add_minutes,
        add_amount_minor,
        cuts: cuts.clone(),
        reason: reason.clone(),
        state: clearhours_domain::client_view::budget::RequestState::Requested,
        counter_minutes: None,
        counter_amount_minor: None,
        response: String::new(),
        decided_by_name: None,
        decided_at: None,
        created_at: String::new(),
    };
    let summary = staff_summary(&c, &record, l.current);
    let notice = crate::notify::staff(
        env,
        "Budget request",
        &ctx.scope.settings().name,
        &l.project_name,
        &record.contact_name,
        &summary,
        &reason,
        &format!("/admin/budget/{rid}"),
    )?;
    let new = store::NewRequest { id: &rid, add_minutes, add_amount_minor, cuts: &cuts, reason: &reason };
    if !store::request_change(&ctx.db, &ctx.scope, &project, &new, &notice, ctx.now).await? {
        log_now(&ctx, "budget_request", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    }
    log_now(&ctx, "budget_request", &rid, "success").await?;
    redirect(&format!("/projects/{project}/budget"))
}

/// What staff read about a request: hours and amounts in full (staff see the money).
fn staff_summary(c: &ClientContext, r: &BudgetRequestRecord, current: CurrentBudget) -> String {
    let mut parts = Vec::new();
    if r.add_minutes > 0 {
        parts.push(format!("+{} h", hours(r.add_minutes, 2)));
    }
    if r.add_amount_minor > 0 {
        parts.push(format!("+{}", Money::new(r.add_amount_minor, c.currency)));
    }
    // Cut labels as the client wrote them (the same names staff use).
    let client = client_request(c, current, r);
    for cut in &r.cuts {
        let name = match cut.kind.as_str() {
            "phase" => c.phases.iter().find(|p| p.id.as_str() == cut.id).map(|p| format!("phase {}", p.name)),
            _ => c.tasks.iter().find(|t| t.id.as_str() == cut.id).map(|t| format!("task {}", t.name)),
        };
        parts.push(format!("{} {}", cut.action, name.unwrap_or_else(|| cut.id.clone())));
    }
    if parts.is_empty() {
        client.summary
    } else {
        parts.join(" · ")
    }
}

/// POST /budget/{r}/{accept|decline} — an approver answers a counter-proposal.
pub async fn answer_counter(mut req: Request, env: &Env, rid: &str, action: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(&req, env).await? else { return redirect("/login") };
    let _form = contact_form(&mut req, &ctx).await?;
    let what = if action == "accept" { "budget_counter_accept" } else { "budget_counter_decline" };
    contact_may(&ctx, Action::RequestBudget, what, rid).await?;
    let Some(r) = store::client_request(&ctx.db, &ctx.scope, rid).await? else {
        log_now(&ctx, what, rid, "not_found").await?;
        return Err(ApiError::not_found());
    };
    let project = ProjectId::parse(&r.project_id).map_err(ApiError::internal)?;
    let Some(l) = loaded(&ctx, &project).await? else { return Err(ApiError::not_found()) };
    let today = ctx.scope.settings().calendar.today(ctx.now);
    let who = clearhours_storage::questions::contact_name(&ctx.db, &ctx.scope).await?;
    let headline = if action == "accept" { "Counter-proposal accepted" } else { "Counter-proposal declined" };
    let notice = crate::notify::staff(
        env,
        headline,
        &ctx.scope.settings().name,
        &l.project_name,
        &who,
        &r.reason,
        "",
        &format!("/admin/budget/{rid}"),
    )?;
    if !store::answer_counter(&ctx.db, &ctx.scope, &r, action == "accept", today, &notice, ctx.now).await? {
        log_now(&ctx, what, rid, "conflict").await?;
        return Err(ApiError::new(409, "conflict", "this request is not waiting for your answer"));
    }
    log_now(&ctx, what, rid, "success").await?;
    redirect(&format!("/projects/{project}/budget"))
}

// ---- Staff ----

struct StaffRow {
    id: String,
    client_name: String,
    project_name: String,
    summary: String,
    state: &'static str,
    created_at: String,
}

#[derive(Template)]
#[template(path = "budget_admin_list.html")]
struct AdminList<'a> {
    nav: &'a Nav,
    rows: Vec<StaffRow>,
}

/// GET /admin/budget — the requests of the clients this staff user acts for.
pub async fn admin_list(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let rows = store::staff_list(&ctx.db, &ctx.scope)
        .await?
        .into_iter()
        .map(|(client_name, project_name, r)| StaffRow {
            summary: {
                let mut p = Vec::new();
                if r.add_minutes > 0 {
                    p.push(format!("+{} h", hours(r.add_minutes, 2)));
                }
                if r.add_amount_minor > 0 {
                    p.push(format!("+{} (minor units)", r.add_amount_minor));
                }
                if !r.cuts.is_empty() {
                    p.push(format!("{} to cut or defer", r.cuts.len()));
                }
                p.join(" · ")
            },
            id: r.id,
            client_name,
            project_name,
            state: r.state.label(),
            created_at: r.created_at,
        })
        .collect();
    let body = AdminList { nav: &nav(&ctx).await?, rows }.render().map_err(ApiError::internal)?;
    log(&ctx, req, None, "admin_budget_view", "").await?;
    html(200, body)
}

struct StaffChange {
    date: String,
    before: String,
    after: String,
    requested_by: String,
    approved_by: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "budget_admin.html")]
struct AdminPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    r: &'a store::StaffRequest,
    summary: String,
    state: &'static str,
    waiting: bool,
    current: String,
    changes: Vec<StaffChange>,
    error: Option<&'a str>,
}

fn budget_text(m: Option<i64>, a: Option<i64>, currency: clearhours_domain::money::Currency) -> String {
    let mut p = Vec::new();
    if let Some(m) = m {
        p.push(format!("{} h", hours(m, 2)));
    }
    if let Some(a) = a {
        p.push(Money::new(a, currency).to_string());
    }
    if p.is_empty() {
        "—".to_string()
    } else {
        p.join(" · ")
    }
}

async fn currency_of(ctx: &crate::auth::StaffCtx, client: &str) -> ApiResult<clearhours_domain::money::Currency> {
    let cid = clearhours_domain::ids::ClientId::parse(client).map_err(ApiError::internal)?;
    let c = clearhours_storage::admin::client(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
    clearhours_domain::money::Currency::parse(&c.currency).map_err(ApiError::internal)
}

async fn admin_page(req: &Request, ctx: &crate::auth::StaffCtx, rid: &str, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let r = store::staff_request(&ctx.db, &ctx.scope, rid).await?.ok_or_else(ApiError::not_found)?;
    staff_may(ctx, req, &r.client_id, Action::ReadThreads, "admin_budget_view", rid).await?;
    let currency = currency_of(ctx, &r.client_id).await?;
    let changes = r
        .changes
        .iter()
        .map(|c: &BudgetChangeRecord| StaffChange {
            date: c.effective_on.to_string(),
            before: budget_text(c.before_minutes, c.before_amount_minor, currency),
            after: budget_text(c.after_minutes, c.after_amount_minor, currency),
            requested_by: c.requested_by_name.clone(),
            approved_by: c.approved_by_name.clone(),
            reason: c.reason.clone(),
        })
        .collect();
    let mut summary = Vec::new();
    if r.record.add_minutes > 0 {
        summary.push(format!("+{} h", hours(r.record.add_minutes, 2)));
    }
    if r.record.add_amount_minor > 0 {
        summary.push(format!("+{}", Money::new(r.record.add_amount_minor, currency)));
    }
    for c in &r.record.cuts {
        summary.push(format!("{} {} {}", c.action, c.kind, c.id));
    }
    let body = AdminPage {
        nav: &nav(ctx).await?,
        csrf: &ctx.csrf,
        summary: summary.join(" · "),
        state: r.record.state.label(),
        waiting: r.record.state == clearhours_domain::client_view::budget::RequestState::Requested,
        current: r.current.map_or_else(|| "—".to_string(), |c| budget_text(c.minutes, c.amount_minor, currency)),
        changes,
        r: &r,
        error,
    }
    .render()
    .map_err(ApiError::internal)?;
    log(ctx, req, Some(&r.client_id), "admin_budget_view", rid).await?;
    html(status, body)
}

/// GET /admin/budget/{r}
pub async fn admin_request(req: &Request, env: &Env, rid: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    admin_page(req, &ctx, rid, None, 200).await
}

/// POST /admin/budget/{r}/{accept|decline|counter} — fields `response`; for a counter `hours`
/// and/or `amount` (major units).
pub async fn admin_decide(mut req: Request, env: &Env, rid: &str, action: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let what = format!("admin_budget_{action}");
    let client = store::client_of(&ctx.db, &ctx.scope, rid).await?.ok_or_else(ApiError::not_found)?;
    staff_may(&ctx, &req, &client, Action::DecideBudget, &what, rid).await?;
    let r = store::staff_request(&ctx.db, &ctx.scope, rid).await?.ok_or_else(ApiError::not_found)?;
    let response = field(&form, "response");
    let response = response.trim();
    if response.chars().count() > 4000 {
        return admin_page(&req, &ctx, rid, Some("a response has at most 4,000 characters"), 400).await;
    }
    let currency = currency_of(&ctx, &r.client_id).await?;
    let decision = match action {
        "accept" => store::Decision::Accept { response },
        "decline" => store::Decision::Decline { response },
        _ => {
            let minutes = match parse_minutes(&field(&form, "hours")) {
                Ok(m) => m,
                Err(e) => return admin_page(&req, &ctx, rid, Some(&e), 400).await,
            };
            let amount_minor = match field(&form, "amount").trim() {
                "" | "0" => 0,
                a => match Money::parse_major(a, currency) {
                    Ok(m) => m.minor,
                    Err(e) => return admin_page(&req, &ctx, rid, Some(&format!("amount {e}")), 400).await,
                },
            };
            if minutes == 0 && amount_minor == 0 {
                return admin_page(&req, &ctx, rid, Some("a counter-proposal needs hours or an amount"), 400).await;
            }
            store::Decision::Counter { minutes, amount_minor, response }
        }
    };
    // The requester's e-mail, rendered from the request as the requester sees it (their own
    // scope: money under their client's budget-money setting).
    let notice = requester_notice(env, &ctx, &r, &decision).await?;
    let contact = clearhours_domain::ids::ContactId::parse(&r.contact_id).map_err(ApiError::internal)?;
    let scope = clearhours_storage::admin::preview_scope(&ctx.db, &ctx.scope, &contact).await?.ok_or_else(ApiError::not_found)?;
    let today = scope.settings().calendar.today(ctx.now);
    if !store::decide(&ctx.db, &ctx.scope, &r, &decision, today, &notice, ctx.now).await? {
        return admin_page(&req, &ctx, rid, Some("this request was already decided"), 409).await;
    }
    log(&ctx, &req, Some(&r.client_id), &what, rid).await?;
    redirect(&format!("/admin/budget/{rid}"))
}

async fn requester_notice(env: &Env, ctx: &crate::auth::StaffCtx, r: &store::StaffRequest, d: &store::Decision<'_>) -> ApiResult<String> {
    use clearhours_domain::client_view::budget::RequestState;
    let contact = clearhours_domain::ids::ContactId::parse(&r.contact_id).map_err(ApiError::internal)?;
    let scope = clearhours_storage::admin::preview_scope(&ctx.db, &ctx.scope, &contact).await?.ok_or_else(ApiError::not_found)?;
    let project = ProjectId::parse(&r.record.project_id).map_err(ApiError::internal)?;
    let base = clearhours_storage::entries::timesheet_base(&ctx.db, &scope, Some(&project)).await?;
    let empty = clearhours_storage::dashboard::Catalogue { members: vec![], tasks: vec![], phases: vec![] };
    let catalogue = base.map(|b| b.catalogue).unwrap_or(empty);
    let s = scope.settings();
    let c = ClientContext {
        visibility: s.visibility,
        currency: s.currency,
        locale: s.locale,
        time_zone: s.calendar.tz,
        members: &catalogue.members,
        tasks: &catalogue.tasks,
        phases: &catalogue.phases,
    };
    let mut record = r.record.clone();
    match d {
        store::Decision::Accept { response } => {
            record.state = RequestState::Accepted;
            record.response = (*response).to_string();
        }
        store::Decision::Decline { response } => {
            record.state = RequestState::Declined;
            record.response = (*response).to_string();
        }
        store::Decision::Counter { minutes, amount_minor, response } => {
            record.state = RequestState::Countered;
            record.counter_minutes = Some(*minutes);
            record.counter_amount_minor = Some(*amount_minor);
            record.response = (*response).to_string();
        }
    }
    let current = r.current.unwrap_or(CurrentBudget { minutes: None, amount_minor: None });
    let view = client_request(&c, current, &record);
    let provider = clearhours_storage::provider::provider_name(&ctx.db, &ctx.scope).await?;
    let n = clearhours_domain::notice::ClientNotice::budget_decided(&view, &provider, &r.project_name, &crate::notify::base_url(env));
    crate::notify::client(&n)
}
