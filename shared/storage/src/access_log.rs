//! The append-only access log (triggers refuse UPDATE and DELETE).

use crate::args;
use crate::auth::ts;
use crate::db::{Db, Result};
use chrono::{DateTime, Utc};

/// One thing that happened at the portal.
pub struct AccessEvent<'a> {
    pub at: DateTime<Utc>,
    pub provider_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub actor_kind: &'a str,
    pub actor_id: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub fn append_statement(db: &Db, e: &AccessEvent) -> Result<worker::D1PreparedStatement> {
    let ua: String = e.user_agent.chars().take(300).collect();
    db.stmt(
        "INSERT INTO access_log (at, provider_id, client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &args![ts(e.at), e.provider_id, e.client_id, e.actor_kind, e.actor_id, e.action, e.target, e.outcome, e.ip, ua],
    )
}

pub async fn append(db: &Db, e: &AccessEvent<'_>) -> Result<()> {
    db.batch(vec![append_statement(db, e)?]).await?;
    Ok(())
}
