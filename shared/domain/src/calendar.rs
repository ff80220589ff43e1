//! The client's calendar: time zone and first day of the week.
//!
//! Definitions (the contract the dashboard's numbers are checked against):
//! - An entry belongs to the **local date** on which it started, in the client's time zone. An
//!   entry that starts on Sunday 23:30 in New York belongs to that Sunday, whatever the UTC date.
//! - A **week** is seven consecutive local dates starting on the client's configured first day.
//!   Weeks are counted in dates, not hours, so a week that crosses a DST change is still 7 days.
//! - A **month** is a calendar month of local dates. A week that crosses a month boundary is
//!   split into two *buckets* (week, month) so that both weekly and monthly totals stay exact.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

/// Why a calendar setting was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin)")]
    UnknownTimeZone(String),
    #[error("unknown weekday {0:?} (use monday … sunday)")]
    UnknownWeekday(String),
}

/// Parses `monday` … `sunday` (case-insensitive; three-letter forms too).
pub fn parse_weekday(s: &str) -> Result<Weekday, CalendarError> {
    let lower = s.trim().to_ascii_lowercase();
    let day = match lower.as_str() {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return Err(CalendarError::UnknownWeekday(s.to_string())),
    };
    Ok(day)
}

/// The canonical lower-case name stored in the database.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// First date of the week containing `date`, for weeks starting on `first_day`.
pub fn week_start_of(date: NaiveDate, first_day: Weekday) -> NaiveDate {
    let back = (date.weekday().num_days_from_monday() + 7 - first_day.num_days_from_monday()) % 7;
    date.checked_sub_days(Days::new(u64::from(back))).unwrap_or(date)
}

/// First date of the calendar month containing `date`.
pub fn month_start_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// Last date of the calendar month containing `date`.
pub fn month_end_of(date: NaiveDate) -> NaiveDate {
    let first = month_start_of(date);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    next.pred_opt().unwrap_or(first)
}

/// `date + n` days, saturating at chrono's range ends.
pub fn add_days(date: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        date.checked_add_days(Days::new(n.unsigned_abs())).unwrap_or(NaiveDate::MAX)
    } else {
        date.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(NaiveDate::MIN)
    }
}

/// A week of local dates, `start ..= start + 6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Week {
    pub start: NaiveDate,
}

impl Week {
    pub fn end(&self) -> NaiveDate {
        add_days(self.start, 6)
    }
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.start && date <= self.end()
    }
    pub fn previous(&self) -> Week {
        Week { start: add_days(self.start, -7) }
    }
    pub fn next(&self) -> Week {
        Week { start: add_days(self.start, 7) }
    }
}

/// Where an entry's minutes are added up: its week and its month (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Bucket {
    pub week_start: NaiveDate,
    pub month: NaiveDate,
}

/// A client's time zone and week start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCalendar {
    pub tz: Tz,
    pub first_day: Weekday,
}

impl ClientCalendar {
    pub fn new(time_zone: &str, first_day: Weekday) -> Result<Self, CalendarError> {
        let tz: Tz = time_zone.parse().map_err(|_| CalendarError::UnknownTimeZone(time_zone.to_string()))?;
        Ok(Self { tz, first_day })
    }

    /// Parses the two settings as stored (`Europe/Berlin`, `monday`).
    pub fn parse(time_zone: &str, first_day: &str) -> Result<Self, CalendarError> {
        Self::new(time_zone, parse_weekday(first_day)?)
    }

    /// The local date of an instant in the client's time zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The instant the local day `date` begins in the client's time zone (midnight, or the first
    /// minute that exists when a DST change skips midnight); `None` only if no minute of the
    /// day's first hours exists.
    pub fn start_of_day_utc(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        use chrono::TimeZone;
        (0..180).find_map(|m| {
            let t = date.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(m);
            self.tz.from_local_datetime(&t).earliest().map(|l| l.with_timezone(&Utc))
        })
    }

    /// "Today" for this client at the instant `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local_date(now)
    }

    pub fn week_of(&self, date: NaiveDate) -> Week {
        Week { start: week_start_of(date, self.first_day) }
    }

    pub fn bucket_of(&self, date: NaiveDate) -> Bucket {
        Bucket { week_start: week_start_of(date, self.first_day), month: month_start_of(date) }
    }
}

#[cfg(test)]
mod start_of_day_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn start_of_day_follows_dst() {
        let berlin = ClientCalendar::parse("Europe/Berlin", "monday").unwrap_or_else(|_| unreachable!());
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(berlin.start_of_day_utc(d(2026, 3, 30)), Some(Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0).unwrap()));
        assert_eq!(berlin.start_of_day_utc(d(2026, 3, 23)), Some(Utc.with_ymd_and_hms(2026, 3, 22, 23, 0, 0).unwrap()));
        // Havana skips midnight on its spring change: the day starts at 01:00 local.
        let havana = ClientCalendar::parse("America/Havana", "sunday").unwrap_or_else(|_| unreachable!());
        assert_eq!(havana.start_of_day_utc(d(2026, 3, 8)), Some(Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0).unwrap()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn week_start_for_each_first_day() {
        // 2026-11-25 is a Wednesday.
        let wed = d("2026-11-25");
        assert_eq!(week_start_of(wed, Weekday::Mon), d("2026-11-23"));
        assert_eq!(week_start_of(wed, Weekday::Sun), d("2026-11-22"));
        assert_eq!(week_start_of(wed, Weekday::Sat), d("2026-11-21"));
        assert_eq!(week_start_of(wed, Weekday::Wed), wed);
        assert_eq!(week_start_of(wed, Weekday::Thu), d("2026-11-19"));
    }

    #[test]
    fn sunday_late_evening_belongs_to_the_clients_sunday() {
        // Sunday 2026-11-22 23:30 in New York is Monday 04:30 UTC.
        let ny = ClientCalendar::parse("America/New_York", "monday").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap();
        assert_eq!(ny.local_date(at), d("2026-11-22"));
        // With Monday-start weeks, that Sunday closes the week of 2026-11-16.
        assert_eq!(ny.week_of(ny.local_date(at)).start, d("2026-11-16"));
        // With Sunday-start weeks it opens the week of 2026-11-22.
        let ny_sun = ClientCalendar::parse("America/New_York", "sunday").unwrap();
        assert_eq!(ny_sun.week_of(ny_sun.local_date(at)).start, d("2026-11-22"));
    }

    #[test]
    fn a_week_across_a_dst_change_is_seven_dates() {
        // Europe/Berlin leaves DST on 2026-10-25 (a Sunday).
        let berlin = ClientCalendar::parse("Europe/Berlin", "monday").unwrap();
        let w = berlin.week_of(d("2026-10-25"));
        assert_eq!(w.start, d("2026-10-19"));
        assert_eq!(w.end(), d("2026-10-25"));
        // 23:30 local on the DST Sunday (UTC+1 by then) is 22:30 UTC, same date.
        let at = Utc.with_ymd_and_hms(2026, 10, 25, 22, 30, 0).unwrap();
        assert_eq!(berlin.local_date(at), d("2026-10-25"));
        // 00:30 local the next morning is still Sunday 23:30 UTC: Monday locally, next week.
        let at = Utc.with_ymd_and_hms(2026, 10, 25, 23, 30, 0).unwrap();
        assert_eq!(berlin.week_of(berlin.local_date(at)).start, d("2026-10-26"));
    }

    #[test]
    fn a_week_across_a_month_boundary_is_two_buckets() {
        let cal = ClientCalendar::parse("UTC", "monday").unwrap();
        let a = cal.bucket_of(d("2026-11-30"));
        let b = cal.bucket_of(d("2026-12-01"));
        assert_eq!(a.week_start, b.week_start);
        assert_ne!(a.month, b.month);
        assert_eq!(month_end_of(d("2026-02-10")), d("2026-02-28"));
        assert_eq!(month_end_of(d("2028-02-10")), d("2028-02-29"));
    }

    #[test]
    fn add_days_saturates_instead_of_wrapping_to_the_start() {
        let today = d("2026-11-25");
        assert_eq!(add_days(today, i64::MAX), NaiveDate::MAX);
        assert_eq!(add_days(today, i64::MIN), NaiveDate::MIN);
        assert_eq!(add_days(today, 3_000_000_000), NaiveDate::MAX);
        assert_eq!(add_days(today, -1), d("2026-11-24"));
        assert_eq!(Week { start: NaiveDate::MAX }.end(), NaiveDate::MAX);
    }

    #[test]
    fn rejects_unknown_settings() {
        assert!(matches!(ClientCalendar::parse("Mars/Olympus", "monday"), Err(CalendarError::UnknownTimeZone(_))));
        assert!(matches!(ClientCalendar::parse("UTC", "someday"), Err(CalendarError::UnknownWeekday(_))));
    }
}
