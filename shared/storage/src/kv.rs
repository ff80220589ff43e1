//! KV key formats. Every client-owned key starts with `c/{client_id}/`, so one client's data
//! can be listed, purged or audited by prefix and never collides with another's.

use clearhours_domain::ids::{ClientId, ProjectId};

/// Prefix of every key owned by a client.
pub fn client_prefix(client: &ClientId) -> String {
    format!("c/{client}/")
}

/// Cached dashboard data of a project: valid for one data version and one local date.
pub fn dashboard_key(client: &ClientId, data_version: i64, project: &ProjectId, today: chrono::NaiveDate, view: &str) -> String {
    format!("{}v{data_version}/dash/{project}/{today}/{view}", client_prefix(client))
}
