//! Provider-side reads: every project of a provider with its rollups (the staff overview), pages
//! of budgeted projects across providers for the alert job (a cursor resumes them), the
//! provider's name. Each read is one round trip of a fixed number of statements, however many
//! projects, so both stay within D1's per-invocation statement limit.

use crate::args;
use crate::dashboard::{
    corrupt, total_row, week_row, FutureDb, KeyedWeekRow, ProjectRow, Rollups, TotalRowDb, FUTURE_COLUMNS, PROJECT_COLUMNS,
};
use crate::db::{rows, Arg, Db, Result, StorageError};
use crate::scope::ProviderScope;
use chrono::{DateTime, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::project::Project;
use clearhours_domain::settings::ViewMode;
use serde::Deserialize;
use std::collections::HashMap;

/// A project with its client's calendar and name, for provider-side jobs.
pub struct ProviderProject {
    pub project: Project,
    pub client_name: String,
    pub calendar: ClientCalendar,
    /// The client's view setting (the staff overview shows it).
    pub view: ViewMode,
    pub rollups: Rollups,
}

impl ProviderProject {
    /// The provider's own view of the figures: real time, non-billable hours included. The rows
    /// cover [`WINDOW_DAYS`] (enough for `figures::budget_window_start`), not the dashboard's
    /// 12-week window, so `changes` is incomplete: never show it.
    pub fn figures(&self, now: chrono::DateTime<chrono::Utc>) -> clearhours_domain::figures::ProjectFigures {
        self.figures_on(self.calendar.today(now))
    }

    /// The same figures as they stood on the client's local date `today` (the alert job looks
    /// back at the month just ended, so a crossing a missed run would have seen is not lost).
    pub fn figures_on(&self, today: chrono::NaiveDate) -> clearhours_domain::figures::ProjectFigures {
        clearhours_domain::figures::compute(&clearhours_domain::figures::FigureInputs {
            project: &self.project,
            calendar: &self.calendar,
            today,
            view: ViewMode::RealTime,
            show_non_billable: true,
            all_weeks: &self.rollups.all_weeks,
            recent: &self.rollups.recent,
            totals: &self.rollups.totals,
            future: &self.rollups.future,
        })
    }
}

/// Rows of `rollup_*` older than this many days before today (UTC) are never needed by the
/// provider-side figures: `figures::budget_window_start` lies at most ~37 days back in any
/// client's calendar (the previous week, or the week of the month's first day). The client
/// dashboard's "what changed" needs 12 weeks: the staff overview does not show it; the alert
/// job, which sends it as a weekly note, reads [`CHANGES_WINDOW_DAYS`].
const WINDOW_DAYS: i64 = 40;
/// The alert job's window: also the 12 complete weeks of "what changed" (its weekly provider
/// note), the current week and a day of time-zone slack.
const CHANGES_WINDOW_DAYS: i64 = 7 * (clearhours_domain::figures::changes::CHANGE_WEEKS + 1) + 8;

/// The projects chosen by `selection` (a subquery of project ids binding ?1..?n) with their
/// clients' calendars and rollups, and their entries dated after yesterday (UTC) — a superset
/// of what is planned time in any client's calendar, which `figures::compute` takes back out of
/// the rollups: one batch of five statements, however many projects. Each
/// project decodes on its own: a broken row costs that project, never the others.
async fn load_projects(
    db: &Db,
    selection: &str,
    args: Vec<Arg>,
    order: &str,
    now: DateTime<Utc>,
    window_days: i64,
) -> Result<Vec<(String, String, Channels, Option<ClientSide>, HashMap<String, i64>, Result<ProviderProject>)>> {
    let window = (now.date_naive() - chrono::Duration::days(window_days)).to_string();
    // The earliest "today" on Earth is the UTC date's day before (offsets reach −12 h).
    let earliest_today = (now.date_naive() - chrono::Duration::days(1)).to_string();
    let w = args.len() + 1;
    let mut with_today = args.clone();
    with_today.push(Arg::from(earliest_today));
    let mut with_window = args.clone();
    with_window.push(Arg::from(window));
    let week_cols = "project_id, week_start, month, dim, dim_id, billable, minutes, amount_minor, entries";
    let results = db
        .batch(vec![
            db.stmt(
                &format!(
                    "SELECT {PROJECT_COLUMNS}, c.name AS client_name, c.time_zone, c.week_start, c.view_mode,
                            p.provider_id,
                            ((pr.slack_webhook_url IS NOT NULL AND pr.slack_webhook_url <> '')
                              OR (p.alert_slack_webhook_url IS NOT NULL AND p.alert_slack_webhook_url <> '')) AS has_slack,
                            ((pr.alert_email IS NOT NULL AND pr.alert_email <> '') OR (p.alert_email IS NOT NULL AND p.alert_email <> '')) AS has_email,
                            c.show_rates, c.descriptions, c.team_display, c.non_billable, c.budget_money, c.locale AS client_locale,
                            c.shared_thresholds,
                            CASE WHEN c.shared_thresholds = '' THEN '[]' ELSE
                              (SELECT json_group_array(k.id) FROM contacts k
                                WHERE k.client_id = c.id AND k.notify_thresholds = 1 AND k.disabled_at IS NULL
                                  AND (k.all_projects = 1 OR EXISTS (SELECT 1 FROM contact_projects kp WHERE kp.contact_id = k.id AND kp.project_id = p.id)))
                            END AS contact_ids,
                            (SELECT json_group_object(t.period_key, t.m) FROM (SELECT o.period_key, MIN(o.threshold) AS m FROM alert_outbox o
                              WHERE o.project_id = p.id AND o.kind = 'runout' AND o.recipient = 'provider' GROUP BY o.period_key) t) AS runout_told
                       FROM projects p JOIN clients c ON c.id = p.client_id JOIN providers pr ON pr.id = p.provider_id
                      WHERE p.id IN ({selection}) ORDER BY {order}"
                ),
                &args,
            )?,
            db.stmt(&format!("SELECT {week_cols} FROM rollup_week WHERE dim = 'all' AND project_id IN ({selection})"), &args)?,
            db.stmt(
                &format!(
                    "SELECT {week_cols} FROM rollup_week WHERE dim IN ('member', 'task', 'phase') AND week_start >= ?{w} AND project_id IN ({selection})"
                ),
                &with_window,
            )?,
            db.stmt(
                &format!(
                    "SELECT project_id, dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_total WHERE project_id IN ({selection})"
                ),
                &args,
            )?,
            db.stmt(
                &format!("SELECT project_id, {FUTURE_COLUMNS} FROM time_entries WHERE local_date > ?{w} AND project_id IN ({selection})"),
                &with_today,
            )?,
        ])
        .await?;
    let [projects, weeks, recent, totals, future] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    // Rollups by project; a row that does not decode marks its project as broken.
    let mut broken: HashMap<String, String> = HashMap::new();
    let mut by_project: HashMap<String, Rollups> = HashMap::new();
    for (rows_of, recent_rows) in [(weeks, false), (recent, true)] {
        for v in rows::<serde_json::Value>(rows_of)? {
            let id = v.get("project_id").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
            match serde_json::from_value::<KeyedWeekRow>(v).map_err(|e| corrupt("rollup_week", e)).and_then(|r| week_row(r.row)) {
                Ok(row) => {
                    let r = by_project.entry(id).or_insert_with(empty_rollups);
                    if recent_rows {
                        r.recent.push(row);
                    } else {
                        r.all_weeks.push(row);
                    }
                }
                Err(e) => {
                    broken.entry(id).or_insert_with(|| e.to_string());
                }
            }
        }
    }
    #[derive(Deserialize)]
    struct KeyedTotal {
        project_id: String,
        #[serde(flatten)]
        row: TotalRowDb,
    }
    for v in rows::<serde_json::Value>(totals)? {
        let id = v.get("project_id").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        match serde_json::from_value::<KeyedTotal>(v)
            .map_err(|e| corrupt("rollup_total", e))
            .and_then(|r| Ok((r.project_id, total_row(r.row)?)))
        {
            Ok((id, row)) => by_project.entry(id).or_insert_with(empty_rollups).totals.push(row),
            Err(e) => {
                broken.entry(id).or_insert_with(|| e.to_string());
            }
        }
    }
    for v in rows::<serde_json::Value>(future)? {
        let id = v.get("project_id").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        match serde_json::from_value::<FutureDb>(v).map_err(|e| corrupt("time_entries", e)).and_then(FutureDb::into_dated) {
            Ok(e) => by_project.entry(id).or_insert_with(empty_rollups).future.push(e),
            Err(e) => {
                broken.entry(id).or_insert_with(|| e.to_string());
            }
        }
    }
    let mut out = Vec::new();
    for v in rows::<serde_json::Value>(projects)? {
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
        let provider_id = text("provider_id").unwrap_or_default();
        let project_id = text("id").unwrap_or_default();
        let flag = |k: &str| v.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0) != 0;
        let channels = Channels { slack: flag("has_slack"), email: flag("has_email") };
        let client = client_side(&v);
        let runout_told: HashMap<String, i64> =
            v.get("runout_told").and_then(serde_json::Value::as_str).and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
        let rollups = by_project.remove(&project_id).unwrap_or_else(empty_rollups);
        let project = match broken.remove(&project_id) {
            Some(e) => Err(StorageError::Corrupt(e)),
            None => decode_project(v, rollups),
        };
        out.push((provider_id, project_id, channels, client, runout_told, project));
    }
    Ok(out)
}

fn empty_rollups() -> Rollups {
    Rollups { all_weeks: Vec::new(), recent: Vec::new(), totals: Vec::new(), future: Vec::new() }
}

fn decode_project(v: serde_json::Value, rollups: Rollups) -> Result<ProviderProject> {
    let mut row: ProjectRow = serde_json::from_value(v).map_err(|e| corrupt("project", e))?;
    let client_name = row.client_name.take().unwrap_or_default();
    let view = row.view_mode.as_deref().map(ViewMode::parse).transpose().map_err(|e| corrupt("view_mode", e))?.unwrap_or_default();
    let (project, calendar) = row.into_project_with_calendar()?;
    Ok(ProviderProject { project, client_name, calendar, view, rollups })
}

/// Every active project of the provider (only those with a budget when `only_budgeted`), with
/// rollups, for the staff overview: one round trip of four statements however many projects.
/// A project whose stored data does not decode is an error.
pub async fn provider_projects(db: &Db, scope: &ProviderScope, only_budgeted: bool, now: DateTime<Utc>) -> Result<Vec<ProviderProject>> {
    load_projects(
        db,
        "SELECT id FROM projects WHERE provider_id = ?1 AND status = 'active' AND (?2 = 0 OR budget_period IS NOT NULL)",
        args![scope.provider_id.as_str(), only_budgeted],
        "c.name, p.name",
        now,
        WINDOW_DAYS,
    )
    .await?
    .into_iter()
    .map(|(_, _, _, _, _, p)| p)
    .collect()
}

/// Where the alert job stopped: the last (provider, project) checked; empty = the start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub provider_id: String,
    pub project_id: String,
}

impl Cursor {
    pub fn is_start(&self) -> bool {
        self.provider_id.is_empty() && self.project_id.is_empty()
    }
}

/// Where a provider's alerts can go (the addresses themselves stay in D1, sealed, until a
/// message is sent: the outbox refers to the provider, never copies them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Channels {
    pub slack: bool,
    pub email: bool,
}

/// A budgeted project checked by the alert job, with the provider's alert channels; `project`
/// is an error when its stored data does not decode (the job logs it and goes on).
/// What the alert job needs to tell a client's contacts about a project.
pub struct ClientSide {
    pub visibility: clearhours_domain::settings::Visibility,
    pub locale: clearhours_domain::locale::Locale,
    pub shared: Vec<u16>,
    pub contact_ids: Vec<String>,
}

fn client_side(v: &serde_json::Value) -> Option<ClientSide> {
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or_default();
    let shared = clearhours_domain::notify::parse_shared_thresholds(text("shared_thresholds")).ok().filter(|s| !s.is_empty())?;
    let contact_ids: Vec<String> = serde_json::from_str(text("contact_ids")).ok().filter(|c: &Vec<String>| !c.is_empty())?;
    let visibility = clearhours_domain::settings::Visibility::from_stored(
        text("show_rates"),
        text("descriptions"),
        text("team_display"),
        text("view_mode"),
        text("non_billable"),
        text("budget_money"),
    )
    .ok()?;
    let locale = clearhours_domain::locale::Locale::resolve(text("client_locale"), text("time_zone"));
    Some(ClientSide { visibility, locale, shared, contact_ids })
}

pub struct AlertProject {
    pub provider_id: String,
    pub project_id: String,
    pub channels: Channels,
    /// The client's side: contacts who opted in to the thresholds their provider shares (and
    /// may see this project), with what the client may see. `None` when nobody is to be told.
    pub client: Option<ClientSide>,
    /// The earliest run-out told to the provider per budget period (days since 1970-01-01).
    pub runout_told: HashMap<String, i64>,
    pub project: Result<ProviderProject>,
}

/// The next `limit` active budgeted projects after `after`, in (provider, project) order, of
/// providers with a Slack webhook or an alert e-mail (or the project's own, or a client sharing
/// thresholds with contacts): one round trip of five statements. Its rows reach back
/// [`CHANGES_WINDOW_DAYS`], so `figures::changes` is complete for the weekly provider note.
pub async fn alert_page(db: &Db, after: &Cursor, limit: usize, now: DateTime<Utc>) -> Result<Vec<AlertProject>> {
    let rows = load_projects(
        db,
        "SELECT p.id FROM projects p JOIN providers pr ON pr.id = p.provider_id
          WHERE ((pr.slack_webhook_url IS NOT NULL AND pr.slack_webhook_url <> '') OR (pr.alert_email IS NOT NULL AND pr.alert_email <> '')
                 OR (p.alert_slack_webhook_url IS NOT NULL AND p.alert_slack_webhook_url <> '') OR (p.alert_email IS NOT NULL AND p.alert_email <> '')
                 OR EXISTS (SELECT 1 FROM clients c WHERE c.id = p.client_id AND c.shared_thresholds <> ''))
            AND p.status = 'active' AND p.budget_period IS NOT NULL AND (p.provider_id, p.id) > (?1, ?2)
          ORDER BY p.provider_id, p.id LIMIT ?3",
        args![after.provider_id.as_str(), after.project_id.as_str(), i64::try_from(limit).unwrap_or(100)],
        "p.provider_id, p.id",
        now,
        CHANGES_WINDOW_DAYS,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(provider_id, project_id, channels, client, runout_told, project)| AlertProject {
            provider_id,
            project_id,
            channels,
            client,
            runout_told,
            project,
        })
        .collect())
}

/// The provider's display name.
pub async fn provider_name(db: &Db, scope: &ProviderScope) -> Result<String> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let row: Option<Row> = db.first("SELECT name FROM providers WHERE id = ?", &args![scope.provider_id.as_str()]).await?;
    Ok(row.map(|r| r.name).unwrap_or_default())
}
