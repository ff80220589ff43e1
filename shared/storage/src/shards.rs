//! Sharding by provider (issue 16). Each provider's rows live in one D1 database — a *shard*,
//! named by its Worker binding — so one agency's growth (D1's 10 GB cap, one writer per
//! database) never crowds another's. The directory tables (migrations/0022) live in the
//! directory database, bound as [`DIRECTORY`]; a provider without a row is on that database.
//!
//! How a request finds its shard: sign-in looks the e-mail up here ([`login_binding`]); the
//! session token then carries the binding (signed), so every later request opens the right
//! database before its first query. Ingest looks the integration up ([`integration_binding`]).
//! E-mailed links carry their shard too: invitation, reset and sign-in tokens are
//! `BINDING.token` ([`tag_token`], [`split_token`]; untagged = the directory database) and the
//! unsubscribe token signs it (`domain::notify`); the token itself is still checked by its hash
//! (or HMAC) on that shard, so a forged name only makes the lookup miss. Payment endpoints are
//! listed in `integration_directory` by their id ([`add_payment_endpoint`]).
//! Storage functions are unchanged: they take a `Db` that is already the scope's shard — the
//! choice is made once, where the `Db` is built (`clearhours_http::db_for`).

use crate::args;
use crate::db::{Db, Result};
use serde::Deserialize;

/// The binding of the directory database (also the default shard).
pub const DIRECTORY: &str = "DB";

/// Whether `b` can be a binding name (upper-case letters, digits, `_`; at most 32).
pub fn valid_binding(b: &str) -> bool {
    !b.is_empty() && b.len() <= 32 && b.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// An e-mailed token with its shard in front (`DB_2.xyz`); tokens of the directory database
/// stay bare. Random tokens are base64url, which has no `.`.
pub fn tag_token(binding: &str, token: &str) -> String {
    if binding == DIRECTORY {
        token.to_string()
    } else {
        format!("{binding}.{token}")
    }
}

/// The shard a tagged token names and the bare token (`(DIRECTORY, token)` for an untagged one),
/// or `None` when the name cannot be a binding. The caller still checks the name against the
/// configured shards.
pub fn split_token(tagged: &str) -> Option<(&str, &str)> {
    match tagged.split_once('.') {
        None => Some((DIRECTORY, tagged)),
        Some((b, t)) if valid_binding(b) && !t.is_empty() && !t.contains('.') => Some((b, t)),
        Some(_) => None,
    }
}

#[derive(Deserialize)]
struct BindingRow {
    binding: String,
}

/// The shard of a provider.
pub async fn provider_binding(dir: &Db, provider_id: &str) -> Result<String> {
    let row: Option<BindingRow> = dir.first("SELECT binding FROM shard_directory WHERE provider_id = ?", &args![provider_id]).await?;
    Ok(row.map_or_else(|| DIRECTORY.to_string(), |r| r.binding))
}

/// The shard of the account signing in with `email` (`contact` or `staff`); the directory
/// database for an unknown e-mail (which then fails there like any unknown account).
pub async fn login_binding(dir: &Db, email: &str, kind: &str) -> Result<String> {
    let row: Option<BindingRow> = dir
        .first(
            "SELECT COALESCE(s.binding, ?3) AS binding FROM login_directory l LEFT JOIN shard_directory s ON s.provider_id = l.provider_id
              WHERE l.email = ?1 AND l.subject_kind = ?2",
            &args![email.trim(), kind, DIRECTORY],
        )
        .await?;
    Ok(row.map_or_else(|| DIRECTORY.to_string(), |r| r.binding))
}

/// Lists a payment endpoint (`pay_…`) in the directory, so its webhooks find the provider's
/// shard. Endpoint ids share `integration_directory` with integrations (`int_…`): the prefixes
/// keep them apart, and no new table is needed.
pub async fn add_payment_endpoint(dir: &Db, endpoint_id: &str, provider_id: &str) -> Result<()> {
    add_integration(dir, endpoint_id, provider_id).await
}

/// The shard of a payment endpoint (webhooks name it in the URL).
pub async fn payment_endpoint_binding(dir: &Db, endpoint_id: &str) -> Result<String> {
    integration_binding(dir, endpoint_id).await
}

/// The shard of an integration (deliveries name it in the URL).
pub async fn integration_binding(dir: &Db, integration_id: &str) -> Result<String> {
    let row: Option<BindingRow> = dir
        .first(
            "SELECT COALESCE(s.binding, ?2) AS binding FROM integration_directory i LEFT JOIN shard_directory s ON s.provider_id = i.provider_id
              WHERE i.integration_id = ?1",
            &args![integration_id, DIRECTORY],
        )
        .await?;
    Ok(row.map_or_else(|| DIRECTORY.to_string(), |r| r.binding))
}

/// Places a provider on a shard and lists its logins and integrations, in one batch on the
/// directory. (Written before the provider's rows, so a half-loaded provider is found where
/// its rows go; a provider is moved between shards only by copying it, then this row.)
pub async fn register(
    dir: &Db,
    provider_id: &str,
    binding: &str,
    logins: &[(String, &str)],
    integrations: &[String],
    now: &str,
) -> Result<()> {
    if !valid_binding(binding) {
        return Err(crate::StorageError::Corrupt(format!("not a binding name: {binding:?}")));
    }
    let logins: Vec<(&str, &str)> = logins.iter().map(|(e, k)| (e.as_str(), *k)).collect();
    dir.batch(vec![
        dir.stmt(
            "INSERT INTO shard_directory (provider_id, binding, assigned_at) VALUES (?, ?, ?)
             ON CONFLICT (provider_id) DO UPDATE SET binding = excluded.binding, assigned_at = excluded.assigned_at",
            &args![provider_id, binding, now],
        )?,
        dir.stmt(
            "INSERT INTO login_directory (email, subject_kind, provider_id)
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? FROM json_each(?) WHERE true
             ON CONFLICT (email, subject_kind) DO UPDATE SET provider_id = excluded.provider_id",
            &[provider_id.into(), crate::db::Arg::json(&logins)?],
        )?,
        dir.stmt(
            "INSERT INTO integration_directory (integration_id, provider_id) SELECT value, ? FROM json_each(?) WHERE true
             ON CONFLICT (integration_id) DO UPDATE SET provider_id = excluded.provider_id",
            &[provider_id.into(), crate::db::Arg::json(integrations)?],
        )?,
    ])
    .await?;
    Ok(())
}

/// Lists a new portal account in the directory (after the account row is written on its
/// shard). The directory's key makes an e-mail unique across shards per kind of account.
pub async fn add_login(dir: &Db, email: &str, kind: &str, provider_id: &str) -> Result<()> {
    dir.run(
        "INSERT INTO login_directory (email, subject_kind, provider_id) VALUES (?, ?, ?)
         ON CONFLICT (email, subject_kind) DO UPDATE SET provider_id = excluded.provider_id",
        &args![email.trim(), kind, provider_id],
    )
    .await?;
    Ok(())
}

/// Lists a new integration in the directory, so its deliveries find the provider's shard.
pub async fn add_integration(dir: &Db, integration_id: &str, provider_id: &str) -> Result<()> {
    dir.run(
        "INSERT INTO integration_directory (integration_id, provider_id) VALUES (?, ?)
         ON CONFLICT (integration_id) DO UPDATE SET provider_id = excluded.provider_id",
        &args![integration_id, provider_id],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_shard_and_malformed_names_are_refused() {
        assert_eq!(tag_token("DB_2", "abc-_9"), "DB_2.abc-_9");
        assert_eq!(tag_token(DIRECTORY, "abc"), "abc", "the directory's tokens stay bare");
        assert_eq!(split_token("DB_2.abc"), Some(("DB_2", "abc")));
        assert_eq!(split_token("abc"), Some((DIRECTORY, "abc")));
        assert_eq!(split_token(&tag_token("DB_7", "x")), Some(("DB_7", "x")));
        let long = format!("{}.abc", "A".repeat(33));
        for bad in ["db_2.abc", ".abc", "DB_2.", "DB_2..abc", "DB_2.abc.d", "DB 2.abc", long.as_str()] {
            assert_eq!(split_token(bad), None, "{bad}");
        }
    }
}
