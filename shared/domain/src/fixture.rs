//! The demo/test fixture format (`fixtures/README.md`, `fixtures/schema.json`): a provider, its
//! staff, members, tasks, integrations, and clients with contacts, projects and entries. Dates
//! may be relative ("days from today in the client's time zone") so the demo never goes stale.

use crate::calendar::add_days;
use chrono::NaiveDate;
use serde::Deserialize;

/// An integer offset in days from the client's today, or an absolute `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RelDate {
    Offset(i64),
    Absolute(NaiveDate),
}

/// Day 0 for relative dates: `today`, or with an anchor the first date on or after `today`
/// that falls on `anchor`.
pub fn anchor_day(today: NaiveDate, anchor: Option<chrono::Weekday>) -> NaiveDate {
    use chrono::Datelike;
    match anchor {
        None => today,
        Some(w) => {
            let ahead = (7 + w.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            add_days(today, i64::from(ahead))
        }
    }
}

impl RelDate {
    pub fn resolve(&self, today: NaiveDate) -> NaiveDate {
        match self {
            RelDate::Offset(n) => add_days(today, *n),
            RelDate::Absolute(d) => *d,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// When set, relative day 0 is the first date on or after the client's today that falls on
    /// this weekday (entries that would then lie in the future are not loaded), so a fixture
    /// written with day 0 on a Wednesday keeps its weekdays whatever day it is loaded.
    #[serde(default)]
    pub weekday_anchor: Option<String>,
    pub provider: FxProvider,
    #[serde(default)]
    pub staff: Vec<FxStaff>,
    #[serde(default)]
    pub members: Vec<FxMember>,
    #[serde(default)]
    pub tasks: Vec<FxTask>,
    #[serde(default)]
    pub integrations: Vec<FxIntegration>,
    #[serde(default)]
    pub clients: Vec<FxClient>,
    /// Stripe-compatible payment webhook endpoints of the provider.
    #[serde(default)]
    pub payment_endpoints: Vec<FxPaymentEndpoint>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxPaymentEndpoint {
    pub id: String,
    /// The signing secret (`whsec_…`), used as HMAC key bytes as Stripe does.
    pub secret: String,
}

/// How the provider bills a client (all optional; defaults: by task, no tax, 30 days).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxBilling {
    #[serde(default)]
    pub grouping: Option<String>,
    #[serde(default)]
    pub tax_rate: Option<String>,
    #[serde(default)]
    pub payment_terms_days: Option<i64>,
    #[serde(default)]
    pub next_invoice_on: Option<RelDate>,
    #[serde(default)]
    pub time_increment_minutes: Option<i64>,
}

/// An invoice made, at load time, from the client's unbilled billable entries of `from ..= to`
/// (exactly as the admin area makes one), then issued and paid as listed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxInvoice {
    pub number: String,
    #[serde(default)]
    pub from: Option<RelDate>,
    pub to: RelDate,
    /// Absent: left as a draft.
    #[serde(default)]
    pub issued_on: Option<RelDate>,
    /// Absent: issued_on + the client's payment terms.
    #[serde(default)]
    pub due_on: Option<RelDate>,
    #[serde(default)]
    pub payment_url: Option<String>,
    #[serde(default)]
    pub terms: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub payments: Vec<FxPayment>,
    #[serde(default)]
    pub void: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxPayment {
    /// Money (decimal string), or `"balance"` for whatever is left.
    pub amount: String,
    pub paid_on: RelDate,
    #[serde(default)]
    pub reference: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxProvider {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub slack_webhook_url: Option<String>,
    #[serde(default)]
    pub alert_email: Option<String>,
    /// CIDR blocks staff may sign in from (empty: anywhere).
    #[serde(default)]
    pub staff_ip_allowlist: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxStaff {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password: String,
    #[serde(default = "default_staff_role")]
    pub role: String,
}

fn default_staff_role() -> String {
    "admin".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxMember {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub role_title: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub cost_rate: Option<String>,
    #[serde(default)]
    pub default_rate: Option<String>,
    #[serde(default)]
    pub personal_notes: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxTask {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub client_explanation: String,
    #[serde(default = "yes")]
    pub billable: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxIntegration {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub secrets: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxClient {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub week_start: String,
    #[serde(default)]
    pub visibility: crate::settings::Visibility,
    /// A supported locale tag (`de-DE`); empty or absent: from the time zone's country.
    #[serde(default)]
    pub locale: String,
    /// CIDR blocks the client's contacts may use the portal from (empty: anywhere).
    #[serde(default)]
    pub ip_allowlist: String,
    #[serde(default)]
    pub contacts: Vec<FxContact>,
    #[serde(default)]
    pub projects: Vec<FxProject>,
    #[serde(default)]
    pub billing: Option<FxBilling>,
    #[serde(default)]
    pub invoices: Vec<FxInvoice>,
    /// Weekly sign-off on (issue 15).
    #[serde(default)]
    pub weekly_signoff: bool,
    /// The budget thresholds the client's contacts may hear about (issue 14), e.g. `[90, 100]`.
    #[serde(default)]
    pub shared_thresholds: Vec<u16>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum FxProjects {
    All(String),
    Some(Vec<String>),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxContact {
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub role: crate::settings::ContactRole,
    pub password: String,
    #[serde(default)]
    pub projects: Option<FxProjects>,
    /// Opted in to threshold e-mails (the client's shared thresholds).
    #[serde(default)]
    pub notify_thresholds: bool,
    /// Opted in to the weekly digest.
    #[serde(default)]
    pub notify_digest: bool,
    /// Weeks this approver approves once everything is loaded, through the portal's own
    /// approval (the loader returns them; `tests/harness.mjs` and `scripts/dev.sh` post them).
    #[serde(default)]
    pub approves: Vec<FxApproval>,
}

/// A week (any day of it) of a project an approver approves.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxApproval {
    pub project: String,
    pub week: RelDate,
}

/// An accepted budget change: the new totals (hours and/or amount) from `on`, requested by a
/// contact and approved by staff. The project's `budget` is the original; the last change is the
/// budget in force.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxBudgetChange {
    pub on: RelDate,
    #[serde(default)]
    pub hours: Option<i64>,
    #[serde(default)]
    pub amount: Option<String>,
    pub requested_by: String,
    pub approved_by: String,
    pub reason: String,
}

/// A question a contact asked about the project (`subject: "project"`) or a week
/// (`subject: "week"`, `week` = any day of it), optionally answered by staff.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxQuestion {
    pub contact: String,
    pub subject: String,
    #[serde(default)]
    pub week: Option<RelDate>,
    pub asked_on: RelDate,
    pub body: String,
    #[serde(default)]
    pub email_on_answer: bool,
    #[serde(default)]
    pub answer: Option<FxAnswer>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxAnswer {
    pub staff: String,
    pub on: RelDate,
    pub body: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxBudget {
    pub period: String,
    #[serde(default)]
    pub hours: Option<i64>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub includes_non_billable: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxProject {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub budget: Option<FxBudget>,
    pub starts_on: RelDate,
    #[serde(default)]
    pub ends_on: Option<RelDate>,
    #[serde(default)]
    pub rate: Option<String>,
    #[serde(default)]
    pub alert_thresholds: Option<Vec<u16>>,
    #[serde(default)]
    pub phases: Vec<FxPhase>,
    #[serde(default)]
    pub entries: Vec<FxEntry>,
    #[serde(default)]
    pub budget_changes: Vec<FxBudgetChange>,
    #[serde(default)]
    pub questions: Vec<FxQuestion>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxPhase {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxEntry {
    pub member: String,
    #[serde(default)]
    pub task: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    pub day: RelDate,
    pub minutes: i64,
    #[serde(default = "yes")]
    pub billable: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub internal_note: String,
    #[serde(default)]
    pub rate: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let r: RelDate = serde_json::from_str("-3").unwrap();
        assert_eq!(r.resolve(today), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        let a: RelDate = serde_json::from_str("\"2026-01-02\"").unwrap();
        assert_eq!(a.resolve(today), NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
    }

    #[test]
    fn anchor_day_is_the_next_such_weekday() {
        let wed = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(anchor_day(wed, Some(chrono::Weekday::Wed)), wed);
        assert_eq!(anchor_day(wed, None), wed);
        let thu = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(anchor_day(thu, Some(chrono::Weekday::Wed)), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let mon = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(anchor_day(mon, Some(chrono::Weekday::Wed)), wed);
    }

    #[test]
    fn the_demo_fixture_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/demo.json");
        let text = std::fs::read_to_string(path).unwrap();
        let f: Fixture = serde_json::from_str(&text).unwrap();
        assert!(f.clients.len() >= 3);
        assert!(f.clients.iter().all(|c| !c.contacts.is_empty() && !c.projects.is_empty()));
    }
}
