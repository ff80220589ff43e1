//! Staff notes for clients about a project's weeks (written in the admin area, read by the
//! dashboard through `dashboard::load_visible`).

use crate::args;
use crate::auth::ts;
use crate::db::{new_id, Db, Result};
use crate::scope::ProviderScope;
use chrono::{DateTime, Utc};
use clearhours_domain::ids::ClientId;
use serde::Deserialize;

/// A note for the client about one week of one of its projects.
pub async fn add_note(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    project: &str,
    week_start: chrono::NaiveDate,
    body: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = db
        .run(
            "INSERT INTO client_notes (id, provider_id, client_id, project_id, week_start, body, author_staff_id, created_at)
             SELECT ?, ?, p.client_id, p.id, ?, ?, ?, ? FROM projects p WHERE p.id = ? AND p.client_id = ? AND p.provider_id = ?",
            &args![
                new_id("note")?,
                scope.provider_id.as_str(),
                week_start.to_string(),
                body,
                scope.staff_id.as_ref().map_or_else(String::new, ToString::to_string),
                ts(now),
                project,
                client.as_str(),
                scope.provider_id.as_str()
            ],
        )
        .await?;
    // `>= 1`: the data-version trigger changes a row too (D1 counts it).
    Ok(n >= 1)
}

pub async fn delete_note(db: &Db, scope: &ProviderScope, id: &str, now: DateTime<Utc>) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        client_id: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT client_id FROM client_notes WHERE id = ? AND provider_id = ? AND deleted_at IS NULL",
            &args![id, scope.provider_id.as_str()],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    db.run("UPDATE client_notes SET deleted_at = ? WHERE id = ? AND provider_id = ?", &args![ts(now), id, scope.provider_id.as_str()])
        .await?;
    Ok(Some(row.client_id))
}

/// A client's notes and projects, for the admin page.
#[derive(Clone, Debug, Deserialize)]
pub struct NoteRow {
    pub id: String,
    pub project_name: String,
    pub week_start: String,
    pub body: String,
}

pub async fn notes(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<Vec<NoteRow>> {
    db.all(
        "SELECT n.id, p.name AS project_name, n.week_start, n.body FROM client_notes n JOIN projects p ON p.id = n.project_id
          WHERE n.client_id = ? AND n.provider_id = ? AND n.deleted_at IS NULL ORDER BY n.week_start DESC, n.created_at DESC LIMIT 100",
        &args![client.as_str(), scope.provider_id.as_str()],
    )
    .await
}

#[derive(Clone, Debug, Deserialize)]
pub struct ProjectOption {
    pub id: String,
    pub name: String,
}

pub async fn client_projects(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<Vec<ProjectOption>> {
    db.all(
        "SELECT id, name FROM projects WHERE client_id = ? AND provider_id = ? AND status = 'active' ORDER BY name",
        &args![client.as_str(), scope.provider_id.as_str()],
    )
    .await
}
