//! What client contacts are e-mailed (issue 14): a shared budget threshold and the weekly
//! digest, each a typed struct rendered by askama (text + HTML) from **client-view types only**
//! (`ClientDashboard`), so an e-mail cannot show what the portal would hide; and the signed
//! one-click unsubscribe token those e-mails carry (RFC 8058).
//!
//! **Unsubscribe tokens.** `base64url(contact id) . expiry (unix seconds) . base64url(HMAC-SHA256)
//! [. shard]` under a key derived from the `DATA_KEY` secret ([`unsubscribe_key`]), so no new
//! secret is needed and the portal and the alerts worker agree. The optional fourth part names
//! the contact's shard (a D1 binding, issue 16) and is covered by the HMAC, so the portal opens
//! that database without asking every shard, and a changed shard name fails the signature; a
//! three-part token (older e-mails) means the directory database. A token only ever turns a
//! contact's e-mails *off*; it expires after [`UNSUBSCRIBE_DAYS`] (every e-mail carries a fresh one).

use crate::alert::EmailBody;
use crate::client_view::{ClientDashboard, ClientHours};
use crate::locale::Locale;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_DAYS: i64 = 60;

/// The unsubscribe key: HMAC-SHA256 of a fixed label under the `DATA_KEY` bytes (base64).
pub fn unsubscribe_key(data_key_b64: &str) -> Option<[u8; 32]> {
    let raw = B64.decode(data_key_b64.trim()).ok().filter(|k| k.len() >= 32)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).ok()?;
    mac.update(b"clearhours/unsubscribe/v1");
    Some(mac.finalize().into_bytes().into())
}

fn mac(key: &[u8; 32], contact_id: &str, expires: i64, shard: Option<&str>) -> Option<Hmac<Sha256>> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    match shard {
        Some(s) => m.update(format!("{contact_id}\n{expires}\n{s}").as_bytes()),
        None => m.update(format!("{contact_id}\n{expires}").as_bytes()),
    }
    Some(m)
}

/// Whether `s` can name a shard (a D1 binding: `A-Z`, `0-9`, `_`, 1–32 characters).
pub fn is_shard_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// A token that unsubscribes `contact_id` on `shard` (`None`: the directory database), valid
/// until `now` + [`UNSUBSCRIBE_DAYS`].
pub fn sign_unsubscribe(key: &[u8; 32], contact_id: &str, shard: Option<&str>, now: DateTime<Utc>) -> String {
    let expires = (now + chrono::Duration::days(UNSUBSCRIBE_DAYS)).timestamp();
    let shard = shard.filter(|s| is_shard_name(s));
    let sig = mac(key, contact_id, expires, shard).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
    let token = format!("{}.{expires}.{}", B64URL.encode(contact_id), B64URL.encode(sig));
    match shard {
        Some(s) => format!("{token}.{s}"),
        None => token,
    }
}

/// What a valid unsubscribe token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    pub contact_id: String,
    /// The contact's shard (`None`: the directory database).
    pub shard: Option<String>,
}

/// Why a token is refused (all answered with 4xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Malformed => "the unsubscribe link is incomplete or damaged",
            TokenError::BadSignature => "the unsubscribe link is not valid",
            TokenError::Expired => "the unsubscribe link has expired; use the link in a newer e-mail or your account page",
        }
    }
}

/// The contact (and shard) a token names, if its signature holds (constant-time) and it has
/// not expired.
pub fn verify_unsubscribe(key: &[u8; 32], token: &str, now: DateTime<Utc>) -> Result<Unsubscribe, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(id), Some(exp), Some(sig), shard, None) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    if shard.is_some_and(|s| !is_shard_name(s)) {
        return Err(TokenError::Malformed);
    }
    let id = B64URL.decode(id).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(TokenError::Malformed)?;
    crate::ids::check_id(&id).map_err(|_| TokenError::Malformed)?;
    let expires: i64 = exp.parse().map_err(|_| TokenError::Malformed)?;
    let sig = B64URL.decode(sig).map_err(|_| TokenError::Malformed)?;
    mac(key, &id, expires, shard).ok_or(TokenError::BadSignature)?.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;
    if now.timestamp() > expires {
        return Err(TokenError::Expired);
    }
    Ok(Unsubscribe { contact_id: id, shard: shard.map(str::to_string) })
}

/// The thresholds a client's settings share with contacts (`"90,100"`): ascending, 1–1000.
pub fn parse_shared_thresholds(s: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let t: u16 = part.parse().map_err(|_| format!("“{part}” is not a whole percentage"))?;
        if !(1..=1000).contains(&t) {
            return Err(format!("{t} is out of range (1–1000 %)"));
        }
        out.push(t);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The links every client e-mail carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links {
    /// The portal's base URL (`https://portal.example`).
    pub portal_url: String,
    pub unsubscribe_url: String,
}

impl Links {
    pub fn project(&self, d: &ClientDashboard) -> String {
        format!("{}/projects/{}", self.portal_url.trim_end_matches('/'), d.project_id)
    }
    pub fn projects(&self) -> String {
        format!("{}/projects", self.portal_url.trim_end_matches('/'))
    }
    pub fn account(&self) -> String {
        format!("{}/account", self.portal_url.trim_end_matches('/'))
    }
}

/// A shared budget threshold, told to a contact: built from the project's client dashboard.
pub struct ClientThreshold<'a> {
    pub client_name: &'a str,
    pub dashboard: &'a ClientDashboard,
    pub threshold: u16,
    pub links: &'a Links,
}

#[derive(askama::Template)]
#[template(path = "email/client_threshold.txt")]
struct ClientThresholdText<'a> {
    m: &'a ClientThreshold<'a>,
    url: String,
    percent: String,
    used: String,
    projection: &'a str,
}

#[derive(askama::Template)]
#[template(path = "email/client_threshold.html")]
struct ClientThresholdHtml<'a> {
    m: &'a ClientThreshold<'a>,
    url: String,
    percent: String,
    used: String,
    projection: &'a str,
}

fn used_text(d: &ClientDashboard) -> String {
    let l = d.locale;
    match &d.budget {
        Some(b) => {
            let mut parts = vec![match b.hours_allocated {
                Some(a) => format!("{} of {}", l.hours(b.hours_used), l.hours(a)),
                None => l.hours(b.hours_used),
            }];
            if let (Some(u), Some(a)) = (&b.amount_used, &b.amount_allocated) {
                parts.push(format!("{u} of {a}"));
            }
            parts.join(", ")
        }
        None => l.hours(d.to_date_hours),
    }
}

fn percent_text(d: &ClientDashboard) -> String {
    d.budget.as_ref().and_then(|b| b.percent).map(|p| d.locale.percent(p)).unwrap_or_default()
}

impl ClientThreshold<'_> {
    pub fn render(&self) -> Result<EmailBody, askama::Error> {
        let d = self.dashboard;
        let subject = format!("{}: {}% of the budget used", d.project_name, self.threshold);
        let (percent, used, projection) = (percent_text(d), used_text(d), d.projection.summary.as_str());
        let text = askama::Template::render(&ClientThresholdText {
            m: self,
            url: self.links.project(d),
            percent: percent.clone(),
            used: used.clone(),
            projection,
        })?;
        let html = askama::Template::render(&ClientThresholdHtml { m: self, url: self.links.project(d), percent, used, projection })?;
        Ok(EmailBody { subject, text, html, list_unsubscribe: Some(self.links.unsubscribe_url.clone()) })
    }
}

/// One project in a digest: last week's hours by person (visible labels) and task, the budget,
/// burn rate, projection and staff notes — every figure from its `ClientDashboard`.
pub struct DigestProject<'a> {
    pub name: &'a str,
    pub week_hours: String,
    pub people: Vec<(String, String)>,
    pub tasks: Vec<(String, String)>,
    pub budget: Option<String>,
    pub burn: Option<String>,
    pub projection: &'a str,
    pub notes: Vec<&'a str>,
    pub url: String,
}

/// The weekly digest of one contact: the week that ended, over the projects they may see.
pub struct WeeklyDigest<'a> {
    pub client_name: &'a str,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub dashboards: &'a [ClientDashboard],
    pub links: &'a Links,
}

#[derive(askama::Template)]
#[template(path = "email/weekly_digest.txt")]
struct DigestText<'a> {
    client_name: &'a str,
    week: String,
    projects: &'a [DigestProject<'a>],
    links: &'a Links,
}

#[derive(askama::Template)]
#[template(path = "email/weekly_digest.html")]
struct DigestHtml<'a> {
    client_name: &'a str,
    week: String,
    projects: &'a [DigestProject<'a>],
    links: &'a Links,
}

fn people(l: Locale, rows: &[ClientHours]) -> Vec<(String, String)> {
    rows.iter().filter(|h| h.minutes != 0).map(|h| (h.label.clone(), l.hours(h.hours))).collect()
}

impl WeeklyDigest<'_> {
    fn projects(&self) -> Vec<DigestProject<'_>> {
        self.dashboards
            .iter()
            .map(|d| {
                let l = d.locale;
                // The dashboard's last week is the week that ended; in weekly-summary mode that
                // is exactly the completed week the client may see.
                let week = &d.last_week;
                let tasks = match d.changes.weeks.last() {
                    Some(span) if span.start == week.start => d
                        .changes
                        .by_task
                        .iter()
                        .filter_map(|s| {
                            let (m, h) = (s.minutes.last().copied()?, s.hours.last().copied()?);
                            (m != 0).then(|| (s.label.clone(), l.hours(h)))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let budget = d.budget.as_ref().map(|b| {
                    let pct = b.percent.map(|p| format!(" ({})", l.percent(p))).unwrap_or_default();
                    format!("{}{pct}", used_text(d))
                });
                DigestProject {
                    name: &d.project_name,
                    week_hours: l.hours(week.total_hours),
                    people: people(l, &week.members),
                    tasks,
                    budget,
                    burn: d.burn_hours_per_week.map(|h| format!("{} a week over the last {} weeks", l.hours(h), d.burn_weeks)),
                    projection: &d.projection.summary,
                    notes: d.notes.iter().filter(|n| n.week_start == week.start).map(|n| n.body.as_str()).collect(),
                    url: self.links.project(d),
                }
            })
            .collect()
    }

    pub fn render(&self) -> Result<EmailBody, askama::Error> {
        let locale = self.dashboards.first().map_or_else(|| Locale::resolve("", "UTC"), |d| d.locale);
        let week = locale.date_range(self.week_start, self.week_end, true);
        let subject = format!("{}: your week in hours, {week}", self.client_name);
        let projects = self.projects();
        let text = askama::Template::render(&DigestText {
            client_name: self.client_name,
            week: week.clone(),
            projects: &projects,
            links: self.links,
        })?;
        let html = askama::Template::render(&DigestHtml { client_name: self.client_name, week, projects: &projects, links: self.links })?;
        Ok(EmailBody { subject, text, html, list_unsubscribe: Some(self.links.unsubscribe_url.clone()) })
    }
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
