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
        let mut parts = vec![match self.allocated_minutes {
            Some(a) => format!("{} h of {} h", hours(self.used_minutes, 1), hours(a, 1)),
            None => format!("{} h", hours(self.used_minutes, 1)),
        }];
        if let (Some(u), Some(a)) = (self.used_amount, self.allocated_amount) {
            parts.push(format!("{u} of {a}"));
        }
        let used = parts.join(", ");
        let period = if self.period_key == "all" { String::new() } else { format!(" ({})", self.period_key) };
        let text = format!(
            "{client} · {project}{period}: {percent}% of budget used ({used}) — crossed {t}%",
            client = self.client_name,
            project = self.project_name,
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
