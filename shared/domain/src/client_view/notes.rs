//! Staff notes about a project's weeks, as the client sees them.

use crate::ids::ProjectId;
use crate::settings::ViewMode;
use chrono::NaiveDate;
use serde::Serialize;

/// A note staff wrote for the client about one week of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRecord {
    pub id: String,
    pub project_id: ProjectId,
    pub week_start: NaiveDate,
    pub body: String,
    pub author_staff_id: String,
    pub created_at: String,
}

/// A note as the client sees it: the week and the text (not who on staff wrote it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientNote {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub body: String,
}

/// The notes of one project a client may see: in weekly-summary mode none about the current
/// (incomplete) week or later; newest week first.
pub fn project_notes(notes: &[NoteRecord], project: &ProjectId, view: ViewMode, current_week_start: NaiveDate) -> Vec<ClientNote> {
    let mut out: Vec<ClientNote> = notes
        .iter()
        .filter_map(|n| {
            let NoteRecord { id: _, project_id, week_start, body, author_staff_id: _, created_at: _ } = n;
            let hidden = view == ViewMode::WeeklySummary && *week_start >= current_week_start;
            (project_id == project && !hidden).then(|| ClientNote {
                week_start: *week_start,
                week_end: crate::calendar::add_days(*week_start, 6),
                body: body.clone(),
            })
        })
        .collect();
    out.sort_by_key(|n| std::cmp::Reverse(n.week_start));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_hide_the_current_week_in_weekly_summary() {
        let p = ProjectId::parse("prj_1").unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let note = |w: &str, body: &str| NoteRecord {
            id: "n".into(),
            project_id: p.clone(),
            week_start: d(w),
            body: body.into(),
            author_staff_id: "stf_secret".into(),
            created_at: "2026-11-25T10:00:00Z".into(),
        };
        let notes = vec![note("2026-11-16", "old"), note("2026-11-23", "current")];
        let rt = project_notes(&notes, &p, ViewMode::RealTime, d("2026-11-23"));
        assert_eq!(rt.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(), vec!["current", "old"]);
        let ws = project_notes(&notes, &p, ViewMode::WeeklySummary, d("2026-11-23"));
        assert_eq!(ws.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(), vec!["old"]);
        assert!(!serde_json::to_string(&rt).unwrap().contains("stf_secret"));
        let other = ProjectId::parse("prj_2").unwrap();
        assert!(project_notes(&notes, &other, ViewMode::RealTime, d("2026-11-23")).is_empty());
    }
}
