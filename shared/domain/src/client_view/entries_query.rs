//! The timesheet's filters, sort, grouping and page cursor, as written in a URL.
//!
//! One parser ([`parse_query`]) serves the page, the JSON API and the exports, so a link copied
//! from one works in the others. Parameters (all optional, combinable):
//!
//! | name | values | default |
//! |---|---|---|
//! | `range` | `this_week`, `last_week`, `this_month`, `last_month`, `to_date` (project to date), `custom` | this week (real time) / last complete week (weekly summary) |
//! | `from`, `to` | `YYYY-MM-DD` (they make the range `custom`; ignored when `range` names a preset) | |
//! | `week` | any date: the client's week containing it (the old timesheet's links) | |
//! | `project` | a project id (on the all-projects timesheet) | all of the contact's projects |
//! | `person` | a team member's label exactly as the client sees it (`Team member A`) | everyone |
//! | `task`, `phase` | a task or phase name as shown (`No task`, `No phase` for none) | all |
//! | `billable` | `all`, `billable`, `non_billable` | `all` |
//! | `q` | free text, matched case-insensitively (ASCII) in the visible description | |
//! | `sort` | `date`, `person`, `task`, `phase`, `hours` (hours: largest first) | `date` (or the grouping's) |
//! | `group` | `none`, `week`, `person`, `task`, `phase` (subtotals) | `none` |
//! | `after` | the page cursor (opaque) from `next_cursor` | first page |
//!
//! Anything else is ignored; a bad value is a [`QueryError`] naming the parameter.

use crate::calendar::{add_days, month_end_of, month_start_of, ClientCalendar};
use crate::ids::ProjectId;
use crate::settings::ViewMode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::NaiveDate;
use serde::Serialize;

/// The longest free-text search and label filter accepted.
pub const MAX_TEXT: usize = 200;

/// A bad query parameter: which one and what is wrong (for a 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub field: &'static str,
    pub message: String,
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &'static str { match self { $($name::$variant => $text),+ } }
            fn parse(field: &'static str, s: &str) -> Result<Self, QueryError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(QueryError { field, message: format!("{field} {other:?} is not one of: {}", [$($text),+].join(", ")) }),
                }
            }
        }
    };
}

word_enum!(/// Date range presets.
    Preset { ThisWeek = "this_week", LastWeek = "last_week", ThisMonth = "this_month", LastMonth = "last_month", ToDate = "to_date", Custom = "custom" });
word_enum!(/// Which entries by billability.
    BillableFilter { All = "all", Billable = "billable", NonBillable = "non_billable" });
word_enum!(/// Row order.
    Sort { Date = "date", Person = "person", Task = "task", Phase = "phase", Hours = "hours" });
word_enum!(/// Subtotals by.
    GroupBy { None = "none", Week = "week", Person = "person", Task = "task", Phase = "phase" });

impl GroupBy {
    /// The sort a grouping implies, so that each group's rows are together.
    pub fn sort(self) -> Option<Sort> {
        match self {
            GroupBy::None => None,
            GroupBy::Week => Some(Sort::Date),
            GroupBy::Person => Some(Sort::Person),
            GroupBy::Task => Some(Sort::Task),
            GroupBy::Phase => Some(Sort::Phase),
        }
    }
}

/// One part of a keyset cursor (an order-key value).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyPart {
    Int(i64),
    Text(String),
}

/// The order key of the last row of a page: the next page starts after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub Vec<KeyPart>);

impl Cursor {
    /// URL-safe text (base64url of a JSON array). Opaque to clients.
    pub fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }
    pub fn decode(s: &str) -> Result<Cursor, QueryError> {
        let bad = || QueryError { field: "after", message: "after is not a cursor from this timesheet's next_cursor".into() };
        if s.len() > 2000 {
            return Err(bad());
        }
        let bytes = B64.decode(s.trim()).map_err(|_| bad())?;
        let parts: Vec<KeyPart> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if parts.is_empty() || parts.len() > 8 || parts.iter().any(|p| matches!(p, KeyPart::Text(t) if t.len() > MAX_TEXT)) {
            return Err(bad());
        }
        Ok(Cursor(parts))
    }
}

/// A parsed timesheet request. `from: None` with [`Preset::ToDate`] means "from the project's
/// start" (resolved by the projection, which knows the projects).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimesheetQuery {
    pub preset: Preset,
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub project: Option<ProjectId>,
    pub person: Option<String>,
    pub task: Option<String>,
    pub phase: Option<String>,
    pub billable: BillableFilter,
    pub q: Option<String>,
    pub sort: Sort,
    pub group: GroupBy,
    pub after: Option<Cursor>,
    /// `invoice=<number>`: only the entries on that invoice (billing contacts; the portal
    /// resolves the number and sets [`super::Selection::invoice`]).
    pub invoice: Option<String>,
}

fn date(field: &'static str, v: &str) -> Result<NaiveDate, QueryError> {
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) if v.len() == 10 => Ok(d),
        _ => Err(QueryError { field, message: format!("{field} must be a date written YYYY-MM-DD, such as 2026-11-23") }),
    }
}

fn text(field: &'static str, v: &str) -> Result<Option<String>, QueryError> {
    let v = v.trim();
    if v.chars().count() > MAX_TEXT {
        return Err(QueryError { field, message: format!("{field} is longer than {MAX_TEXT} characters") });
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// The range of a preset on `today` (`ToDate` has no start here; see [`TimesheetQuery`]).
pub fn preset_range(preset: Preset, calendar: &ClientCalendar, today: NaiveDate) -> (Option<NaiveDate>, NaiveDate) {
    let week = calendar.week_of(today);
    let month = month_start_of(today);
    match preset {
        Preset::ThisWeek => (Some(week.start), week.end()),
        Preset::LastWeek => (Some(week.previous().start), week.previous().end()),
        Preset::ThisMonth => (Some(month), month_end_of(today)),
        Preset::LastMonth => {
            let prev = add_days(month, -1);
            (Some(month_start_of(prev)), prev)
        }
        Preset::ToDate | Preset::Custom => (None, today),
    }
}

/// Parses the query pairs of a timesheet URL (see the module docs). `view` decides the default
/// range: this week in real time, the last complete week in weekly summary.
pub fn parse_query(
    pairs: &[(String, String)],
    calendar: &ClientCalendar,
    view: ViewMode,
    today: NaiveDate,
) -> Result<TimesheetQuery, QueryError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let default = match view {
        ViewMode::RealTime => Preset::ThisWeek,
        ViewMode::WeeklySummary => Preset::LastWeek,
    };
    let mut preset = get("range").map(|v| Preset::parse("range", v)).transpose()?.unwrap_or(default);
    let (mut from, mut to) = preset_range(preset, calendar, today);
    if let Some(w) = get("week") {
        let week = calendar.week_of(date("week", w)?);
        preset = Preset::Custom;
        (from, to) = (Some(week.start), week.end());
    }
    let f = get("from").map(|v| date("from", v)).transpose()?;
    let t = get("to").map(|v| date("to", v)).transpose()?;
    // A preset named in `range` wins over dates the form still carries; dates apply with
    // `range=custom` or no range at all.
    let named = get("range").is_some_and(|r| r != "custom");
    if (f.is_some() || t.is_some()) && !named {
        preset = Preset::Custom;
        from = f.or(from);
        to = t.unwrap_or(to);
    }
    if preset == Preset::Custom && from.is_none() {
        return Err(QueryError { field: "from", message: "a custom range needs from (YYYY-MM-DD)".into() });
    }
    if let Some(f) = from {
        if f > to {
            return Err(QueryError { field: "from", message: format!("from ({f}) is after to ({to})") });
        }
    }
    let project = get("project")
        .map(|v| ProjectId::parse(v).map_err(|_| QueryError { field: "project", message: format!("project {v:?} is not a project id") }))
        .transpose()?;
    let billable = get("billable").map(|v| BillableFilter::parse("billable", v)).transpose()?.unwrap_or(BillableFilter::All);
    let group = get("group").map(|v| GroupBy::parse("group", v)).transpose()?.unwrap_or(GroupBy::None);
    let sort = match get("sort").map(|v| Sort::parse("sort", v)).transpose()? {
        Some(s) => s,
        None => group.sort().unwrap_or(Sort::Date),
    };
    Ok(TimesheetQuery {
        preset,
        from,
        to,
        project,
        person: get("person").map(|v| text("person", v)).transpose()?.flatten(),
        task: get("task").map(|v| text("task", v)).transpose()?.flatten(),
        phase: get("phase").map(|v| text("phase", v)).transpose()?.flatten(),
        billable,
        q: get("q").map(|v| text("q", v)).transpose()?.flatten(),
        sort,
        group,
        after: get("after").map(Cursor::decode).transpose()?,
        invoice: get("invoice")
            .map(|v| crate::invoice::check_number(v).map(|()| v.to_string()).map_err(|message| QueryError { field: "invoice", message }))
            .transpose()?,
    })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub use crate::text::encode_component as encode;

impl TimesheetQuery {
    /// The canonical query string (without `?`), defaults left out; `with_project` keeps the
    /// project filter (the all-projects timesheet), `after` adds a cursor.
    pub fn to_query(&self, with_project: bool, after: Option<&Cursor>) -> String {
        let mut p: Vec<(&str, String)> = Vec::new();
        match (self.preset, self.from) {
            (Preset::Custom, Some(f)) => {
                p.push(("from", f.to_string()));
                p.push(("to", self.to.to_string()));
            }
            (preset, _) => p.push(("range", preset.as_str().to_string())),
        }
        if with_project {
            if let Some(pr) = &self.project {
                p.push(("project", pr.to_string()));
            }
        }
        for (k, v) in [("person", &self.person), ("task", &self.task), ("phase", &self.phase)] {
            if let Some(v) = v {
                p.push((k, v.clone()));
            }
        }
        if self.billable != BillableFilter::All {
            p.push(("billable", self.billable.as_str().to_string()));
        }
        if let Some(q) = &self.q {
            p.push(("q", q.clone()));
        }
        if let Some(n) = &self.invoice {
            p.push(("invoice", n.clone()));
        }
        if self.group != GroupBy::None {
            p.push(("group", self.group.as_str().to_string()));
        }
        if Some(self.sort) != self.group.sort() && !(self.group == GroupBy::None && self.sort == Sort::Date) {
            p.push(("sort", self.sort.as_str().to_string()));
        }
        if let Some(a) = after {
            p.push(("after", a.encode()));
        }
        p.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn cal() -> ClientCalendar {
        ClientCalendar { tz: chrono_tz::UTC, first_day: Weekday::Mon }
    }
    fn q(s: &[(&str, &str)], view: ViewMode) -> Result<TimesheetQuery, QueryError> {
        let pairs: Vec<(String, String)> = s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        parse_query(&pairs, &cal(), view, d("2026-11-25"))
    }

    #[test]
    fn presets_and_defaults() {
        let rt = q(&[], ViewMode::RealTime).unwrap();
        assert_eq!((rt.preset, rt.from, rt.to), (Preset::ThisWeek, Some(d("2026-11-23")), d("2026-11-29")));
        let ws = q(&[], ViewMode::WeeklySummary).unwrap();
        assert_eq!((ws.preset, ws.from, ws.to), (Preset::LastWeek, Some(d("2026-11-16")), d("2026-11-22")));
        let lm = q(&[("range", "last_month")], ViewMode::RealTime).unwrap();
        assert_eq!((lm.from, lm.to), (Some(d("2026-10-01")), d("2026-10-31")));
        let tm = q(&[("range", "this_month")], ViewMode::RealTime).unwrap();
        assert_eq!((tm.from, tm.to), (Some(d("2026-11-01")), d("2026-11-30")));
        let td = q(&[("range", "to_date")], ViewMode::RealTime).unwrap();
        assert_eq!((td.from, td.to), (None, d("2026-11-25")));
        let wk = q(&[("week", "2026-11-04")], ViewMode::RealTime).unwrap();
        assert_eq!((wk.preset, wk.from, wk.to), (Preset::Custom, Some(d("2026-11-02")), d("2026-11-08")));
        let c = q(&[("from", "2026-11-03"), ("to", "2026-11-10")], ViewMode::RealTime).unwrap();
        assert_eq!((c.preset, c.from, c.to), (Preset::Custom, Some(d("2026-11-03")), d("2026-11-10")));
        // The form sends the shown dates along with the chosen preset: the preset wins.
        let f = q(&[("range", "last_month"), ("from", "2026-11-23"), ("to", "2026-11-29")], ViewMode::RealTime).unwrap();
        assert_eq!((f.preset, f.from, f.to), (Preset::LastMonth, Some(d("2026-10-01")), d("2026-10-31")));
        let f = q(&[("range", "custom"), ("from", "2026-11-03"), ("to", "2026-11-10")], ViewMode::RealTime).unwrap();
        assert_eq!((f.preset, f.from, f.to), (Preset::Custom, Some(d("2026-11-03")), d("2026-11-10")));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for (k, v) in [
            ("from", "2026-13-01"),
            ("to", "yesterday"),
            ("range", "forever"),
            ("sort", "random"),
            ("group", "client"),
            ("billable", "maybe"),
            ("after", "not-a-cursor"),
            ("project", "a b"),
            ("week", "20261123"),
        ] {
            let e = q(&[(k, v)], ViewMode::RealTime).unwrap_err();
            assert_eq!(e.field, k, "{k}={v}: {e:?}");
        }
        assert_eq!(q(&[("from", "2026-11-10"), ("to", "2026-11-01")], ViewMode::RealTime).unwrap_err().field, "from");
        assert_eq!(q(&[("q", &"x".repeat(201))], ViewMode::RealTime).unwrap_err().field, "q");
        assert_eq!(q(&[("range", "custom")], ViewMode::RealTime).unwrap_err().field, "from");
    }

    #[test]
    fn the_query_string_round_trips() {
        let a = q(
            &[
                ("from", "2026-11-01"),
                ("to", "2026-11-30"),
                ("person", "Team member A"),
                ("task", "Dev & QA"),
                ("q", "café"),
                ("group", "person"),
                ("billable", "billable"),
            ],
            ViewMode::RealTime,
        )
        .unwrap();
        let cursor = Cursor(vec![KeyPart::Text("2026-11-03".into()), KeyPart::Int(-3)]);
        let s = a.to_query(true, Some(&cursor));
        let pairs: Vec<(String, String)> = s
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                let mut bytes = Vec::new();
                let b = v.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%' {
                        bytes.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
                        i += 3;
                    } else {
                        bytes.push(b[i]);
                        i += 1;
                    }
                }
                (k.to_string(), String::from_utf8(bytes).unwrap())
            })
            .collect();
        let back = parse_query(&pairs, &cal(), ViewMode::RealTime, d("2026-11-25")).unwrap();
        assert_eq!(back.after, Some(cursor));
        assert_eq!(TimesheetQuery { after: None, ..back }, a);
    }
}
