//! CSV imports: Harvest, Toggl and Clockify detailed-report exports.
//!
//! - Reading: RFC 4180 (quoted fields, `""` escapes, CRLF or LF, line breaks inside quotes), a
//!   leading byte-order mark is dropped, the delimiter is `,`, `;` or tab, whichever the header
//!   line uses most. Lenient where exports are sloppy (a stray quote inside an unquoted field is
//!   kept as text); an unclosed quote is a problem of the row where it starts. A small
//!   hand-written reader, so the domain crate needs no further dependency.
//! - The format is detected from the header, columns are found by header name (trimmed,
//!   case-insensitive), never by position: Clockify has `Duration (h)` / `Duration (decimal)`,
//!   Toggl `Start date` + `Duration`, Harvest `Date` + `Hours`.
//! - Dates: `YYYY-MM-DD`, `YYYY/MM/DD`, `DD.MM.YYYY`, and `MM/DD/YYYY` — or `DD/MM/YYYY` when some
//!   slash date in the file has a first part above 12 (decided once per file). Exports carry no
//!   time zone, so an entry's date is taken as the client's local date as written.
//! - Times (only checked, and part of the row's identity): `HH:MM[:SS]`, optionally with AM/PM.
//! - Durations: `H:MM[:SS]`, or decimal hours (`1.25`, `1,25`); seconds round to the nearest
//!   minute, at least 1, at most 24 h.
//! - Rows are numbered like a spreadsheet: the header is row 1, the first entry row 2.
//! - **External id** (re-import is idempotent): `csv-` + the first 32 hex digits of SHA-256 over
//!   (format, date, start time, user, project, task, n), names normalised, where n counts earlier
//!   rows of the file with the same values. Duration, billable and description are not part of
//!   it, so re-importing a newer export of the same period updates those rows in place instead of
//!   doubling them. Limits: a row removed from a later export is not deleted; two exports of
//!   different formats of the same hours would double them.

use super::mapping::{normalise_key, MatchOn};
use super::{check_minutes, clip_description, digest, minutes_from_seconds, ExtRef, ExternalEntry};
use crate::ids::ExternalId;
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// Most entry rows one import may hold.
pub const MAX_ROWS: usize = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvFormat {
    Harvest,
    Toggl,
    Clockify,
}

impl CsvFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CsvFormat::Harvest => "harvest",
            CsvFormat::Toggl => "toggl",
            CsvFormat::Clockify => "clockify",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CsvFormat::Harvest => "Harvest detailed time report",
            CsvFormat::Toggl => "Toggl Track detailed report",
            CsvFormat::Clockify => "Clockify detailed report",
        }
    }
}

/// One problem of one row (row 1 is the header; row 0 the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvProblem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl CsvProblem {
    fn new(row: usize, column: &str, message: impl Into<String>) -> Self {
        Self { row, column: column.to_string(), message: message.into() }
    }
}

/// An entry row that parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvRow {
    pub row: usize,
    pub entry: ExternalEntry,
}

/// A parsed export: good rows and every problem, in row order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedCsv {
    pub format: CsvFormat,
    pub rows: Vec<CsvRow>,
    pub problems: Vec<CsvProblem>,
}

/// Splits text into records of fields (RFC 4180, lenient as documented above). On an unclosed
/// quote, returns the record number (1-based) where it starts.
pub fn records(text: &str, delim: char) -> Result<Vec<Vec<String>>, usize> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut rec: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            c if c == delim => {
                rec.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
                quoted = false;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(out.len() + 1);
    }
    if !field.is_empty() || !rec.is_empty() || quoted {
        rec.push(field);
        out.push(rec);
    }
    Ok(out)
}

/// The delimiter the header line uses most (`,` by default).
pub fn detect_delimiter(text: &str) -> char {
    let first = text.lines().next().unwrap_or_default();
    let count = |d: char| first.chars().filter(|c| *c == d).count();
    let (c, s, t) = (count(','), count(';'), count('\t'));
    if s > c && s >= t {
        ';'
    } else if t > c && t > s {
        '\t'
    } else {
        ','
    }
}

fn norm(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// The format a header row belongs to.
pub fn detect(header: &[String]) -> Option<CsvFormat> {
    let has = |n: &str| header.iter().any(|h| norm(h) == n);
    if has("duration (h)") || has("duration (decimal)") {
        Some(CsvFormat::Clockify)
    } else if has("start date") && has("duration") {
        Some(CsvFormat::Toggl)
    } else if has("date") && has("hours") {
        Some(CsvFormat::Harvest)
    } else {
        None
    }
}

/// Column names per format: (our name, header as the vendor writes it, required).
fn columns(f: CsvFormat) -> &'static [(&'static str, &'static str, bool)] {
    match f {
        CsvFormat::Harvest => &[
            ("date", "Date", true),
            ("project", "Project", true),
            ("project_code", "Project Code", false),
            ("task", "Task", false),
            ("notes", "Notes", false),
            ("hours", "Hours", true),
            ("billable", "Billable?", false),
            ("first", "First Name", false),
            ("last", "Last Name", false),
            ("employee_id", "Employee Id", false),
        ],
        CsvFormat::Toggl => &[
            ("user", "User", true),
            ("email", "Email", false),
            ("project", "Project", true),
            ("task", "Task", false),
            ("description", "Description", false),
            ("billable", "Billable", false),
            ("start_date", "Start date", true),
            ("start_time", "Start time", false),
            ("duration", "Duration", true),
        ],
        CsvFormat::Clockify => &[
            ("project", "Project", true),
            ("description", "Description", false),
            ("task", "Task", false),
            ("user", "User", true),
            ("email", "Email", false),
            ("billable", "Billable", false),
            ("start_date", "Start Date", true),
            ("start_time", "Start Time", false),
            ("duration_h", "Duration (h)", false),
            ("duration_decimal", "Duration (decimal)", false),
        ],
    }
}

/// A date in one of the documented forms.
pub fn parse_date(s: &str, day_first: bool) -> Option<NaiveDate> {
    let s = s.trim();
    if s.contains('/') {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() != 3 {
            return None;
        }
        let n = |p: &str| p.trim().parse::<u32>().ok();
        if parts[0].len() == 4 {
            return NaiveDate::from_ymd_opt(i32::try_from(n(parts[0])?).ok()?, n(parts[1])?, n(parts[2])?);
        }
        let (m, d) = if day_first { (n(parts[1])?, n(parts[0])?) } else { (n(parts[0])?, n(parts[1])?) };
        let y = i32::try_from(n(parts[2])?).ok().filter(|y| *y >= 1000)?;
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    if s.contains('.') {
        return NaiveDate::parse_from_str(s, "%d.%m.%Y").ok();
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A clock time, 24-hour or with AM/PM.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    for f in ["%H:%M:%S", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    for f in ["%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p"] {
        if let Ok(t) = NaiveTime::parse_from_str(&upper, f) {
            return Some(t);
        }
    }
    None
}

/// A duration as `H:MM[:SS]` or decimal hours, in whole seconds.
pub fn parse_duration_seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let h: i64 = parts[0].parse().ok()?;
        let m: i64 = parts[1].parse().ok()?;
        let sec: i64 = if parts.len() == 3 { parts[2].parse().ok()? } else { 0 };
        if m >= 60 || sec >= 60 {
            return None;
        }
        return h.checked_mul(3600)?.checked_add(m * 60 + sec);
    }
    let d = Decimal::from_str(&s.replace(',', ".")).ok()?;
    if d.is_sign_negative() {
        return None;
    }
    d.checked_mul(Decimal::from(3600))?.round().to_i64()
}

/// Yes/No in the forms exports use; empty is "not billable".
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "billable" => Some(true),
        "no" | "n" | "false" | "0" | "" | "non-billable" => Some(false),
        _ => None,
    }
}

/// Parses a whole export. `Err` is a problem with the file as a whole (no rows are usable).
pub fn parse_export(text: &str) -> Result<ParsedCsv, CsvProblem> {
    if text.trim().is_empty() {
        return Err(CsvProblem::new(0, "", "the file is empty"));
    }
    let recs = records(text, detect_delimiter(text)).map_err(|row| CsvProblem::new(row, "", "a quoted field is not closed"))?;
    let mut it = recs.into_iter();
    let header = it.next().unwrap_or_default();
    let format = detect(&header).ok_or_else(|| {
        CsvProblem::new(
            1,
            "",
            "the header is not a Harvest, Toggl or Clockify detailed export (expected e.g. Date, Project, Hours or Start date, Duration)",
        )
    })?;
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut missing = Vec::new();
    for (key, name, required) in columns(format) {
        match header.iter().position(|h| norm(h) == name.to_lowercase()) {
            Some(i) => {
                index.insert(key, i);
            }
            None if *required => missing.push(*name),
            None => {}
        }
    }
    if format == CsvFormat::Clockify && !index.contains_key("duration_h") && !index.contains_key("duration_decimal") {
        missing.push("Duration (h)");
    }
    if format == CsvFormat::Harvest && !index.contains_key("first") && !index.contains_key("last") && !index.contains_key("employee_id") {
        missing.push("First Name");
    }
    if !missing.is_empty() {
        return Err(CsvProblem::new(1, missing[0], format!("the {} is missing the column(s) {}", format.label(), missing.join(", "))));
    }
    let data: Vec<(usize, Vec<String>)> =
        it.enumerate().map(|(i, r)| (i + 2, r)).filter(|(_, r)| r.iter().any(|f| !f.trim().is_empty())).collect();
    if data.len() > MAX_ROWS {
        return Err(CsvProblem::new(0, "", format!("the file has {} rows; import at most {MAX_ROWS} at a time", data.len())));
    }
    let date_col = if format == CsvFormat::Harvest { "date" } else { "start_date" };
    let day_first = data.iter().any(|(_, r)| {
        index.get(date_col).and_then(|i| r.get(*i)).is_some_and(|d| {
            let parts: Vec<&str> = d.trim().split('/').collect();
            parts.len() == 3 && parts[0].len() <= 2 && parts[0].parse::<u32>().is_ok_and(|n| n > 12)
        })
    });
    let header_name = |key: &str| -> String { columns(format).iter().find(|c| c.0 == key).map_or(key, |c| c.1).to_string() };
    let mut out = ParsedCsv { format, rows: Vec::new(), problems: Vec::new() };
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (row, rec) in data {
        if rec.len() > header.len() {
            out.problems.push(CsvProblem::new(row, "", format!("has {} fields, the header has {}", rec.len(), header.len())));
            continue;
        }
        let get = |key: &str| index.get(key).and_then(|i| rec.get(*i)).map(|s| s.trim()).unwrap_or_default();
        let before = out.problems.len();
        let mut problem = |key: &str, msg: &str| out.problems.push(CsvProblem::new(row, &header_name(key), msg));
        let date = parse_date(get(date_col), day_first);
        // Dates out of reason (years, the project's life) are refused when the rows are resolved
        // (`entry::check_date`, 422 like every source), not here.
        if date.is_none() {
            problem(date_col, "must be a date like 2026-11-24 or 11/24/2026");
        }
        let start_time = match get("start_time") {
            "" => None,
            t => {
                let parsed = parse_time(t);
                if parsed.is_none() {
                    problem("start_time", "must be a time like 14:00:00 or 02:00:00 PM");
                }
                parsed
            }
        };
        let (dur_key, dur) = match format {
            CsvFormat::Harvest => ("hours", get("hours")),
            CsvFormat::Toggl => ("duration", get("duration")),
            CsvFormat::Clockify if !get("duration_h").is_empty() => ("duration_h", get("duration_h")),
            CsvFormat::Clockify => ("duration_decimal", get("duration_decimal")),
        };
        let minutes = match parse_duration_seconds(dur) {
            Some(s) if s > 0 => match check_minutes(minutes_from_seconds(s)) {
                Ok(m) => Some(m),
                Err(e) => {
                    problem(dur_key, &e);
                    None
                }
            },
            Some(_) => {
                problem(dur_key, "must be more than zero");
                None
            }
            None if dur.is_empty() => {
                problem(dur_key, "is required");
                None
            }
            None => {
                problem(dur_key, "must be a duration like 1:30:00 or 1.5");
                None
            }
        };
        let billable = parse_bool(get("billable")).unwrap_or_else(|| {
            problem("billable", "must be Yes or No");
            false
        });
        let project = ExtRef::new(None, vec![get("project").to_string(), get("project_code").to_string()]);
        if project.is_none() {
            problem("project", "is required");
        }
        let user = match format {
            CsvFormat::Harvest => {
                let name = format!("{} {}", get("first"), get("last"));
                ExtRef::new(Some(get("employee_id").to_string()), vec![name])
            }
            _ => ExtRef::new(None, vec![get("user").to_string(), get("email").to_string()]),
        };
        if user.is_none() {
            problem(if format == CsvFormat::Harvest { "first" } else { "user" }, "is required");
        }
        let task = ExtRef::new(None, vec![get("task").to_string()]);
        let description = clip_description(if format == CsvFormat::Harvest { get("notes") } else { get("description") });
        if out.problems.len() > before {
            continue;
        }
        let (Some(date), Some(minutes)) = (date, minutes) else { continue };
        let key_of = |r: &Option<ExtRef>| {
            r.as_ref().map_or(String::new(), |r| {
                r.id.clone().or_else(|| r.names.first().and_then(|n| normalise_key(MatchOn::Name, n).ok())).unwrap_or_default()
            })
        };
        let key_parts = [
            format.as_str().to_string(),
            date.to_string(),
            start_time.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default(),
            key_of(&user),
            key_of(&project),
            key_of(&task),
        ];
        let base = key_parts.join("\u{1f}");
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let h = digest(&[base.as_bytes(), n.to_string().as_bytes()]);
        let Ok(external_id) = ExternalId::parse(&format!("csv-{}", &h[..32])) else { continue };
        out.rows.push(CsvRow {
            row,
            entry: ExternalEntry {
                external_id,
                workspace: None,
                project,
                user,
                task,
                started_at: None,
                date: Some(date),
                minutes,
                billable,
                description,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
