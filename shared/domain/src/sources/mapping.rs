//! Mapping an outside tracker's workspaces, projects, users and tasks to Clearhours projects,
//! members and tasks.
//!
//! A mapping is (kind, match on, external key) → Clearhours id, per integration:
//! - kind `project` → a project; `user` → a team member; `task` → a task;
//!   `workspace` → a project used for entries of that workspace that name **no** project at all
//!   (an entry naming an unmapped project is never sent to the workspace's project).
//! - match on `id` (the tracker's id, exact) or `name` (compared trimmed, case-insensitively, with
//!   runs of spaces collapsed). Ids are tried first, then each name the source gives (for users:
//!   their display name, then their e-mail address; for Harvest projects also the project code).
//!
//! An entry needs a project and a user; a task only if it names one. Whatever is missing is
//! listed in the reasons, and the entry waits in the unmapped queue.

use super::{ExtRef, ExternalEntry};
use crate::entry::{EntryDraft, When};
use crate::ids::{MemberId, ProjectId, TaskId};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapKind {
    Workspace,
    Project,
    User,
    Task,
}

impl MapKind {
    pub const ALL: [MapKind; 4] = [MapKind::Project, MapKind::User, MapKind::Task, MapKind::Workspace];

    pub fn as_str(self) -> &'static str {
        match self {
            MapKind::Workspace => "workspace",
            MapKind::Project => "project",
            MapKind::User => "user",
            MapKind::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.trim() {
            "workspace" => MapKind::Workspace,
            "project" => MapKind::Project,
            "user" => MapKind::User,
            "task" => MapKind::Task,
            _ => return Err("kind must be workspace, project, user or task".into()),
        })
    }

    /// What the Clearhours side of this kind is.
    pub fn target_label(self) -> &'static str {
        match self {
            MapKind::Workspace | MapKind::Project => "project",
            MapKind::User => "team member",
            MapKind::Task => "task",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchOn {
    Id,
    Name,
}

impl MatchOn {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOn::Id => "id",
            MatchOn::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "id" => Ok(MatchOn::Id),
            "name" => Ok(MatchOn::Name),
            _ => Err("match must be id or name".into()),
        }
    }
}

/// Longest external key accepted.
pub const MAX_EXTERNAL_KEY: usize = 200;

/// The stored form of an external key: ids trimmed, names normalised.
pub fn normalise_key(on: MatchOn, s: &str) -> Result<String, String> {
    let k = match on {
        MatchOn::Id => s.trim().to_string(),
        MatchOn::Name => s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
    };
    if k.is_empty() {
        return Err("the external id or name is empty".into());
    }
    if k.chars().count() > MAX_EXTERNAL_KEY {
        return Err(format!("the external id or name is longer than {MAX_EXTERNAL_KEY} characters"));
    }
    Ok(k)
}

/// One integration's mappings.
#[derive(Clone, Debug, Default)]
pub struct Mappings {
    map: HashMap<(MapKind, MatchOn, String), String>,
}

impl Mappings {
    /// Adds a mapping (the key is normalised here; bad keys are skipped).
    pub fn insert(&mut self, kind: MapKind, on: MatchOn, external: &str, target: &str) {
        if let Ok(k) = normalise_key(on, external) {
            self.map.insert((kind, on, k), target.to_string());
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn lookup(&self, kind: MapKind, r: &ExtRef) -> Option<&str> {
        if let Some(id) = &r.id {
            if let Ok(k) = normalise_key(MatchOn::Id, id) {
                if let Some(t) = self.map.get(&(kind, MatchOn::Id, k)) {
                    return Some(t);
                }
            }
        }
        r.names.iter().find_map(|n| {
            let k = normalise_key(MatchOn::Name, n).ok()?;
            self.map.get(&(kind, MatchOn::Name, k)).map(String::as_str)
        })
    }

    /// The entry with Clearhours ids, or every reason it cannot be mapped yet.
    pub fn resolve(&self, e: &ExternalEntry) -> Result<EntryDraft, Vec<String>> {
        let mut reasons = Vec::new();
        let project = match (&e.project, &e.workspace) {
            (Some(p), _) => match self.lookup(MapKind::Project, p) {
                Some(t) => Some(t),
                None => {
                    reasons.push(format!("project {} is not mapped", p.describe()));
                    None
                }
            },
            (None, Some(w)) => match self.lookup(MapKind::Workspace, w) {
                Some(t) => Some(t),
                None => {
                    reasons.push(format!("the entry has no project and workspace {} has no project mapped", w.describe()));
                    None
                }
            },
            (None, None) => {
                reasons.push("the entry has no project".to_string());
                None
            }
        };
        let member = match &e.user {
            Some(u) => match self.lookup(MapKind::User, u) {
                Some(t) => Some(t),
                None => {
                    reasons.push(format!("user {} is not mapped", u.describe()));
                    None
                }
            },
            None => {
                reasons.push("the entry has no user".to_string());
                None
            }
        };
        let task = match &e.task {
            Some(t) => match self.lookup(MapKind::Task, t) {
                Some(x) => Some(x),
                None => {
                    reasons.push(format!("task {} is not mapped", t.describe()));
                    None
                }
            },
            None => None,
        };
        let when = match (e.started_at, e.date) {
            (Some(t), _) => Some(When::StartedAt(t)),
            (None, Some(d)) => Some(When::LocalDate(d)),
            (None, None) => {
                reasons.push("the entry has no date".to_string());
                None
            }
        };
        // Targets were checked when the mapping was saved; a bad stored one is a reason too.
        let project_id =
            project.and_then(|p| ProjectId::parse(p).map_err(|_| reasons.push(format!("mapped project {p:?} is not a valid id"))).ok());
        let member_id =
            member.and_then(|m| MemberId::parse(m).map_err(|_| reasons.push(format!("mapped member {m:?} is not a valid id"))).ok());
        let task_id = match task {
            Some(t) => match TaskId::parse(t) {
                Ok(t) => Some(t),
                Err(_) => {
                    reasons.push(format!("mapped task {t:?} is not a valid id"));
                    None
                }
            },
            None => None,
        };
        match (project_id, member_id, when) {
            (Some(project_id), Some(member_id), Some(when)) if reasons.is_empty() => Ok(EntryDraft {
                external_id: e.external_id.clone(),
                project_id,
                member_id,
                task_id,
                phase_id: None,
                when,
                minutes: e.minutes,
                billable: e.billable,
                description: e.description.clone(),
                internal_note: String::new(),
                rate: None,
            }),
            _ => Err(reasons),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ExternalId;
    use chrono::NaiveDate;

    fn entry() -> ExternalEntry {
        ExternalEntry {
            external_id: ExternalId::parse("38291").unwrap(),
            workspace: Some(ExtRef::id("55")),
            project: Some(ExtRef { id: Some("201".into()), names: vec!["Website  Relaunch".into()] }),
            user: Some(ExtRef { id: Some("9120".into()), names: vec!["Grace Hopper".into(), "grace@agency.example".into()] }),
            task: None,
            started_at: None,
            date: NaiveDate::from_ymd_opt(2026, 11, 23),
            minutes: 90,
            billable: true,
            description: "x".into(),
        }
    }

    #[test]
    fn ids_then_names_and_reasons() {
        let mut m = Mappings::default();
        let err = m.resolve(&entry()).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(err[0].contains("project 201"));
        m.insert(MapKind::Project, MatchOn::Name, " website relaunch ", "prj_a");
        m.insert(MapKind::User, MatchOn::Name, "GRACE@agency.example", "mem_lead");
        let d = m.resolve(&entry()).unwrap();
        assert_eq!(d.project_id.as_str(), "prj_a");
        assert_eq!(d.member_id.as_str(), "mem_lead");
        m.insert(MapKind::Project, MatchOn::Id, "201", "prj_b");
        assert_eq!(m.resolve(&entry()).unwrap().project_id.as_str(), "prj_b");
        let mut t = entry();
        t.task = Some(ExtRef::id("7"));
        assert!(m.resolve(&t).unwrap_err()[0].contains("task 7"));
    }

    #[test]
    fn workspace_only_when_no_project() {
        let mut m = Mappings::default();
        m.insert(MapKind::Workspace, MatchOn::Id, "55", "prj_ws");
        m.insert(MapKind::User, MatchOn::Id, "9120", "mem_1");
        assert!(m.resolve(&entry()).is_err());
        let mut e = entry();
        e.project = None;
        assert_eq!(m.resolve(&e).unwrap().project_id.as_str(), "prj_ws");
    }
}
