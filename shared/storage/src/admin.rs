//! The provider's admin area: clients and their visibility, client contacts, invitations.
//! Every function takes a [`ProviderScope`] and touches only that provider's rows.

use crate::args;
use crate::auth::ts;
use crate::auth::{client_scope, ScopeIds, ScopeSettingsRow, SCOPE_SETTINGS_COLUMNS};
use crate::db::{new_id, random_token, Db, Result, StorageError};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::ids::{ClientId, ContactId};
use clearhours_domain::network::IpAllowlist;
use clearhours_domain::settings::{ContactRole, Visibility};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

#[derive(Clone, Debug, Deserialize)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub week_start: String,
    pub show_rates: String,
    pub descriptions: String,
    pub team_display: String,
    pub view_mode: String,
    pub non_billable: String,
    pub budget_money: String,
    pub data_version: i64,
    pub ip_allowlist: String,
    pub mfa_required: i64,
    pub idle_timeout_minutes: i64,
    /// A supported locale tag, or empty for "from the time zone".
    pub locale: String,
    /// Weekly sign-off (issue 15): 1 on, 0 off.
    pub weekly_signoff: i64,
}

impl ClientRow {
    /// The locale the client's pages use.
    pub fn effective_locale(&self) -> clearhours_domain::locale::Locale {
        clearhours_domain::locale::Locale::resolve(&self.locale, &self.time_zone)
    }

    pub fn visibility(&self) -> Result<Visibility> {
        Visibility::from_stored(
            &self.show_rates,
            &self.descriptions,
            &self.team_display,
            &self.view_mode,
            &self.non_billable,
            &self.budget_money,
        )
        .map_err(StorageError::Corrupt)
    }
}

pub(crate) const CLIENT_COLUMNS: &str =
    "id, name, time_zone, currency, week_start, show_rates, descriptions, team_display, view_mode, non_billable, budget_money, data_version, ip_allowlist, mfa_required, idle_timeout_minutes, locale, weekly_signoff";

pub async fn clients(db: &Db, scope: &ProviderScope) -> Result<Vec<ClientRow>> {
    db.all(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE provider_id = ? ORDER BY name"), &args![scope.provider_id.as_str()]).await
}

pub async fn client(db: &Db, scope: &ProviderScope, id: &ClientId) -> Result<Option<ClientRow>> {
    db.first(
        &format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ? AND provider_id = ?"),
        &args![id.as_str(), scope.provider_id.as_str()],
    )
    .await
}

/// Saves a client's visibility and, when given, its locale (a supported tag, or "" for "from
/// the time zone"); returns false if the client is not the provider's. The data version moves
/// too, so nothing cached under the old settings is served again.
pub async fn set_visibility(db: &Db, scope: &ProviderScope, id: &ClientId, v: &Visibility, locale: Option<&str>) -> Result<bool> {
    let n = db
        .run(
            "UPDATE clients SET show_rates = ?, descriptions = ?, team_display = ?, view_mode = ?, non_billable = ?, budget_money = ?, locale = COALESCE(?, locale),
                    data_version = data_version + 1
              WHERE id = ? AND provider_id = ?",
            &args![
                v.rates.as_str(),
                v.descriptions.as_str(),
                v.team.as_str(),
                v.view.as_str(),
                v.non_billable.as_str(),
                v.budget_money.as_str(),
                locale.map(str::to_string),
                id.as_str(),
                scope.provider_id.as_str()
            ],
        )
        .await?;
    // `>= 1`: the data-version trigger (migrations/0022) changes the row again, and D1 counts it.
    Ok(n >= 1)
}

/// A contact as the admin area lists it, with its invitation state.
#[derive(Clone, Debug, Deserialize)]
pub struct ContactRow {
    pub id: String,
    pub client_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub all_projects: i64,
    pub has_password: i64,
    pub disabled_at: Option<String>,
    pub last_login_at: Option<String>,
    /// Expiry of the newest unused, unrevoked invitation, if any.
    pub invitation_expires_at: Option<String>,
}

const CONTACT_SELECT: &str = "SELECT c.id, c.client_id, c.email, c.name, c.role, c.all_projects,
        (c.password_hash IS NOT NULL) AS has_password, c.disabled_at, c.last_login_at,
        (SELECT MAX(i.expires_at) FROM invitations i WHERE i.contact_id = c.id AND i.used_at IS NULL AND i.revoked_at IS NULL) AS invitation_expires_at
   FROM contacts c JOIN clients cl ON cl.id = c.client_id";

pub async fn contacts(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<Vec<ContactRow>> {
    db.all(
        &format!("{CONTACT_SELECT} WHERE c.client_id = ? AND cl.provider_id = ? ORDER BY c.name"),
        &args![client.as_str(), scope.provider_id.as_str()],
    )
    .await
}

pub async fn contact(db: &Db, scope: &ProviderScope, id: &ContactId) -> Result<Option<ContactRow>> {
    db.first(&format!("{CONTACT_SELECT} WHERE c.id = ? AND cl.provider_id = ?"), &args![id.as_str(), scope.provider_id.as_str()]).await
}

/// Why a new contact was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum NewContactError {
    EmailTaken,
    UnknownClient,
}

/// Creates a contact without a password (they set it from the invitation).
pub async fn create_contact(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    email: &str,
    name: &str,
    role: ContactRole,
    now: DateTime<Utc>,
) -> Result<std::result::Result<ContactId, NewContactError>> {
    if self::client(db, scope, client).await?.is_none() {
        return Ok(Err(NewContactError::UnknownClient));
    }
    let id = new_id("con")?;
    let inserted = db
        .run(
            "INSERT INTO contacts (id, client_id, email, name, role, all_projects, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
            &args![id.as_str(), client.as_str(), email, name, role.as_str(), ts(now)],
        )
        .await;
    match inserted {
        Ok(_) => Ok(Ok(ContactId::parse(&id).map_err(|e| StorageError::Corrupt(e.to_string()))?)),
        Err(StorageError::Conflict(_)) => Ok(Err(NewContactError::EmailTaken)),
        Err(e) => Err(e),
    }
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues a new invitation for a contact of the provider, revoking any earlier unused one.
/// Returns the token (to put in the e-mail; never stored) and its expiry.
pub async fn invite(db: &Db, scope: &ProviderScope, contact: &ContactRow, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>)> {
    let token = random_token(32)?;
    let expires = now + Duration::days(INVITATION_DAYS);
    let by = scope.staff_id.as_ref().map_or_else(|| "system".to_string(), ToString::to_string);
    db.batch(vec![
        db.stmt(
            "UPDATE invitations SET revoked_at = ? WHERE contact_id = ? AND used_at IS NULL AND revoked_at IS NULL",
            &args![ts(now), contact.id.as_str()],
        )?,
        db.stmt(
            "INSERT INTO invitations (id, contact_id, client_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &args![new_id("inv")?, contact.id.as_str(), contact.client_id.as_str(), token_hash(&token), by, ts(now), ts(expires)],
        )?,
    ])
    .await?;
    Ok((token, expires))
}

pub async fn revoke_invitations(db: &Db, contact: &ContactRow, now: DateTime<Utc>) -> Result<usize> {
    db.run(
        "UPDATE invitations SET revoked_at = ? WHERE contact_id = ? AND used_at IS NULL AND revoked_at IS NULL",
        &args![ts(now), contact.id.as_str()],
    )
    .await
}

/// Disables (or re-enables) a contact; disabling revokes every session at once.
pub async fn set_disabled(db: &Db, contact: &ContactRow, disabled: bool, now: DateTime<Utc>) -> Result<()> {
    if disabled {
        db.batch(vec![
            db.stmt("UPDATE contacts SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", &args![ts(now), contact.id.as_str()])?,
            db.stmt(
                "UPDATE sessions SET revoked_at = ? WHERE subject_kind = 'contact' AND subject_id = ? AND revoked_at IS NULL",
                &args![ts(now), contact.id.as_str()],
            )?,
            db.stmt(
                "UPDATE invitations SET revoked_at = ? WHERE contact_id = ? AND used_at IS NULL AND revoked_at IS NULL",
                &args![ts(now), contact.id.as_str()],
            )?,
        ])
        .await?;
    } else {
        db.run("UPDATE contacts SET disabled_at = NULL WHERE id = ?", &args![contact.id.as_str()]).await?;
    }
    Ok(())
}

/// What an invitation token leads to, if it is live.
#[derive(Clone, Debug, Deserialize)]
pub struct LiveInvitation {
    pub id: String,
    pub contact_id: String,
    pub client_id: String,
    pub provider_id: String,
    pub email: String,
    pub name: String,
    pub client_name: String,
    pub idle_timeout_minutes: i64,
}

/// The invitation behind `token` if it exists, is unused, unrevoked, unexpired, and its contact
/// is enabled.
pub async fn live_invitation(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Option<LiveInvitation>> {
    db.first(
        "SELECT i.id, i.contact_id, i.client_id, cl.provider_id, c.email, c.name, cl.name AS client_name, cl.idle_timeout_minutes
           FROM invitations i JOIN contacts c ON c.id = i.contact_id JOIN clients cl ON cl.id = i.client_id
          WHERE i.token_hash = ? AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? AND c.disabled_at IS NULL",
        &args![token_hash(token), ts(now)],
    )
    .await
}

/// Consumes the invitation and sets the password, atomically: the `used_at IS NULL` guard makes
/// a second use (or a race) change nothing. Returns whether this call consumed it.
pub async fn accept_invitation(db: &Db, inv: &LiveInvitation, password_hash: &str, now: DateTime<Utc>) -> Result<bool> {
    let results = db
        .batch(vec![
            db.stmt(
                "UPDATE invitations SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
                &args![ts(now), inv.id.as_str()],
            )?,
            // Only if the line above consumed it (changes() is per statement, so check by state).
            db.stmt(
                "UPDATE contacts SET password_hash = ? WHERE id = ? AND EXISTS (SELECT 1 FROM invitations WHERE id = ? AND used_at = ?)",
                &args![password_hash, inv.contact_id.as_str(), inv.id.as_str(), ts(now)],
            )?,
            db.stmt(
                "UPDATE sessions SET revoked_at = ? WHERE subject_kind = 'contact' AND subject_id = ? AND revoked_at IS NULL",
                &args![ts(now), inv.contact_id.as_str()],
            )?,
        ])
        .await?;
    let consumed = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    Ok(consumed == 1)
}

/// A client scope for "view as client": what `contact` would see, built for provider staff.
pub async fn preview_scope(db: &Db, scope: &ProviderScope, contact: &ContactId) -> Result<Option<ClientScope>> {
    #[derive(Deserialize)]
    struct Row {
        contact_id: String,
        contact_role: String,
        all_projects: i64,
        client_id: String,
        #[serde(flatten)]
        settings: ScopeSettingsRow,
    }
    let row: Option<Row> = db
        .first(
            &format!(
                "SELECT c.id AS contact_id, c.role AS contact_role, c.all_projects, cl.id AS client_id, {SCOPE_SETTINGS_COLUMNS}
                   FROM contacts c JOIN clients cl ON cl.id = c.client_id
                  WHERE c.id = ? AND cl.provider_id = ?"
            ),
            &args![contact.as_str(), scope.provider_id.as_str()],
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    let ids = ScopeIds {
        provider_id: scope.provider_id.as_str(),
        client_id: &r.client_id,
        contact_id: &r.contact_id,
        role: &r.contact_role,
        all_projects: r.all_projects,
    };
    client_scope(ids, r.settings).map(Some)
}

/// Saves a client's IP allowlist (already validated); false if not the provider's client.
pub async fn set_ip_allowlist(db: &Db, scope: &ProviderScope, id: &ClientId, list: &IpAllowlist) -> Result<bool> {
    let n = db
        .run(
            "UPDATE clients SET ip_allowlist = ? WHERE id = ? AND provider_id = ?",
            &args![list.to_stored(), id.as_str(), scope.provider_id.as_str()],
        )
        .await?;
    Ok(n == 1)
}

/// The provider's staff security settings: MFA required for all staff, staff IP allowlist.
pub async fn staff_security(db: &Db, scope: &ProviderScope) -> Result<(bool, String)> {
    #[derive(Deserialize)]
    struct Row {
        staff_mfa_required: i64,
        staff_ip_allowlist: String,
    }
    let row: Option<Row> =
        db.first("SELECT staff_mfa_required, staff_ip_allowlist FROM providers WHERE id = ?", &args![scope.provider_id.as_str()]).await?;
    Ok(row.map_or((false, String::new()), |r| (r.staff_mfa_required != 0, r.staff_ip_allowlist)))
}

pub async fn set_staff_security(db: &Db, scope: &ProviderScope, mfa_required: bool, allowlist: &IpAllowlist) -> Result<()> {
    db.run(
        "UPDATE providers SET staff_mfa_required = ?, staff_ip_allowlist = ? WHERE id = ?",
        &args![mfa_required, allowlist.to_stored(), scope.provider_id.as_str()],
    )
    .await?;
    Ok(())
}

/// Sets a client's idle timeout (minutes, 5–480); false if not the provider's client.
pub async fn set_idle_timeout(db: &Db, scope: &ProviderScope, id: &ClientId, minutes: i64) -> Result<bool> {
    let n = db
        .run(
            "UPDATE clients SET idle_timeout_minutes = ? WHERE id = ? AND provider_id = ?",
            &args![minutes, id.as_str(), scope.provider_id.as_str()],
        )
        .await?;
    Ok(n == 1)
}
