//! Question threads as the client sees them, and the resolution of what a client asks about.
//!
//! Rules (tested below and in `tests/questions.test.mjs`):
//! 1. A client picks a subject by what it sees: a timesheet row (its date and the member, task
//!    and phase labels it shows), a week, a task or phase name, a team member's **label**, or the project.
//!    [`resolve_subject`] turns that into ids using the same labels as every client surface, so a
//!    label the client cannot see (a hidden name) resolves to nothing.
//! 2. A thread's subject is labelled **at read time** from the ids under the client's current
//!    visibility ([`subject_label`]): a later switch to anonymous never shows a name written
//!    down earlier. Staff see real names from the ids on their own pages.
//! 3. Messages from staff are shown as from the provider (not who on staff wrote them);
//!    contacts' messages by the contact's name.

use super::{member_labels, ClientContext, PhaseRecord, TaskRecord};
use crate::calendar::ClientCalendar;
use crate::conversation::{QuestionState, SubjectIds, SubjectKind};
use crate::ids::MemberId;
use crate::settings::ViewMode;
use chrono::NaiveDate;
use serde::Serialize;

/// A stored question with everything staff know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionRecord {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub provider_name: String,
    pub kind: SubjectKind,
    pub subject: SubjectIds,
    pub state: QuestionState,
    pub asked_by: String,
    pub created_at: String,
    pub messages: Vec<MessageRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: String,
    pub from_staff: bool,
    /// The contact's or staff user's name.
    pub author_name: String,
    pub author_id: String,
    pub body: String,
    pub created_at: String,
    pub promoted: bool,
}

/// A thread as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientThread {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub about: SubjectKind,
    /// "Entry on 2026-11-02 · Team member A · Development · Build".
    pub subject: String,
    pub state: QuestionState,
    pub created_at: String,
    pub messages: Vec<ClientMessage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientMessage {
    /// The contact's name, or the provider's name for staff answers.
    pub from: String,
    pub from_provider: bool,
    pub body: String,
    pub at: String,
    /// Promoted to an explanatory note shown to every viewer of the week.
    pub note: bool,
}

/// What the client picked on the ask form or a timesheet link: the week (or, for a row, its
/// date) and the labels the row shows. Labels are what the client sees, never ids.
#[derive(Clone, Debug, Default)]
pub struct SubjectPick<'a> {
    pub date: Option<NaiveDate>,
    pub person: &'a str,
    pub task: &'a str,
    pub phase: &'a str,
}

/// The days the client is shown, for week and row subjects: up to today, and under a weekly
/// summary only complete weeks (before `week_start_today`).
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    pub calendar: &'a ClientCalendar,
    pub today: NaiveDate,
}

impl Shown<'_> {
    fn shows(&self, view: ViewMode, d: NaiveDate) -> bool {
        d <= self.today && (view == ViewMode::RealTime || d < self.calendar.week_of(self.today).start)
    }
}

fn task_name<'a>(tasks: &'a [TaskRecord], id: Option<&str>) -> &'a str {
    match id {
        None => "No task",
        Some(t) => tasks
            .iter()
            .find_map(|r| {
                let TaskRecord { id, name, client_explanation: _, billable_default: _ } = r;
                (id.as_str() == t).then_some(name.as_str())
            })
            .unwrap_or("Other"),
    }
}

fn phase_name<'a>(phases: &'a [PhaseRecord], id: Option<&str>) -> &'a str {
    match id {
        None => "No phase",
        Some(p) => phases
            .iter()
            .find_map(|r| {
                let PhaseRecord { id, name } = r;
                (id.as_str() == p).then_some(name.as_str())
            })
            .unwrap_or("Other"),
    }
}

fn member_label(ctx: &ClientContext, id: Option<&str>) -> String {
    let labels = member_labels(ctx.members, ctx.visibility.team);
    id.and_then(|m| MemberId::parse(m).ok()).and_then(|m| labels.get(&m).cloned()).unwrap_or_else(|| "Team member".to_string())
}

/// The subject under the client's current visibility (rule 2).
pub fn subject_label(ctx: &ClientContext, kind: SubjectKind, s: &SubjectIds) -> String {
    let SubjectIds { week_start, local_date, member_id, task_id, phase_id } = s;
    let week = || week_start.map_or_else(String::new, |w| w.to_string());
    match kind {
        SubjectKind::Entry => format!(
            "Entry on {} · {} · {} · {}",
            local_date.map_or_else(String::new, |d| d.to_string()),
            member_label(ctx, member_id.as_deref()),
            task_name(ctx.tasks, task_id.as_deref()),
            phase_name(ctx.phases, phase_id.as_deref())
        ),
        SubjectKind::Week => format!("Week of {}", week()),
        SubjectKind::Task => format!("Task: {}", task_name(ctx.tasks, task_id.as_deref())),
        SubjectKind::Phase => format!("Phase: {}", phase_name(ctx.phases, phase_id.as_deref())),
        SubjectKind::Person => format!("Team: {}", member_label(ctx, member_id.as_deref())),
        SubjectKind::Project => "The project".to_string(),
    }
}

/// The one projection of a thread (rules 2 and 3).
pub fn client_thread(ctx: &ClientContext, q: &QuestionRecord) -> ClientThread {
    let QuestionRecord { id, project_id, project_name, provider_name, kind, subject, state, asked_by: _, created_at, messages } = q;
    ClientThread {
        id: id.clone(),
        project_id: project_id.clone(),
        project_name: project_name.clone(),
        about: *kind,
        subject: subject_label(ctx, *kind, subject),
        state: *state,
        created_at: created_at.clone(),
        messages: messages
            .iter()
            .map(|m| {
                let MessageRecord { id: _, from_staff, author_name, author_id: _, body, created_at, promoted } = m;
                ClientMessage {
                    from: if *from_staff { provider_name.clone() } else { author_name.clone() },
                    from_provider: *from_staff,
                    body: body.clone(),
                    at: created_at.clone(),
                    note: *promoted,
                }
            })
            .collect(),
    }
}

fn task_id(ctx: &ClientContext, label: &str) -> Result<Option<String>, &'static str> {
    if label == "No task" {
        return Ok(None);
    }
    ctx.tasks
        .iter()
        .find_map(|t| {
            let TaskRecord { id, name, client_explanation: _, billable_default: _ } = t;
            (name == label).then(|| Some(id.as_str().to_string()))
        })
        .ok_or("pick one of the project's tasks")
}

fn phase_id(ctx: &ClientContext, label: &str) -> Result<Option<String>, &'static str> {
    if label == "No phase" {
        return Ok(None);
    }
    ctx.phases
        .iter()
        .find_map(|p| {
            let PhaseRecord { id, name } = p;
            (name == label).then(|| Some(id.as_str().to_string()))
        })
        .ok_or("pick one of the project's phases")
}

fn member_id(ctx: &ClientContext, label: &str) -> Result<String, &'static str> {
    member_labels(ctx.members, ctx.visibility.team)
        .into_iter()
        .find_map(|(id, l)| (l == label).then(|| id.as_str().to_string()))
        .ok_or("pick one of the team as shown on your dashboard")
}

/// Turns what the client picked into stored ids (rule 1): labels through the same labelling as
/// every client surface (a hidden name matches nothing), dates only where the client is shown
/// them. The error names what is wrong.
pub fn resolve_subject(ctx: &ClientContext, kind: SubjectKind, pick: &SubjectPick, shown: Shown) -> Result<SubjectIds, &'static str> {
    let view = ctx.visibility.view;
    match kind {
        SubjectKind::Project => Ok(SubjectIds::default()),
        SubjectKind::Week => {
            let d = pick.date.ok_or("pick a week on the timesheet")?;
            let start = shown.calendar.week_of(d).start;
            if !shown.shows(view, start) {
                return Err("that week is not shown yet");
            }
            Ok(SubjectIds { week_start: Some(start), ..SubjectIds::default() })
        }
        SubjectKind::Task => Ok(SubjectIds {
            task_id: Some(task_id(ctx, pick.task.trim())?.ok_or("pick one of the project's tasks")?),
            ..SubjectIds::default()
        }),
        SubjectKind::Phase => Ok(SubjectIds {
            phase_id: Some(phase_id(ctx, pick.phase.trim())?.ok_or("pick one of the project's phases")?),
            ..SubjectIds::default()
        }),
        SubjectKind::Person => Ok(SubjectIds { member_id: Some(member_id(ctx, pick.person.trim())?), ..SubjectIds::default() }),
        SubjectKind::Entry => {
            let d = pick.date.ok_or("pick a row of the timesheet")?;
            if !shown.shows(view, d) {
                return Err("that day is not shown yet");
            }
            Ok(SubjectIds {
                week_start: Some(shown.calendar.week_of(d).start),
                local_date: Some(d),
                member_id: Some(member_id(ctx, pick.person.trim())?),
                task_id: task_id(ctx, pick.task.trim())?,
                phase_id: phase_id(ctx, pick.phase.trim())?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_view::MemberRecord;
    use crate::settings::{TeamDisplay, Visibility};

    fn members() -> Vec<MemberRecord> {
        vec![MemberRecord {
            id: MemberId::parse("mem_lead").unwrap(),
            name: "Lena Lead".into(),
            role_title: "Lead developer".into(),
            email: "lena@private.test".into(),
            phone: String::new(),
            cost_rate: None,
            default_rate: None,
            personal_notes: String::new(),
            client_seq: 1,
        }]
    }

    #[test]
    fn a_hidden_name_neither_resolves_nor_shows() {
        let ms = members();
        let visibility = Visibility { team: TeamDisplay::Anonymous, view: ViewMode::RealTime, ..Visibility::default() };
        let ctx = ClientContext {
            visibility,
            currency: crate::money::Currency::parse("USD").unwrap(),
            locale: crate::locale::Locale::default(),
            time_zone: chrono_tz::UTC,
            members: &ms,
            tasks: &[],
            phases: &[],
        };
        let cal = ClientCalendar::parse("UTC", "monday").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let shown = Shown { calendar: &cal, today };
        let by_name = SubjectPick { person: "Lena Lead", ..SubjectPick::default() };
        assert!(resolve_subject(&ctx, SubjectKind::Person, &by_name, shown).is_err());
        let row_by_name = SubjectPick { date: Some(today), person: "Lena Lead", task: "No task", phase: "No phase" };
        assert!(resolve_subject(&ctx, SubjectKind::Entry, &row_by_name, shown).is_err());
        let row = SubjectPick { person: "Team member A", ..row_by_name.clone() };
        let ids = resolve_subject(&ctx, SubjectKind::Entry, &row, shown).unwrap();
        assert_eq!(
            (ids.week_start, ids.member_id.as_deref(), ids.task_id.as_deref()),
            (NaiveDate::from_ymd_opt(2026, 11, 23), Some("mem_lead"), None)
        );
        // A day after today, or (weekly summary) in the current week, is not shown: refused.
        let tomorrow = SubjectPick { date: today.succ_opt(), ..row.clone() };
        assert!(resolve_subject(&ctx, SubjectKind::Entry, &tomorrow, shown).is_err());
        let mut weekly = ClientContext { ..ctx };
        weekly.visibility.view = ViewMode::WeeklySummary;
        assert!(resolve_subject(&weekly, SubjectKind::Entry, &row, shown).is_err());
        assert!(resolve_subject(&weekly, SubjectKind::Week, &row, shown).is_err());
        let last_week = SubjectPick { date: NaiveDate::from_ymd_opt(2026, 11, 18), ..row.clone() };
        assert_eq!(
            resolve_subject(&weekly, SubjectKind::Week, &last_week, shown).unwrap().week_start,
            NaiveDate::from_ymd_opt(2026, 11, 16)
        );
        let by_label = SubjectPick { person: "Team member A", ..SubjectPick::default() };
        let ids = resolve_subject(&ctx, SubjectKind::Person, &by_label, shown).unwrap();
        assert_eq!(ids.member_id.as_deref(), Some("mem_lead"));
        assert_eq!(subject_label(&ctx, SubjectKind::Person, &ids), "Team: Team member A");
        // The same ids under names visibility show the name: labels are computed at read time.
        let mut named = ClientContext { ..ctx };
        named.visibility.team = TeamDisplay::Names;
        assert_eq!(subject_label(&named, SubjectKind::Person, &ids), "Team: Lena Lead");
        let q = QuestionRecord {
            id: "q_1".into(),
            project_id: "prj_a".into(),
            project_name: "Website".into(),
            provider_name: "Test Agency".into(),
            kind: SubjectKind::Person,
            subject: ids,
            state: QuestionState::Answered,
            asked_by: "con_ada".into(),
            created_at: "2026-11-25T15:00:00Z".into(),
            messages: vec![MessageRecord {
                id: "m".into(),
                from_staff: true,
                author_name: "Sam Staff".into(),
                author_id: "stf_sam".into(),
                body: "All fine.".into(),
                created_at: "2026-11-25T16:00:00Z".into(),
                promoted: false,
            }],
        };
        let json = serde_json::to_string(&client_thread(&ctx, &q)).unwrap();
        assert!(!json.contains("Lena") && !json.contains("mem_lead") && !json.contains("Sam Staff") && !json.contains("stf_sam"), "{json}");
        assert!(json.contains("Test Agency"));
    }
}
