//! Budget alerts: which thresholds a project has crossed, and the message the provider gets.
//!
//! An alert is identified by (project, threshold, period key): the cron job may run any number
//! of times, the outbox's unique key makes each alert exist once.

use crate::money::hours;
use rust_decimal::Decimal;
use serde::Serialize;

/// Thresholds (percent) that `used` of `allocated` has reached, ascending, compared exactly.
pub fn crossed(used: i64, allocated: i64, thresholds: &[u16]) -> Vec<u16> {
    if allocated <= 0 {
        return thresholds.to_vec();
    }
    thresholds.iter().copied().filter(|t| i128::from(used) * 100 >= i128::from(*t) * i128::from(allocated)).collect()
}

/// Thresholds reached by either the hours or the money budget.
pub fn crossed_budget(b: &crate::figures::BudgetFigures, thresholds: &[u16]) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    if let Some(a) = b.allocated_minutes {
        out.extend(crossed(b.used_minutes, a, thresholds));
    }
    if let Some(a) = b.allocated_amount_minor {
        out.extend(crossed(b.used_amount_minor, a, thresholds));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Slack's three control characters in message text (`&`, `<`, `>`), so a name cannot form a link or mention.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// What the provider is told when a project crosses a threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThresholdAlert {
    pub client_name: String,
    pub project_name: String,
    pub threshold: u16,
    pub percent: Decimal,
    pub used_minutes: i64,
    pub allocated_minutes: Option<i64>,
    /// The money budget, when the project has one (totals, never rates).
    pub used_amount: Option<crate::money::Money>,
    pub allocated_amount: Option<crate::money::Money>,
    /// `all` for fixed budgets, `YYYY-MM` for a retainer month.
    pub period_key: String,
    pub portal_url: String,
}

impl ThresholdAlert {
    /// A Slack incoming-webhook message (`text` plus Block Kit blocks).
    pub fn slack_message(&self) -> serde_json::Value {
        let used = self.used_text();
        let period = self.period_text();
        let text = format!(
            "{client} · {project}{period}: {percent}% of budget used ({used}) — crossed {t}%",
            client = slack_escape(&self.client_name),
            project = slack_escape(&self.project_name),
            percent = self.percent,
            t = self.threshold,
        );
        serde_json::json!({
            "text": text,
            "blocks": [
                { "type": "section", "text": { "type": "mrkdwn", "text": format!("*Budget alert:* {text}") } },
                { "type": "context", "elements": [ { "type": "mrkdwn", "text": format!("<{}|Open the project>", self.portal_url) } ] }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossed_thresholds() {
        assert_eq!(crossed(855, 1000, &[75, 90, 100]), vec![75]);
        assert_eq!(crossed(900, 1000, &[75, 90, 100]), vec![75, 90]);
        assert_eq!(crossed(8999, 10_000, &[75, 90, 100]), vec![75]);
        assert!(crossed(10, 100, &[75]).is_empty());
    }

    #[test]
    fn slack_message_says_what_crossed() {
        let a = ThresholdAlert {
            client_name: "Acme".into(),
            project_name: "Web".into(),
            threshold: 75,
            percent: Decimal::new(851, 1),
            used_minutes: 340 * 60,
            allocated_minutes: Some(400 * 60),
            used_amount: None,
            allocated_amount: None,
            period_key: "all".into(),
            portal_url: "https://portal.example/p/1".into(),
        };
        let m = a.slack_message();
        let text = m["text"].as_str().unwrap();
        assert_eq!(text, "Acme · Web: 85.1% of budget used (340.0 h of 400.0 h) — crossed 75%");
        let aud = crate::money::Currency::parse("AUD").unwrap();
        let money_only = ThresholdAlert {
            allocated_minutes: None,
            used_amount: Some(crate::money::Money::new(10_836_000, aud)),
            allocated_amount: Some(crate::money::Money::new(18_000_000, aud)),
            period_key: "2026-11".into(),
            ..a
        };
        assert_eq!(
            money_only.slack_message()["text"].as_str().unwrap(),
            "Acme · Web (2026-11): 85.1% of budget used (340.0 h, AUD 108,360.00 of AUD 180,000.00) — crossed 75%"
        );
    }
}

/// What a delivery attempt's answer means for the outbox row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered: the row is never sent again.
    Sent,
    /// Temporary (5xx, 408, 425, 429, a timeout, a network error): try again later, no sooner
    /// than `retry_after_secs` when the endpoint said so.
    Retry { error: String, retry_after_secs: Option<i64> },
    /// The endpoint refused the message for good (Slack's 404 `channel_not_found`, 410
    /// `channel_is_archived`, 403, an invalid address, a bad API key): stop, show it to staff.
    Permanent { error: String },
}

/// Classifies an HTTP answer. `channel` is `slack` or `email`; `body` is the start of the
/// response body (Slack names the reason there); `retry_after` is the raw `Retry-After` header.
pub fn classify(channel: &str, status: u16, body: &str, retry_after: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Outcome {
    let reason: String = body.trim().chars().take(200).collect();
    let what = if channel == "slack" { "Slack webhook" } else { "E-mail API" };
    let error = if reason.is_empty() { format!("{what} answered {status}") } else { format!("{what} answered {status}: {reason}") };
    match status {
        200..=299 => Outcome::Sent,
        408 | 425 | 429 | 500..=599 => Outcome::Retry { error, retry_after_secs: retry_after.and_then(|v| parse_retry_after(v, now)) },
        _ => Outcome::Permanent { error },
    }
}

/// `Retry-After` as seconds from `now`: delta-seconds or an HTTP date; never negative, at most a day.
pub fn parse_retry_after(v: &str, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let v = v.trim();
    let secs = match v.parse::<i64>() {
        Ok(s) => s,
        Err(_) => (chrono::DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&chrono::Utc) - now).num_seconds(),
    };
    Some(secs.clamp(0, 86_400))
}

/// Attempts before a row that keeps failing temporarily is given up and shown to staff.
pub const MAX_ATTEMPTS: i64 = 10;

/// When a row that failed temporarily on attempt `attempts` (1-based) may be tried again:
/// exponential backoff from one minute, doubling, capped at six hours, with a jitter of
/// −25 %…+25 % derived from the row id (so rows that failed together spread out), and never
/// sooner than the endpoint's `Retry-After`.
pub fn retry_at(
    now: chrono::DateTime<chrono::Utc>,
    row_id: i64,
    attempts: i64,
    retry_after_secs: Option<i64>,
) -> chrono::DateTime<chrono::Utc> {
    use sha2::Digest;
    let exp = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(0);
    let base_ms: i64 = 60_000i64.saturating_mul(1i64 << exp).min(6 * 3_600_000);
    let h = sha2::Sha256::digest(format!("{row_id}:{attempts}").as_bytes());
    let permille = i64::from(u16::from_be_bytes([h[0], h[1]]) % 501); // 0..=500
    let backoff_ms = base_ms * (750 + permille) / 1000;
    let wait_ms = backoff_ms.max(retry_after_secs.unwrap_or(0).saturating_mul(1000));
    now + chrono::Duration::milliseconds(wait_ms)
}

/// The period key of a budget period starting on `start`: `all` for fixed budgets, `YYYY-MM`
/// for a retainer month (so a retainer's thresholds re-arm each month).
pub fn period_key(monthly: bool, start: chrono::NaiveDate) -> String {
    if monthly {
        start.format("%Y-%m").to_string()
    } else {
        "all".to_string()
    }
}

/// A rendered e-mail before its recipient is known: the outbox stores this; the address is
/// looked up when it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EmailBody {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL of a client e-mail (RFC 8058): sent as `List-Unsubscribe`
    /// with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. `None` for staff e-mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
}

impl EmailBody {
    /// The headers a message carries beyond subject and addresses.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match &self.list_unsubscribe {
            Some(url) => {
                vec![("List-Unsubscribe", format!("<{url}>")), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_string())]
            }
            None => Vec::new(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "email/threshold_alert.txt")]
struct ThresholdText<'a> {
    a: &'a ThresholdAlert,
    used: String,
    period: String,
}

#[derive(askama::Template)]
#[template(path = "email/threshold_alert.html")]
struct ThresholdHtml<'a> {
    a: &'a ThresholdAlert,
    used: String,
    period: String,
}

impl ThresholdAlert {
    fn used_text(&self) -> String {
        let mut parts = vec![match self.allocated_minutes {
            Some(a) => format!("{} h of {} h", hours(self.used_minutes, 1), hours(a, 1)),
            None => format!("{} h", hours(self.used_minutes, 1)),
        }];
        if let (Some(u), Some(a)) = (self.used_amount, self.allocated_amount) {
            parts.push(format!("{u} of {a}"));
        }
        parts.join(", ")
    }

    fn period_text(&self) -> String {
        if self.period_key == "all" {
            String::new()
        } else {
            format!(" ({})", self.period_key)
        }
    }

    /// The provider's e-mail: multipart text and HTML from askama templates.
    pub fn email(&self) -> Result<EmailBody, askama::Error> {
        let subject = format!("Budget alert: {} · {} crossed {}%", self.client_name, self.project_name, self.threshold);
        let text = askama::Template::render(&ThresholdText { a: self, used: self.used_text(), period: self.period_text() })?;
        let html = askama::Template::render(&ThresholdHtml { a: self, used: self.used_text(), period: self.period_text() })?;
        Ok(EmailBody { subject, text, html, list_unsubscribe: None })
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn now() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    #[test]
    fn classifies_answers() {
        assert_eq!(classify("slack", 200, "ok", None, now()), Outcome::Sent);
        assert_eq!(
            classify("slack", 404, "channel_not_found", None, now()),
            Outcome::Permanent { error: "Slack webhook answered 404: channel_not_found".into() }
        );
        assert!(matches!(classify("slack", 410, "channel_is_archived", None, now()), Outcome::Permanent { .. }));
        assert!(matches!(classify("email", 422, "invalid address", None, now()), Outcome::Permanent { .. }));
        assert_eq!(
            classify("slack", 500, "", None, now()),
            Outcome::Retry { error: "Slack webhook answered 500".into(), retry_after_secs: None }
        );
        assert_eq!(
            classify("slack", 429, "rate_limited", Some("30"), now()),
            Outcome::Retry { error: "Slack webhook answered 429: rate_limited".into(), retry_after_secs: Some(30) }
        );
        assert!(matches!(
            classify("email", 503, "", Some("Fri, 20 Nov 2026 12:02:00 GMT"), now()),
            Outcome::Retry { retry_after_secs: Some(120), .. }
        ));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("120", now()), Some(120));
        assert_eq!(parse_retry_after("-5", now()), Some(0));
        assert_eq!(parse_retry_after("999999", now()), Some(86_400));
        assert_eq!(parse_retry_after("Fri, 20 Nov 2026 11:00:00 GMT", now()), Some(0));
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        for id in 1..50 {
            for attempt in 1..=8i64 {
                let base = 60_000i64 * (1 << (attempt - 1));
                let base = base.min(6 * 3_600_000);
                let wait = (retry_at(now(), id, attempt, None) - now()).num_milliseconds();
                assert!(wait >= base * 3 / 4 && wait <= base * 5 / 4, "attempt {attempt}: {wait}");
            }
        }
        // Jitter spreads rows that failed together.
        let waits: std::collections::HashSet<i64> = (1..20).map(|id| (retry_at(now(), id, 1, None) - now()).num_milliseconds()).collect();
        assert!(waits.len() > 10);
        // Retry-After wins when it is longer.
        assert_eq!(retry_at(now(), 1, 1, Some(3600)) - now(), chrono::Duration::seconds(3600));
        // Capped at six hours (+25 %).
        assert!((retry_at(now(), 1, 60, None) - now()).num_minutes() <= 450);
    }

    fn alert() -> ThresholdAlert {
        let aud = crate::money::Currency::parse("AUD").unwrap();
        ThresholdAlert {
            client_name: "Acme <Pty>".into(),
            project_name: "Web & App".into(),
            threshold: 90,
            percent: Decimal::new(923, 1),
            used_minutes: 369 * 60,
            allocated_minutes: Some(400 * 60),
            used_amount: Some(crate::money::Money::new(3_690_000, aud)),
            allocated_amount: Some(crate::money::Money::new(4_000_000, aud)),
            period_key: "2026-11".into(),
            portal_url: "https://portal.example/admin".into(),
        }
    }

    /// Snapshot files under `tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test` rewrites them.
    fn snapshot(name: &str, got: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
        assert_eq!(got, want, "snapshot {name} changed; review and rerun with UPDATE_SNAPSHOTS=1");
    }

    #[test]
    fn threshold_alert_snapshots() {
        let a = alert();
        let e = a.email().unwrap();
        snapshot("threshold_alert.subject.txt", &e.subject);
        snapshot("threshold_alert.txt", &e.text);
        snapshot("threshold_alert.html", &e.html);
        snapshot("threshold_alert.slack.json", &serde_json::to_string_pretty(&a.slack_message()).unwrap());
        // The HTML escapes what staff typed; the text part does not need to.
        assert!(e.html.contains("Acme &#60;Pty&#62;") || e.html.contains("Acme &lt;Pty&gt;"), "{}", e.html);
        assert!(e.text.contains("Acme <Pty> · Web & App"));
    }
}
