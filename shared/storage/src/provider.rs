//! Provider-side reads: every project of a provider with its rollups (the alert job and the
//! staff overview), providers with alert channels, the provider's name.

use crate::args;
use crate::dashboard::{corrupt, rollups, ProjectRow, Rollups, PROJECT_COLUMNS};
use crate::db::{Db, Result};
use crate::scope::ProviderScope;
use chrono::NaiveDate;
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::project::Project;
use clearhours_domain::settings::ViewMode;
use serde::Deserialize;

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
    /// are from `figures::budget_window_start`, so `changes` is incomplete: never show it.
    pub fn figures(&self, now: chrono::DateTime<chrono::Utc>) -> clearhours_domain::figures::ProjectFigures {
        clearhours_domain::figures::compute(&clearhours_domain::figures::FigureInputs {
            project: &self.project,
            calendar: &self.calendar,
            today: self.calendar.today(now),
            view: ViewMode::RealTime,
            show_non_billable: true,
            all_weeks: &self.rollups.all_weeks,
            recent: &self.rollups.recent,
            totals: &self.rollups.totals,
        })
    }
}

/// Every active project of the provider (only those with a budget when `only_budgeted`), with
/// rollups: for the alert job and the staff overview.
pub async fn provider_projects(
    db: &Db,
    scope: &ProviderScope,
    only_budgeted: bool,
    today_of: impl Fn(&ClientCalendar) -> NaiveDate,
) -> Result<Vec<ProviderProject>> {
    let rows: Vec<ProjectRow> = db
        .all(
            &format!(
                "SELECT {PROJECT_COLUMNS}, c.name AS client_name, c.time_zone, c.week_start, c.view_mode
                   FROM projects p JOIN clients c ON c.id = p.client_id
                  WHERE p.provider_id = ? AND p.status = 'active' AND (? = 0 OR p.budget_period IS NOT NULL)
                  ORDER BY c.name, p.name"
            ),
            &args![scope.provider_id.as_str(), only_budgeted],
        )
        .await?;
    let mut out = Vec::new();
    for mut row in rows {
        let client_name = row.client_name.take().unwrap_or_default();
        let view = row.view_mode.as_deref().map(ViewMode::parse).transpose().map_err(|e| corrupt("view_mode", e))?.unwrap_or_default();
        let (project, calendar) = row.into_project_with_calendar()?;
        // Neither the alert job nor the staff overview shows "what changed": the narrow window.
        let window = clearhours_domain::figures::budget_window_start(&calendar, today_of(&calendar));
        let rollups = rollups(db, project.client_id.as_str(), project.id.as_str(), window).await?;
        out.push(ProviderProject { project, client_name, calendar, view, rollups });
    }
    Ok(out)
}

/// Providers with a Slack webhook configured (for the alert job).
pub async fn providers_with_alerts(db: &Db) -> Result<Vec<(ProviderScope, String)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        slack_webhook_url: String,
    }
    let rows: Vec<Row> =
        db.all("SELECT id, slack_webhook_url FROM providers WHERE slack_webhook_url IS NOT NULL AND slack_webhook_url <> ''", &[]).await?;
    rows.into_iter()
        .map(|r| {
            let id = clearhours_domain::ids::ProviderId::parse(&r.id).map_err(|e| corrupt("provider id", e))?;
            Ok((crate::auth::system_scope(id), r.slack_webhook_url))
        })
        .collect()
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
