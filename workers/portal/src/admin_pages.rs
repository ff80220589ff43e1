//! Templates of the admin area's client page and the invitation page.

use crate::pages::Nav;
use askama::Template;
use chrono::{DateTime, Utc};
use clearhours_domain::settings::{BudgetMoney, DescriptionMode, NonBillable, RatesVisibility, TeamDisplay, ViewMode, Visibility};
use clearhours_storage::admin::{ClientRow, ContactRow};
use clearhours_storage::notes::{NoteRow, ProjectOption};

/// A contact row as the admin page shows it.
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub state: String,
    pub disabled: bool,
    pub invited: bool,
    /// Has a password and is not disabled: signs in already, so no invitation is offered.
    pub active: bool,
}

impl ContactView {
    pub fn of(c: &ContactRow, now: DateTime<Utc>) -> Self {
        let pending = c.invitation_expires_at.as_deref().and_then(|e| DateTime::parse_from_rfc3339(e).ok()).filter(|e| *e > now);
        let state = if c.disabled_at.is_some() {
            "Disabled".to_string()
        } else if let Some(e) = pending {
            format!("Invited (link valid until {})", e.format("%b %-d, %Y"))
        } else if c.has_password != 0 {
            c.last_login_at
                .as_deref()
                .map_or_else(|| "Active, never signed in".to_string(), |t| format!("Active, last sign-in {}", &t[..t.len().min(10)]))
        } else {
            "Not invited yet".to_string()
        };
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            role: match c.role.as_str() {
                "billing" => "Billing contact".into(),
                "approver" => "Approver".into(),
                _ => "Viewer".into(),
            },
            state,
            disabled: c.disabled_at.is_some(),
            invited: pending.is_some(),
            active: c.disabled_at.is_none() && pending.is_none() && c.has_password != 0,
        }
    }
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct Setting {
    pub name: &'static str,
    pub label: &'static str,
    pub options: Vec<Choice>,
}

fn settings(v: &Visibility) -> Vec<Setting> {
    let choice = |value: &'static str, label: &'static str, current: &str| Choice { value, label, checked: value == current };
    vec![
        Setting {
            name: "rates",
            label: "Hourly rates",
            options: vec![
                choice(RatesVisibility::Hidden.as_str(), "Hidden — totals only, everywhere", v.rates.as_str()),
                choice(RatesVisibility::Shown.as_str(), "Shown", v.rates.as_str()),
            ],
        },
        Setting {
            name: "descriptions",
            label: "Entry descriptions",
            options: vec![
                choice(DescriptionMode::Summarised.as_str(), "Summarised — one line per task per person per day", v.descriptions.as_str()),
                choice(DescriptionMode::Detailed.as_str(), "Detailed — each entry's description", v.descriptions.as_str()),
            ],
        },
        Setting {
            name: "team",
            label: "Team members",
            options: vec![
                choice(TeamDisplay::Anonymous.as_str(), "Anonymous — “Team member A”", v.team.as_str()),
                choice(TeamDisplay::Roles.as_str(), "Role titles — “Senior developer 1”", v.team.as_str()),
                choice(TeamDisplay::Names.as_str(), "Real names", v.team.as_str()),
            ],
        },
        Setting {
            name: "view",
            label: "View",
            options: vec![
                choice(ViewMode::WeeklySummary.as_str(), "Weekly summary — completed weeks only", v.view.as_str()),
                choice(ViewMode::RealTime.as_str(), "Real time", v.view.as_str()),
            ],
        },
        Setting {
            name: "non_billable",
            label: "Non-billable time",
            options: vec![
                choice(NonBillable::Hidden.as_str(), "Hidden", v.non_billable.as_str()),
                choice(NonBillable::Shown.as_str(), "Shown", v.non_billable.as_str()),
            ],
        },
        Setting {
            name: "budget_money",
            label: "Budget money",
            options: vec![
                choice(
                    BudgetMoney::Percentages.as_str(),
                    "Percentages only — no amounts (money used ÷ hours used would give the blended rate)",
                    v.budget_money.as_str(),
                ),
                choice(BudgetMoney::Amounts.as_str(), "Amounts — used, allocated and remaining for the period", v.budget_money.as_str()),
            ],
        },
    ]
}

#[derive(Template)]
#[template(path = "admin_client.html")]
struct ClientPage<'a> {
    nav: &'a Nav,
    client: &'a ClientRow,
    settings: Vec<Setting>,
    locales: Vec<LocaleOption>,
    contacts: &'a [ContactView],
    csrf: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    projects: &'a [ProjectOption],
    notes: &'a [NoteRow],
    shared_thresholds: &'a str,
}

/// Everything the admin's client page shows.
pub struct ClientPageData<'a> {
    pub client: &'a ClientRow,
    pub visibility: &'a Visibility,
    pub contacts: &'a [ContactView],
    pub projects: &'a [ProjectOption],
    pub notes: &'a [NoteRow],
    /// Thresholds shared with the client's contacts (`"90,100"`).
    pub shared_thresholds: &'a str,
}

/// One choice of the client's locale select.
pub struct LocaleOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// "Automatic" (the time zone's country) first, then every supported locale with an example.
fn locale_options(c: &ClientRow) -> Vec<LocaleOption> {
    use clearhours_domain::locale::Locale;
    let example = |l: Locale| {
        let money = clearhours_domain::money::Currency::parse(&c.currency)
            .map(|cur| l.money(clearhours_domain::money::Money::new(123_456_789, cur)))
            .unwrap_or_default();
        format!("{money}, {}", l.date(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()))
    };
    let auto = Locale::for_time_zone(&c.time_zone);
    let stored = c.locale.trim();
    let mut out = vec![LocaleOption {
        value: "",
        label: format!("Automatic, from the time zone — {} ({})", auto.display_name(), example(auto)),
        selected: stored.is_empty(),
    }];
    out.extend(Locale::all().map(|l| LocaleOption {
        value: l.tag(),
        label: format!("{} — {}", l.display_name(), example(l)),
        selected: stored == l.tag(),
    }));
    out
}

pub fn render_client(
    nav: &Nav,
    data: &ClientPageData,
    csrf: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<String, askama::Error> {
    ClientPage {
        nav,
        client: data.client,
        settings: settings(data.visibility),
        locales: locale_options(data.client),
        contacts: data.contacts,
        csrf,
        notice,
        error,
        projects: data.projects,
        notes: data.notes,
        shared_thresholds: data.shared_thresholds,
    }
    .render()
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage<'a> {
    nav: &'a Nav,
    csrf: &'a str,
    error: Option<&'a str>,
}

pub fn render_invite(csrf: &str, error: Option<&str>) -> Result<String, askama::Error> {
    InvitePage { nav: &Nav::None, csrf, error }.render()
}
