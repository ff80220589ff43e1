//! Logins and sessions: the only place that turns a session into a [`ClientScope`] or a
//! [`ProviderScope`].

use crate::args;
use crate::db::{new_id, Db, Result, StorageError};
use crate::scope::{ClientScope, ClientSettings, ProviderScope};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::ids::{ClientId, ContactId, ProviderId, StaffId};
use clearhours_domain::money::Currency;
use clearhours_domain::network::IpAllowlist;
use clearhours_domain::settings::{ContactRole, Visibility};
use serde::Deserialize;

/// Absolute session lifetime.
pub const ABSOLUTE_HOURS: i64 = 12;
/// Staff idle timeout (clients have their own setting).
pub const STAFF_IDLE_MINUTES: i64 = 30;

/// UTC timestamps are stored as `YYYY-MM-DDTHH:MM:SSZ`, which sorts as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| StorageError::Corrupt(format!("bad timestamp {s:?}")))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Contact,
    Staff,
}

impl SubjectKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            SubjectKind::Contact => "contact",
            SubjectKind::Staff => "staff",
        }
    }
}

/// What a login form needs to check a password, for either kind of account.
#[derive(Clone, Debug, Deserialize)]
pub struct LoginCandidate {
    pub id: String,
    pub provider_id: String,
    pub client_id: Option<String>,
    pub password_hash: Option<String>,
    pub disabled_at: Option<String>,
    pub idle_timeout_minutes: i64,
    /// The client's (contacts) or the provider's staff (staff) IP allowlist; empty = anywhere.
    #[serde(default)]
    pub ip_allowlist: String,
}

/// How a login candidate is looked up.
#[derive(Clone, Copy)]
pub(crate) enum FoundBy {
    /// What was typed at a sign-in form.
    Email,
    /// The subject of an e-mailed link.
    Id,
}

/// The one query for a [`LoginCandidate`] of either kind, by e-mail or by id (binds one value).
pub(crate) fn candidate_sql(kind: SubjectKind, by: FoundBy) -> String {
    let (alias, key) = match (kind, by) {
        (SubjectKind::Contact, FoundBy::Email) => ("c", "email"),
        (SubjectKind::Contact, FoundBy::Id) => ("c", "id"),
        (SubjectKind::Staff, FoundBy::Email) => ("s", "email"),
        (SubjectKind::Staff, FoundBy::Id) => ("s", "id"),
    };
    match kind {
        SubjectKind::Contact => format!(
            "SELECT c.id, cl.provider_id, c.client_id, c.password_hash, c.disabled_at, cl.idle_timeout_minutes, cl.ip_allowlist
               FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE {alias}.{key} = ?"
        ),
        SubjectKind::Staff => format!(
            "SELECT s.id, s.provider_id, NULL AS client_id, s.password_hash, s.disabled_at, {STAFF_IDLE_MINUTES} AS idle_timeout_minutes,
                    p.staff_ip_allowlist AS ip_allowlist
               FROM staff_users s JOIN providers p ON p.id = s.provider_id WHERE {alias}.{key} = ?"
        ),
    }
}

pub async fn find_contact_login(db: &Db, email: &str) -> Result<Option<LoginCandidate>> {
    db.first(&candidate_sql(SubjectKind::Contact, FoundBy::Email), &args![email.trim()]).await
}

pub async fn find_staff_login(db: &Db, email: &str) -> Result<Option<LoginCandidate>> {
    db.first(&candidate_sql(SubjectKind::Staff, FoundBy::Email), &args![email.trim()]).await
}

/// A live session row.
#[derive(Clone, Debug, Deserialize)]
pub struct Session {
    pub id: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub provider_id: String,
    pub client_id: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    pub idle_timeout_minutes: i64,
    pub expires_at: String,
    /// `none`, `pending`, `enroll` or `verified` (see migrations/0008_mfa.sql).
    #[serde(default)]
    pub mfa_state: String,
}

impl Session {
    /// Whether the second step (if any) is done, so the session may reach the portal.
    pub fn is_complete(&self) -> bool {
        self.mfa_state == "none" || self.mfa_state == "verified"
    }

    /// When the session dies of idleness if nothing happens.
    pub fn idle_deadline(&self) -> Result<DateTime<Utc>> {
        Ok(parse_ts(&self.last_seen_at)? + Duration::minutes(self.idle_timeout_minutes))
    }
}

/// Starts a session (a new id every login).
pub async fn create_session(
    db: &Db,
    who: &LoginCandidate,
    kind: SubjectKind,
    now: DateTime<Utc>,
    ip: &str,
    user_agent: &str,
) -> Result<Session> {
    create_session_with(db, who, kind, "none", now, ip, user_agent).await
}

/// Starts a session in a given MFA state (`pending` / `enroll` until the second step is done).
pub async fn create_session_with(
    db: &Db,
    who: &LoginCandidate,
    kind: SubjectKind,
    mfa_state: &str,
    now: DateTime<Utc>,
    ip: &str,
    user_agent: &str,
) -> Result<Session> {
    let id = new_id("ses")?;
    let expires = now + Duration::hours(ABSOLUTE_HOURS);
    let s = Session {
        id: id.clone(),
        subject_kind: kind.as_str().into(),
        subject_id: who.id.clone(),
        provider_id: who.provider_id.clone(),
        client_id: who.client_id.clone(),
        created_at: ts(now),
        last_seen_at: ts(now),
        idle_timeout_minutes: who.idle_timeout_minutes,
        expires_at: ts(expires),
        mfa_state: mfa_state.to_string(),
    };
    let ua: String = user_agent.chars().take(300).collect();
    let mut statements = vec![db.stmt(
        "INSERT INTO sessions (id, subject_kind, subject_id, provider_id, client_id, created_at, last_seen_at, idle_timeout_minutes, expires_at, ip, user_agent, mfa_state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &args![&s.id, &s.subject_kind, &s.subject_id, &s.provider_id, s.client_id.clone(), &s.created_at, &s.last_seen_at, s.idle_timeout_minutes, &s.expires_at, ip, ua, &s.mfa_state],
    )?];
    if kind == SubjectKind::Contact {
        statements.push(db.stmt("UPDATE contacts SET last_login_at = ? WHERE id = ?", &args![ts(now), &s.subject_id])?);
    }
    db.batch(statements).await?;
    Ok(s)
}

/// The session if it exists, is not revoked, and has timed out neither idle nor absolutely.
/// Touches `last_seen_at` (at most once a minute, to spare writes).
pub async fn live_session(db: &Db, id: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
    let s: Option<Session> = db
        .first(
            "SELECT id, subject_kind, subject_id, provider_id, client_id, created_at, last_seen_at, idle_timeout_minutes, expires_at, mfa_state
               FROM sessions WHERE id = ? AND revoked_at IS NULL",
            &args![id],
        )
        .await?;
    let Some(s) = s else { return Ok(None) };
    Ok(still_live(db, &s, now).await?.then_some(s))
}

/// Checks the absolute and idle timeouts and touches `last_seen_at` (at most once a minute, to
/// spare writes).
async fn still_live(db: &Db, s: &Session, now: DateTime<Utc>) -> Result<bool> {
    if parse_ts(&s.expires_at)? <= now || s.idle_deadline()? <= now {
        return Ok(false);
    }
    if now - parse_ts(&s.last_seen_at)? >= Duration::minutes(1) {
        db.run("UPDATE sessions SET last_seen_at = ? WHERE id = ?", &args![ts(now), &s.id]).await?;
    }
    Ok(true)
}

pub async fn revoke_session(db: &Db, id: &str, now: DateTime<Utc>) -> Result<()> {
    db.run("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", &args![ts(now), id]).await?;
    Ok(())
}

/// The client's stored settings a [`ClientScope`] carries (columns of `clients`, prefix `cl.`).
pub(crate) const SCOPE_SETTINGS_COLUMNS: &str =
    "cl.name, cl.time_zone, cl.week_start, cl.currency, cl.locale, cl.show_rates, cl.descriptions,
     cl.team_display, cl.view_mode, cl.non_billable, cl.budget_money, cl.data_version, cl.ip_allowlist";

/// The row of [`SCOPE_SETTINGS_COLUMNS`].
#[derive(Deserialize)]
pub(crate) struct ScopeSettingsRow {
    name: String,
    time_zone: String,
    week_start: String,
    currency: String,
    locale: String,
    show_rates: String,
    descriptions: String,
    team_display: String,
    view_mode: String,
    non_billable: String,
    budget_money: String,
    data_version: i64,
    ip_allowlist: String,
}

/// Who a client scope is for, as stored.
pub(crate) struct ScopeIds<'a> {
    pub provider_id: &'a str,
    pub client_id: &'a str,
    pub contact_id: &'a str,
    pub role: &'a str,
    pub all_projects: i64,
}

/// The one constructor of a [`ClientScope`] from stored values (the session check here and
/// "view as client" in [`crate::admin::preview_scope`]); anything that does not parse is corrupt.
pub(crate) fn client_scope(ids: ScopeIds<'_>, r: ScopeSettingsRow) -> Result<ClientScope> {
    let corrupt = |e: String| StorageError::Corrupt(e);
    Ok(ClientScope {
        provider_id: ProviderId::parse(ids.provider_id).map_err(|e| corrupt(e.to_string()))?,
        client_id: ClientId::parse(ids.client_id).map_err(|e| corrupt(e.to_string()))?,
        contact_id: ContactId::parse(ids.contact_id).map_err(|e| corrupt(e.to_string()))?,
        all_projects: ids.all_projects != 0,
        role: ContactRole::parse(ids.role).map_err(corrupt)?,
        client: ClientSettings {
            calendar: ClientCalendar::parse(&r.time_zone, &r.week_start).map_err(|e| corrupt(e.to_string()))?,
            currency: Currency::parse(&r.currency).map_err(|e| corrupt(e.to_string()))?,
            locale: clearhours_domain::locale::Locale::resolve(&r.locale, &r.time_zone),
            visibility: Visibility::from_stored(
                &r.show_rates,
                &r.descriptions,
                &r.team_display,
                &r.view_mode,
                &r.non_billable,
                &r.budget_money,
            )
            .map_err(corrupt)?,
            data_version: r.data_version,
            ip_allowlist: IpAllowlist::parse(&r.ip_allowlist).map_err(corrupt)?,
            name: r.name,
        },
    })
}

#[derive(Deserialize)]
pub(crate) struct ContactSessionRow {
    #[serde(flatten)]
    pub(crate) session: Session,
    role: String,
    all_projects: i64,
    #[serde(flatten)]
    settings: ScopeSettingsRow,
}

/// The live session `sid` of an enabled contact, with the client scope it grants: one query
/// (plus, at most once a minute, the `last_seen_at` touch).
pub async fn live_contact(db: &Db, sid: &str, now: DateTime<Utc>) -> Result<Option<(Session, ClientScope)>> {
    let q = contact_session_statement(sid);
    let row: Option<ContactSessionRow> = db.first(&q.sql, &q.args).await?;
    let Some(r) = row else { return Ok(None) };
    if !still_live(db, &r.session, now).await? {
        return Ok(None);
    }
    contact_scope(r).map(Some)
}

/// The session `sid` of an enabled contact with what its scope is made of, as data: only
/// unrevoked sessions whose second step is done (`none`/`verified`) are found.
pub(crate) fn contact_session_statement(sid: &str) -> crate::stmt::Stmt {
    crate::stmt::Stmt::new(
        format!(
            "SELECT s.id, s.subject_kind, s.subject_id, s.provider_id, s.client_id, s.created_at, s.last_seen_at,
                    s.idle_timeout_minutes, s.expires_at, s.mfa_state, c.role, c.all_projects, {SCOPE_SETTINGS_COLUMNS}
               FROM sessions s
               JOIN contacts c ON c.id = s.subject_id AND c.client_id = s.client_id AND c.disabled_at IS NULL
               JOIN clients cl ON cl.id = c.client_id
              WHERE s.id = ? AND s.revoked_at IS NULL AND s.subject_kind = 'contact' AND s.mfa_state IN ('none', 'verified')"
        ),
        args![sid],
    )
}

/// The session and the client scope of a found contact session.
pub(crate) fn contact_scope(r: ContactSessionRow) -> Result<(Session, ClientScope)> {
    let s = &r.session;
    let ids = ScopeIds {
        provider_id: &s.provider_id,
        client_id: s.client_id.as_deref().unwrap_or_default(),
        contact_id: &s.subject_id,
        role: &r.role,
        all_projects: r.all_projects,
    };
    let scope = client_scope(ids, r.settings)?;
    Ok((r.session, scope))
}

/// The provider scope of a live staff session.
pub async fn staff_scope(db: &Db, session: &Session) -> Result<Option<ProviderScope>> {
    if session.subject_kind != SubjectKind::Staff.as_str() || !session.is_complete() {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Row {
        id: String,
        provider_id: String,
        staff_ip_allowlist: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT s.id, s.provider_id, p.staff_ip_allowlist FROM staff_users s JOIN providers p ON p.id = s.provider_id
              WHERE s.id = ? AND s.disabled_at IS NULL",
            &args![&session.subject_id],
        )
        .await?;
    Ok(row.and_then(|r| {
        Some(ProviderScope {
            provider_id: ProviderId::parse(&r.provider_id).ok()?,
            staff_id: Some(StaffId::parse(&r.id).ok()?),
            staff_ip_allowlist: IpAllowlist::parse(&r.staff_ip_allowlist).ok()?,
        })
    }))
}

/// A provider scope for trusted server-side jobs (ingest after signature check, cron).
pub fn system_scope(provider_id: ProviderId) -> ProviderScope {
    ProviderScope { provider_id, staff_id: None, staff_ip_allowlist: IpAllowlist::default() }
}
