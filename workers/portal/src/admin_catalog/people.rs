//! Tasks (name, the explanation clients see, billable by default) and team members (name, role
//! title and the private fields: e-mail, phone, rates, notes, active). The private fields are
//! shown only on these staff pages; clients see members only through `client_view`.

use super::forms::{MemberForm, TaskForm};
use super::views::{self, MemberItem, TaskItem};
use super::{checked, done, field, log, multiline, nav, optional_rate, staff_form, staff_or_login, text};
use crate::auth::StaffCtx;
use crate::{html, redirect};
use clearhours_domain::ids::{MemberId, TaskId};
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::catalog::{self as store, MemberInput, MemberRow, TaskInput, TaskRow};
use worker::{Env, Request, Response};

/// Longest client-facing task explanation.
const MAX_EXPLANATION: usize = 500;

impl TaskForm {
    fn blank() -> Self {
        Self { name: String::new(), explanation: String::new(), billable: true }
    }
    fn from_form(f: &worker::FormData) -> Self {
        Self { name: field(f, "name"), explanation: field(f, "explanation"), billable: checked(f, "billable") }
    }
    fn from_row(t: &TaskRow) -> Self {
        Self { name: t.name.clone(), explanation: t.client_explanation.clone(), billable: t.billable_default != 0 }
    }
    fn parse(&self) -> Result<TaskInput, String> {
        Ok(TaskInput {
            name: text(&self.name, "Task name", 200, true)?,
            client_explanation: multiline(&self.explanation, "The client-facing explanation", MAX_EXPLANATION)?,
            billable_default: self.billable,
        })
    }
}

impl MemberForm {
    fn blank() -> Self {
        Self {
            name: String::new(),
            role_title: String::new(),
            email: String::new(),
            phone: String::new(),
            cost_rate: String::new(),
            default_rate: String::new(),
            notes: String::new(),
            active: true,
        }
    }
    fn from_form(f: &worker::FormData) -> Self {
        Self {
            name: field(f, "name"),
            role_title: field(f, "role_title"),
            email: field(f, "email"),
            phone: field(f, "phone"),
            cost_rate: field(f, "cost_rate"),
            default_rate: field(f, "default_rate"),
            notes: field(f, "notes"),
            active: checked(f, "active"),
        }
    }
    fn from_row(m: &MemberRow) -> Self {
        Self {
            name: m.name.clone(),
            role_title: m.role_title.clone(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            cost_rate: m.cost_rate.clone().unwrap_or_default(),
            default_rate: m.default_rate.clone().unwrap_or_default(),
            notes: m.personal_notes.clone(),
            active: m.active != 0,
        }
    }
    fn parse(&self) -> Result<MemberInput, String> {
        let email = text(&self.email, "E-mail", 254, false)?;
        if !email.is_empty()
            && (!email.contains('@') || email.starts_with('@') || email.ends_with('@') || email.contains(char::is_whitespace))
        {
            return Err("That e-mail address does not look right.".into());
        }
        let phone = text(&self.phone, "Phone", 50, false)?;
        Ok(MemberInput {
            name: text(&self.name, "Name", 200, true)?,
            role_title: text(&self.role_title, "Role title", 200, false)?,
            email,
            phone,
            cost_rate: optional_rate(&self.cost_rate, "Cost rate")?,
            default_rate: optional_rate(&self.default_rate, "Default hourly rate")?,
            personal_notes: multiline(&self.notes, "Personal notes", 5000)?,
            active: self.active,
        })
    }
}

/// A form to show instead of the stored values: for a new row (`None`) or an existing one.
type Typed<'a, F> = Option<(Option<&'a str>, &'a F)>;

fn task_notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Task created.",
        "saved" => "Task saved. Clients see the new explanation on their next page view.",
        _ => return None,
    })
}

fn member_notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Team member added.",
        "saved" => "Team member saved.",
        _ => return None,
    })
}

/// GET /admin/tasks
pub async fn tasks_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let tasks = store::tasks(&ctx.db, &ctx.scope).await?;
    render_tasks(&ctx, &tasks, None, done(req).as_deref().and_then(task_notice), None, 200).await
}

async fn render_tasks(
    ctx: &StaffCtx,
    tasks: &[TaskRow],
    typed: Typed<'_, TaskForm>,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> ApiResult<Response> {
    let items = tasks
        .iter()
        .map(|t| match typed {
            Some((Some(id), f)) if id == t.id => TaskItem { id: t.id.clone(), form: f.clone(), open: true },
            _ => TaskItem { id: t.id.clone(), form: TaskForm::from_row(t), open: false },
        })
        .collect();
    let new = match typed {
        Some((None, f)) => f.clone(),
        _ => TaskForm::blank(),
    };
    let nav = nav(ctx).await?;
    let body = views::render_tasks(&nav, &ctx.csrf, items, &new, MAX_EXPLANATION, notice, error).map_err(ApiError::internal)?;
    html(status, body)
}

/// POST /admin/tasks
pub async fn create_task(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let f = TaskForm::from_form(&staff_form(&mut req, &ctx).await?);
    let input = match f.parse() {
        Ok(i) => i,
        Err(e) => {
            let tasks = store::tasks(&ctx.db, &ctx.scope).await?;
            return render_tasks(&ctx, &tasks, Some((None, &f)), None, Some(&format!("Task not created: {e}")), 400).await;
        }
    };
    let id = store::create_task(&ctx.db, &ctx.scope, &input).await?;
    log(&ctx, &req, None, "admin_task_create", id.as_str()).await?;
    redirect("/admin/tasks?done=created")
}

/// POST /admin/tasks/{id}
pub async fn update_task(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let tid = TaskId::parse(id).map_err(|_| ApiError::not_found())?;
    let tasks = store::tasks(&ctx.db, &ctx.scope).await?;
    if !tasks.iter().any(|t| t.id == tid.as_str()) {
        return Err(ApiError::not_found());
    }
    let f = TaskForm::from_form(&form);
    let input = match f.parse() {
        Ok(i) => i,
        Err(e) => {
            return render_tasks(&ctx, &tasks, Some((Some(tid.as_str()), &f)), None, Some(&format!("Task not saved: {e}")), 400).await
        }
    };
    if !store::update_task(&ctx.db, &ctx.scope, &tid, &input).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, None, "admin_task_update", tid.as_str()).await?;
    redirect("/admin/tasks?done=saved")
}

/// GET /admin/team
pub async fn team_page(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let members = store::members(&ctx.db, &ctx.scope).await?;
    render_team(&ctx, &members, None, done(req).as_deref().and_then(member_notice), None, 200).await
}

async fn render_team(
    ctx: &StaffCtx,
    members: &[MemberRow],
    typed: Typed<'_, MemberForm>,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> ApiResult<Response> {
    let items = members
        .iter()
        .map(|m| match typed {
            Some((Some(id), f)) if id == m.id => {
                MemberItem { id: m.id.clone(), stored: MemberForm::from_row(m), form: f.clone(), open: true }
            }
            _ => MemberItem { id: m.id.clone(), stored: MemberForm::from_row(m), form: MemberForm::from_row(m), open: false },
        })
        .collect();
    let new = match typed {
        Some((None, f)) => f.clone(),
        _ => MemberForm::blank(),
    };
    let nav = nav(ctx).await?;
    let body = views::render_team(&nav, &ctx.csrf, items, &new, notice, error).map_err(ApiError::internal)?;
    html(status, body)
}

/// POST /admin/team
pub async fn create_member(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let f = MemberForm::from_form(&staff_form(&mut req, &ctx).await?);
    let input = match f.parse() {
        Ok(i) => i,
        Err(e) => {
            let members = store::members(&ctx.db, &ctx.scope).await?;
            return render_team(&ctx, &members, Some((None, &f)), None, Some(&format!("Team member not added: {e}")), 400).await;
        }
    };
    let id = store::create_member(&ctx.db, &ctx.scope, &input, ctx.now).await?;
    log(&ctx, &req, None, "admin_member_create", id.as_str()).await?;
    redirect("/admin/team?done=created")
}

/// POST /admin/team/{id}
pub async fn update_member(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let mid = MemberId::parse(id).map_err(|_| ApiError::not_found())?;
    let members = store::members(&ctx.db, &ctx.scope).await?;
    if !members.iter().any(|m| m.id == mid.as_str()) {
        return Err(ApiError::not_found());
    }
    let f = MemberForm::from_form(&form);
    let input = match f.parse() {
        Ok(i) => i,
        Err(e) => {
            return render_team(&ctx, &members, Some((Some(mid.as_str()), &f)), None, Some(&format!("Team member not saved: {e}")), 400)
                .await
        }
    };
    if !store::update_member(&ctx.db, &ctx.scope, &mid, &input).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, None, "admin_member_update", mid.as_str()).await?;
    redirect("/admin/team?done=saved")
}
