//! Questions between a client's contacts and the provider's staff (issue 15): what a question is
//! about, its states, and the provider's response-time figure. Pure: no I/O, no clock (callers
//! pass timestamps). What a client sees of a thread is decided in `client_view::questions`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// What a question is about. The client picks a subject by what it sees (a timesheet row, a
/// week, a task or phase name, a team member's *label*); the server resolves it to ids, so the
/// stored subject never holds a label or a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Entry,
    Week,
    Task,
    Phase,
    Person,
    Project,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 6] = [Self::Entry, Self::Week, Self::Task, Self::Phase, Self::Person, Self::Project];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Week => "week",
            Self::Task => "task",
            Self::Phase => "phase",
            Self::Person => "person",
            Self::Project => "project",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A thread's state: `open` until staff answer, `answered` after, `resolved` when either side
/// closes it. A new client message reopens an answered or resolved thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionState {
    Open,
    Answered,
    Resolved,
}

impl QuestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Answered, Self::Resolved].into_iter().find(|k| k.as_str() == s)
    }
    /// The state after a message from staff (`true`) or from the client.
    pub fn after_message(self, from_staff: bool) -> Self {
        if from_staff {
            Self::Answered
        } else {
            Self::Open
        }
    }
}

/// Most characters in one message.
pub const MAX_BODY: usize = 4000;

/// A message body as typed: trimmed, 1..=[`MAX_BODY`] characters, no control characters but
/// line breaks and tabs. The error says what is wrong.
pub fn check_body(body: &str) -> Result<String, &'static str> {
    let b = body.trim();
    if b.is_empty() {
        return Err("write your message");
    }
    if b.chars().count() > MAX_BODY {
        return Err("a message has at most 4,000 characters");
    }
    if b.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err("the message contains control characters; write plain text");
    }
    Ok(b.to_string())
}

/// The subject as stored (ids only), resolved from what the client picked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectIds {
    pub week_start: Option<NaiveDate>,
    pub local_date: Option<NaiveDate>,
    pub member_id: Option<String>,
    pub task_id: Option<String>,
    pub phase_id: Option<String>,
}

/// The median, in whole minutes (the lower middle for an even count), of the time from each
/// question to its first staff answer; `None` when there are none. Callers pass the questions
/// asked in the window (e.g. 30 days) that have an answer.
pub fn median_response_minutes(pairs: &[(DateTime<Utc>, DateTime<Utc>)]) -> Option<i64> {
    let mut mins: Vec<i64> = pairs.iter().map(|(asked, answered)| (*answered - *asked).num_minutes().max(0)).collect();
    if mins.is_empty() {
        return None;
    }
    mins.sort_unstable();
    mins.get((mins.len() - 1) / 2).copied()
}

/// "3 min", "5 h 20 min", "2 d 4 h": an age or a response time.
pub fn duration_label(minutes: i64) -> String {
    let m = minutes.max(0);
    if m < 60 {
        format!("{m} min")
    } else if m < 24 * 60 {
        match m % 60 {
            0 => format!("{} h", m / 60),
            r => format!("{} h {r} min", m / 60),
        }
    } else {
        match (m / 60) % 24 {
            0 => format!("{} d", m / (24 * 60)),
            h => format!("{} d {h} h", m / (24 * 60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64, m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap() + chrono::Duration::minutes(h * 60 + m)
    }

    #[test]
    fn median_is_the_lower_middle() {
        assert_eq!(median_response_minutes(&[]), None);
        assert_eq!(median_response_minutes(&[(t(0, 0), t(1, 0))]), Some(60));
        assert_eq!(median_response_minutes(&[(t(0, 0), t(0, 10)), (t(0, 0), t(3, 0)), (t(0, 0), t(0, 30))]), Some(30));
        assert_eq!(median_response_minutes(&[(t(0, 0), t(0, 10)), (t(0, 0), t(0, 20))]), Some(10));
        // An answer stamped before its question (clock skew) counts as 0, not negative.
        assert_eq!(median_response_minutes(&[(t(1, 0), t(0, 0))]), Some(0));
    }

    #[test]
    fn bodies_and_states() {
        assert_eq!(check_body("  why 14 h?  "), Ok("why 14 h?".into()));
        assert!(check_body("   ").is_err());
        assert!(check_body("a\0b").is_err());
        assert!(check_body(&"x".repeat(4001)).is_err());
        assert!(check_body(&"é".repeat(4000)).is_ok());
        assert_eq!(QuestionState::Resolved.after_message(false), QuestionState::Open);
        assert_eq!(QuestionState::Open.after_message(true), QuestionState::Answered);
        for k in SubjectKind::ALL {
            assert_eq!(SubjectKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SubjectKind::parse("member"), None);
        assert_eq!(duration_label(5), "5 min");
        assert_eq!(duration_label(320), "5 h 20 min");
        assert_eq!(duration_label(60 * 52), "2 d 4 h");
    }
}
