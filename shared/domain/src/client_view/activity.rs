//! The portal activity a contact sees (`/activity`, `/api/v1/activity`): who on the client's
//! side opened what, in the client's time zone, with names instead of ids. Which rows a contact
//! may see at all is decided by the storage query (their own rows, and colleagues' rows about
//! projects they may see); this projection decides what of each row shows: another person's IP
//! address never does.

use crate::audit::words;
use crate::calendar::ClientCalendar;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One access-log row as the provider stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    /// A project id, or "" (other targets never reach a client: see [`project_activity`]).
    pub target: String,
    pub target_name: String,
    pub outcome: String,
    pub ip: String,
}

/// One line of the client's activity page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientActivity {
    /// For paging (`?before=`).
    pub id: i64,
    /// RFC 3339 in the client's time zone.
    pub at: String,
    /// The same instant written for people, in the client's zone.
    pub when: String,
    /// "You" or the colleague's name.
    pub who: String,
    pub what: String,
    /// The project's name, when the row is about a project the contact may see.
    pub project: Option<String>,
    pub outcome: String,
    /// Only on the contact's own rows.
    pub ip: Option<String>,
}

/// Projects rows for the contact `viewer`. `visible_project` says whether a target id is a
/// project this contact may see; any other target is dropped from the line.
pub fn project_activity(
    cal: &ClientCalendar,
    viewer: &str,
    rows: Vec<ActivityRecord>,
    visible_project: impl Fn(&str) -> bool,
) -> Vec<ClientActivity> {
    rows.into_iter()
        .map(|r| {
            let ActivityRecord { seq, at, actor_id, actor_name, action, target, target_name, outcome, ip } = r;
            let own = actor_id == viewer;
            ClientActivity {
                id: seq,
                at: words::local_rfc3339(at, cal.tz),
                when: words::local_time(at, cal.tz),
                who: if own {
                    "You".to_string()
                } else if actor_name.is_empty() {
                    "A colleague".to_string()
                } else {
                    actor_name
                },
                what: words::action(&action),
                project: (!target.is_empty() && visible_project(&target)).then_some(if target_name.is_empty() {
                    target
                } else {
                    target_name
                }),
                outcome: words::outcome(&outcome),
                ip: (own && !ip.is_empty()).then_some(ip),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn rec(actor: &str, target: &str, ip: &str) -> ActivityRecord {
        ActivityRecord {
            seq: 1,
            at: DateTime::parse_from_rfc3339("2026-11-25T23:30:00Z").unwrap().with_timezone(&Utc),
            actor_id: actor.into(),
            actor_name: format!("Name of {actor}"),
            action: "view_project".into(),
            target: target.into(),
            target_name: format!("Project {target}"),
            outcome: "success".into(),
            ip: ip.into(),
        }
    }

    #[test]
    fn only_own_rows_show_an_ip_and_times_are_local() {
        let cal = ClientCalendar::new("Australia/Sydney", Weekday::Mon).unwrap();
        let out = project_activity(&cal, "me", vec![rec("me", "p1", "10.0.0.1"), rec("colleague", "p1", "10.0.0.2")], |p| p == "p1");
        assert_eq!(out[0].who, "You");
        assert_eq!(out[0].ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(out[1].who, "Name of colleague");
        assert_eq!(out[1].ip, None);
        assert_eq!(out[0].at, "2026-11-26T10:30:00+11:00");
        assert_eq!(out[0].when, "26 Nov 2026, 10:30:00 AEDT");
        assert_eq!(out[0].project.as_deref(), Some("Project p1"));
        assert_eq!(out[0].what, "Viewed a project dashboard");
    }

    #[test]
    fn targets_that_are_not_visible_projects_are_dropped() {
        let cal = ClientCalendar::new("UTC", Weekday::Mon).unwrap();
        let out = project_activity(&cal, "me", vec![rec("me", "prj_other", "")], |p| p == "p1");
        assert_eq!(out[0].project, None);
        assert_eq!(out[0].ip, None);
    }
}
