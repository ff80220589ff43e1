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
    /// `all` for fixed budgets, `YYYY-MM` for a retainer month.
    pub period_key: String,
    pub portal_url: String,
}

impl ThresholdAlert {
    /// A Slack incoming-webhook message (`text` plus Block Kit blocks).
    pub fn slack_message(&self) -> serde_json::Value {
        let used = hours(self.used_minutes, 1);
        let of = self.allocated_minutes.map(|a| format!(" of {} h", hours(a, 1))).unwrap_or_default();
        let period = if self.period_key == "all" { String::new() } else { format!(" ({})", self.period_key) };
        let text = format!(
            "{client} · {project}{period}: {percent}% of budget used ({used} h{of}) — crossed {t}%",
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
            period_key: "all".into(),
            portal_url: "https://portal.example/p/1".into(),
        };
        let m = a.slack_message();
        let text = m["text"].as_str().unwrap();
        assert_eq!(text, "Acme · Web: 85.1% of budget used (340.0 h of 400.0 h) — crossed 75%");
    }
}
