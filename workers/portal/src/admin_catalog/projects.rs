//! Projects: list and create, edit (budget, period, dates, rate, thresholds), archive, phases.
//! Budget figures are parsed by the domain (`Budget::parse_hours`, `Money::parse_major`,
//! `HourlyRate::parse`, `Thresholds::parse`, `BudgetPeriod::parse`); nothing is computed here.

use super::forms::ProjectForm;
use super::views::{self, ClientOption, PhaseView, ProjectListRow};
use super::{checked, done, field, log, nav, optional_rate, staff_form, staff_or_login, text};
use crate::auth::StaffCtx;
use crate::{html, redirect};
use chrono::NaiveDate;
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::ids::{ClientId, PhaseId, ProjectId};
use clearhours_domain::money::{hours, Currency, Money};
use clearhours_domain::project::{Budget, BudgetPeriod, Thresholds};
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::admin as clients_store;
use clearhours_storage::catalog::{self as store, ProjectInput, ProjectRow};
use worker::{Env, Request, Response};

impl ProjectForm {
    fn blank(starts_on: String) -> Self {
        Self { starts_on, thresholds: Thresholds::default().to_stored(), ..Self::default() }
    }

    fn from_form(f: &worker::FormData) -> Self {
        Self {
            client_id: field(f, "client_id").trim().to_string(),
            name: field(f, "name"),
            code: field(f, "code"),
            period: field(f, "period"),
            hours: field(f, "budget_hours"),
            amount: field(f, "budget_amount"),
            includes_non_billable: checked(f, "includes_non_billable"),
            starts_on: field(f, "starts_on"),
            ends_on: field(f, "ends_on"),
            default_rate: field(f, "default_rate"),
            thresholds: field(f, "thresholds"),
        }
    }

    fn from_row(p: &ProjectRow) -> Self {
        let currency = Currency::parse(&p.currency).ok();
        Self {
            client_id: p.client_id.clone(),
            name: p.name.clone(),
            code: p.code.clone(),
            period: p.budget_period.clone().unwrap_or_default(),
            hours: p.budget_minutes.map(|m| hours(m, 4).normalize().to_string()).unwrap_or_default(),
            amount: match (p.budget_amount_minor, currency) {
                (Some(minor), Some(c)) => Money::new(minor, c).to_decimal().to_string(),
                _ => String::new(),
            },
            includes_non_billable: p.budget_includes_non_billable != 0,
            starts_on: p.starts_on.clone(),
            ends_on: p.ends_on.clone().unwrap_or_default(),
            default_rate: p.default_rate.clone().unwrap_or_default(),
            thresholds: p.alert_thresholds.clone(),
        }
    }

    /// Validates every field; the first problem comes back as a sentence.
    fn parse(&self, currency: Currency) -> Result<ProjectInput, String> {
        let name = text(&self.name, "Project name", 200, true)?;
        let code = text(&self.code, "Code", 50, false)?;
        let period = match self.period.trim() {
            "" | "none" => None,
            p => Some(BudgetPeriod::parse(p).map_err(|e| format!("Budget period: {e}."))?),
        };
        let minutes = match self.hours.trim() {
            "" => None,
            h => Some(Budget::parse_hours(h).map_err(|e| format!("Budget hours: {e}."))?),
        };
        let amount = match self.amount.trim() {
            "" => None,
            a => {
                let m = Money::parse_major(a, currency).map_err(|e| format!("Budget amount: {e}."))?;
                if m.minor <= 0 {
                    return Err("Budget amount: must be more than zero.".into());
                }
                Some(m.minor)
            }
        };
        let budget = match (period, minutes, amount) {
            (None, None, None) => None,
            (None, _, _) => {
                return Err("Choose a budget period (fixed or monthly) for the budget, or clear the budget hours and amount.".into())
            }
            (Some(_), None, None) => return Err("Give the budget in hours, as an amount, or both — or choose “No budget”.".into()),
            (Some(period), minutes, amount_minor) => {
                Some(Budget { period, minutes, amount_minor, includes_non_billable: self.includes_non_billable })
            }
        };
        let starts_on = date(&self.starts_on, "Starts on")?.ok_or("Starts on is required.")?;
        let ends_on = date(&self.ends_on, "Ends on")?;
        if ends_on.is_some_and(|e| e < starts_on) {
            return Err("Ends on must be on or after the start date.".into());
        }
        let default_rate = optional_rate(&self.default_rate, "Default hourly rate")?;
        let thresholds = Thresholds::parse(&self.thresholds).map_err(|e| format!("Alert thresholds: {e} (write them like 75,90,100)."))?;
        Ok(ProjectInput { name, code, budget, starts_on, ends_on, default_rate, thresholds })
    }
}

/// An optional ISO date between 1990 and 2100.
fn date(value: &str, label: &str) -> Result<Option<NaiveDate>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| format!("{label}: use a date like 2026-11-01."))?;
    let (lo, hi) = (NaiveDate::from_ymd_opt(1990, 1, 1), NaiveDate::from_ymd_opt(2100, 12, 31));
    if lo.is_some_and(|lo| d < lo) || hi.is_some_and(|hi| d > hi) {
        return Err(format!("{label}: choose a date between 1990 and 2100."));
    }
    Ok(Some(d))
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Project created.",
        "saved" => "Project saved. Clients see the change on their next page view.",
        "archived" => "Project archived: its client no longer sees it.",
        "unarchived" => "Project active again.",
        "phase_added" => "Phase added.",
        "phase_renamed" => "Phase renamed.",
        _ => return None,
    })
}

fn project_id(id: &str) -> ApiResult<ProjectId> {
    ProjectId::parse(id).map_err(|_| ApiError::not_found())
}

async fn load(ctx: &StaffCtx, id: &ProjectId) -> ApiResult<ProjectRow> {
    store::project(&ctx.db, &ctx.scope, id).await?.ok_or_else(ApiError::not_found)
}

/// GET /admin/projects
pub async fn list(req: &Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let notice = done(req).as_deref().and_then(notice_text);
    render_list(&ctx, None, notice, None, 200).await
}

async fn render_list(
    ctx: &StaffCtx,
    form: Option<&ProjectForm>,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> ApiResult<Response> {
    let projects = store::projects(&ctx.db, &ctx.scope).await?;
    let clients = clients_store::clients(&ctx.db, &ctx.scope).await?;
    let blank;
    let form = match form {
        Some(f) => f,
        None => {
            // Today in the first client's calendar (the usual start of a new project).
            let today = clients.first().and_then(|c| ClientCalendar::parse(&c.time_zone, &c.week_start).ok()).map(|cal| cal.today(ctx.now));
            blank = ProjectForm::blank(today.map(|d| d.to_string()).unwrap_or_default());
            &blank
        }
    };
    let rows = projects.iter().map(ProjectListRow::of).collect();
    let options = clients
        .iter()
        .map(|c| ClientOption { id: c.id.clone(), name: c.name.clone(), currency: c.currency.clone(), selected: c.id == form.client_id })
        .collect();
    let nav = nav(ctx).await?;
    let body = views::render_projects(&nav, &ctx.csrf, rows, options, form, notice, error).map_err(ApiError::internal)?;
    html(status, body)
}

/// POST /admin/projects
pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let f = ProjectForm::from_form(&staff_form(&mut req, &ctx).await?);
    let client = match ClientId::parse(&f.client_id) {
        Ok(id) => clients_store::client(&ctx.db, &ctx.scope, &id).await?,
        Err(_) => None,
    };
    let Some(client) = client else {
        return render_list(&ctx, Some(&f), None, Some("Not created: choose one of your clients."), 400).await;
    };
    let currency = Currency::parse(&client.currency).map_err(ApiError::internal)?;
    let input = match f.parse(currency) {
        Ok(i) => i,
        Err(e) => return render_list(&ctx, Some(&f), None, Some(&format!("Not created: {e}")), 400).await,
    };
    let cid = ClientId::parse(&client.id).map_err(ApiError::internal)?;
    let Some(id) = store::create_project(&ctx.db, &ctx.scope, &cid, &input, ctx.now).await? else {
        return render_list(&ctx, Some(&f), None, Some("Not created: choose one of your clients."), 400).await;
    };
    log(&ctx, &req, Some(cid.as_str()), "admin_project_create", id.as_str()).await?;
    redirect(&format!("/admin/projects/{id}?done=created"))
}

/// What the project page shows besides the stored row.
#[derive(Default)]
struct Overrides<'a> {
    form: Option<&'a ProjectForm>,
    new_phase: Option<&'a str>,
    phase: Option<(&'a str, &'a str)>,
}

/// GET /admin/projects/{id}
pub async fn page(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let row = load(&ctx, &project_id(id)?).await?;
    let notice = done(req).as_deref().and_then(notice_text);
    render_page(&ctx, &row, Overrides::default(), notice, None, 200).await
}

async fn render_page(
    ctx: &StaffCtx,
    row: &ProjectRow,
    o: Overrides<'_>,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> ApiResult<Response> {
    let pid = project_id(&row.id)?;
    let phases = store::phases(&ctx.db, &ctx.scope, &pid)
        .await?
        .into_iter()
        .map(|p| {
            let value = match o.phase {
                Some((id, typed)) if id == p.id => typed.to_string(),
                _ => p.name.clone(),
            };
            PhaseView { id: p.id, name: p.name, value }
        })
        .collect();
    let stored;
    let form = match o.form {
        Some(f) => f,
        None => {
            stored = ProjectForm::from_row(row);
            &stored
        }
    };
    let nav = nav(ctx).await?;
    let body = views::render_project(&nav, &ctx.csrf, row, form, phases, o.new_phase.unwrap_or_default(), notice, error)
        .map_err(ApiError::internal)?;
    html(status, body)
}

/// POST /admin/projects/{id}
pub async fn save(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let pid = project_id(id)?;
    let row = load(&ctx, &pid).await?;
    let mut f = ProjectForm::from_form(&form);
    f.client_id.clone_from(&row.client_id); // A project never moves to another client.
    let currency = Currency::parse(&row.currency).map_err(ApiError::internal)?;
    let input = match f.parse(currency) {
        Ok(i) => i,
        Err(e) => {
            let o = Overrides { form: Some(&f), ..Overrides::default() };
            return render_page(&ctx, &row, o, None, Some(&format!("Not saved: {e}")), 400).await;
        }
    };
    if !store::update_project(&ctx.db, &ctx.scope, &pid, &input).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(&row.client_id), "admin_project_update", pid.as_str()).await?;
    redirect(&format!("/admin/projects/{pid}?done=saved"))
}

/// POST /admin/projects/{id}/{archive|unarchive}
pub async fn set_archived(mut req: Request, env: &Env, id: &str, archived: bool) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    staff_form(&mut req, &ctx).await?;
    let pid = project_id(id)?;
    let row = load(&ctx, &pid).await?;
    if !store::set_project_archived(&ctx.db, &ctx.scope, &pid, archived).await? {
        return Err(ApiError::not_found());
    }
    let (action, done) = if archived { ("admin_project_archive", "archived") } else { ("admin_project_unarchive", "unarchived") };
    log(&ctx, &req, Some(&row.client_id), action, pid.as_str()).await?;
    redirect(&format!("/admin/projects/{pid}?done={done}"))
}

/// POST /admin/projects/{id}/phases
pub async fn add_phase(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let pid = project_id(id)?;
    let row = load(&ctx, &pid).await?;
    let typed = field(&form, "name");
    let name = match text(&typed, "Phase name", 200, true) {
        Ok(n) => n,
        Err(e) => {
            let o = Overrides { new_phase: Some(&typed), ..Overrides::default() };
            return render_page(&ctx, &row, o, None, Some(&format!("Phase not added: {e}")), 400).await;
        }
    };
    let Some(phase) = store::add_phase(&ctx.db, &ctx.scope, &pid, &name).await? else {
        return Err(ApiError::not_found());
    };
    log(&ctx, &req, Some(&row.client_id), "admin_phase_create", phase.as_str()).await?;
    redirect(&format!("/admin/projects/{pid}?done=phase_added"))
}

/// POST /admin/projects/{id}/phases/{phase}
pub async fn rename_phase(mut req: Request, env: &Env, id: &str, phase: &str) -> ApiResult<Response> {
    let ctx = match staff_or_login(&req, env).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form = staff_form(&mut req, &ctx).await?;
    let pid = project_id(id)?;
    let phase = PhaseId::parse(phase).map_err(|_| ApiError::not_found())?;
    let row = load(&ctx, &pid).await?;
    if !store::phases(&ctx.db, &ctx.scope, &pid).await?.iter().any(|p| p.id == phase.as_str()) {
        return Err(ApiError::not_found());
    }
    let typed = field(&form, "name");
    let name = match text(&typed, "Phase name", 200, true) {
        Ok(n) => n,
        Err(e) => {
            let o = Overrides { phase: Some((phase.as_str(), &typed)), ..Overrides::default() };
            return render_page(&ctx, &row, o, None, Some(&format!("Phase not renamed: {e}")), 400).await;
        }
    };
    if !store::rename_phase(&ctx.db, &ctx.scope, &pid, &phase, &name).await? {
        return Err(ApiError::not_found());
    }
    log(&ctx, &req, Some(&row.client_id), "admin_phase_rename", phase.as_str()).await?;
    redirect(&format!("/admin/projects/{pid}?done=phase_renamed"))
}
