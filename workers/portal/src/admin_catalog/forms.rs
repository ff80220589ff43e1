//! The catalogue's forms as typed (kept on a validation error): plain data shared by the
//! handlers (`people`, `projects`, which parse them) and the views (which render them).

/// The task form as typed.
#[derive(Clone, Debug)]
pub struct TaskForm {
    pub name: String,
    pub explanation: String,
    pub billable: bool,
}

/// The member form as typed.
#[derive(Clone, Debug)]
pub struct MemberForm {
    pub name: String,
    pub role_title: String,
    pub email: String,
    pub phone: String,
    pub cost_rate: String,
    pub default_rate: String,
    pub notes: String,
    pub active: bool,
}

/// The project form as typed (kept on a validation error).
#[derive(Clone, Debug, Default)]
pub struct ProjectForm {
    pub client_id: String,
    pub name: String,
    pub code: String,
    /// `""` (no budget), `fixed` or `monthly`.
    pub period: String,
    pub hours: String,
    pub amount: String,
    pub includes_non_billable: bool,
    pub starts_on: String,
    pub ends_on: String,
    pub default_rate: String,
    pub thresholds: String,
}
