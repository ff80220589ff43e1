//! The admin import policy, pure: what a CSV import may do with a parsed file, how a new
//! integration is named and gets its secret, and which mappings an unmapped entry's reason asks
//! for. The portal's `admin_import` only reads the form, calls storage, and renders.
//!
//! - **All or nothing.** Every row is resolved (read-only) before anything is written. Any
//!   problem — a row that does not parse, or a date out of reason for its project — means
//!   nothing is imported: a dry run answers 200 listing the problems; an import answers 400, or
//!   422 when a date was refused. Only a file without problems is imported, as one batch.
//! - Problems are listed in row order; a refused date names its CSV row and the `Date` column.

use super::csv::{CsvProblem, CsvRow};
use super::mapping::MapKind;
use super::{ExternalEntry, SourceCommand, SourceItem};
use crate::error::ValidationError;

/// Longest integration name.
pub const MAX_NAME: usize = 100;

/// A new integration's name, trimmed; `Err` says what is wrong.
pub fn integration_name(typed: &str) -> Result<String, String> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.contains(char::is_control) {
        return Err(format!("give the integration a name of at most {MAX_NAME} characters"));
    }
    Ok(name.to_string())
}

/// Where a new integration secret comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewSecret {
    /// The pasted secret, checked for the kind.
    Pasted(String),
    /// Generate a Standard Webhooks secret (`whsec_…`, 32 random bytes).
    Webhook,
    /// Generate a random token (Toggl signs with it).
    Token,
}

/// The secret for an integration of `kind`: the pasted one if given (checked), else generated —
/// except Clockify's, which Clockify generates and must be pasted.
pub fn new_secret(kind: &str, pasted: &str) -> Result<NewSecret, String> {
    let pasted = pasted.trim();
    if !pasted.is_empty() {
        return super::check_secret(kind, pasted).map(|()| NewSecret::Pasted(pasted.to_string()));
    }
    match kind {
        "clearhours" => Ok(NewSecret::Webhook),
        "toggl" => Ok(NewSecret::Token),
        "clockify" => Err("paste the signing secret Clockify shows for the webhook".into()),
        _ => Err("kind must be clearhours, toggl or clockify".into()),
    }
}

/// The parsed rows as source items, all under the import's `version`.
pub fn items(rows: &[CsvRow], version: i64) -> Vec<SourceItem> {
    rows.iter().map(|r| SourceItem { version, command: SourceCommand::Upsert(r.entry.clone()) }).collect()
}

/// Every problem of the file in row order: the parser's, then the refused dates (fields
/// `entries[i].date`, `i` an index into `rows`) placed on their CSV rows.
pub fn problems(parsed: &[CsvProblem], rows: &[CsvRow], refused: &ValidationError) -> Vec<CsvProblem> {
    let mut out = parsed.to_vec();
    for f in &refused.errors {
        let i = f.field.strip_prefix("entries[").and_then(|s| s.split(']').next()).and_then(|s| s.parse::<usize>().ok());
        let row = i.and_then(|i| rows.get(i)).map_or(0, |r| r.row);
        out.push(CsvProblem { row, column: "Date".into(), message: f.message.clone() });
    }
    out.sort_by_key(|p| p.row);
    out
}

/// What the request comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Write the whole file in one batch.
    Import,
    /// Write nothing; show the dry run with this status and error (if any).
    DryRun { status: u16, error: Option<String> },
}

/// `import`: the form asked to import (not only to preview); `problems`: as [`problems`] gives
/// them; `dates_refused`: some date was out of reason.
pub fn decide(import: bool, problems: usize, dates_refused: bool) -> Decision {
    match (import, problems) {
        (true, 0) => Decision::Import,
        (false, 0) => Decision::DryRun { status: 200, error: None },
        (true, n) => Decision::DryRun {
            status: if dates_refused { 422 } else { 400 },
            error: Some(format!("Nothing imported: {n} problem(s) below. Fix the file and try again.")),
        },
        (false, n) => Decision::DryRun { status: 200, error: Some(format!("{n} problem(s) below must be fixed before importing.")) },
    }
}

/// A mapping an unmapped entry's reason asks for: kind, match on (`id` or `name`), key, label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub kind: MapKind,
    pub on: &'static str,
    pub key: String,
    pub label: String,
}

/// The mappings `reason` (from `Mappings::resolve`) says are missing for `e`, by id when the
/// source gives one, else by its first name.
pub fn wanted_mappings(e: &ExternalEntry, reason: &str) -> Vec<Wanted> {
    let mut out = Vec::new();
    for (kind, r) in [(MapKind::Project, &e.project), (MapKind::User, &e.user), (MapKind::Task, &e.task)] {
        let Some(r) = r else { continue };
        if !reason.contains(&format!("{} {}", kind.as_str(), r.describe())) {
            continue;
        }
        let (on, key) = match (&r.id, r.names.first()) {
            (Some(i), _) => ("id", i.clone()),
            (None, Some(n)) => ("name", n.clone()),
            (None, None) => continue,
        };
        out.push(Wanted { kind, on, key, label: format!("Map {} {}", kind.as_str(), r.describe()) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ExternalId;
    use crate::sources::mapping::Mappings;
    use crate::sources::ExtRef;

    #[test]
    fn nothing_is_imported_while_any_problem_remains() {
        assert_eq!(decide(true, 0, false), Decision::Import);
        assert_eq!(decide(false, 0, false), Decision::DryRun { status: 200, error: None });
        assert!(
            matches!(decide(true, 2, false), Decision::DryRun { status: 400, error: Some(e) } if e.starts_with("Nothing imported: 2 problem(s)"))
        );
        assert!(matches!(decide(true, 1, true), Decision::DryRun { status: 422, .. }));
        assert!(matches!(decide(false, 1, true), Decision::DryRun { status: 200, error: Some(_) }), "a preview always answers 200");
    }

    fn row(row: usize, x: &str) -> CsvRow {
        CsvRow {
            row,
            entry: ExternalEntry {
                external_id: ExternalId::parse(x).unwrap(),
                workspace: None,
                project: Some(ExtRef { id: Some("p9".into()), names: vec!["Site".into()] }),
                user: Some(ExtRef { id: None, names: vec!["Ann Lee".into()] }),
                task: None,
                started_at: None,
                date: None,
                minutes: 30,
                billable: true,
                description: String::new(),
            },
        }
    }

    #[test]
    fn refused_dates_land_on_their_csv_rows_in_order() {
        let rows = vec![row(2, "a"), row(5, "b")];
        let parsed = vec![CsvProblem { row: 4, column: "Hours".into(), message: "not a number".into() }];
        let mut refused = ValidationError::default();
        refused.push("entries[1].date", "entry b: year 1990 is out of range");
        refused.push("entries[0].date", "entry a: year 1990 is out of range");
        let p = problems(&parsed, &rows, &refused);
        assert_eq!(p.iter().map(|p| (p.row, p.column.as_str())).collect::<Vec<_>>(), vec![(2, "Date"), (4, "Hours"), (5, "Date")]);
    }

    #[test]
    fn names_and_secrets() {
        assert_eq!(integration_name("  Toggl  ").unwrap(), "Toggl");
        assert!(integration_name(" ").is_err());
        assert!(integration_name(&"x".repeat(MAX_NAME + 1)).is_err());
        assert!(integration_name("a\u{7}b").is_err());
        assert_eq!(new_secret("clearhours", ""), Ok(NewSecret::Webhook));
        assert_eq!(new_secret("toggl", " "), Ok(NewSecret::Token));
        assert!(new_secret("clockify", "").unwrap_err().contains("paste"));
        assert_eq!(new_secret("clockify", " 0123456789abcdef "), Ok(NewSecret::Pasted("0123456789abcdef".into())));
        assert!(new_secret("toggl", "short").is_err());
        assert!(new_secret("other", "").is_err());
    }

    #[test]
    fn the_missing_mappings_are_asked_for_by_id_else_by_name() {
        let e = row(2, "a").entry;
        let reason = Mappings::default().resolve(&e).unwrap_err().join("; ");
        let w = wanted_mappings(&e, &reason);
        assert_eq!(
            w.iter().map(|w| (w.kind, w.on, w.key.as_str())).collect::<Vec<_>>(),
            vec![(MapKind::Project, "id", "p9"), (MapKind::User, "name", "Ann Lee")]
        );
        assert!(wanted_mappings(&e, "").is_empty());
    }
}
