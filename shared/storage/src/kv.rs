//! KV key formats and the client view cache (issue 16). Every client-owned key starts with
//! `c/{client_id}/`, so one client's data can be listed, purged or audited by prefix and never
//! collides with another's.
//!
//! **The cache is correct by construction, not by invalidation.** A key names everything the
//! cached value depends on:
//!
//! - `v{data_version}`: the client's version, bumped by triggers in the same transaction as
//!   every write that changes what the client sees (migrations 0001 and 0022). It is read with
//!   the session (`auth::live_contact`, one indexed row the request reads anyway), so looking
//!   it up costs no extra round trip and comes from D1, which is consistent — never from KV.
//! - `s{settings}`: a fingerprint of the client settings the scope carries (visibility, locale,
//!   time zone, week start, currency, name), so a settings change is a new key even without
//!   the version bump.
//! - the audience: the contact's role (billing contacts see a billing summary) and, for a
//!   contact limited to some projects, the contact itself (others share one value per client);
//! - the client's local date (figures depend on "today", never on the time of day);
//! - the view and its parameters ([`View`]).
//!
//! Keys are therefore immutable: a value under a key never changes, so KV's eventual
//! consistency can only cost a miss (a key written elsewhere not yet visible here), never a
//! stale figure. Old versions are never read again and expire after [`TTL_SECONDS`].
//!
//! Values are built only from `client_view` types (rendered pages and JSON bodies); they hold
//! no raw row and no field a client may not see, so a hit cannot show more than a miss.

use crate::scope::ClientScope;
use chrono::NaiveDate;
use clearhours_domain::ids::ClientId;
use sha2::{Digest, Sha256};
use worker::kv::KvStore;

/// Prefix of every key owned by a client.
pub fn client_prefix(client: &ClientId) -> String {
    format!("c/{client}/")
}

/// How long a cached value lives. Keys are versioned, so this only bounds storage; KV's
/// minimum is 60 s.
pub const TTL_SECONDS: u64 = 24 * 60 * 60;

/// Largest value worth caching (KV allows 25 MiB; a page is tens of KB).
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// A cached client view.
#[derive(Clone, Copy, Debug)]
pub enum View<'a> {
    /// The portfolio page (`idle` = the session's idle timeout, shown in the page).
    PortfolioPage { idle: i64 },
    /// `/api/v1/projects`.
    PortfolioApi,
    /// A project's dashboard page.
    DashboardPage { project: &'a str, idle: i64 },
    /// `/api/v1/projects/{id}/dashboard`.
    DashboardApi { project: &'a str },
    /// A timesheet page or API answer: `project` (or `all`), the canonical query.
    Timesheet { project: &'a str, query: &'a str, api: bool, idle: i64 },
}

/// A fingerprint of the settings a client view depends on (16 hex digits of SHA-256).
fn settings_fingerprint(scope: &ClientScope) -> String {
    let s = scope.settings();
    let text = format!("{}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}", s.name, s.calendar, s.currency, s.locale.tag(), s.visibility);
    hex16(&text)
}

fn hex16(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The cache key of `view` for this scope on the client's local date `today`.
pub fn view_key(scope: &ClientScope, today: NaiveDate, view: View<'_>) -> String {
    let role = scope.role.as_str();
    // Contacts who see every project share one value per client; a limited contact has its own.
    let audience = if scope.all_projects { format!("{role}.all") } else { format!("{role}.{}", scope.contact_id) };
    let what = match view {
        View::PortfolioPage { idle } => format!("portfolio/page/i{idle}"),
        View::PortfolioApi => "portfolio/api".to_string(),
        View::DashboardPage { project, idle } => format!("dash/{project}/page/i{idle}"),
        View::DashboardApi { project } => format!("dash/{project}/api"),
        // The query is user input: hashed, so a key stays short and has no separators from it.
        View::Timesheet { project, query, api, idle } => {
            format!("ts/{project}/{}/{}", if api { "api".to_string() } else { format!("page/i{idle}") }, hex16(query))
        }
    };
    // A project id from the URL is checked only after the lookup: a long one is hashed too, so a
    // key never passes KV's 512-byte limit (a refused lookup would be a miss and an error line).
    let what = if what.len() > MAX_WHAT { format!("h/{}", hex16(&what)) } else { what };
    format!("{}v{}/s{}/{audience}/{today}/{what}", client_prefix(&scope.client_id), scope.client.data_version, settings_fingerprint(scope))
}

/// The longest view part kept as it is (ids are far shorter); longer ones are hashed.
const MAX_WHAT: usize = 160;

/// The view cache over the `KV` binding. Every failure is a miss: the cache never fails a view.
pub struct ViewCache {
    kv: Option<KvStore>,
}

impl ViewCache {
    pub fn new(kv: Option<KvStore>) -> Self {
        Self { kv }
    }

    /// The cached value under `key`, if any: from this isolate's memory, else from KV.
    pub async fn get(&self, key: &str) -> Option<String> {
        let kv = self.kv.as_ref()?;
        if let Some(v) = L1.with(|l| l.borrow_mut().get(key)) {
            return Some(v);
        }
        match kv.get(key).text().await {
            Ok(Some(v)) => {
                L1.with(|l| l.borrow_mut().put(key, &v));
                Some(v)
            }
            Ok(None) => None,
            Err(e) => {
                worker::console_error!("view cache: read failed: {e}");
                None
            }
        }
    }

    /// Queues `value` for `key`, stored after the response (see [`defer_put`]); nothing when the
    /// cache is off.
    pub fn defer(&self, key: String, value: String) {
        if self.kv.is_some() {
            defer_put(key, value);
        }
    }

    /// Stores `value` under `key` (errors are logged: a failed write only costs a later miss;
    /// KV allows one write per second per key, and two contacts missing at once write the same
    /// value).
    pub async fn put(&self, key: &str, value: &str) {
        let Some(kv) = self.kv.as_ref() else { return };
        if value.len() > MAX_VALUE_BYTES {
            return;
        }
        L1.with(|l| l.borrow_mut().put(key, value));
        let put = match kv.put(key, value) {
            Ok(p) => p.expiration_ttl(TTL_SECONDS),
            Err(e) => return worker::console_error!("view cache: write failed: {e}"),
        };
        if let Err(e) = put.execute().await {
            worker::console_error!("view cache: write failed: {e}");
        }
    }
}

/// Bytes of values an isolate keeps in memory in front of KV (isolates have 128 MB in all).
pub const L1_BYTES: usize = 8 << 20;

/// The isolate's own copy of recent values (first in, first out). Keys are immutable (see the
/// module docs), so a value held here is exactly what KV holds: memory is only faster, never
/// staler. It saves KV's read (a network hop in production) on the views an isolate serves
/// again and again.
#[derive(Default)]
struct L1 {
    values: std::collections::HashMap<String, std::rc::Rc<str>>,
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

impl L1 {
    fn get(&mut self, key: &str) -> Option<String> {
        self.values.get(key).map(|v| v.to_string())
    }

    fn put(&mut self, key: &str, value: &str) {
        if value.len() > L1_BYTES / 4 || self.values.contains_key(key) {
            return;
        }
        self.bytes += key.len() + value.len();
        self.values.insert(key.to_string(), std::rc::Rc::from(value));
        self.order.push_back(key.to_string());
        while self.bytes > L1_BYTES {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(v) = self.values.remove(&old) {
                self.bytes -= old.len() + v.len();
            }
        }
    }
}

thread_local! {
    static L1: std::cell::RefCell<L1> = std::cell::RefCell::new(L1::default());
    static DEFERRED: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Queues a value to be stored after the response (a miss does not wait for KV's write). The
/// worker's entry point drains the queue with [`take_deferred`] after every request; requests
/// that interleave in one isolate may write each other's values, which is harmless.
pub fn defer_put(key: String, value: String) {
    if value.len() <= MAX_VALUE_BYTES {
        DEFERRED.with(|q| q.borrow_mut().push((key, value)));
    }
}

/// Everything queued by [`defer_put`] so far.
pub fn take_deferred() -> Vec<(String, String)> {
    DEFERRED.with(|q| std::mem::take(&mut *q.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_tier_stays_within_its_bytes() {
        let mut l = L1::default();
        let big = "x".repeat(L1_BYTES / 8);
        for i in 0..20 {
            l.put(&format!("k{i}"), &big);
        }
        assert!(l.bytes <= L1_BYTES);
        assert!(l.get("k0").is_none(), "the oldest went first");
        assert_eq!(l.get("k19").as_deref(), Some(big.as_str()));
        // A key is written once: values under a key never change.
        l.put("k19", "other");
        assert_eq!(l.get("k19").as_deref(), Some(big.as_str()));
    }

    #[test]
    fn hex16_is_sixteen_hex_digits() {
        let h = hex16("x");
        assert_eq!(h.len(), 16);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(hex16("a"), hex16("b"));
    }

    fn scope(client: &str, contact: &str, role: &str, all_projects: bool, version: i64) -> ClientScope {
        use crate::scope::ClientSettings;
        use clearhours_domain::calendar::ClientCalendar;
        use clearhours_domain::ids::{ClientId, ContactId, ProviderId};
        use clearhours_domain::money::Currency;
        use clearhours_domain::settings::{ContactRole, Visibility};
        ClientScope {
            provider_id: ProviderId::parse("prov_a").unwrap(),
            client_id: ClientId::parse(client).unwrap(),
            contact_id: ContactId::parse(contact).unwrap(),
            all_projects,
            role: ContactRole::parse(role).unwrap(),
            client: ClientSettings {
                name: "Acme".into(),
                calendar: ClientCalendar::parse("Europe/Berlin", "monday").unwrap(),
                currency: Currency::parse("EUR").unwrap(),
                locale: clearhours_domain::locale::Locale::resolve("", "Europe/Berlin"),
                visibility: Visibility::default(),
                data_version: version,
                ip_allowlist: clearhours_domain::network::IpAllowlist::default(),
            },
        }
    }

    #[test]
    fn keys_stay_within_kvs_limit_whatever_the_url_holds() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let long = "p".repeat(4000);
        let a = scope("cli_a", "con_1", "viewer", false, i64::MAX);
        for view in [
            View::DashboardApi { project: &long },
            View::DashboardPage { project: &long, idle: i64::MAX },
            View::Timesheet { project: &long, query: &long, api: false, idle: i64::MAX },
        ] {
            let key = view_key(&a, day, view);
            assert!(key.len() <= 512, "{} bytes", key.len());
            assert_ne!(key, view_key(&a, day, View::DashboardApi { project: "prj_1" }));
        }
        // Two long ids still get two keys.
        let other = "q".repeat(4000);
        assert_ne!(view_key(&a, day, View::DashboardApi { project: &long }), view_key(&a, day, View::DashboardApi { project: &other }));
    }

    #[test]
    fn keys_separate_clients_audiences_versions_settings_and_days() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let view = View::DashboardApi { project: "prj_1" };
        let a = scope("cli_a", "con_1", "viewer", true, 7);
        let key = view_key(&a, day, view);
        assert!(key.starts_with("c/cli_a/v7/s"), "{key}");
        // Another client of the same provider, same everything else: another key.
        assert_ne!(key, view_key(&scope("cli_b", "con_1", "viewer", true, 7), day, view));
        // Two contacts who see every project share the value; a limited contact has its own.
        assert_eq!(key, view_key(&scope("cli_a", "con_2", "viewer", true, 7), day, view));
        let limited = view_key(&scope("cli_a", "con_2", "viewer", false, 7), day, view);
        assert_ne!(key, limited);
        assert!(limited.contains("con_2"));
        // Role, version, day and settings each change the key.
        assert_ne!(key, view_key(&scope("cli_a", "con_1", "billing", true, 7), day, view));
        assert_ne!(key, view_key(&a, day, View::DashboardApi { project: "prj_2" }));
        assert_ne!(key, view_key(&scope("cli_a", "con_1", "viewer", true, 8), day, view));
        assert_ne!(key, view_key(&a, day.succ_opt().unwrap(), view));
        let mut shown = a.clone();
        shown.client.visibility.rates = clearhours_domain::settings::RatesVisibility::Shown;
        assert_ne!(key, view_key(&shown, day, view));
        let mut renamed = a.clone();
        renamed.client.name = "Acme GmbH".into();
        assert_ne!(key, view_key(&renamed, day, view));
        // A page and the API never share a value; the timesheet's query is hashed.
        assert_ne!(key, view_key(&a, day, View::DashboardPage { project: "prj_1", idle: 30 }));
        let ts = view_key(&a, day, View::Timesheet { project: "all", query: "q=a/b c", api: true, idle: 30 });
        assert!(!ts.contains("a/b"), "{ts}");
    }
}
