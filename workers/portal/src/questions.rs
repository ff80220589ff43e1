//! Questions (issue 15): a client contact asks about a timesheet row, a week, a task, a phase,
//! a team member (by the label it sees) or the project; staff answer in the admin area; either
//! side resolves; staff can promote an answer to an explanatory note. What the client sees of a
//! thread comes only from `client_view::questions::client_thread`; every action is appended to
//! the access log; every write enqueues a notification row for the other side
//! (`storage::questions`, TODO(issue 14): deliver through the alerts outbox).
//!
//! Client routes: GET/POST `/projects/{id}/questions`, GET `/questions/{q}`, POST
//! `/questions/{q}/{reply|resolve}`, GET `/api/v1/projects/{id}/questions`, GET
//! `/api/v1/questions/{q}`. Staff routes: GET `/admin/questions`, GET `/admin/questions/{q}`,
//! POST `/admin/questions/{q}/{answer|resolve|promote}`.

use crate::auth::{self, ContactCtx, StaffCtx};
use crate::pages::Nav;
use crate::staff::{field, log, nav, staff_form, staff_or_login};
use crate::{html, redirect};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::client_view::questions::{client_thread, resolve_subject, ClientThread, Shown, SubjectPick};
use clearhours_domain::client_view::{member_labels, ClientContext};
use clearhours_domain::conversation::{check_body, duration_label, median_response_minutes, SubjectKind};
use clearhours_domain::ids::ProjectId;
use clearhours_domain::roles::{allows, Action, Actor, ClientRole, StaffRole};
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::dashboard::Catalogue;
use clearhours_storage::entries::timesheet_base;
use clearhours_storage::questions as store;
use worker::{Env, FormEntry, Request, Response};

fn query(req: &Request, name: &str) -> String {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())).unwrap_or_default()
}

pub(crate) fn form_field(form: &worker::FormData, name: &str) -> String {
    match form.get(name) {
        Some(FormEntry::Field(v)) => v,
        _ => String::new(),
    }
}

/// Reads a contact's form and checks its CSRF token.
pub(crate) async fn contact_form(req: &mut Request, ctx: &ContactCtx) -> ApiResult<worker::FormData> {
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    let given = form_field(&form, "csrf");
    if given.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), ctx.csrf.as_bytes())) {
        return Err(ApiError::forbidden("CSRF token missing or wrong"));
    }
    Ok(form)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    (s.len() == 10).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

/// A visible project's name and the client's catalogue; `None` when the contact may not see
/// the project.
pub(crate) async fn load(ctx: &ContactCtx, project: &ProjectId) -> ApiResult<Option<(String, Catalogue)>> {
    let Some(base) = timesheet_base(&ctx.db, &ctx.scope, Some(project)).await? else { return Ok(None) };
    let Some(name) = base.projects.iter().find(|p| p.id == *project).map(|p| p.name.clone()) else { return Ok(None) };
    Ok(Some((name, base.catalogue)))
}

pub(crate) fn cx<'a>(ctx: &ContactCtx, c: &'a Catalogue) -> ClientContext<'a> {
    let s = ctx.scope.settings();
    ClientContext {
        visibility: s.visibility,
        currency: s.currency,
        locale: s.locale,
        time_zone: s.calendar.tz,
        members: &c.members,
        tasks: &c.tasks,
        phases: &c.phases,
    }
}

/// Records a change made by the contact before answering (changes must be on record).
pub(crate) async fn log_now(ctx: &ContactCtx, action: &str, target: &str, outcome: &str) -> ApiResult<()> {
    access_log::append(
        &ctx.db,
        &AccessEvent {
            at: ctx.now,
            provider_id: Some(ctx.scope.provider_id().as_str()),
            client_id: Some(ctx.scope.client_id().as_str()),
            actor_kind: "contact",
            actor_id: ctx.scope.contact_id().as_str(),
            action,
            target,
            outcome,
            ip: &ctx.ip,
            user_agent: &ctx.user_agent,
        },
    )
    .await?;
    Ok(())
}

pub(crate) fn client_nav(ctx: &ContactCtx) -> Nav {
    Nav::Client { client_name: ctx.scope.settings().name.clone(), csrf: ctx.csrf.clone(), idle_minutes: ctx.idle_minutes }
}

/// An option of the ask form: what to send and what the client reads.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "questions_list.html")]
struct ListPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    project_id: &'a str,
    project_name: &'a str,
    threads: &'a [ClientThread],
    kinds: Vec<Choice>,
    /// The row or week picked on the timesheet, shown above the form (then sent as hidden
    /// fields: `about`, `date`, `person`, `task`, `phase`).
    picked: Option<String>,
    about: &'a str,
    date: String,
    person: String,
    task: String,
    phase: String,
    tasks: Vec<Choice>,
    phases: Vec<Choice>,
    people: Vec<Choice>,
    error: Option<&'a str>,
}

const KIND_LABELS: [(SubjectKind, &str); 6] = [
    (SubjectKind::Project, "The project in general"),
    (SubjectKind::Entry, "A timesheet row"),
    (SubjectKind::Week, "A week"),
    (SubjectKind::Task, "A task"),
    (SubjectKind::Phase, "A phase"),
    (SubjectKind::Person, "A team member"),
];

/// What a query string or form picked: kind and the labels the client sees.
struct Picked {
    about: SubjectKind,
    date: Option<NaiveDate>,
    person: String,
    task: String,
    phase: String,
}

fn shown(ctx: &ContactCtx) -> Shown<'_> {
    let calendar = &ctx.scope.settings().calendar;
    Shown { calendar, today: calendar.today(ctx.now) }
}

async fn list_page(req: &Request, ctx: &ContactCtx, project: &ProjectId, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let Some((project_name, catalogue)) = load(ctx, project).await? else {
        ctx.log("view_questions", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let c = cx(ctx, &catalogue);
    let records = store::client_threads(&ctx.db, &ctx.scope, project).await?;
    let threads: Vec<ClientThread> = records.iter().map(|q| client_thread(&c, q)).collect();
    let p = Picked {
        about: SubjectKind::parse(&query(req, "about")).unwrap_or(SubjectKind::Project),
        date: parse_date(&query(req, "date")).or_else(|| parse_date(&query(req, "week"))),
        person: query(req, "person"),
        task: query(req, "task"),
        phase: query(req, "phase"),
    };
    // A row or week picked on the timesheet is checked like the question itself will be.
    let pick = SubjectPick { date: p.date, person: &p.person, task: &p.task, phase: &p.phase };
    let picked = match p.about {
        SubjectKind::Entry | SubjectKind::Week => resolve_subject(&c, p.about, &pick, shown(ctx)).ok().map(|ids| match p.about {
            SubjectKind::Entry => {
                format!("Entry on {} · {} · {} · {}", p.date.map(|d| d.to_string()).unwrap_or_default(), p.person, p.task, p.phase)
            }
            _ => format!("Week of {}", ids.week_start.map(|d| d.to_string()).unwrap_or_default()),
        }),
        _ => None,
    };
    let mut labels: Vec<String> = member_labels(c.members, c.visibility.team).into_values().collect();
    labels.sort();
    let choice = |v: &str, cur: &str| Choice { value: v.to_string(), label: v.to_string(), selected: v == cur };
    let page = ListPage {
        nav: &client_nav(ctx),
        csrf: &ctx.csrf,
        project_id: project.as_str(),
        project_name: &project_name,
        threads: &threads,
        kinds: KIND_LABELS
            .iter()
            .filter(|(k, _)| !matches!(k, SubjectKind::Entry | SubjectKind::Week))
            .map(|(k, l)| Choice { value: k.as_str().into(), label: (*l).into(), selected: *k == p.about })
            .collect(),
        picked,
        about: p.about.as_str(),
        date: p.date.map(|d| d.to_string()).unwrap_or_default(),
        person: p.person.clone(),
        task: p.task.clone(),
        phase: p.phase.clone(),
        tasks: c.tasks.iter().map(|t| choice(&t.name, &p.task)).collect(),
        phases: c.phases.iter().map(|x| choice(&x.name, &p.phase)).collect(),
        people: labels.iter().map(|l| choice(l, &p.person)).collect(),
        error,
    };
    let body = page.render().map_err(ApiError::internal)?;
    ctx.log("view_questions", project.as_str(), "success").await?;
    html(status, body)
}

/// GET /projects/{id}/questions
pub async fn client_list(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    list_page(req, &ctx, &project, None, 200).await
}

/// GET /api/v1/projects/{id}/questions
pub async fn client_list_api(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    let Some((_, catalogue)) = load(&ctx, &project).await? else {
        ctx.log("api_questions", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let c = cx(&ctx, &catalogue);
    let threads: Vec<ClientThread> =
        store::client_threads(&ctx.db, &ctx.scope, &project).await?.iter().map(|q| client_thread(&c, q)).collect();
    ctx.log("api_questions", project.as_str(), "success").await?;
    Ok(json(200, &serde_json::json!({ "questions": threads })))
}

/// POST /projects/{id}/questions — fields `about`; `date` (a row's day, or any day of the
/// week) for entry and week; `person`, `task`, `phase` (the labels the client sees); `body`;
/// `email_me` = 1 to be e-mailed the answer.
pub async fn ask(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(&req, env).await? else { return redirect("/login") };
    let form = contact_form(&mut req, &ctx).await?;
    let project = ProjectId::parse(id).map_err(|_| ApiError::not_found())?;
    contact_may(&ctx, Action::Ask, "ask_question", project.as_str()).await?;
    let refuse = |msg: &'static str| ApiError::bad_request(msg);
    let about = SubjectKind::parse(&form_field(&form, "about"))
        .ok_or_else(|| refuse("about must be one of project, entry, week, task, phase, person"))?;
    let body = check_body(&form_field(&form, "body")).map_err(refuse)?;
    let date = match form_field(&form, "date").trim() {
        "" => None,
        w => Some(parse_date(w).ok_or_else(|| refuse("date must be a date written YYYY-MM-DD"))?),
    };
    let email_me = form_field(&form, "email_me") == "1";
    let Some((project_name, catalogue)) = load(&ctx, &project).await? else {
        log_now(&ctx, "ask_question", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    };
    let (person, task, phase) = (form_field(&form, "person"), form_field(&form, "task"), form_field(&form, "phase"));
    let pick = SubjectPick { date, person: &person, task: &task, phase: &phase };
    let c = cx(&ctx, &catalogue);
    let subject = match resolve_subject(&c, about, &pick, shown(&ctx)) {
        Ok(s) => s,
        Err(msg) => {
            log_now(&ctx, "ask_question", project.as_str(), "refused").await?;
            return Err(ApiError::bad_request(msg));
        }
    };
    // Staff are told what the client picked, in the client's words (they see the real subject
    // on the thread page).
    let label = clearhours_domain::client_view::questions::subject_label(&c, about, &subject);
    let qid = store::new_question_id()?;
    let who = store::contact_name(&ctx.db, &ctx.scope).await?;
    let client_name = ctx.scope.settings().name.clone();
    let notice =
        crate::notify::staff(env, "New question", &client_name, &project_name, &who, &label, &body, &format!("/admin/questions/{qid}"))?;
    if store::ask(&ctx.db, &ctx.scope, &qid, &project, about, &subject, &body, email_me, &notice, ctx.now).await?.is_none() {
        log_now(&ctx, "ask_question", project.as_str(), "not_found").await?;
        return Err(ApiError::not_found());
    }
    log_now(&ctx, "ask_question", &qid, "success").await?;
    redirect(&format!("/questions/{qid}"))
}

#[derive(Template)]
#[template(path = "questions_thread.html")]
struct ThreadPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    t: &'a ClientThread,
}

async fn thread_for(ctx: &ContactCtx, qid: &str, action: &str) -> ApiResult<ClientThread> {
    let Some(q) = store::client_thread(&ctx.db, &ctx.scope, qid).await? else {
        ctx.log(action, qid, "not_found").await?;
        return Err(ApiError::not_found());
    };
    let project = ProjectId::parse(&q.project_id).map_err(ApiError::internal)?;
    let Some((_, catalogue)) = load(ctx, &project).await? else { return Err(ApiError::not_found()) };
    let t = client_thread(&cx(ctx, &catalogue), &q);
    ctx.log(action, qid, "success").await?;
    Ok(t)
}

/// GET /questions/{q}
pub async fn client_thread_page(req: &Request, env: &Env, qid: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(req, env).await? else { return redirect("/login") };
    let t = thread_for(&ctx, qid, "view_question").await?;
    let body = ThreadPage { nav: &client_nav(&ctx), csrf: &ctx.csrf, t: &t }.render().map_err(ApiError::internal)?;
    html(200, body)
}

/// GET /api/v1/questions/{q}
pub async fn client_thread_api(req: &Request, env: &Env, qid: &str) -> ApiResult<Response> {
    let ctx = auth::contact(req, env).await?.ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    Ok(json(200, &thread_for(&ctx, qid, "api_question").await?))
}

/// POST /questions/{q}/reply and /questions/{q}/resolve
pub async fn client_action(mut req: Request, env: &Env, qid: &str, action: &str) -> ApiResult<Response> {
    let Some(ctx) = auth::contact(&req, env).await? else { return redirect("/login") };
    let form = contact_form(&mut req, &ctx).await?;
    let logged = if action == "reply" { "reply_question" } else { "resolve_question" };
    contact_may(&ctx, Action::FollowUp, logged, qid).await?;
    let done = if action == "reply" {
        let body = check_body(&form_field(&form, "body")).map_err(ApiError::bad_request)?;
        match store::client_thread(&ctx.db, &ctx.scope, qid).await? {
            Some(q) => {
                let who = store::contact_name(&ctx.db, &ctx.scope).await?;
                let about = match load(&ctx, &ProjectId::parse(&q.project_id).map_err(ApiError::internal)?).await? {
                    Some((_, catalogue)) => {
                        clearhours_domain::client_view::questions::subject_label(&cx(&ctx, &catalogue), q.kind, &q.subject)
                    }
                    None => String::new(),
                };
                let client_name = ctx.scope.settings().name.clone();
                let notice = crate::notify::staff(
                    env,
                    "Follow-up",
                    &client_name,
                    &q.project_name,
                    &who,
                    &about,
                    &body,
                    &format!("/admin/questions/{qid}"),
                )?;
                store::client_reply(&ctx.db, &ctx.scope, &q, &body, &notice, ctx.now).await?;
                true
            }
            None => false,
        }
    } else {
        store::client_resolve(&ctx.db, &ctx.scope, qid, ctx.now).await?
    };
    log_now(&ctx, logged, qid, if done { "success" } else { "not_found" }).await?;
    if !done {
        return Err(ApiError::not_found());
    }
    redirect(&format!("/questions/{qid}"))
}

/// How many unresolved questions the contact has on a project (for the dashboard).
pub async fn open_count(ctx: &ContactCtx, project: &str) -> ApiResult<i64> {
    Ok(store::client_open_counts(&ctx.db, &ctx.scope).await?.into_iter().find(|(p, _)| p == project).map_or(0, |(_, n)| n))
}

/// Refuses (403, logged) a contact whose role may not do `action` (`domain::roles`).
pub(crate) async fn contact_may(ctx: &ContactCtx, action: Action, what: &str, target: &str) -> ApiResult<()> {
    if allows(Actor::Contact(ClientRole::from(ctx.scope.role())), action) {
        return Ok(());
    }
    ctx.log(what, target, "forbidden").await?;
    Err(ApiError::forbidden("your role in the portal does not allow this"))
}

// ---- Staff ----

/// Refuses (403, logged) a staff user whose role may not do `action` for `client`: a manager
/// acts only for assigned clients (`domain::roles`).
pub(crate) async fn staff_may(ctx: &StaffCtx, req: &Request, client: &str, action: Action, what: &str, target: &str) -> ApiResult<()> {
    let actor = store::staff_access(&ctx.db, &ctx.scope, client)
        .await?
        .map(|(role, assigned)| Actor::Staff { role: StaffRole::parse(&role), assigned });
    if actor.is_some_and(|a| allows(a, action)) {
        return Ok(());
    }
    access_log::append(
        &ctx.db,
        &AccessEvent {
            at: ctx.now,
            provider_id: Some(ctx.scope.provider_id().as_str()),
            client_id: Some(client),
            actor_kind: "staff",
            actor_id: ctx.scope.staff_id().map(|s| s.as_str()).unwrap_or_default(),
            action: what,
            target,
            outcome: "forbidden",
            ip: &clearhours_http::client_ip(req),
            user_agent: &clearhours_http::user_agent(req),
        },
    )
    .await?;
    Err(ApiError::forbidden("your staff role does not allow this for this client"))
}

fn minutes_since(created_at: &str, now: DateTime<Utc>) -> i64 {
    DateTime::parse_from_rfc3339(created_at).map_or(0, |t| (now - t.with_timezone(&Utc)).num_minutes())
}

pub struct StaffRow {
    pub id: String,
    pub client_name: String,
    pub project_name: String,
    pub kind: String,
    pub state: String,
    pub age: String,
}

/// The provider's unanswered questions (oldest first, with their age) and the median time to a
/// first answer over the last 30 days, for the overview and the questions page.
pub async fn staff_summary(ctx: &StaffCtx) -> ApiResult<(Vec<StaffRow>, Vec<StaffRow>, Option<String>)> {
    let (open, others, pairs) = store::staff_overview(&ctx.db, &ctx.scope, ctx.now - chrono::Duration::days(30)).await?;
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc));
    let pairs: Vec<_> = pairs.iter().filter_map(|(a, b)| Some((parse(a)?, parse(b)?))).collect();
    let row = |r: store::OpenRow| StaffRow {
        age: duration_label(minutes_since(&r.created_at, ctx.now)),
        id: r.id,
        client_name: r.client_name,
        project_name: r.project_name,
        kind: r.kind,
        state: r.state,
    };
    Ok((open.into_iter().map(row).collect(), others.into_iter().map(row).collect(), median_response_minutes(&pairs).map(duration_label)))
}

#[derive(Template)]
#[template(path = "questions_admin.html")]
struct AdminList<'a> {
    nav: &'a Nav,
    open: &'a [StaffRow],
    others: &'a [StaffRow],
    median: Option<String>,
}

/// GET /admin/questions
pub async fn admin_list(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let (open, others, median) = staff_summary(&ctx).await?;
    let body = AdminList { nav: &nav(&ctx).await?, open: &open, others: &others, median }.render().map_err(ApiError::internal)?;
    log(&ctx, req, None, "admin_questions_view", "").await?;
    html(200, body)
}

struct StaffMessage {
    id: String,
    from: String,
    from_staff: bool,
    body: String,
    at: String,
    promoted: bool,
}

#[derive(Template)]
#[template(path = "questions_admin_thread.html")]
struct AdminThread<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    t: &'a store::StaffThread,
    subject: String,
    state: &'a str,
    messages: Vec<StaffMessage>,
    error: Option<&'a str>,
}

async fn admin_thread_page(req: &Request, ctx: &StaffCtx, qid: &str, error: Option<&str>, status: u16) -> ApiResult<Response> {
    let t = store::staff_thread(&ctx.db, &ctx.scope, qid).await?.ok_or_else(ApiError::not_found)?;
    staff_may(ctx, req, &t.client_id, Action::ReadThreads, "admin_question_view", qid).await?;
    let q = &t.question;
    let s = &q.subject;
    let or = |o: &Option<String>, none: &str| o.clone().unwrap_or_else(|| none.to_string());
    // Staff see the real subject: names, not the client's labels.
    let subject = match q.kind {
        SubjectKind::Entry => format!(
            "Entry on {} · {} · {} · {}",
            s.local_date.map(|d| d.to_string()).unwrap_or_default(),
            or(&t.member_name, "?"),
            or(&t.task_name, "No task"),
            or(&t.phase_name, "No phase")
        ),
        SubjectKind::Week => format!("Week of {}", s.week_start.map(|d| d.to_string()).unwrap_or_default()),
        SubjectKind::Task => format!("Task: {}", or(&t.task_name, "?")),
        SubjectKind::Phase => format!("Phase: {}", or(&t.phase_name, "?")),
        SubjectKind::Person => format!("Team member: {}", or(&t.member_name, "?")),
        SubjectKind::Project => "The project".to_string(),
    };
    let messages = q
        .messages
        .iter()
        .map(|m| StaffMessage {
            id: m.id.clone(),
            from: m.author_name.clone(),
            from_staff: m.from_staff,
            body: m.body.clone(),
            at: m.created_at.clone(),
            promoted: m.promoted,
        })
        .collect();
    let page = AdminThread { nav: &nav(ctx).await?, csrf: &ctx.csrf, t: &t, subject, state: q.state.as_str(), messages, error };
    let body = page.render().map_err(ApiError::internal)?;
    log(ctx, req, Some(&t.client_id), "admin_question_view", qid).await?;
    html(status, body)
}

/// GET /admin/questions/{q}
pub async fn admin_thread(req: &Request, env: &Env, qid: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    admin_thread_page(req, &ctx, qid, None, 200).await
}

/// The asker's e-mail about a new answer (`Some(body)`) or the thread being resolved (`None`),
/// rendered from the thread *as the asker sees it* (the contact's own scope, as in "view as
/// client": labels under the client's visibility, the provider's name instead of the staff
/// member's). `None` when the asker can no longer see the project (then nothing is sent).
async fn client_notice(env: &Env, ctx: &StaffCtx, t: &store::StaffThread, answer: Option<&str>) -> ApiResult<Option<String>> {
    let Ok(contact) = clearhours_domain::ids::ContactId::parse(&t.question.asked_by) else { return Ok(None) };
    let Some(scope) = clearhours_storage::admin::preview_scope(&ctx.db, &ctx.scope, &contact).await? else { return Ok(None) };
    let Ok(project) = ProjectId::parse(&t.question.project_id) else { return Ok(None) };
    let Some(base) = timesheet_base(&ctx.db, &scope, Some(&project)).await? else { return Ok(None) };
    let s = scope.settings();
    let c = ClientContext {
        visibility: s.visibility,
        currency: s.currency,
        locale: s.locale,
        time_zone: s.calendar.tz,
        members: &base.catalogue.members,
        tasks: &base.catalogue.tasks,
        phases: &base.catalogue.phases,
    };
    let mut q = t.question.clone();
    if let Some(body) = answer {
        q.messages.push(clearhours_domain::client_view::questions::MessageRecord {
            id: String::new(),
            from_staff: true,
            author_name: String::new(),
            author_id: String::new(),
            body: body.to_string(),
            created_at: clearhours_storage::auth::ts(ctx.now),
            promoted: false,
        });
    }
    let thread = client_thread(&c, &q);
    let base_url = crate::notify::base_url(env);
    let n = match answer {
        Some(_) => clearhours_domain::notice::ClientNotice::answered(&thread, &q.provider_name, &base_url),
        None => clearhours_domain::notice::ClientNotice::resolved(&thread, &q.provider_name, &base_url),
    };
    Ok(Some(crate::notify::client(&n)?))
}

/// POST /admin/questions/{q}/{answer|resolve|promote}
pub async fn admin_action(mut req: Request, env: &Env, qid: &str, action: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let owner = store::client_of(&ctx.db, &ctx.scope, qid).await?.ok_or_else(ApiError::not_found)?;
    let needed = match action {
        "answer" => Action::Answer,
        "resolve" => Action::ResolveAsStaff,
        _ => Action::Promote,
    };
    staff_may(&ctx, &req, &owner, needed, &format!("admin_question_{action}"), qid).await?;
    let client = match action {
        "answer" => {
            let body = match check_body(&field(&form, "body")) {
                Ok(b) => b,
                Err(msg) => return admin_thread_page(&req, &ctx, qid, Some(msg), 400).await,
            };
            let t = store::staff_thread(&ctx.db, &ctx.scope, qid).await?.ok_or_else(ApiError::not_found)?;
            let notice = client_notice(env, &ctx, &t, Some(&body)).await?;
            store::answer(&ctx.db, &ctx.scope, &t, &body, notice.as_deref(), ctx.now).await?;
            Some(t.client_id.clone())
        }
        "resolve" => {
            let t = store::staff_thread(&ctx.db, &ctx.scope, qid).await?.ok_or_else(ApiError::not_found)?;
            // Written only if the asker ticked "e-mail me" and it was not resolved yet (the batch's guard).
            let notice = client_notice(env, &ctx, &t, None).await?;
            store::staff_resolve(&ctx.db, &ctx.scope, &t, notice.as_deref(), ctx.now).await?;
            Some(t.client_id.clone())
        }
        _ => {
            let message = field(&form, "message");
            // A subject without a week (task, person, project) is noted on the week it was asked.
            let cid = store::staff_thread(&ctx.db, &ctx.scope, qid).await?.map(|t| t.client_id).ok_or_else(ApiError::not_found)?;
            let cid = clearhours_domain::ids::ClientId::parse(&cid).map_err(ApiError::internal)?;
            let c = clearhours_storage::admin::client(&ctx.db, &ctx.scope, &cid).await?.ok_or_else(ApiError::not_found)?;
            let calendar = clearhours_domain::calendar::ClientCalendar::parse(&c.time_zone, &c.week_start).map_err(ApiError::internal)?;
            let asked_week = |created: &str| {
                DateTime::parse_from_rfc3339(created).ok().map(|t| calendar.week_of(calendar.today(t.with_timezone(&Utc))).start)
            };
            match store::promote(&ctx.db, &ctx.scope, &message, asked_week, ctx.now).await? {
                store::Promoted::Done(c) => Some(c),
                store::Promoted::NotFound => None,
                store::Promoted::Refused(msg) => return admin_thread_page(&req, &ctx, qid, Some(msg), 400).await,
            }
        }
    };
    let client = client.ok_or_else(ApiError::not_found)?;
    log(&ctx, &req, Some(&client), &format!("admin_question_{action}"), qid).await?;
    redirect(&format!("/admin/questions/{qid}"))
}
