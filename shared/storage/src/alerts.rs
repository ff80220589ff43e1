//! The alert outbox, the job's cursor and the provider's alert settings.
//!
//! `enqueue_and_advance` inserts or ignores on (project, kind, threshold, period, channel,
//! recipient), so an alert exists once however often the job runs, and moves the cursor in the
//! same batch. A row refers to its recipient (`provider`), never copies the Slack URL or the
//! address: `claim` leases due rows and resolves each recipient from the provider's settings,
//! opening the sealed webhook URL (one batch of two statements). `mark` records outcomes: `sent`
//! is final; a temporary failure waits until its `next_attempt_at`; a permanent one is `failed`
//! with the error until staff [`retry`] it. Each function is a fixed number of statements.

use crate::args;
use crate::auth::ts;
use crate::auth::{client_scope, ScopeIds, ScopeSettingsRow, SCOPE_SETTINGS_COLUMNS};
use crate::db::{Arg, Db, Result};
use crate::provider::Cursor;
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::alert::{retry_at, MAX_ATTEMPTS};
use clearhours_domain::ids::ClientId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A claim older than this is considered abandoned (the run died mid-send).
pub const LEASE_MINUTES: i64 = 5;

/// The sealing context of a project's own Slack webhook URL.
pub fn project_slack_context(project_id: &str) -> String {
    format!("project/{project_id}/slack_webhook_url")
}

/// The sealing context of a provider's Slack webhook URL.
pub fn slack_context(provider_id: &str) -> String {
    format!("provider/{provider_id}/slack_webhook_url")
}

pub struct NewAlert {
    pub provider_id: String,
    pub client_id: String,
    pub project_id: String,
    pub kind: &'static str,
    /// The threshold (percent); for other kinds the number that tells occurrences apart (a
    /// run-out's date as a day number, the newest ingest flag's id; 0 when the period suffices).
    pub threshold: i64,
    pub period_key: String,
    pub channel: &'static str,
    /// Who gets it: `provider` (the project's or else the provider's Slack webhook or alert
    /// address) or `contact:<contact id>` (that contact's address, looked up when sending).
    pub recipient: String,
    pub payload: String,
}

/// The alert job's cursor (the start when none is stored).
pub async fn cursor(db: &Db) -> Result<Cursor> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        project_id: String,
    }
    let row: Option<Row> = db.first("SELECT provider_id, project_id FROM job_cursors WHERE name = 'alerts'", &[]).await?;
    Ok(row.map(|r| Cursor { provider_id: r.provider_id, project_id: r.project_id }).unwrap_or_default())
}

/// Inserts the alerts not yet known and moves the cursor to `next`, in one batch (two
/// statements; the alerts are one bound JSON array). Returns how many alerts were new.
pub async fn enqueue_and_advance(db: &Db, alerts: &[NewAlert], next: &Cursor, now: DateTime<Utc>) -> Result<usize> {
    let rows: Vec<serde_json::Value> = alerts
        .iter()
        .map(|a| {
            serde_json::json!({
                "provider_id": a.provider_id, "client_id": a.client_id, "project_id": a.project_id, "kind": a.kind,
                "threshold": a.threshold, "period_key": a.period_key, "channel": a.channel, "recipient": a.recipient, "payload": a.payload,
            })
        })
        .collect();
    let mut statements = Vec::new();
    if !rows.is_empty() {
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload, next_attempt_at, created_at)
             SELECT j.value ->> 'provider_id', j.value ->> 'client_id', j.value ->> 'project_id', j.value ->> 'kind', j.value ->> 'threshold',
                    j.value ->> 'period_key', j.value ->> 'channel', j.value ->> 'recipient', j.value ->> 'payload', ?1, ?1
               FROM json_each(?2) j ORDER BY j.key",
            &[Arg::from(ts(now)), Arg::json(&rows)?],
        )?);
    }
    statements.push(db.stmt(
        "INSERT INTO job_cursors (name, provider_id, project_id, updated_at) VALUES ('alerts', ?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET provider_id = excluded.provider_id, project_id = excluded.project_id, updated_at = excluded.updated_at",
        &args![next.provider_id.as_str(), next.project_id.as_str(), ts(now)],
    )?);
    let results = db.batch(statements).await?;
    let new = if rows.is_empty() { 0 } else { results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) };
    Ok(new)
}

/// A claimed row with its destination resolved.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub id: i64,
    pub provider_id: String,
    pub channel: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// The Slack URL or e-mail address, or why there is none (a permanent failure).
    pub target: std::result::Result<String, String>,
}

/// Leases up to `limit` due rows to this run (one statement, so two overlapping runs never claim
/// the same row) and resolves their recipients (one more read): `provider` is the
/// project's own Slack webhook or address when it has one, else the provider's (webhooks opened
/// from their sealed form); `contact:<id>` is that contact's address while the contact is
/// enabled — whatever kind of message it is.
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
    #[derive(Deserialize)]
    struct Claimed {
        id: i64,
        provider_id: String,
        project_id: String,
        kind: String,
        channel: String,
        recipient: String,
        payload: String,
        attempts: i64,
    }
    #[derive(Deserialize)]
    struct Channels {
        id: String,
        slack_webhook_url: Option<String>,
        alert_email: Option<String>,
    }
    #[derive(Deserialize)]
    struct Contact {
        id: String,
        email: String,
        thresholds: bool,
        digest: bool,
    }
    let stale = ts(now - Duration::minutes(LEASE_MINUTES));
    let mut claimed: Vec<Claimed> = db
        .all(
            "UPDATE alert_outbox SET status = 'sending', claimed_at = ?1, attempts = attempts + 1
              WHERE id IN (SELECT id FROM alert_outbox WHERE (status = 'pending' AND next_attempt_at <= ?1)
                                                           OR (status = 'sending' AND claimed_at < ?2) ORDER BY id LIMIT ?3)
             RETURNING id, provider_id, project_id, kind, channel, recipient, payload, attempts",
            &args![ts(now), stale.as_str(), limit],
        )
        .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    claimed.sort_by_key(|r| r.id);
    let ids = |f: &dyn Fn(&Claimed) -> Option<&str>| {
        let mut v: Vec<&str> = claimed.iter().filter_map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let providers = ids(&|c| Some(c.provider_id.as_str()));
    let projects = ids(&|c| (c.recipient == "provider").then_some(c.project_id.as_str()));
    let contacts = ids(&|c| c.recipient.strip_prefix("contact:"));
    #[derive(Deserialize)]
    struct Dest {
        k: String,
        id: String,
        slack_webhook_url: Option<String>,
        alert_email: Option<String>,
    }
    // One statement: the providers' and projects' channels and the contacts' addresses.
    let dests: Vec<Dest> = db
        .all(
            "SELECT 'provider' AS k, id, slack_webhook_url, alert_email FROM providers WHERE id IN (SELECT value FROM json_each(?1))
             UNION ALL SELECT 'project', id, alert_slack_webhook_url, alert_email FROM projects WHERE id IN (SELECT value FROM json_each(?2))
             UNION ALL SELECT 'contact', id, notify_thresholds || ',' || notify_digest, email FROM contacts
                        WHERE disabled_at IS NULL AND id IN (SELECT value FROM json_each(?3))",
            &[Arg::json(&providers)?, Arg::json(&projects)?, Arg::json(&contacts)?],
        )
        .await?;
    let of = |kind: &str| -> Vec<Channels> {
        dests
            .iter()
            .filter(|d| d.k == kind)
            .map(|d| Channels { id: d.id.clone(), slack_webhook_url: d.slack_webhook_url.clone(), alert_email: d.alert_email.clone() })
            .collect()
    };
    let (providers, projects, contacts) = (of("provider"), of("project"), of("contact"));
    // For contacts the second column holds their choices ("thresholds,digest").
    let contacts: Vec<Contact> = contacts
        .into_iter()
        .map(|c| {
            let flags = c.slack_webhook_url.unwrap_or_default();
            Contact { id: c.id, email: c.alert_email.unwrap_or_default(), thresholds: flags.starts_with('1'), digest: flags.ends_with('1') }
        })
        .collect();
    let provider: HashMap<&str, &Channels> = providers.iter().map(|p| (p.id.as_str(), p)).collect();
    let project: HashMap<&str, &Channels> = projects.iter().map(|p| (p.id.as_str(), p)).collect();
    let contact: HashMap<&str, &Contact> = contacts.iter().map(|c| (c.id.as_str(), c)).collect();
    let set = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    Ok(claimed
        .into_iter()
        .map(|c| {
            let target = if let Some(id) = c.recipient.strip_prefix("contact:") {
                // Any kind of message reaches an enabled contact; the opt-in e-mails only while the
                // contact still wants them (an unsubscribe takes effect before the next send).
                match contact.get(id) {
                    None => Err("the contact no longer exists or is disabled".to_string()),
                    Some(k) if (c.kind == "weekly_digest" && !k.digest) || (c.kind == "budget_threshold" && !k.thresholds) => {
                        Err("the contact turned these e-mails off".to_string())
                    }
                    Some(k) => Ok(k.email.clone()),
                }
            } else {
                let own = project.get(c.project_id.as_str());
                let theirs = provider.get(c.provider_id.as_str());
                match c.channel.as_str() {
                    "slack" => match own.and_then(|p| set(&p.slack_webhook_url)) {
                        Some(sealed) => db
                            .open(&project_slack_context(&c.project_id), &sealed)
                            .map_err(|e| format!("the project's Slack webhook cannot be read: {e}")),
                        None => match theirs.and_then(|p| set(&p.slack_webhook_url)) {
                            Some(sealed) => db
                                .open(&slack_context(&c.provider_id), &sealed)
                                .map_err(|e| format!("the Slack webhook cannot be read: {e}")),
                            None => Err("no Slack webhook is configured".to_string()),
                        },
                    },
                    _ => own
                        .and_then(|p| set(&p.alert_email))
                        .or_else(|| theirs.and_then(|p| set(&p.alert_email)))
                        .ok_or_else(|| "no alert e-mail address is configured".to_string()),
                }
            };
            OutboxRow { id: c.id, provider_id: c.provider_id, channel: c.channel, payload: c.payload, attempts: c.attempts, target }
        })
        .collect())
}

/// What became of a claimed row.
pub enum Delivery {
    Sent,
    /// Temporary: try again after backoff (or the endpoint's `Retry-After`).
    Retry {
        error: String,
        retry_after_secs: Option<i64>,
    },
    /// Permanent: stop and show it to staff.
    Failed(String),
    /// Not attempted in this run (the webhook's rate): due again at once, the attempt not counted.
    Deferred,
}

/// Records outcomes in one statement: `sent`; back to `pending` until its next attempt (or
/// `failed` after [`MAX_ATTEMPTS`]); `failed` with the error. A row already `sent` is never
/// changed.
pub async fn mark(db: &Db, outcomes: &[(&OutboxRow, Delivery)], now: DateTime<Utc>) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let clip = |e: &str| e.chars().take(500).collect::<String>();
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|(row, d)| match d {
            Delivery::Sent => serde_json::json!({"id": row.id, "status": "sent", "sent_at": ts(now), "next": "", "error": null}),
            Delivery::Retry { error, retry_after_secs } if row.attempts < MAX_ATTEMPTS => serde_json::json!({
                "id": row.id, "status": "pending", "sent_at": null,
                "next": ts(retry_at(now, row.id, row.attempts, *retry_after_secs)), "error": clip(error),
            }),
            Delivery::Retry { error, .. } => serde_json::json!({
                "id": row.id, "status": "failed", "sent_at": null, "next": "",
                "error": clip(&format!("gave up after {} attempts: {error}", row.attempts)),
            }),
            Delivery::Failed(e) => serde_json::json!({"id": row.id, "status": "failed", "sent_at": null, "next": "", "error": clip(e)}),
            Delivery::Deferred => serde_json::json!({"id": row.id, "status": "pending", "sent_at": null, "next": "", "deferred": 1}),
        })
        .collect();
    db.run(
        "UPDATE alert_outbox SET status = j.value ->> 'status', sent_at = j.value ->> 'sent_at', next_attempt_at = j.value ->> 'next',
                last_error = CASE WHEN j.value ->> 'deferred' = 1 THEN alert_outbox.last_error ELSE j.value ->> 'error' END,
                attempts = alert_outbox.attempts - COALESCE(j.value ->> 'deferred', 0)
           FROM json_each(?1) j WHERE alert_outbox.id = j.value ->> 'id' AND alert_outbox.status <> 'sent'",
        &[Arg::json(&rows)?],
    )
    .await?;
    Ok(())
}

/// An outbox row as staff see it on the alerts page.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub client_id: String,
    pub project_id: String,
    pub project_name: Option<String>,
    pub kind: String,
    pub threshold: i64,
    pub period_key: String,
    pub channel: String,
    /// `provider` or `contact:<id>`.
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

impl OutboxItem {
    /// What the row is, in words, for the admin table.
    pub fn what(&self) -> String {
        match self.kind.as_str() {
            "budget_threshold" => format!("{}% · {}", self.threshold, self.period_key),
            "runout" => format!("Run-out before the end date · {}", self.period_key),
            "changes" => format!("What changed · week of {}", self.period_key),
            "unmapped" => format!("Unmapped entries · {}", self.period_key),
            "ingest_flags" => "Changes to invoiced entries".to_string(),
            "weekly_digest" => format!("Weekly digest · week of {}", self.period_key),
            other => format!("{other} · {}", self.period_key),
        }
    }

    /// Who it goes to, in words (never the address).
    pub fn to_whom(&self) -> &'static str {
        if self.recipient.starts_with("contact:") {
            "a client contact"
        } else {
            "your agency"
        }
    }
}

/// The provider's alerts that need attention (failed, or waiting after an error) and the most
/// recent ones sent: one statement, at most 100 rows.
pub async fn recent(db: &Db, scope: &ProviderScope) -> Result<Vec<OutboxItem>> {
    db.all(
        "SELECT o.id, o.client_id, o.project_id, p.name AS project_name, o.kind, o.threshold, o.period_key, o.channel, o.recipient, o.status,
                o.attempts, o.next_attempt_at, o.sent_at, o.last_error, o.created_at
           FROM alert_outbox o LEFT JOIN projects p ON p.id = o.project_id
          WHERE o.provider_id = ?1
          ORDER BY CASE o.status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 WHEN 'sending' THEN 1 ELSE 2 END, o.id DESC LIMIT 100",
        &args![scope.provider_id.as_str()],
    )
    .await
}

/// Staff's "retry" on a failed row: due again now, with a fresh count of attempts. Returns
/// false when the row is not the provider's or is not failed (a sent row is never resent).
pub async fn retry(db: &Db, scope: &ProviderScope, id: i64) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt_at = '', claimed_at = NULL
              WHERE id = ?1 AND provider_id = ?2 AND status = 'failed'",
            &args![id, scope.provider_id.as_str()],
        )
        .await?
        >= 1)
}

/// The provider's alert destinations as staff see them: whether a Slack webhook is set (never
/// the URL itself) and the alert address.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AlertSettings {
    pub slack_configured: bool,
    pub alert_email: String,
}

pub async fn settings(db: &Db, scope: &ProviderScope) -> Result<AlertSettings> {
    #[derive(Deserialize)]
    struct Row {
        slack: i64,
        alert_email: Option<String>,
    }
    let row: Option<Row> = db
        .first(
            "SELECT (slack_webhook_url IS NOT NULL AND slack_webhook_url <> '') AS slack, alert_email FROM providers WHERE id = ?1",
            &args![scope.provider_id.as_str()],
        )
        .await?;
    Ok(row.map(|r| AlertSettings { slack_configured: r.slack != 0, alert_email: r.alert_email.unwrap_or_default() }).unwrap_or_default())
}

/// Saves the alert address and, when `slack` is `Some`, replaces the webhook (sealed; `""`
/// removes it).
pub async fn save_settings(db: &Db, scope: &ProviderScope, slack: Option<&str>, alert_email: &str) -> Result<()> {
    let email = Some(alert_email.to_string()).filter(|e| !e.is_empty());
    match slack {
        Some(url) => {
            let sealed = if url.is_empty() { None } else { Some(db.seal(&slack_context(scope.provider_id.as_str()), url)?) };
            db.run(
                "UPDATE providers SET slack_webhook_url = ?1, alert_email = ?2 WHERE id = ?3",
                &args![sealed, email, scope.provider_id.as_str()],
            )
            .await?;
        }
        None => {
            db.run("UPDATE providers SET alert_email = ?1 WHERE id = ?2", &args![email, scope.provider_id.as_str()]).await?;
        }
    }
    Ok(())
}

/// What a contact receives (their account page) and which thresholds their client's provider
/// shares with contacts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContactPrefs {
    pub notify_thresholds: bool,
    pub notify_digest: bool,
    /// The client's shared thresholds (`"90,100"`; empty = none shared).
    pub shared_thresholds: String,
}

pub async fn contact_prefs(db: &Db, scope: &ClientScope) -> Result<ContactPrefs> {
    #[derive(Deserialize)]
    struct Row {
        notify_thresholds: i64,
        notify_digest: i64,
        shared_thresholds: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT c.notify_thresholds, c.notify_digest, cl.shared_thresholds FROM contacts c JOIN clients cl ON cl.id = c.client_id
              WHERE c.id = ?1 AND c.client_id = ?2",
            &args![scope.contact_id().as_str(), scope.client_id().as_str()],
        )
        .await?;
    Ok(row
        .map(|r| ContactPrefs {
            notify_thresholds: r.notify_thresholds != 0,
            notify_digest: r.notify_digest != 0,
            shared_thresholds: r.shared_thresholds,
        })
        .unwrap_or_default())
}

/// Saves a contact's choices. Turning the digest on (again) lets the job schedule the next one
/// for the start of the client's next week.
pub async fn set_contact_prefs(db: &Db, scope: &ClientScope, thresholds: bool, digest: bool) -> Result<()> {
    db.run(
        "UPDATE contacts SET notify_thresholds = ?1,
                digest_next_at = CASE WHEN ?2 = 1 AND notify_digest = 0 THEN '' ELSE digest_next_at END, notify_digest = ?2
          WHERE id = ?3 AND client_id = ?4",
        &args![thresholds, digest, scope.contact_id().as_str(), scope.client_id().as_str()],
    )
    .await?;
    Ok(())
}

/// The one-click unsubscribe (a signed token names the contact): every client e-mail off.
/// Returns the contact's (provider, client) for the access log, or `None` for an unknown contact.
pub async fn unsubscribe(db: &Db, contact_id: &str) -> Result<Option<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        client_id: String,
    }
    let results = db
        .batch(vec![
            db.stmt("UPDATE contacts SET notify_thresholds = 0, notify_digest = 0 WHERE id = ?1", &args![contact_id])?,
            db.stmt(
                "SELECT cl.provider_id, c.client_id FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.id = ?1",
                &args![contact_id],
            )?,
        ])
        .await?;
    let rows: Vec<Row> = match results.get(1) {
        Some(r) => crate::db::rows(r)?,
        None => Vec::new(),
    };
    Ok(rows.into_iter().next().map(|r| (r.provider_id, r.client_id)))
}

/// The thresholds a client's contacts may hear about (staff's client page).
pub async fn shared_thresholds(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<String> {
    #[derive(Deserialize)]
    struct Row {
        shared_thresholds: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT shared_thresholds FROM clients WHERE id = ?1 AND provider_id = ?2",
            &args![client.as_str(), scope.provider_id.as_str()],
        )
        .await?;
    Ok(row.map(|r| r.shared_thresholds).unwrap_or_default())
}

/// Saves the shared thresholds (already validated, `"90,100"`); false if not the provider's client.
pub async fn set_shared_thresholds(db: &Db, scope: &ProviderScope, client: &ClientId, thresholds: &str) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE clients SET shared_thresholds = ?1 WHERE id = ?2 AND provider_id = ?3",
            &args![thresholds, client.as_str(), scope.provider_id.as_str()],
        )
        .await?
        >= 1)
}

/// A contact whose weekly digest is due, with the scope it is built under (exactly what the
/// contact would see signed in).
pub struct DueDigest {
    pub scope: ClientScope,
    /// The stored `digest_next_at` ('' = not scheduled yet).
    pub next_at: String,
}

/// Up to `limit` enabled contacts who opted in to the digest and whose next digest is due at
/// `now` (or not yet scheduled): one statement, oldest first.
pub async fn digests_due(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<(Vec<DueDigest>, Vec<String>)> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        contact_id: String,
        contact_role: String,
        all_projects: i64,
        digest_next_at: String,
        client_id: String,
        #[serde(flatten)]
        settings: ScopeSettingsRow,
    }
    let rows: Vec<Row> = db
        .all(
            &format!(
                "SELECT cl.provider_id, c.id AS contact_id, c.role AS contact_role, c.all_projects, c.digest_next_at, cl.id AS client_id,
                        {SCOPE_SETTINGS_COLUMNS}
                   FROM contacts c JOIN clients cl ON cl.id = c.client_id
                  WHERE c.notify_digest = 1 AND c.digest_next_at <= ?1 AND c.disabled_at IS NULL
                  ORDER BY c.digest_next_at, c.id LIMIT ?2"
            ),
            &args![ts(now), limit],
        )
        .await?;
    let (mut out, mut broken) = (Vec::new(), Vec::new());
    for r in rows {
        let ids = ScopeIds {
            provider_id: &r.provider_id,
            client_id: &r.client_id,
            contact_id: &r.contact_id,
            role: &r.contact_role,
            all_projects: r.all_projects,
        };
        let scope = client_scope(ids, r.settings);
        match scope {
            Ok(scope) => out.push(DueDigest { scope, next_at: r.digest_next_at }),
            Err(e) => broken.push(format!("digest of contact {} skipped: {e}", r.contact_id)),
        }
    }
    Ok((out, broken))
}

/// Enqueues a contact's digest (if any) and schedules the next one, in one batch; the next time
/// moves only from the value read (`was`), so two overlapping runs cannot both move it. The
/// outbox's unique key (the week as the period) keeps a digest to one per week and contact
/// whatever the runs do. Returns whether a digest row was new.
pub async fn schedule_digest(
    db: &Db,
    digest: Option<&NewAlert>,
    scope: &ClientScope,
    was: &str,
    next: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut statements = Vec::new();
    if let Some(a) = digest {
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            &args![
                a.provider_id.as_str(),
                a.client_id.as_str(),
                a.project_id.as_str(),
                a.kind,
                a.threshold,
                a.period_key.as_str(),
                a.channel,
                a.recipient.as_str(),
                a.payload.as_str(),
                ts(now)
            ],
        )?);
    }
    statements.push(db.stmt(
        "UPDATE contacts SET digest_next_at = ?1 WHERE id = ?2 AND client_id = ?3 AND digest_next_at = ?4",
        &args![next, scope.contact_id().as_str(), scope.client_id().as_str(), was],
    )?);
    let results = db.batch(statements).await?;
    Ok(digest.is_some() && results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) >= 1)
}

/// What a page of the alert job needs beyond its projects: the names of members, tasks and
/// phases (for "what changed" notes) and, per provider, unmapped entries waiting and open
/// ingest flags on invoiced entries. One statement.
#[derive(Default)]
pub struct PageExtras {
    /// (`member`|`task`|`phase`, id) → name.
    pub names: HashMap<(String, String), String>,
    /// provider → (unmapped entries, open ingest flags, newest open flag id).
    pub waiting: HashMap<String, (i64, i64, i64)>,
}

pub async fn page_extras(db: &Db, providers: &[&str], projects: &[&str]) -> Result<PageExtras> {
    #[derive(Deserialize)]
    struct Row {
        k: String,
        a: String,
        b: Option<String>,
        n1: Option<i64>,
        n2: Option<i64>,
        n3: Option<i64>,
    }
    // One statement: names, then one row per provider with its waiting counts.
    let rows: Vec<Row> = db
        .all(
            "SELECT 'member' AS k, id AS a, name AS b, NULL AS n1, NULL AS n2, NULL AS n3 FROM members WHERE provider_id IN (SELECT value FROM json_each(?1))
             UNION ALL SELECT 'task', id, name, NULL, NULL, NULL FROM tasks WHERE provider_id IN (SELECT value FROM json_each(?1))
             UNION ALL SELECT 'phase', id, name, NULL, NULL, NULL FROM phases WHERE project_id IN (SELECT value FROM json_each(?2))
             UNION ALL SELECT 'waiting', j.value, NULL,
                    (SELECT COUNT(*) FROM unmapped_entries u WHERE u.provider_id = j.value),
                    (SELECT COUNT(*) FROM ingest_flags f WHERE f.provider_id = j.value AND f.resolved_at IS NULL),
                    (SELECT MAX(f.id) FROM ingest_flags f WHERE f.provider_id = j.value AND f.resolved_at IS NULL)
               FROM json_each(?1) j",
            &[Arg::json(&providers)?, Arg::json(&projects)?],
        )
        .await?;
    let mut out = PageExtras::default();
    for r in rows {
        if r.k == "waiting" {
            out.waiting.insert(r.a, (r.n1.unwrap_or(0), r.n2.unwrap_or(0), r.n3.unwrap_or(0)));
        } else {
            out.names.insert((r.k, r.a), r.b.unwrap_or_default());
        }
    }
    Ok(out)
}

/// A project's own alert channels as staff see them (the webhook never shown).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ProjectChannels {
    pub id: String,
    pub name: String,
    pub client_name: String,
    pub slack: i64,
    pub alert_email: Option<String>,
}

/// The provider's active projects with their own channels, if any (one statement).
pub async fn project_channels(db: &Db, scope: &ProviderScope) -> Result<Vec<ProjectChannels>> {
    db.all(
        "SELECT p.id, p.name, c.name AS client_name,
                (p.alert_slack_webhook_url IS NOT NULL AND p.alert_slack_webhook_url <> '') AS slack, p.alert_email
           FROM projects p JOIN clients c ON c.id = p.client_id
          WHERE p.provider_id = ?1 AND p.status = 'active' ORDER BY c.name, p.name LIMIT 500",
        &args![scope.provider_id.as_str()],
    )
    .await
}

/// Sets a project's own alert address ('' = the provider's) and, when `slack` is `Some`,
/// replaces its own webhook (sealed under the project's context; '' = the provider's). False
/// when the project is not the provider's.
pub async fn save_project_channels(
    db: &Db,
    scope: &ProviderScope,
    project_id: &str,
    slack: Option<&str>,
    alert_email: &str,
) -> Result<bool> {
    let email = Some(alert_email.to_string()).filter(|e| !e.is_empty());
    let changed = match slack {
        Some(url) => {
            let sealed = if url.is_empty() { None } else { Some(db.seal(&project_slack_context(project_id), url)?) };
            db.run(
                "UPDATE projects SET alert_slack_webhook_url = ?1, alert_email = ?2 WHERE id = ?3 AND provider_id = ?4",
                &args![sealed, email, project_id, scope.provider_id.as_str()],
            )
            .await?
        }
        None => {
            db.run(
                "UPDATE projects SET alert_email = ?1 WHERE id = ?2 AND provider_id = ?3",
                &args![email, project_id, scope.provider_id.as_str()],
            )
            .await?
        }
    };
    Ok(changed >= 1)
}
