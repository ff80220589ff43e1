//! Access-log codes in words, for the log pages (staff and client).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Every action code the portal records, with its words (the log pages' filter lists them).
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "Signed in"),
    ("login_link", "Signed in with an e-mailed link"),
    ("logout", "Signed out"),
    ("lockout", "Sign-ins locked after repeated failures"),
    ("mfa", "Two-step verification"),
    ("mfa_enroll", "Set up two-step verification"),
    ("password_reset", "Reset the password"),
    ("password_reset_requested", "Asked for a password reset link"),
    ("sign_in_link_requested", "Asked for a sign-in link"),
    ("accept_invitation", "Accepted the invitation"),
    ("request", "Opened a page"),
    ("view_projects", "Viewed the project list"),
    ("view_project", "Viewed a project dashboard"),
    ("view_entries", "Viewed a timesheet"),
    ("view_activity", "Viewed the portal activity"),
    ("api_projects", "Read the project list (API)"),
    ("api_dashboard", "Read a project dashboard (API)"),
    ("api_entries", "Read a timesheet (API)"),
    ("export", "Exported time entries"),
    ("export_entries", "Exported time entries"),
    ("admin_view", "Viewed an admin page"),
    ("admin_export", "Exported data"),
    ("admin_preview", "Previewed the portal as a contact"),
    ("admin_visibility", "Changed what the client sees"),
    ("admin_idle_timeout", "Changed the session timeout"),
    ("admin_mfa_required", "Changed the two-step requirement"),
    ("admin_ip_allowlist", "Changed the allowed networks"),
    ("admin_staff_security", "Changed staff security settings"),
    ("admin_note_add", "Added a note for the client"),
    ("admin_note_delete", "Deleted a note for the client"),
    ("admin_contact_create", "Added a portal account"),
    ("admin_invite", "Sent an invitation"),
    ("admin_contact_invite", "Sent an invitation"),
    ("admin_contact_revoke", "Revoked an invitation"),
    ("admin_contact_disable", "Disabled a portal account"),
    ("admin_contact_enable", "Enabled a portal account"),
    ("admin_contact_reset-mfa", "Reset a contact's two-step verification"),
    ("admin_project_create", "Created a project"),
    ("admin_project_update", "Changed a project"),
    ("admin_project_archive", "Archived a project"),
    ("admin_project_unarchive", "Restored a project"),
    ("admin_phase_create", "Added a phase"),
    ("admin_phase_rename", "Renamed a phase"),
    ("admin_task_create", "Added a task"),
    ("admin_task_update", "Changed a task"),
    ("admin_member_create", "Added a team member"),
    ("admin_member_update", "Changed a team member"),
    ("admin_integration_create", "Added an integration"),
    ("admin_integration_secret", "Rotated an integration secret"),
    ("admin_mapping_save", "Saved a mapping"),
    ("admin_mapping_delete", "Deleted a mapping"),
    ("admin_import", "Imported time entries"),
    ("admin_flag_resolve", "Resolved an ingest flag"),
    ("audit_verify", "Verified the access log"),
    ("audit_checkpoint", "Downloaded an access-log checkpoint"),
];

/// What an action code means, in a few words. Unknown codes read as their words.
pub fn action(code: &str) -> String {
    ACTIONS.iter().find(|(c, _)| *c == code).map_or_else(|| code.replace(['_', '-'], " "), |(_, w)| (*w).to_string())
}

/// What an outcome code means.
pub fn outcome(code: &str) -> String {
    let s = match code {
        "success" => "OK",
        "failure" => "Failed",
        "throttled" => "Refused: too many attempts",
        "locked" => "Locked",
        "ip_denied" => "Refused: network not allowed",
        "not_found" => "Not found",
        "unknown_account" => "Failed: no such account",
        other => return other.replace(['_', '-'], " "),
    };
    s.to_string()
}

/// An instant in a time zone, for a log line: `25 Nov 2026, 11:00:05 CET`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%-d %b %Y, %H:%M:%S %Z").to_string()
}

/// The same instant as RFC 3339 with the zone's offset (for `<time datetime>` and JSON).
pub fn local_rfc3339(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(action("view_project"), "Viewed a project dashboard");
        assert_eq!(action("admin_something_new"), "admin something new");
        assert_eq!(outcome("ip_denied"), "Refused: network not allowed");
    }

    #[test]
    fn times_are_local() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T23:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(local_time(at, chrono_tz::Australia::Sydney), "26 Nov 2026, 10:30:00 AEDT");
        assert_eq!(local_rfc3339(at, chrono_tz::Europe::Berlin), "2026-11-26T00:30:00+01:00");
    }
}
