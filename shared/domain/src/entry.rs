//! Time entries: the validated command an ingest source produces, and its resolution against the
//! project (local date in the client's calendar, rate, amount).
//!
//! Parsing goes through `serde_json::Value` and [`Fields`] so that every error names its field
//! path (`entries[2].minutes`), which a typed serde derive cannot do.

use crate::calendar::{Bucket, ClientCalendar};
use crate::error::ValidationError;
use crate::ids::{check_id, ClientId, ExternalId, MemberId, PhaseId, ProjectId, TaskId};
use crate::money::{HourlyRate, Money};
use crate::project::Project;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

/// Most entries one request may carry.
pub const MAX_BATCH: usize = 100;
/// Longest single entry: a day.
pub const MAX_MINUTES: i64 = 24 * 60;
pub const MAX_DESCRIPTION: usize = 2_000;
pub const MAX_INTERNAL_NOTE: usize = 5_000;

/// When an entry happened: a local date in the client's calendar, or a start instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    LocalDate(NaiveDate),
    StartedAt(DateTime<Utc>),
}

/// An entry as a source describes it, validated but not yet placed in a client's calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryDraft {
    pub external_id: ExternalId,
    pub project_id: ProjectId,
    pub member_id: MemberId,
    pub task_id: Option<TaskId>,
    pub phase_id: Option<PhaseId>,
    pub when: When,
    pub minutes: i64,
    pub billable: bool,
    pub description: String,
    pub internal_note: String,
    pub rate: Option<HourlyRate>,
}

/// What one item of a delivery asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryCommand {
    Upsert(EntryDraft),
    Delete { external_id: ExternalId },
}

/// An entry placed in its client's calendar and priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedEntry {
    pub draft: EntryDraft,
    /// The project's client: the tenant the entry belongs to.
    pub client_id: ClientId,
    pub local_date: NaiveDate,
    pub started_at: Option<DateTime<Utc>>,
    pub bucket: Bucket,
    pub rate: Option<HourlyRate>,
    pub amount: Money,
}

/// Earliest year an entry may be dated in (every source; see [`check_date`]).
pub const MIN_YEAR: i32 = 2000;
/// Latest year an entry may be dated in.
pub const MAX_YEAR: i32 = 2100;
/// How far outside the project's life an entry may be dated, in days: trackers are often set
/// up a little before a project formally starts and keep running a little after it ends, but
/// not by more than a year.
pub const PROJECT_MARGIN_DAYS: i64 = 366;

/// Dates within reason, before anything is stored: years [`MIN_YEAR`]–[`MAX_YEAR`] (checked
/// by every source before mapping, so such an entry is refused, not queued).
pub fn check_year(date: NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(())
    } else {
        Err(format!("{date} is outside the years {MIN_YEAR}–{MAX_YEAR}"))
    }
}

/// Dates within reason for `project`: [`check_year`], and not more than
/// [`PROJECT_MARGIN_DAYS`] before the project starts or after it ends (open-ended projects have
/// no upper bound but the year). The message names the date and the bound.
pub fn check_date(date: NaiveDate, project: &Project) -> Result<(), String> {
    check_year(date)?;
    let earliest = crate::calendar::add_days(project.starts_on, -PROJECT_MARGIN_DAYS);
    if date < earliest {
        return Err(format!("{date} is more than a year before the project starts ({})", project.starts_on));
    }
    if let Some(end) = project.ends_on {
        if date > crate::calendar::add_days(end, PROJECT_MARGIN_DAYS) {
            return Err(format!("{date} is more than a year after the project ends ({end})"));
        }
    }
    Ok(())
}

/// Places a draft in the client's calendar and prices it with its own rate or the project's.
pub fn resolve(draft: EntryDraft, project: &Project, calendar: &ClientCalendar) -> ResolvedEntry {
    let (local_date, started_at) = match draft.when {
        When::LocalDate(d) => (d, None),
        When::StartedAt(t) => (calendar.local_date(t), Some(t)),
    };
    let rate = draft.rate.or(project.default_rate);
    let amount = match (draft.billable, rate) {
        (true, Some(r)) => r.amount_for(draft.minutes, project.currency),
        _ => Money::new(0, project.currency),
    };
    ResolvedEntry {
        client_id: project.client_id.clone(),
        bucket: calendar.bucket_of(local_date),
        local_date,
        started_at,
        rate,
        amount,
        draft,
    }
}

/// Reads fields of one JSON object, collecting errors with their paths.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    pub errors: ValidationError,
}

impl<'a> Fields<'a> {
    /// `None` (with an error recorded under `path`) when `v` is not an object.
    pub fn of(v: &'a Value, errors: &mut ValidationError, path: &str) -> Option<Self> {
        match v.as_object() {
            Some(obj) => Some(Self { obj, errors: ValidationError::default() }),
            None => {
                errors.push(path, "must be a JSON object");
                None
            }
        }
    }

    fn present(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    pub fn opt_str(&mut self, key: &str, max_chars: usize) -> Option<String> {
        match self.present(key) {
            None => None,
            Some(Value::String(s)) if s.chars().count() <= max_chars => Some(s.clone()),
            Some(Value::String(_)) => {
                self.errors.push(key, format!("must be at most {max_chars} characters"));
                None
            }
            Some(_) => {
                self.errors.push(key, "must be a string");
                None
            }
        }
    }

    pub fn req_str(&mut self, key: &str, max_chars: usize) -> Option<String> {
        if self.present(key).is_none() {
            self.errors.push(key, "is required");
            return None;
        }
        self.opt_str(key, max_chars)
    }

    pub fn opt_id<T>(&mut self, key: &str, parse: fn(&str) -> Result<T, crate::ids::IdError>) -> Option<T> {
        let s = self.opt_str(key, crate::ids::MAX_ID_LEN * 4)?;
        match parse(&s) {
            Ok(id) => Some(id),
            Err(e) => {
                self.errors.push(key, e.to_string());
                None
            }
        }
    }

    pub fn req_id<T>(&mut self, key: &str, parse: fn(&str) -> Result<T, crate::ids::IdError>) -> Option<T> {
        if self.present(key).is_none() {
            self.errors.push(key, "is required");
            return None;
        }
        self.opt_id(key, parse)
    }

    pub fn opt_bool(&mut self, key: &str) -> Option<bool> {
        match self.present(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.errors.push(key, "must be true or false");
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn req_int(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        match self.present(key) {
            None => {
                self.errors.push(key, "is required");
                None
            }
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Some(n),
                Some(_) => {
                    self.errors.push(key, format!("must be between {min} and {max}"));
                    None
                }
                None => {
                    self.errors.push(key, "must be a whole number");
                    None
                }
            },
        }
    }

    pub fn present_keys(&self) -> impl Iterator<Item = &'a String> {
        self.obj.keys()
    }
}

const ENTRY_KEYS: &[&str] = &[
    "op",
    "external_id",
    "project_id",
    "member_id",
    "task_id",
    "phase_id",
    "date",
    "started_at",
    "minutes",
    "billable",
    "description",
    "internal_note",
    "rate",
];

/// Parses one item of a Clearhours API delivery (see `openapi.yaml`, `EntryCommand`).
pub fn parse_command(v: &Value) -> Result<EntryCommand, ValidationError> {
    let mut outer = ValidationError::default();
    let Some(mut f) = Fields::of(v, &mut outer, "") else { return Err(outer) };
    for k in f.present_keys() {
        if !ENTRY_KEYS.contains(&k.as_str()) {
            outer.push(k.as_str(), "is not a known field");
        }
    }
    let op = f.opt_str("op", 16).unwrap_or_else(|| "upsert".into());
    let external_id = f.req_id("external_id", ExternalId::parse);
    match op.as_str() {
        "delete" => {
            outer.errors.extend(f.errors.errors);
            return match external_id {
                Some(external_id) if outer.is_empty() => Ok(EntryCommand::Delete { external_id }),
                _ => Err(outer),
            };
        }
        "upsert" => {}
        _ => f.errors.push("op", "must be \"upsert\" or \"delete\""),
    }
    let project_id = f.req_id("project_id", ProjectId::parse);
    let member_id = f.req_id("member_id", MemberId::parse);
    let task_id = f.opt_id("task_id", TaskId::parse);
    let phase_id = f.opt_id("phase_id", PhaseId::parse);
    let date = f.opt_str("date", 10);
    let started_at = f.opt_str("started_at", 40);
    let when = match (date, started_at) {
        (Some(d), None) => match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => Some(When::LocalDate(d)),
            Err(_) => {
                f.errors.push("date", "must be a date YYYY-MM-DD");
                None
            }
        },
        (None, Some(s)) => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(When::StartedAt(t.with_timezone(&Utc))),
            Err(_) => {
                f.errors.push("started_at", "must be an RFC 3339 timestamp with offset");
                None
            }
        },
        (Some(_), Some(_)) => {
            f.errors.push("date", "give either date or started_at, not both");
            None
        }
        (None, None) => {
            f.errors.push("date", "is required (or started_at)");
            None
        }
    };
    let minutes = f.req_int("minutes", 1, MAX_MINUTES);
    let billable = f.opt_bool("billable").unwrap_or(true);
    let description = f.opt_str("description", MAX_DESCRIPTION).unwrap_or_default();
    let internal_note = f.opt_str("internal_note", MAX_INTERNAL_NOTE).unwrap_or_default();
    let rate = f.opt_str("rate", 32).and_then(|s| match HourlyRate::parse(&s) {
        Ok(r) => Some(r),
        Err(e) => {
            f.errors.push("rate", e);
            None
        }
    });
    outer.errors.extend(f.errors.errors);
    match (external_id, project_id, member_id, when, minutes) {
        (Some(external_id), Some(project_id), Some(member_id), Some(when), Some(minutes)) if outer.is_empty() => {
            Ok(EntryCommand::Upsert(EntryDraft {
                external_id,
                project_id,
                member_id,
                task_id,
                phase_id,
                when,
                minutes,
                billable,
                description: description.trim().to_string(),
                internal_note,
                rate,
            }))
        }
        _ => Err(outer),
    }
}

/// Parses a whole delivery body `{"entries": [...]}`: 1..=100 commands, external ids unique.
pub fn parse_delivery(body: &[u8]) -> Result<Vec<EntryCommand>, ValidationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ValidationError::one("body", format!("is not valid JSON: {e}")))?;
    let Some(items) = v.get("entries").and_then(Value::as_array) else {
        return Err(ValidationError::one("entries", "is required and must be an array"));
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ValidationError::one("entries", format!("must hold 1 to {MAX_BATCH} entries")));
    }
    let mut errors = ValidationError::default();
    let mut commands = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        match parse_command(item) {
            Ok(c) => {
                let ext = match &c {
                    EntryCommand::Upsert(d) => d.external_id.clone(),
                    EntryCommand::Delete { external_id } => external_id.clone(),
                };
                if !seen.insert(ext) {
                    errors.push(format!("entries[{i}].external_id"), "appears twice in this delivery");
                }
                commands.push(c);
            }
            Err(e) => errors.errors.extend(e.prefixed(&format!("entries[{i}]")).errors),
        }
    }
    errors.into_result(commands)
}

/// Whether a string is usable as an external id (re-exported check for other sources).
pub fn is_valid_external_id(s: &str) -> bool {
    check_id(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ClientCalendar;
    use crate::money::Currency;
    use crate::project::Thresholds;

    fn project() -> Project {
        Project {
            id: ProjectId::parse("prj_1").unwrap(),
            client_id: ClientId::parse("cli_1").unwrap(),
            name: "Web".into(),
            currency: Currency::parse("USD").unwrap(),
            budget: None,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
            default_rate: Some(HourlyRate::parse("120").unwrap()),
            thresholds: Thresholds::default(),
        }
    }

    #[test]
    fn parses_a_valid_delivery() {
        let body = br#"{"entries":[{"external_id":"e1","project_id":"prj_1","member_id":"mem_1","date":"2026-11-20","minutes":90,"description":" Login page "},{"op":"delete","external_id":"e2"}]}"#;
        let cmds = parse_delivery(body).unwrap();
        assert_eq!(cmds.len(), 2);
        let EntryCommand::Upsert(d) = &cmds[0] else { panic!("upsert expected") };
        assert_eq!(d.minutes, 90);
        assert!(d.billable);
        assert_eq!(d.description, "Login page");
        assert!(matches!(&cmds[1], EntryCommand::Delete { .. }));
    }

    #[test]
    fn errors_name_each_field() {
        let body = br#"{"entries":[{"external_id":"e1","project_id":"prj 1","member_id":"mem_1","date":"20-11-2026","minutes":0,"billable":"yes","colour":1}]}"#;
        let err = parse_delivery(body).unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["entries[0].colour", "entries[0].project_id", "entries[0].date", "entries[0].minutes", "entries[0].billable"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(parse_delivery(b"{").unwrap_err().errors[0].field, "body");
        assert_eq!(parse_delivery(b"{}").unwrap_err().errors[0].field, "entries");
        assert_eq!(parse_delivery(br#"{"entries":[]}"#).unwrap_err().errors[0].field, "entries");
        let dup = br#"{"entries":[{"op":"delete","external_id":"a"},{"op":"delete","external_id":"a"}]}"#;
        assert_eq!(parse_delivery(dup).unwrap_err().errors[0].field, "entries[1].external_id");
        let many = format!(r#"{{"entries":[{}]}}"#, vec![r#"{"op":"delete","external_id":"a"}"#; 101].join(","));
        assert!(parse_delivery(many.as_bytes()).is_err());
    }

    #[test]
    fn resolve_places_and_prices() {
        let cal = ClientCalendar::parse("America/New_York", "monday").unwrap();
        let body = br#"{"entries":[{"external_id":"e1","project_id":"prj_1","member_id":"mem_1","started_at":"2026-11-23T04:30:00Z","minutes":45}]}"#;
        let EntryCommand::Upsert(d) = parse_delivery(body).unwrap().remove(0) else { panic!() };
        let r = resolve(d, &project(), &cal);
        assert_eq!(r.local_date, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(r.bucket.week_start, NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(r.amount.minor, 9_000);
    }

    #[test]
    fn dates_within_reason() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut p = project();
        for bad in ["0001-01-01", "1900-01-01", "1999-12-31", "2101-01-01", "2200-06-01", "9999-12-31"] {
            assert!(check_year(d(bad)).is_err(), "{bad}");
            assert!(check_date(d(bad), &p).unwrap_err().contains(bad), "{bad}");
        }
        assert!(check_year(d("2000-01-01")).is_ok() && check_year(d("2100-12-31")).is_ok());
        // Project 2026-01-01, open-ended: up to a year before; after, only the year bounds.
        assert!(check_date(d("2025-01-01"), &p).is_ok());
        assert!(check_date(d("2024-12-30"), &p).unwrap_err().contains("before the project starts (2026-01-01)"));
        assert!(check_date(d("2100-12-31"), &p).is_ok());
        p.ends_on = Some(d("2026-06-30"));
        assert!(check_date(d("2027-07-01"), &p).is_ok());
        assert!(check_date(d("2027-07-02"), &p).unwrap_err().contains("after the project ends (2026-06-30)"));
        assert!(check_date(NaiveDate::MAX, &p).is_err() && check_date(NaiveDate::MIN, &p).is_err());
    }

    proptest::proptest! {
        /// Any date and project life: an answer, never a panic; accepted dates obey the bounds.
        #[test]
        fn date_checks_never_panic(day in proptest::prelude::any::<i32>(), start in -1_000_000i32..1_000_000, len in proptest::option::of(0i64..100_000)) {
            use chrono::Datelike;
            let Some(date) = NaiveDate::from_num_days_from_ce_opt(day) else { return Ok(()) };
            let starts_on = NaiveDate::from_num_days_from_ce_opt(start).unwrap_or(NaiveDate::MIN);
            let p = Project { starts_on, ends_on: len.map(|n| crate::calendar::add_days(starts_on, n)), ..project() };
            if check_date(date, &p).is_ok() {
                proptest::prop_assert!((MIN_YEAR..=MAX_YEAR).contains(&date.year()));
                proptest::prop_assert!(date >= crate::calendar::add_days(starts_on, -PROJECT_MARGIN_DAYS));
            }
        }

        /// Staff-typed numbers: refused or parsed, never a panic (budgets, amounts, rates).
        #[test]
        fn staff_number_parsers_never_panic(s in "[-+]?[0-9]{0,40}(\\.[0-9]{0,40})?(e[0-9]{1,3})?|\\PC{0,40}") {
            let usd = crate::money::Currency::parse("USD").unwrap();
            let _ = crate::project::Budget::parse_hours(&s);
            let _ = crate::project::Thresholds::parse(&s);
            let _ = Money::parse_major(&s, usd);
            if let Ok(r) = HourlyRate::parse(&s) {
                let _ = r.amount_for(MAX_MINUTES, usd);
            }
        }
    }

    #[test]
    fn non_billable_costs_nothing() {
        let cal = ClientCalendar::parse("UTC", "monday").unwrap();
        let body = br#"{"entries":[{"external_id":"e1","project_id":"prj_1","member_id":"mem_1","date":"2026-11-23","minutes":45,"billable":false,"rate":"200"}]}"#;
        let EntryCommand::Upsert(d) = parse_delivery(body).unwrap().remove(0) else { panic!() };
        let r = resolve(d, &project(), &cal);
        assert_eq!(r.amount.minor, 0);
        assert_eq!(r.rate, Some(HourlyRate::parse("200").unwrap()));
    }
}
