//! The append-only, hash-chained access log. Triggers refuse UPDATE and DELETE; each row carries
//! the previous row's hash and its own (`clearhours_domain::audit`). Appends are optimistic: the
//! INSERT only happens if the newest row's hash is still the one the hash was computed from, and
//! is retried otherwise, so concurrent appends never fork the chain.

use crate::args;
use crate::auth::ts;
use crate::db::{Db, Result, StorageError};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, Utc};
use clearhours_domain::audit::{self, AuditFields, Break, StoredRow};
use serde::{Deserialize, Serialize};

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

const ATTEMPTS: usize = 8;

#[derive(Deserialize)]
struct Last {
    hash: String,
}

pub async fn append(db: &Db, e: &AccessEvent<'_>) -> Result<()> {
    let at = ts(e.at);
    let ua: String = e.user_agent.chars().take(300).collect();
    let target: String = e.target.chars().take(300).collect();
    let fields = AuditFields {
        at: &at,
        provider_id: e.provider_id.unwrap_or_default(),
        client_id: e.client_id.unwrap_or_default(),
        actor_kind: e.actor_kind,
        actor_id: e.actor_id,
        action: e.action,
        target: &target,
        outcome: e.outcome,
        ip: e.ip,
        user_agent: &ua,
    };
    for _ in 0..ATTEMPTS {
        let prev =
            db.first::<Last>("SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1", &[]).await?.map(|l| l.hash).unwrap_or_default();
        let hash = audit::row_hash(&prev, &fields);
        let inserted = db
            .run(
                "INSERT INTO access_log (at, provider_id, client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent, prev_hash, hash)
                 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                  WHERE COALESCE((SELECT hash FROM access_log ORDER BY seq DESC LIMIT 1), '') = ?",
                &args![at.as_str(), fields.provider_id, fields.client_id, e.actor_kind, e.actor_id, e.action, target.as_str(), e.outcome, e.ip, ua.as_str(), prev.as_str(), hash.as_str(), prev.as_str()],
            )
            .await?;
        if inserted == 1 {
            return Ok(());
        }
    }
    Err(StorageError::D1("access log append kept losing the race".into()))
}

/// A row as the log pages and APIs show it (no hashes).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogRow {
    pub seq: i64,
    pub at: String,
    pub client_id: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub ip: String,
}

/// Filters for browsing the log; empty strings match everything.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub client_id: String,
    pub actor_id: String,
    pub action: String,
    pub from: String,
    pub to: String,
    /// Rows with `seq` below this (for paging backwards); 0 = newest.
    pub before: i64,
}

const LOG_COLUMNS: &str = "seq, at, COALESCE(client_id, '') AS client_id, actor_kind, actor_id, action, target, outcome, ip";

/// The provider's log, newest first, at most 100 rows.
pub async fn browse(db: &Db, scope: &ProviderScope, f: &LogFilter) -> Result<Vec<LogRow>> {
    db.all(
        &format!(
            "SELECT {LOG_COLUMNS} FROM access_log
              WHERE provider_id = ?1 AND (?2 = '' OR client_id = ?2) AND (?3 = '' OR actor_id = ?3) AND (?4 = '' OR action = ?4)
                AND (?5 = '' OR at >= ?5) AND (?6 = '' OR at < ?6) AND (?7 = 0 OR seq < ?7)
              ORDER BY seq DESC LIMIT 100"
        ),
        &args![
            scope.provider_id.as_str(),
            f.client_id.as_str(),
            f.actor_id.as_str(),
            f.action.as_str(),
            f.from.as_str(),
            f.to.as_str(),
            f.before
        ],
    )
    .await
}

/// A client's own organisation's portal access, newest first, at most 100 rows.
pub async fn client_activity(db: &Db, scope: &ClientScope, before: i64) -> Result<Vec<LogRow>> {
    db.all(
        &format!(
            "SELECT {LOG_COLUMNS} FROM access_log WHERE client_id = ?1 AND actor_kind = 'contact' AND (?2 = 0 OR seq < ?2)
              ORDER BY seq DESC LIMIT 100"
        ),
        &args![scope.client_id().as_str(), before],
    )
    .await
}

#[derive(Deserialize)]
struct ChainRow {
    seq: i64,
    at: String,
    provider_id: String,
    client_id: String,
    actor_kind: String,
    actor_id: String,
    action: String,
    target: String,
    outcome: String,
    ip: String,
    user_agent: String,
    prev_hash: String,
    hash: String,
}

/// The result of checking the whole chain.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub ok: bool,
    pub rows_checked: usize,
    /// The first row whose link or content does not match, if any.
    pub first_broken_seq: Option<i64>,
    pub problem: Option<&'static str>,
}

/// Verifies the chain from the first row, 1,000 rows per query.
pub async fn verify(db: &Db) -> Result<Verification> {
    let mut prev = String::new();
    let mut after = 0i64;
    let mut checked = 0usize;
    loop {
        let rows: Vec<ChainRow> = db
            .all(
                "SELECT seq, at, COALESCE(provider_id, '') AS provider_id, COALESCE(client_id, '') AS client_id, actor_kind, actor_id,
                        action, target, outcome, ip, user_agent, prev_hash, hash
                   FROM access_log WHERE seq > ? ORDER BY seq LIMIT 1000",
                &args![after],
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let n = rows.len();
        let stored = rows.iter().map(|r| StoredRow {
            seq: r.seq,
            prev_hash: &r.prev_hash,
            hash: &r.hash,
            fields: AuditFields {
                at: &r.at,
                provider_id: &r.provider_id,
                client_id: &r.client_id,
                actor_kind: &r.actor_kind,
                actor_id: &r.actor_id,
                action: &r.action,
                target: &r.target,
                outcome: &r.outcome,
                ip: &r.ip,
                user_agent: &r.user_agent,
            },
        });
        match audit::verify(&prev, stored) {
            Ok(h) => prev = h,
            Err(b) => {
                let (seq, problem) = match b {
                    Break::Link { seq } => (seq, "the row does not follow the previous one (a row was deleted or inserted)"),
                    Break::Content { seq } => (seq, "the row's content does not match its hash (it was edited)"),
                };
                let before = rows.iter().take_while(|r| r.seq < seq).count();
                return Ok(Verification { ok: false, rows_checked: checked + before, first_broken_seq: Some(seq), problem: Some(problem) });
            }
        }
        checked += n;
    }
    Ok(Verification { ok: true, rows_checked: checked, first_broken_seq: None, problem: None })
}
