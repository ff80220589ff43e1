//! The provider's catalogue in the admin area: projects (budgets, periods, thresholds, dates,
//! archive, phases), tasks (with the explanation clients see) and team members (with their
//! private fields, shown only here). Every state change is a POST with the session's CSRF token,
//! logged to the access log with the row id as target; bad input re-renders the form with a
//! message (400) and keeps what was typed.
//!
//! Routes (all staff-only; a row of another provider is a 404):
//! - `/admin/projects` (list + new, POST creates), `/admin/projects/{id}` (edit, POST saves),
//!   POST `/admin/projects/{id}/{archive|unarchive}`, POST `/admin/projects/{id}/phases` (add),
//!   POST `/admin/projects/{id}/phases/{phase}` (rename)
//! - `/admin/tasks` (+POST create), POST `/admin/tasks/{id}`
//! - `/admin/team` (+POST create), POST `/admin/team/{id}`

mod forms;
mod people;
mod projects;
mod views;

use crate::staff::{field, log, nav, staff_form, staff_or_login};
use clearhours_http::{segments, ApiError, ApiResult};
use worker::{Env, Method, Request, Response};

pub async fn route(req: Request, env: &Env) -> ApiResult<Response> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (Method::Get, ["admin", "projects"]) => projects::list(&req, env).await,
        (Method::Post, ["admin", "projects"]) => projects::create(req, env).await,
        (Method::Get, ["admin", "projects", id]) => projects::page(&req, env, id).await,
        (Method::Post, ["admin", "projects", id]) => projects::save(req, env, id).await,
        (Method::Post, ["admin", "projects", id, action @ ("archive" | "unarchive")]) => {
            projects::set_archived(req, env, id, *action == "archive").await
        }
        (Method::Post, ["admin", "projects", id, "phases"]) => projects::add_phase(req, env, id).await,
        (Method::Post, ["admin", "projects", id, "phases", phase]) => projects::rename_phase(req, env, id, phase).await,
        (Method::Get, ["admin", "tasks"]) => people::tasks_page(&req, env).await,
        (Method::Post, ["admin", "tasks"]) => people::create_task(req, env).await,
        (Method::Post, ["admin", "tasks", id]) => people::update_task(req, env, id).await,
        (Method::Get, ["admin", "team"]) => people::team_page(&req, env).await,
        (Method::Post, ["admin", "team"]) => people::create_member(req, env).await,
        (Method::Post, ["admin", "team", id]) => people::update_member(req, env, id).await,
        (
            _,
            ["admin", "projects" | "tasks" | "team"]
            | ["admin", "projects" | "tasks" | "team", _]
            | ["admin", "projects", _, "archive" | "unarchive" | "phases"]
            | ["admin", "projects", _, "phases", _],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

/// A checkbox: present means ticked.
fn checked(form: &worker::FormData, name: &str) -> bool {
    form.get(name).is_some()
}

/// The `?done=` code of a redirect after a successful POST.
fn done(req: &Request) -> Option<String> {
    req.url().ok().and_then(|u| u.query_pairs().find(|(k, _)| k == "done").map(|(_, v)| v.to_string()))
}

/// A trimmed single-line text of at most `max` characters.
fn text(value: &str, label: &str, max: usize, required: bool) -> Result<String, String> {
    let v = multiline(value, label, max)?;
    if required && v.is_empty() {
        return Err(format!("{label} is required."));
    }
    if v.contains(char::is_control) {
        return Err(format!("{label} must be one line."));
    }
    Ok(v)
}

/// A trimmed text of at most `max` characters; line breaks and tabs allowed.
fn multiline(value: &str, label: &str, max: usize) -> Result<String, String> {
    let v = value.trim().replace("\r\n", "\n");
    if v.chars().count() > max {
        return Err(format!("{label} may be at most {max} characters."));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("{label} contains characters that are not allowed."));
    }
    Ok(v)
}

/// An optional hourly rate (`""` = none), parsed by the domain.
fn optional_rate(value: &str, label: &str) -> Result<Option<clearhours_domain::money::HourlyRate>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    clearhours_domain::money::HourlyRate::parse(value).map(Some).map_err(|e| format!("{label}: {e}."))
}
