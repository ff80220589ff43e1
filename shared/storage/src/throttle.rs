//! Throttles for passwords, two-step codes and e-mailed links, counted in D1 (KV's eventual
//! consistency and one-write-per-second limit make it wrong for counters).
//!
//! An attempt is *reserved* before anything is verified, by ONE conditional statement:
//! `INSERT … SELECT … WHERE (count in each rule's window) < max RETURNING id`. D1 runs one
//! statement at a time, so however many requests arrive together, at most `max` get a row back;
//! a request that gets none is throttled and verifies nothing. The rules (limits, windows,
//! scopes, keys) are `clearhours_domain::throttle`'s; this module only turns them into SQL.
//! Counted attempts age out of their windows, so lockouts end by themselves.

use crate::args;
use crate::auth::ts;
use crate::db::{Arg, Db, Result};
use crate::stmt::{prepare_all, Stmt};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::throttle::{retry_minutes, Outcome, Purpose, Reservation, Rule, Scope, Seen, RETENTION_MINUTES};
use serde::Deserialize;

pub use clearhours_domain::throttle::{account_key, ip_prefix};

/// The attempt being throttled: what, for which account key, from which network prefix.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    pub purpose: Purpose,
    /// `clearhours_domain::throttle::account_key` of what was typed (or of the subject).
    pub account: &'a str,
    /// `clearhours_domain::throttle::ip_prefix` of the client address.
    pub prefix: &'a str,
}

/// The rows a rule counts; `?1` purpose, `?2` account, `?3` prefix.
fn filter(scope: Scope) -> &'static str {
    match scope {
        Scope::AccountPrefix => "purpose = ?1 AND account = ?2 AND prefix = ?3",
        Scope::Account => "purpose = ?1 AND account = ?2",
        Scope::Prefix => "purpose = ?1 AND prefix = ?3",
    }
}

/// `(SELECT COUNT(*) …)` for a rule whose window start is bound at `?{since}`.
fn count_sql(rule: &Rule, since: usize) -> String {
    format!("(SELECT COUNT(*) FROM auth_attempts WHERE {} AND at > ?{since})", filter(rule.scope))
}

fn base_args(a: &Attempt<'_>, now: DateTime<Utc>) -> Vec<Arg> {
    let mut v = args![a.purpose.as_str(), a.account, a.prefix, ts(now)];
    for r in a.purpose.rules() {
        v.push(Arg::from(ts(r.since(now))));
        v.push(Arg::from(i64::from(r.max)));
    }
    v
}

/// The reserving batch as data (pure): the conditional insert, each rule's count and oldest
/// attempt (for the retry time), and the pruning of rows older than any window.
pub fn reserve_statements(a: &Attempt<'_>, now: DateTime<Utc>) -> [Stmt; 3] {
    let rules = a.purpose.rules();
    // ?1..?4 purpose, account, prefix, now; then per rule i: ?(5+2i) since, ?(6+2i) max.
    let seen = rules.first().map_or_else(|| "0".to_string(), |r| count_sql(r, 5));
    let guard = rules.iter().enumerate().map(|(i, r)| format!("{} < ?{}", count_sql(r, 5 + 2 * i), 6 + 2 * i)).collect::<Vec<_>>();
    let guard = if guard.is_empty() { "1".to_string() } else { guard.join("\n AND ") };
    let sql = format!(
        "INSERT INTO auth_attempts (purpose, account, prefix, at, seen)
         SELECT ?1, ?2, ?3, ?4, {seen}
          WHERE {guard}
         RETURNING id, seen"
    );
    [
        Stmt::new(sql, base_args(a, now)),
        Stmt::new(seen_sql(rules), base_args(a, now)),
        Stmt::new("DELETE FROM auth_attempts WHERE at < ?", args![ts(now - Duration::minutes(RETENTION_MINUTES))]),
    ]
}

/// The row the reserving statement returns.
#[derive(Deserialize)]
struct ReservedRow {
    id: i64,
    seen: i64,
}

/// What the reserving batch's results say (pure): reserved, or when to retry.
fn reserve_outcome(purpose: Purpose, reserved: Option<ReservedRow>, seen: Vec<SeenRow>, now: DateTime<Utc>) -> Outcome {
    if let Some(r) = reserved {
        return Outcome::Reserved(Reservation { id: r.id, seen: u32::try_from(r.seen).unwrap_or(u32::MAX) });
    }
    Outcome::Throttled {
        retry_minutes: retry_minutes(purpose.rules(), &seen.into_iter().map(SeenRow::into_seen).collect::<Vec<_>>(), now).max(1),
    }
}

/// Reserves one attempt if every rule of its purpose admits it — atomically — and prunes rows
/// older than any window, in one batch (one round trip, one transaction). When throttled, the
/// same batch's counts say when to retry; nothing must be verified then.
pub async fn reserve(db: &Db, a: &Attempt<'_>, now: DateTime<Utc>) -> Result<Outcome> {
    let results = db.batch(prepare_all(db, &reserve_statements(a, now))?).await?;
    let row: Option<ReservedRow> = results.first().map(crate::db::rows::<ReservedRow>).transpose()?.and_then(|v| v.into_iter().next());
    let seen = if row.is_some() { Vec::new() } else { results.get(1).map(crate::db::rows::<SeenRow>).transpose()?.unwrap_or_default() };
    Ok(reserve_outcome(a.purpose, row, seen, now))
}

#[derive(Deserialize)]
struct SeenRow {
    n: i64,
    oldest: Option<String>,
}

impl SeenRow {
    fn into_seen(self) -> Seen {
        Seen {
            count: u32::try_from(self.n).unwrap_or(u32::MAX),
            oldest: self.oldest.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Each rule's count and oldest attempt in its window, one row per rule in order. Binds the
/// same arguments as the reserving statement (every one of them is referenced).
fn seen_sql(rules: &[Rule]) -> String {
    let parts = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "SELECT {i} AS rule, ?{} AS lim, COUNT(*) AS n, MIN(at) AS oldest FROM auth_attempts WHERE {} AND at > ?{} AND at <= ?4",
                6 + 2 * i,
                filter(r.scope),
                5 + 2 * i
            )
        })
        .collect::<Vec<_>>();
    if parts.is_empty() {
        "SELECT 0 AS rule, 0 AS n, NULL AS oldest WHERE ?1 IS NULL AND ?2 IS NULL AND ?3 IS NULL AND ?4 IS NULL".to_string()
    } else {
        format!("{} ORDER BY rule", parts.join(" UNION ALL "))
    }
}

/// After a success: forgets the failures the purpose says a success forgets (its own
/// reservation included). Call it only for an attempt that fully succeeded — never for a
/// request refused by the network allowlist.
pub async fn succeeded(db: &Db, a: &Attempt<'_>) -> Result<()> {
    let (p, account, prefix) = (a.purpose.as_str(), a.account, a.prefix);
    match a.purpose.clears_on_success() {
        None => return Ok(()),
        Some(Scope::AccountPrefix) => {
            db.run("DELETE FROM auth_attempts WHERE purpose = ? AND account = ? AND prefix = ?", &args![p, account, prefix]).await?
        }
        Some(Scope::Account) => db.run("DELETE FROM auth_attempts WHERE purpose = ? AND account = ?", &args![p, account]).await?,
        Some(Scope::Prefix) => db.run("DELETE FROM auth_attempts WHERE purpose = ? AND prefix = ?", &args![p, prefix]).await?,
    };
    Ok(())
}
