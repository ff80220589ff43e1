//! Notes the provider gets besides threshold alerts (issue 14), each on Slack (Block Kit with a
//! plain-text fallback) and by e-mail (askama, text + HTML):
//! - **run-out**: at the current pace a budget runs out before the project's end date — once per
//!   budget period, and again when the run-out moves earlier by at least [`RUNOUT_EARLIER_DAYS`]
//!   ([`runout_due`]);
//! - **what changed**: the dashboard's callouts (`figures::changes`) of the week just completed,
//!   once per week;
//! - **unmapped entries** waiting to be mapped (at most daily) and **ingest flags** on invoiced
//!   entries (once per new flag).
//!
//! The outbox key of each: (project or '' for provider-wide notes, kind, a number, period).
//! For run-outs the number is the run-out date as days since 1970-01-01, so an earlier date is a
//! new row and the same date is not.

use crate::alert::EmailBody;
use crate::figures::changes::{Callout, Direction};
use crate::money::hours;
use crate::rollup::Dim;
use chrono::NaiveDate;

/// A run-out is told again only when it moves at least this much earlier.
pub const RUNOUT_EARLIER_DAYS: i64 = 7;

/// Days since 1970-01-01 (the run-out's outbox number).
pub fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::default()).num_days()
}

/// Whether a run-out on `date` is to be told, given the earliest run-out already told for this
/// budget period (as a day number), if any.
pub fn runout_due(date: NaiveDate, told: Option<i64>) -> bool {
    match told {
        None => true,
        Some(t) => t - day_number(date) >= RUNOUT_EARLIER_DAYS,
    }
}

/// What a note says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteKind {
    RunOut {
        run_out: NaiveDate,
        end: NaiveDate,
        days_early: i64,
        told_before: Option<NaiveDate>,
    },
    /// The callouts with their names (`Task "Design"`…), for the week starting `week`.
    Changes {
        week: NaiveDate,
        lines: Vec<String>,
    },
    Unmapped {
        count: i64,
    },
    IngestFlags {
        count: i64,
    },
}

/// One note to the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderNote {
    /// "Acme · Website" for project notes; empty for provider-wide ones.
    pub subject: String,
    pub kind: NoteKind,
    pub url: String,
}

/// A callout in words, named by `name` (the provider sees real names).
pub fn callout_line(c: &Callout, name: &str) -> String {
    let what = match c.dim {
        Dim::Task => "Task",
        Dim::Phase => "Phase",
        Dim::Member => "Team member",
        Dim::All => "Project",
    };
    let verb = match c.direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    let per_week = |m: i64, w: i64| hours(m / w.max(1), 1);
    format!(
        "{what} {name}: {verb} to {} h a week over the last {} weeks, from {} h a week over the {} weeks before",
        per_week(c.recent_minutes, c.recent_weeks),
        c.recent_weeks,
        per_week(c.baseline_minutes, c.baseline_weeks),
        c.baseline_weeks
    )
}

#[derive(askama::Template)]
#[template(path = "email/provider_note.txt")]
struct NoteText<'a> {
    title: &'a str,
    lines: &'a [String],
    url: &'a str,
}

#[derive(askama::Template)]
#[template(path = "email/provider_note.html")]
struct NoteHtml<'a> {
    title: &'a str,
    lines: &'a [String],
    url: &'a str,
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl ProviderNote {
    /// The note's outbox kind.
    pub fn kind_key(&self) -> &'static str {
        match self.kind {
            NoteKind::RunOut { .. } => "runout",
            NoteKind::Changes { .. } => "changes",
            NoteKind::Unmapped { .. } => "unmapped",
            NoteKind::IngestFlags { .. } => "ingest_flags",
        }
    }

    fn title(&self) -> String {
        let prefix = if self.subject.is_empty() { String::new() } else { format!("{}: ", self.subject) };
        match &self.kind {
            NoteKind::RunOut { run_out, days_early, told_before: None, .. } => {
                format!("{prefix}the budget runs out on {run_out}, {days_early} days before the end date")
            }
            NoteKind::RunOut { run_out, days_early, told_before: Some(b), .. } => {
                format!("{prefix}the budget now runs out on {run_out} (was {b}), {days_early} days before the end date")
            }
            NoteKind::Changes { week, .. } => format!("{prefix}what changed in the week of {week}"),
            NoteKind::Unmapped { count } => format!("{count} time entries are waiting to be mapped"),
            NoteKind::IngestFlags { count } => format!("{count} changes arrived for invoiced entries and were not applied"),
        }
    }

    fn lines(&self) -> Vec<String> {
        match &self.kind {
            NoteKind::RunOut { end, .. } => vec![format!("At the current pace of the last weeks; the project ends on {end}.")],
            NoteKind::Changes { lines, .. } => lines.clone(),
            NoteKind::Unmapped { .. } => vec!["Map them so their hours count; nothing is lost meanwhile.".to_string()],
            NoteKind::IngestFlags { .. } => vec!["Review them on the invoices they concern.".to_string()],
        }
    }

    pub fn slack_message(&self) -> serde_json::Value {
        let title = slack_escape(&self.title());
        let lines: Vec<String> = self.lines().iter().map(|l| format!("• {}", slack_escape(l))).collect();
        let text = format!("{title}\n{}", lines.join("\n"));
        serde_json::json!({
            "text": text,
            "blocks": [
                { "type": "section", "text": { "type": "mrkdwn", "text": format!("*{title}*\n{}", lines.join("\n")) } },
                { "type": "context", "elements": [ { "type": "mrkdwn", "text": format!("<{}|Open in Clearhours>", self.url) } ] }
            ]
        })
    }

    pub fn email(&self) -> Result<EmailBody, askama::Error> {
        let title = self.title();
        let lines = self.lines();
        let text = askama::Template::render(&NoteText { title: &title, lines: &lines, url: &self.url })?;
        let html = askama::Template::render(&NoteHtml { title: &title, lines: &lines, url: &self.url })?;
        Ok(EmailBody { subject: title, text, html, list_unsubscribe: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn runout_is_told_once_and_again_only_a_week_earlier() {
        assert!(runout_due(d(2026, 12, 17), None));
        let told = Some(day_number(d(2026, 12, 17)));
        assert!(!runout_due(d(2026, 12, 17), told));
        assert!(!runout_due(d(2026, 12, 11), told), "six days earlier");
        assert!(runout_due(d(2026, 12, 10), told), "seven days earlier");
        assert!(!runout_due(d(2026, 12, 30), told), "later");
        assert_eq!(day_number(d(1970, 1, 2)), 1);
    }

    fn snapshot(name: &str, got: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
        assert_eq!(got, want, "snapshot {name} changed; review and rerun with UPDATE_SNAPSHOTS=1");
    }

    #[test]
    fn provider_note_snapshots() {
        let c = Callout {
            dim: Dim::Task,
            id: "tsk_design".into(),
            direction: Direction::Up,
            recent_weeks: 2,
            recent_minutes: 1440,
            baseline_weeks: 6,
            baseline_minutes: 1080,
        };
        let notes = [
            ProviderNote {
                subject: "Acme <Pty> · Web".into(),
                kind: NoteKind::RunOut { run_out: d(2026, 12, 10), end: d(2027, 1, 6), days_early: 27, told_before: Some(d(2026, 12, 17)) },
                url: "https://portal.example/admin/projects/prj_1".into(),
            },
            ProviderNote {
                subject: "Acme <Pty> · Web".into(),
                kind: NoteKind::Changes { week: d(2026, 11, 16), lines: vec![callout_line(&c, "Design")] },
                url: "https://portal.example/admin/projects/prj_1".into(),
            },
            ProviderNote {
                subject: String::new(),
                kind: NoteKind::Unmapped { count: 3 },
                url: "https://portal.example/admin/unmapped".into(),
            },
        ];
        for (i, n) in notes.iter().enumerate() {
            let e = n.email().unwrap();
            snapshot(&format!("provider_note_{i}.txt"), &format!("{}\n---\n{}", e.subject, e.text));
            snapshot(&format!("provider_note_{i}.html"), &e.html);
            snapshot(&format!("provider_note_{i}.slack.json"), &serde_json::to_string_pretty(&n.slack_message()).unwrap());
        }
        assert!(notes[1].email().unwrap().text.contains("Task Design: up to 12.0 h a week over the last 2 weeks, from 3.0 h a week"));
    }
}
