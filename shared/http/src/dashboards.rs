//! The dashboards a client scope may see, from one D1 round trip: the one assembly of
//! `figures::compute` → `client_view::project_dashboard` (+ staff notes) that the portal's pages
//! and API, the staff preview and the alert job's weekly digest all use, so an e-mail cannot
//! show more than the portal would.

use crate::ApiResult;
use chrono::{DateTime, Utc};
use clearhours_domain::client_view::{project_dashboard, project_notes, ClientContext, ClientDashboard};
use clearhours_domain::figures::{self, FigureInputs};
use clearhours_domain::ids::ProjectId;
use clearhours_storage::dashboard::{self as store, ProjectData};
use clearhours_storage::scope::ClientScope;
use clearhours_storage::Db;

/// Dashboards of the projects a scope may see (all, or only `only`) at `now`.
pub async fn for_scope(db: &Db, scope: &ClientScope, now: DateTime<Utc>, only: Option<&ProjectId>) -> ApiResult<Vec<ClientDashboard>> {
    let settings = scope.settings();
    let calendar = settings.calendar;
    let today = calendar.today(now);
    let (projects, catalogue) = store::load_visible(db, scope, only, figures::window_start(&calendar, today), today).await?;
    let cx = ClientContext {
        visibility: settings.visibility,
        currency: settings.currency,
        locale: settings.locale,
        time_zone: calendar.tz,
        members: &catalogue.members,
        tasks: &catalogue.tasks,
        phases: &catalogue.phases,
    };
    Ok(projects
        .into_iter()
        .map(|ProjectData { project, as_of, rollups: r, notes }| {
            let f = figures::compute(&FigureInputs {
                project: &project,
                calendar: &calendar,
                today,
                view: settings.visibility.view,
                show_non_billable: settings.visibility.shows_non_billable(),
                all_weeks: &r.all_weeks,
                recent: &r.recent,
                totals: &r.totals,
                future: &r.future,
            });
            let mut d = project_dashboard(&cx, &project, &f, as_of);
            d.notes = project_notes(&notes, &project.id, settings.visibility.view, calendar.week_of(today).start);
            d
        })
        .collect())
}
