//! Templates of the catalogue pages (`templates/admin_projects.html`, `admin_project.html`,
//! `admin_tasks.html`, `admin_team.html`). Formatting only: numbers come from the domain.

use super::forms::{MemberForm, ProjectForm, TaskForm};
use crate::pages::Nav;
use askama::Template;
use clearhours_domain::money::{hours, Currency, Money};
use clearhours_storage::catalog::ProjectRow;

/// A project row of the list.
pub struct ProjectListRow {
    pub id: String,
    pub client_name: String,
    pub name: String,
    pub code: String,
    pub budget: String,
    pub period: &'static str,
    pub dates: String,
    pub archived: bool,
}

impl ProjectListRow {
    pub fn of(p: &ProjectRow) -> Self {
        let currency = Currency::parse(&p.currency).ok();
        let mut parts = Vec::new();
        if let Some(m) = p.budget_minutes {
            parts.push(format!("{} h", hours(m, 2).normalize()));
        }
        if let (Some(minor), Some(c)) = (p.budget_amount_minor, currency) {
            parts.push(Money::new(minor, c).to_string());
        }
        Self {
            id: p.id.clone(),
            client_name: p.client_name.clone(),
            name: p.name.clone(),
            code: p.code.clone(),
            budget: if parts.is_empty() { "—".to_string() } else { parts.join(" · ") },
            period: period_label(p.budget_period.as_deref()),
            dates: match &p.ends_on {
                Some(e) => format!("{} – {e}", p.starts_on),
                None => format!("From {}", p.starts_on),
            },
            archived: p.status == "archived",
        }
    }
}

fn period_label(p: Option<&str>) -> &'static str {
    match p {
        Some("fixed") => "Fixed",
        Some("monthly") => "Monthly retainer",
        _ => "No budget",
    }
}

/// A client in the new-project form's select.
pub struct ClientOption {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin_projects.html")]
struct ProjectsPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    rows: Vec<ProjectListRow>,
    clients: Vec<ClientOption>,
    form: &'a ProjectForm,
    /// Shown next to the amount field ("in the client's currency").
    currency_note: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

pub fn render_projects(
    nav: &Nav,
    csrf: &str,
    rows: Vec<ProjectListRow>,
    clients: Vec<ClientOption>,
    form: &ProjectForm,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<String, askama::Error> {
    ProjectsPage { nav, csrf, rows, clients, form, currency_note: "in the client's currency", notice, error }.render()
}

/// A phase of the project page.
pub struct PhaseView {
    pub id: String,
    pub name: String,
    /// What the rename field holds (rejected input, or the name).
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin_project.html")]
struct ProjectPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    project: &'a ProjectRow,
    archived: bool,
    form: &'a ProjectForm,
    currency_note: String,
    phases: Vec<PhaseView>,
    new_phase: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
pub fn render_project(
    nav: &Nav,
    csrf: &str,
    project: &ProjectRow,
    form: &ProjectForm,
    phases: Vec<PhaseView>,
    new_phase: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<String, askama::Error> {
    let currency_note = format!("in {}", project.currency);
    ProjectPage { nav, csrf, project, archived: project.status == "archived", form, currency_note, phases, new_phase, notice, error }
        .render()
}

/// A task with its edit form (`open` when it holds rejected input).
pub struct TaskItem {
    pub id: String,
    pub form: TaskForm,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "admin_tasks.html")]
struct TasksPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    items: Vec<TaskItem>,
    new: &'a TaskForm,
    max_explanation: usize,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

pub fn render_tasks(
    nav: &Nav,
    csrf: &str,
    items: Vec<TaskItem>,
    new: &TaskForm,
    max_explanation: usize,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<String, askama::Error> {
    TasksPage { nav, csrf, items, new, max_explanation, notice, error }.render()
}

/// A member: the stored values for the table, the form (possibly rejected input) to edit.
pub struct MemberItem {
    pub id: String,
    pub stored: MemberForm,
    pub form: MemberForm,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "admin_team.html")]
struct TeamPage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    items: Vec<MemberItem>,
    new: &'a MemberForm,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

pub fn render_team(
    nav: &Nav,
    csrf: &str,
    items: Vec<MemberItem>,
    new: &MemberForm,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<String, askama::Error> {
    TeamPage { nav, csrf, items, new, notice, error }.render()
}
