//! Tenant scopes. A [`ClientScope`] can only be made by this crate's session check, so holding
//! one proves that the caller was authorised for that client. Every tenant query takes it first.

use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::ids::{ClientId, ContactId, ProviderId, StaffId};
use clearhours_domain::locale::Locale;
use clearhours_domain::money::Currency;
use clearhours_domain::network::IpAllowlist;
use clearhours_domain::settings::{ContactRole, Visibility};

/// An authorised client contact's view of one client.
#[derive(Clone, Debug)]
pub struct ClientScope {
    pub(crate) provider_id: ProviderId,
    pub(crate) client_id: ClientId,
    pub(crate) contact_id: ContactId,
    pub(crate) all_projects: bool,
    pub(crate) role: ContactRole,
    pub(crate) client: ClientSettings,
}

/// The client's settings as loaded with the session.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub name: String,
    pub calendar: ClientCalendar,
    pub currency: Currency,
    /// Formats for numbers, money and dates (the stored setting, or the time zone's default).
    pub locale: Locale,
    pub visibility: Visibility,
    pub data_version: i64,
    /// Networks the client's contacts may use the portal from (empty = anywhere).
    pub ip_allowlist: IpAllowlist,
}

impl ClientScope {
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }
    pub fn provider_id(&self) -> &ProviderId {
        &self.provider_id
    }
    pub fn contact_id(&self) -> &ContactId {
        &self.contact_id
    }
    pub fn role(&self) -> ContactRole {
        self.role
    }
    pub fn settings(&self) -> &ClientSettings {
        &self.client
    }
}

/// An authorised provider staff user, or a trusted provider-side job (ingest, alerts).
#[derive(Clone, Debug)]
pub struct ProviderScope {
    pub(crate) provider_id: ProviderId,
    pub(crate) staff_id: Option<StaffId>,
    pub(crate) staff_ip_allowlist: IpAllowlist,
}

impl ProviderScope {
    pub fn provider_id(&self) -> &ProviderId {
        &self.provider_id
    }
    pub fn staff_id(&self) -> Option<&StaffId> {
        self.staff_id.as_ref()
    }
    pub fn staff_ip_allowlist(&self) -> &IpAllowlist {
        &self.staff_ip_allowlist
    }
}
