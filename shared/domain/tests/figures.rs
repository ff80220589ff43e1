//! The dashboard figures checked against their contract (the module docs of
//! `clearhours_domain::figures`).
//!
//! Layout:
//! 1. helpers: raw entries, a builder that turns them into the rollup rows storage returns
//!    (via `rollup::recompute`, the reference definition), scenarios, `check_*` assertions;
//! 2. hand-computed examples (every expected number is worked out in the comments);
//! 3. property tests (proptest), some of them against a direct computation from raw entries.
//!
//! Calendar facts used below: 2026-10-05, 2026-11-23 and 2026-12-07 are Mondays; 2026-11-22 and
//! 2026-10-25 are Sundays; 2026-11-04 is a Wednesday; 2026 is not a leap year, 2027 neither.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, TimeZone, Utc, Weekday};
use clearhours_domain::calendar::{add_days, month_start_of, ClientCalendar, Week};
use clearhours_domain::client_view::{project_dashboard, ClientContext, MemberRecord, PhaseRecord, TaskRecord};
use clearhours_domain::figures::{self, compute, DatedEntry, EndCheck, FigureInputs, ProjectFigures, Projection, Slice, Status, WeekHours};
use clearhours_domain::ids::{ClientId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::money::{Currency, HourlyRate};
use clearhours_domain::project::{Budget, BudgetPeriod, Project, Thresholds};
use clearhours_domain::rollup::{recompute, Dim, EntryFacts, Sums, TotalRow, WeekRow};
use clearhours_domain::settings::{BudgetMoney, DescriptionMode, NonBillable, RatesVisibility, TeamDisplay, ViewMode, Visibility};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

// ============================================================================================
// Helpers
// ============================================================================================

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn pct(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// One raw time entry as stored: local date, member, task, phase, billable, minutes, amount.
#[derive(Clone, Debug)]
struct Raw {
    date: NaiveDate,
    member: String,
    task: Option<String>,
    phase: Option<String>,
    billable: bool,
    minutes: i64,
    amount: i64,
}

/// A billable entry without task, phase or amount.
fn e(date: &str, member: &str, minutes: i64) -> Raw {
    entry_on(d(date), member, minutes)
}

fn entry_on(date: NaiveDate, member: &str, minutes: i64) -> Raw {
    Raw { date, member: member.into(), task: None, phase: None, billable: true, minutes, amount: 0 }
}

/// An entry that started at a UTC instant, placed on the client's local date.
fn at(cal: &ClientCalendar, (y, mo, da, h, mi): (i32, u32, u32, u32, u32), member: &str, minutes: i64) -> Raw {
    entry_on(cal.local_date(Utc.with_ymd_and_hms(y, mo, da, h, mi, 0).unwrap()), member, minutes)
}

impl Raw {
    fn task(mut self, t: &str) -> Self {
        self.task = Some(t.into());
        self
    }
    fn phase(mut self, p: &str) -> Self {
        self.phase = Some(p.into());
        self
    }
    /// Non-billable entries bill nothing (`entry::resolve` prices them at 0).
    fn non_billable(mut self) -> Self {
        self.billable = false;
        self.amount = 0;
        self
    }
    fn amount(mut self, minor: i64) -> Self {
        self.amount = minor;
        self
    }
}

/// The rows storage hands to `figures::compute`.
struct Rollups {
    all_weeks: Vec<WeekRow>,
    recent: Vec<WeekRow>,
    totals: Vec<TotalRow>,
    future: Vec<DatedEntry>,
}

fn facts(r: &Raw, cal: &ClientCalendar) -> EntryFacts {
    EntryFacts {
        bucket: cal.bucket_of(r.date),
        member_id: r.member.clone(),
        task_id: r.task.clone(),
        phase_id: r.phase.clone(),
        billable: r.billable,
        minutes: r.minutes,
        amount_minor: r.amount,
    }
}

/// Mirrors the database: week rows of `Dim::All` → `all_weeks`; week rows of the other
/// dimensions from `figures::window_start` on → `recent`; total rows → `totals` — of *every*
/// stored entry, as the triggers keep them; and the entries dated after today → `future`.
fn rollups(entries: &[Raw], cal: &ClientCalendar, today: NaiveDate) -> Rollups {
    let future = entries.iter().filter(|r| r.date > today).map(|r| DatedEntry { local_date: r.date, facts: facts(r, cal) }).collect();
    let facts: Vec<EntryFacts> = entries.iter().map(|r| facts(r, cal)).collect();
    let (weeks, totals) = recompute(&facts);
    let from = figures::window_start(cal, today);
    let row = |(bucket, dim, dim_id, billable): (_, Dim, String, bool), sums: Sums| WeekRow { bucket, dim, dim_id, billable, sums };
    let mut all_weeks = Vec::new();
    let mut recent = Vec::new();
    for (key, sums) in weeks {
        let r = row(key, sums);
        if r.dim == Dim::All {
            all_weeks.push(r);
        } else if r.bucket.week_start >= from {
            recent.push(r);
        }
    }
    let totals = totals.into_iter().map(|((dim, dim_id, billable), sums)| TotalRow { dim, dim_id, billable, sums }).collect();
    Rollups { all_weeks, recent, totals, future }
}

/// Everything `compute` depends on, in raw form.
#[derive(Clone, Debug)]
struct Scenario {
    project: Project,
    calendar: ClientCalendar,
    today: NaiveDate,
    view: ViewMode,
    show_non_billable: bool,
    entries: Vec<Raw>,
}

impl Scenario {
    fn new(project: Project, calendar: ClientCalendar, today: &str, entries: Vec<Raw>) -> Self {
        Self { project, calendar, today: d(today), view: ViewMode::RealTime, show_non_billable: false, entries }
    }
    fn figures(&self) -> ProjectFigures {
        let r = rollups(&self.entries, &self.calendar, self.today);
        compute(&FigureInputs {
            project: &self.project,
            calendar: &self.calendar,
            today: self.today,
            view: self.view,
            show_non_billable: self.show_non_billable,
            all_weeks: &r.all_weeks,
            recent: &r.recent,
            totals: &r.totals,
            future: &r.future,
        })
    }
    fn summary(mut self) -> Self {
        self.view = ViewMode::WeeklySummary;
        self
    }
    fn show_non_billable(mut self) -> Self {
        self.show_non_billable = true;
        self
    }
    fn budget(mut self, budget: Option<Budget>) -> Self {
        self.project.budget = budget;
        self
    }
    fn ends(mut self, ends: Option<&str>) -> Self {
        self.project.ends_on = ends.map(d);
        self
    }
    fn with_entries(mut self, more: Vec<Raw>) -> Self {
        self.entries.extend(more);
        self
    }
    fn keep(mut self, f: impl Fn(&Raw) -> bool) -> Self {
        self.entries.retain(|r| f(r));
        self
    }
    fn current_week(&self) -> Week {
        self.calendar.week_of(self.today)
    }
}

fn project(starts: &str, ends: Option<&str>, budget: Option<Budget>) -> Project {
    Project {
        id: ProjectId::parse("prj_web").unwrap(),
        client_id: ClientId::parse("cli_acme").unwrap(),
        name: "Website rebuild".into(),
        currency: usd(),
        budget,
        starts_on: d(starts),
        ends_on: ends.map(d),
        default_rate: None,
        thresholds: Thresholds::default(),
    }
}

fn budget(period: BudgetPeriod, minutes: Option<i64>, amount_minor: Option<i64>) -> Option<Budget> {
    Some(Budget { period, minutes, amount_minor, includes_non_billable: false })
}

fn fixed(minutes: i64) -> Option<Budget> {
    budget(BudgetPeriod::Fixed, Some(minutes), None)
}

fn monthly(minutes: i64) -> Option<Budget> {
    budget(BudgetPeriod::Monthly, Some(minutes), None)
}

fn including_non_billable(b: Option<Budget>) -> Option<Budget> {
    b.map(|b| Budget { includes_non_billable: true, ..b })
}

fn cal(tz: &str, first_day: &str) -> ClientCalendar {
    ClientCalendar::parse(tz, first_day).unwrap()
}

fn utc_monday() -> ClientCalendar {
    cal("UTC", "monday")
}

fn by_id(slices: &[Slice]) -> BTreeMap<String, i64> {
    slices.iter().map(|s| (s.id.clone(), s.minutes)).collect()
}

fn map(expected: &[(&str, i64)]) -> BTreeMap<String, i64> {
    expected.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

fn sum(slices: &[Slice]) -> i64 {
    slices.iter().map(|s| s.minutes).sum()
}

/// A week's start, its members' minutes, and that the total is their sum.
fn check_week(label: &str, w: &WeekHours, start: &str, expected: &[(&str, i64)]) {
    assert_eq!(w.week.start, d(start), "{label}: week start");
    assert_eq!(by_id(&w.by_member), map(expected), "{label}: minutes by member");
    let total: i64 = expected.iter().map(|(_, m)| m).sum();
    assert_eq!(w.total_minutes, total, "{label}: total is the sum over members");
}

/// Used, remaining and % consumed (hours budget).
fn check_budget(label: &str, f: &ProjectFigures, used: i64, remaining: i64, percent: &str) {
    let b = f.budget.as_ref().unwrap_or_else(|| panic!("{label}: budget figures expected"));
    assert_eq!(b.used_minutes, used, "{label}: used");
    assert_eq!(b.remaining_minutes, Some(remaining), "{label}: remaining");
    assert_eq!(b.percent_minutes.map(|p| p.to_string()), Some(percent.to_string()), "{label}: % consumed");
}

/// Burn rate: weeks averaged and the budget minutes summed over them.
fn check_burn(label: &str, f: &ProjectFigures, weeks: i64, minutes: i64) {
    assert_eq!((f.burn.weeks, f.burn.minutes), (weeks, minutes), "{label}: burn (weeks, minutes)");
}

/// A `RunsOut` projection's date, days left and end comparison.
fn check_runs_out(label: &str, f: &ProjectFigures, date: &str, days_left: i64, end: Option<EndCheck>) {
    assert_eq!(f.projection, Projection::RunsOut { date: d(date), days_left, end }, "{label}: projection");
}

/// A chart's points as (week start, minutes).
fn check_chart(label: &str, points: &[figures::ChartPoint], expected: &[(&str, i64)]) {
    let got: Vec<(NaiveDate, i64)> = points.iter().map(|p| (p.week.start, p.minutes)).collect();
    let want: Vec<(NaiveDate, i64)> = expected.iter().map(|(s, m)| (d(s), *m)).collect();
    assert_eq!(got, want, "{label}");
}

/// The reference project. Fixed budget 100 h = 6000 min, 2026-10-05 … 2026-12-31, UTC, weeks
/// start Monday, today Wednesday 2026-11-25 (current week 11-23, previous 11-16).
///
/// | week  | entries (billable unless noted)                          | billable | visible w/ nb |
/// |-------|-----------------------------------------------------------|----------|---------------|
/// | 10-05 | a 600 (dev/build)                                         | 600      | 600           |
/// | 10-26 | a 300 (dev/build)                                         | 300      | 300           |
/// | 11-02 | b 300 (design/design)                                     | 300      | 300           |
/// | 11-09 | a 200 (dev/build), b 100 (design/–)                       | 300      | 300           |
/// | 11-16 | a 250 (dev/build), b 50 (–/–), b 120 non-billable (admin) | 300      | 420           |
/// | 11-23 | a 90 (dev/build), c 30 (review/build)                     | 120      | 120           |
///
/// Billable total 1920: a 1440, b 450, c 30; tasks dev 1440, design 400, none 50, review 30;
/// phases build 1470, design 300, none 150.
fn web() -> Scenario {
    Scenario::new(
        project("2026-10-05", Some("2026-12-31"), fixed(6000)),
        utc_monday(),
        "2026-11-25",
        vec![
            e("2026-10-06", "mem_a", 600).task("tsk_dev").phase("phs_build"),
            e("2026-10-27", "mem_a", 300).task("tsk_dev").phase("phs_build"),
            e("2026-11-03", "mem_b", 300).task("tsk_design").phase("phs_design"),
            e("2026-11-10", "mem_a", 200).task("tsk_dev").phase("phs_build"),
            e("2026-11-11", "mem_b", 100).task("tsk_design"),
            e("2026-11-17", "mem_a", 250).task("tsk_dev").phase("phs_build"),
            e("2026-11-20", "mem_b", 50),
            e("2026-11-18", "mem_b", 120).task("tsk_admin").non_billable(),
            e("2026-11-23", "mem_a", 90).task("tsk_dev").phase("phs_build"),
            e("2026-11-24", "mem_c", 30).task("tsk_review").phase("phs_build"),
        ],
    )
}

/// Four complete burn weeks (10-26, 11-02, 11-09, 11-16) of `per_week` minutes each and nothing
/// else; project since 2026-10-05, today 2026-11-25. Used = burn total = 4 × per_week.
fn steady(per_week: i64, budget_minutes: i64) -> Scenario {
    Scenario::new(
        project("2026-10-05", None, fixed(budget_minutes)),
        utc_monday(),
        "2026-11-25",
        ["2026-10-27", "2026-11-03", "2026-11-10", "2026-11-17"].iter().map(|day| e(day, "mem_a", per_week)).collect(),
    )
}

// ============================================================================================
// Examples
// ============================================================================================

#[test]
fn reference_project_every_figure() {
    let f = web().figures();
    assert_eq!(f.period.start, d("2026-10-05"));
    assert_eq!(f.period.end, Some(d("2026-12-31")));

    // This week (11-23): a 90, c 30 → 120. Last week (11-16): a 250, b 50; b's 120 is hidden.
    check_week("this week", f.this_week.as_ref().expect("real time shows this week"), "2026-11-23", &[("mem_a", 90), ("mem_c", 30)]);
    check_week("last week", &f.last_week, "2026-11-16", &[("mem_a", 250), ("mem_b", 50)]);

    assert_eq!(f.to_date_minutes, 1920);
    assert_eq!(by_id(&f.by_member), map(&[("mem_a", 1440), ("mem_b", 450), ("mem_c", 30)]));
    assert_eq!(by_id(&f.by_task), map(&[("tsk_dev", 1440), ("tsk_design", 400), ("", 50), ("tsk_review", 30)]));
    assert_eq!(by_id(&f.by_phase), map(&[("phs_build", 1470), ("phs_design", 300), ("", 150)]));

    // 1920 / 6000 = 32.0 %; remaining 4080.
    check_budget("web", &f, 1920, 4080, "32.0");
    assert_eq!(f.status, Some(Status::OnTrack));

    // Complete weeks since 10-05: (11-23 − 10-05) / 7 = 7 → n = 4: weeks 10-26 … 11-16, 300 each.
    check_burn("web", &f, 4, 1200);
    assert_eq!(f.burn.minutes_per_week(), Some(Decimal::from(300)));

    // ⌈4080 × 7 / 300⌉ = ⌈95.2⌉ = 96 days; 11-25 + 96 = 2027-03-01 (5 + 31 + 31 + 28 + 1),
    // after the end date 12-31 ⇒ lasts.
    check_runs_out("web", &f, "2027-03-01", 96, Some(EndCheck::Lasts { end: d("2026-12-31") }));
    assert_eq!(f.runs_out_before_end, None);

    // 12 weeks ending with the current week 11-23, zero-filled.
    check_chart(
        "weekly",
        &f.weekly,
        &[
            ("2026-09-07", 0),
            ("2026-09-14", 0),
            ("2026-09-21", 0),
            ("2026-09-28", 0),
            ("2026-10-05", 600),
            ("2026-10-12", 0),
            ("2026-10-19", 0),
            ("2026-10-26", 300),
            ("2026-11-02", 300),
            ("2026-11-09", 300),
            ("2026-11-16", 300),
            ("2026-11-23", 120),
        ],
    );
    // Cumulative from the period's first week through the current week; ends at "used".
    check_chart(
        "burn-up",
        &f.burn_up.points,
        &[
            ("2026-10-05", 600),
            ("2026-10-12", 600),
            ("2026-10-19", 600),
            ("2026-10-26", 900),
            ("2026-11-02", 1200),
            ("2026-11-09", 1500),
            ("2026-11-16", 1800),
            ("2026-11-23", 1920),
        ],
    );
    assert_eq!(f.burn_up.allocated_minutes, Some(6000));
    assert_eq!(f.burn_up.projection, Some((d("2026-11-25"), d("2027-03-01"))));
}

#[test]
fn this_week_is_by_member_and_the_total_is_their_sum() {
    // Three members this week, one of them twice, one non-billable entry (hidden by default).
    // Today is the week's last day (Sunday 11-29), so every entry of the week has happened.
    let mut s = web().keep(|r| r.date < d("2026-11-23")).with_entries(vec![
        e("2026-11-23", "mem_a", 45),
        e("2026-11-25", "mem_a", 15),
        e("2026-11-24", "mem_b", 75),
        e("2026-11-29", "mem_c", 20),
        e("2026-11-26", "mem_d", 500).non_billable(),
    ]);
    s.today = d("2026-11-29");
    // a 45 + 15 = 60, b 75, c 20 (Sunday 11-29 closes the week) → 155.
    check_week("hidden nb", s.figures().this_week.as_ref().unwrap(), "2026-11-23", &[("mem_a", 60), ("mem_b", 75), ("mem_c", 20)]);
    // Shown: d 500 joins → 655.
    let f = s.show_non_billable().figures();
    check_week("shown nb", f.this_week.as_ref().unwrap(), "2026-11-23", &[("mem_a", 60), ("mem_b", 75), ("mem_c", 20), ("mem_d", 500)]);
}

#[test]
fn sunday_late_evening_in_new_york_belongs_to_that_sunday() {
    // Sunday 2026-11-22 23:30 EST (UTC−5) is Monday 2026-11-23 04:30 UTC.
    let base = |first_day: &str| {
        let c = cal("America/New_York", first_day);
        Scenario::new(
            project("2026-10-05", None, fixed(6000)),
            c,
            "2026-11-24",
            vec![
                at(&c, (2026, 11, 23, 4, 30), "mem_a", 45), // Sunday 11-22 locally
                at(&c, (2026, 11, 23, 15, 0), "mem_b", 15), // Monday 11-23 10:00 locally
            ],
        )
    };
    let monday = base("monday");
    assert_eq!(monday.entries[0].date, d("2026-11-22"), "local date, not the UTC date");

    // Monday weeks: current 11-23 … 11-29 holds only b; the Sunday closes week 11-16.
    let f = monday.figures();
    check_week("monday/this", f.this_week.as_ref().unwrap(), "2026-11-23", &[("mem_b", 15)]);
    check_week("monday/last", &f.last_week, "2026-11-16", &[("mem_a", 45)]);

    // Sunday weeks: current 11-22 … 11-28 holds both; previous 11-15 is empty.
    let f = base("sunday").figures();
    check_week("sunday/this", f.this_week.as_ref().unwrap(), "2026-11-22", &[("mem_a", 45), ("mem_b", 15)]);
    check_week("sunday/last", &f.last_week, "2026-11-15", &[]);
    assert_eq!(f.weekly.last().map(|p| (p.week.start, p.minutes)), Some((d("2026-11-22"), 60)));
}

#[test]
fn a_week_across_the_autumn_dst_change_is_seven_local_dates() {
    // Europe/Berlin leaves DST on Sunday 2026-10-25 at 03:00 CEST (01:00 UTC).
    let c = cal("Europe/Berlin", "monday");
    let s = Scenario::new(
        project("2026-10-01", None, fixed(3000)),
        c,
        "2026-10-28",
        vec![
            at(&c, (2026, 10, 18, 22, 30), "mem_a", 60), // Mon 10-19 00:30 CEST (UTC: Sunday)
            at(&c, (2026, 10, 24, 21, 30), "mem_b", 90), // Sat 10-24 23:30 CEST
            at(&c, (2026, 10, 25, 0, 45), "mem_a", 10),  // Sun 02:45 CEST (first time)
            at(&c, (2026, 10, 25, 1, 45), "mem_a", 10),  // Sun 02:45 CET (second time)
            at(&c, (2026, 10, 25, 22, 30), "mem_a", 30), // Sun 10-25 23:30 CET
            at(&c, (2026, 10, 25, 23, 30), "mem_b", 45), // Mon 10-26 00:30 CET (UTC: Sunday)
        ],
    );
    let f = s.figures();
    // Week 10-19 … 10-25: a 60 + 10 + 10 + 30 = 110, b 90 → 200. Week 10-26: b 45.
    check_week("dst week", &f.last_week, "2026-10-19", &[("mem_a", 110), ("mem_b", 90)]);
    assert_eq!(f.last_week.week.end(), d("2026-10-25"));
    check_week("after dst", f.this_week.as_ref().unwrap(), "2026-10-26", &[("mem_b", 45)]);
    let tail: Vec<_> = f.weekly.iter().rev().take(3).map(|p| (p.week.start, p.minutes)).collect();
    assert_eq!(tail, vec![(d("2026-10-26"), 45), (d("2026-10-19"), 200), (d("2026-10-12"), 0)]);
    // Starts Thursday 10-01 (first week 09-28): complete weeks 09-28, 10-05, 10-12, 10-19 → n = 4;
    // only 10-19 has minutes (200).
    check_burn("dst", &f, 4, 200);
}

/// Monthly retainer of 20 h = 1200 min since 2026-09-01, today Tuesday 2026-12-08 (current week
/// 12-07; last week 11-30 … 12-06 crosses into December).
fn retainer() -> Scenario {
    Scenario::new(
        project("2026-09-01", None, monthly(1200)),
        utc_monday(),
        "2026-12-08",
        vec![
            e("2026-11-10", "mem_a", 180),
            e("2026-11-16", "mem_b", 240),
            e("2026-11-24", "mem_a", 300),
            e("2026-11-30", "mem_a", 200), // November part of week 11-30
            e("2026-12-01", "mem_a", 100), // December part of week 11-30
            e("2026-12-02", "mem_b", 60),
            e("2026-12-08", "mem_a", 45), // current week
        ],
    )
}

#[test]
fn monthly_retainer_counts_only_this_months_part_of_a_boundary_week() {
    let f = retainer().figures();
    assert_eq!((f.period.start, f.period.end), (d("2026-12-01"), Some(d("2026-12-31"))));
    // December: 100 + 60 + 45 = 205; 205 / 1200 = 17.083 → 17.1 %.
    assert_eq!(f.to_date_minutes, 205);
    check_budget("retainer", &f, 205, 995, "17.1");
    assert_eq!(by_id(&f.by_member), map(&[("mem_a", 145), ("mem_b", 60)]));
    // The boundary week is shown whole: a 200 + 100, b 60.
    check_week("boundary week", &f.last_week, "2026-11-30", &[("mem_a", 300), ("mem_b", 60)]);
    check_week("this week", f.this_week.as_ref().unwrap(), "2026-12-07", &[("mem_a", 45)]);
    let tail: Vec<_> = f.weekly.iter().rev().take(3).map(|p| (p.week.start, p.minutes)).collect();
    assert_eq!(tail, vec![(d("2026-12-07"), 45), (d("2026-11-30"), 360), (d("2026-11-23"), 300)]);
    // Burn-up starts with the week holding 12-01 and counts December minutes only.
    check_chart("burn-up", &f.burn_up.points, &[("2026-11-30", 160), ("2026-12-07", 205)]);
    // Burn: last 4 complete weeks 11-09, 11-16, 11-23, 11-30 = 180 + 240 + 300 + 360 = 1080
    // (270/week). ⌈995 × 7 / 270⌉ = ⌈25.8⌉ = 26 → 2027-01-03, after the month's last day.
    check_burn("retainer", &f, 4, 1080);
    check_runs_out("retainer", &f, "2027-01-03", 26, Some(EndCheck::Lasts { end: d("2026-12-31") }));

    // Weekly summary: the current week (12-08's 45) is cut: December = 160, 13.3 %.
    let f = retainer().summary().figures();
    assert!(f.this_week.is_none());
    assert_eq!(f.to_date_minutes, 160);
    check_budget("retainer summary", &f, 160, 1040, "13.3");
    assert_eq!(by_id(&f.by_member), map(&[("mem_a", 100), ("mem_b", 60)]));
    check_week("boundary week (summary)", &f.last_week, "2026-11-30", &[("mem_a", 300), ("mem_b", 60)]);
    assert_eq!(f.weekly.last().map(|p| (p.week.start, p.minutes)), Some((d("2026-11-30"), 360)));
    check_chart("burn-up (summary)", &f.burn_up.points, &[("2026-11-30", 160)]);
    // ⌈1040 × 7 / 270⌉ = ⌈26.96⌉ = 27 → 2027-01-04.
    check_runs_out("retainer summary", &f, "2027-01-04", 27, Some(EndCheck::Lasts { end: d("2026-12-31") }));
}

#[test]
fn a_project_with_no_entries_is_all_zeros() {
    let f = web().keep(|_| false).figures();
    check_week("this", f.this_week.as_ref().unwrap(), "2026-11-23", &[]);
    check_week("last", &f.last_week, "2026-11-16", &[]);
    assert_eq!(f.to_date_minutes, 0);
    check_budget("empty", &f, 0, 6000, "0.0");
    assert_eq!(f.status, Some(Status::OnTrack));
    check_burn("empty", &f, 4, 0);
    assert_eq!(f.burn.minutes_per_week(), Some(Decimal::ZERO));
    assert_eq!(f.projection, Projection::NoBurn);
    assert!(f.by_member.is_empty() && f.by_task.is_empty() && f.by_phase.is_empty());
    assert_eq!(f.weekly.len(), 12);
    assert!(f.weekly.iter().all(|p| p.minutes == 0));
    assert_eq!(f.weekly.last().unwrap().week.start, d("2026-11-23"));
    // Weeks 10-05 … 11-23: 8 points, all 0.
    assert_eq!(f.burn_up.points.len(), 8);
    assert!(f.burn_up.points.iter().all(|p| p.minutes == 0));
    assert_eq!(f.burn_up.projection, None);

    // No budget either: no budget figures, no projection, no status.
    let f = web().keep(|_| false).budget(None).summary().figures();
    assert_eq!(f.budget, None);
    assert_eq!(f.projection, Projection::NoBudget);
    assert_eq!(f.status, None);
    assert_eq!(f.to_date_minutes, 0);

    // An empty retainer.
    let f = retainer().keep(|_| false).figures();
    check_budget("empty retainer", &f, 0, 1200, "0.0");
    assert_eq!(f.projection, Projection::NoBurn);
}

#[test]
fn a_project_without_budget_has_hours_but_no_projection_or_status() {
    let f = web().budget(None).figures();
    assert_eq!(f.budget, None);
    assert_eq!(f.projection, Projection::NoBudget);
    assert_eq!(f.status, None);
    assert_eq!(f.runs_out_before_end, None);
    assert_eq!(f.to_date_minutes, 1920);
    assert_eq!(by_id(&f.by_member), map(&[("mem_a", 1440), ("mem_b", 450), ("mem_c", 30)]));
    // Burn still shown (billable minutes): 4 weeks × 300.
    check_burn("no budget", &f, 4, 1200);
    assert_eq!(f.burn_up.allocated_minutes, None);
    assert_eq!(f.burn_up.projection, None);
    assert_eq!(f.burn_up.points.last().map(|p| p.minutes), Some(1920));
}

#[test]
fn burn_rate_of_a_young_project_averages_fewer_weeks() {
    // Starts Wednesday 11-04 (first week 11-02); today 11-25: complete weeks 11-02, 11-09, 11-16.
    let s = Scenario::new(
        project("2026-11-04", None, fixed(2000)),
        utc_monday(),
        "2026-11-25",
        vec![e("2026-11-04", "mem_a", 300), e("2026-11-12", "mem_a", 200), e("2026-11-18", "mem_b", 100), e("2026-11-24", "mem_a", 500)],
    );
    let f = s.figures();
    // 300 + 200 + 100 = 600 over 3 weeks = 200/week (the current week's 500 does not count).
    check_burn("young", &f, 3, 600);
    assert_eq!(f.burn.minutes_per_week(), Some(Decimal::from(200)));
    // Used 1100, remaining 900: ⌈900 × 7 / 200⌉ = ⌈31.5⌉ = 32 → 12-27.
    check_budget("young", &f, 1100, 900, "55.0");
    check_runs_out("young", &f, "2026-12-27", 32, None);

    // Started on Sunday 11-22: its week 11-16 is complete → n = 1 with 120 minutes.
    let s = Scenario::new(
        project("2026-11-22", None, fixed(2000)),
        utc_monday(),
        "2026-11-25",
        vec![e("2026-11-22", "mem_a", 120), e("2026-11-24", "mem_a", 60)],
    );
    let f = s.figures();
    check_burn("one week", &f, 1, 120);
    // Remaining 2000 − 180 = 1820: ⌈1820 × 7 / 120⌉ = ⌈106.2⌉ = 107 → 2027-03-12.
    check_runs_out("one week", &f, "2027-03-12", 107, None);
}

#[test]
fn burn_rate_with_zero_complete_weeks_is_none() {
    for starts in ["2026-11-23", "2026-11-25", "2026-11-29"] {
        let s = Scenario::new(project(starts, None, fixed(2000)), utc_monday(), "2026-11-25", vec![e("2026-11-23", "mem_a", 300)]);
        let f = s.figures();
        check_burn(starts, &f, 0, 0);
        assert_eq!(f.burn.minutes_per_week(), None, "{starts}");
        assert_eq!(f.projection, Projection::NoBurn, "{starts}");
        check_budget(starts, &f, 300, 1700, "15.0");
    }
}

#[test]
fn projection_rounds_up_to_whole_days() {
    // 1050/week over 4 weeks; used 4200.
    // Remaining 150: 150 × 7 / 1050 = 1 exactly → 1 day → 11-26.
    check_runs_out("exact 1", &steady(1050, 4350).figures(), "2026-11-26", 1, None);
    // Remaining 151: 1057 / 1050 = 1.007 → 2 days → 11-27.
    check_runs_out("just over 1", &steady(1050, 4351).figures(), "2026-11-27", 2, None);
    // Remaining 300: 2100 / 1050 = 2 exactly → 11-27 (not 3 days).
    check_runs_out("exact 2", &steady(1050, 4500).figures(), "2026-11-27", 2, None);
    // Burn 1200/week (4800 in 4 weeks), remaining 600: 600 × 7 / 1200 = 3.5 → 4 days → 11-29.
    check_runs_out("3.5", &steady(1200, 5400).figures(), "2026-11-29", 4, None);
}

#[test]
fn run_out_is_compared_with_the_end_date() {
    // Run-out 11-27 (see above). On or after the end date: lasts.
    let lasts = |end: &str| Some(EndCheck::Lasts { end: d(end) });
    for end in ["2026-11-26", "2026-11-27"] {
        let f = steady(1050, 4500).ends(Some(end)).figures();
        check_runs_out(end, &f, "2026-11-27", 2, lasts(end));
        assert_eq!(f.runs_out_before_end, None);
    }
    // End 11-28: runs out 1 day early. End 12-31: 4 + 30 = 34 days early.
    for (end, early) in [("2026-11-28", 1), ("2026-12-31", 34)] {
        let f = steady(1050, 4500).ends(Some(end)).figures();
        check_runs_out(end, &f, "2026-11-27", 2, Some(EndCheck::RunsOutEarly { end: d(end), days_early: early }));
        assert_eq!(f.runs_out_before_end, Some(early));
        assert_eq!(f.burn_up.projection, Some((d("2026-11-25"), d("2026-11-27"))));
    }
}

#[test]
fn over_budget_by_n_hours() {
    // Used 4200 against 4020: over by 180 min = 3 h; 4200 / 4020 = 104.48 → 104.5 %.
    let f = steady(1050, 4020).figures();
    check_budget("over", &f, 4200, -180, "104.5");
    assert_eq!(f.projection, Projection::Exhausted { over_minutes: Some(180), over_amount_minor: None });
    assert_eq!(f.status, Some(Status::OverBudget));
    assert_eq!(f.runs_out_before_end, None);
    assert_eq!(f.burn_up.projection, None);

    // Exactly used up: over by 0, 100.0 %.
    let f = steady(1050, 4200).figures();
    assert_eq!(f.projection, Projection::Exhausted { over_minutes: Some(0), over_amount_minor: None });
    assert_eq!(f.status, Some(Status::OverBudget));
}

#[test]
fn status_boundaries_with_default_thresholds() {
    let status_at = |used: i64, allocated: i64| {
        let s =
            Scenario::new(project("2026-10-05", None, fixed(allocated)), utc_monday(), "2026-11-25", vec![e("2026-10-06", "mem_a", used)]);
        let f = s.figures();
        (f.budget.unwrap().percent_minutes.unwrap().to_string(), f.status.unwrap())
    };
    for (used, percent, status) in [
        (749, "74.9", Status::OnTrack),
        (750, "75.0", Status::Watch),
        (899, "89.9", Status::Watch),
        (900, "90.0", Status::AtRisk),
        (999, "99.9", Status::AtRisk),
        (1000, "100.0", Status::OverBudget),
        (1001, "100.1", Status::OverBudget),
        (0, "0.0", Status::OnTrack),
    ] {
        assert_eq!(status_at(used, 1000), (percent.to_string(), status), "used {used} of 1000");
    }
    // The percentage shown is rounded (one decimal, half to even: 74.85 → 74.8, 74.95 → 75.0),
    // but status compares exactly: 74.95 % has not reached 75 %, 99.96 % is not over budget.
    assert_eq!(status_at(7485, 10_000), ("74.8".to_string(), Status::OnTrack));
    assert_eq!(status_at(7475, 10_000), ("74.8".to_string(), Status::OnTrack));
    assert_eq!(status_at(7495, 10_000), ("75.0".to_string(), Status::OnTrack));
    assert_eq!(status_at(9996, 10_000), ("100.0".to_string(), Status::AtRisk));
}

#[test]
fn status_takes_the_higher_percentage_and_custom_thresholds() {
    // Hours 500/1000 = 50 %, money 92 000/100 000 = 92 % → two thresholds (75, 90) → at risk.
    let s = Scenario::new(
        project("2026-10-05", None, budget(BudgetPeriod::Fixed, Some(1000), Some(100_000))),
        utc_monday(),
        "2026-11-25",
        vec![e("2026-10-06", "mem_a", 500).amount(92_000)],
    );
    let f = s.figures();
    let b = f.budget.as_ref().unwrap();
    assert_eq!((b.percent_minutes, b.percent_amount, b.percent()), (Some(pct("50.0")), Some(pct("92.0")), Some(pct("92.0"))));
    assert_eq!(f.status, Some(Status::AtRisk));

    // Thresholds 50, 80: 60 % reaches one → watch; 80 % two → at risk; 40 % none.
    let mut s = steady(150, 1000); // used 600 of 1000
    s.project.thresholds = Thresholds::new(vec![80, 50]).unwrap();
    assert_eq!(s.figures().status, Some(Status::Watch));
    s.project.budget = fixed(750); // 600 / 750 = 80 %
    assert_eq!(s.figures().status, Some(Status::AtRisk));
    s.project.budget = fixed(1500); // 40 %
    assert_eq!(s.figures().status, Some(Status::OnTrack));
}

#[test]
fn weekly_summary_ignores_the_current_week_everywhere() {
    let base = web().summary();
    let f = base.figures();
    assert_eq!(f.this_week, None);
    check_week("last week", &f.last_week, "2026-11-16", &[("mem_a", 250), ("mem_b", 50)]);
    // Without the current week's 120: 1800 used, 4200 remaining, 30.0 %.
    assert_eq!(f.to_date_minutes, 1800);
    check_budget("summary", &f, 1800, 4200, "30.0");
    // Current week: a 90 (dev/build), c 30 (review/build) come off: a 1440 − 90, dev 1440 − 90,
    // review gone, build 1470 − 90 − 30 = 1350, c gone.
    assert_eq!(by_id(&f.by_member), map(&[("mem_a", 1350), ("mem_b", 450)]));
    assert_eq!(by_id(&f.by_task), map(&[("tsk_dev", 1350), ("tsk_design", 400), ("", 50)]));
    assert_eq!(by_id(&f.by_phase), map(&[("phs_build", 1350), ("phs_design", 300), ("", 150)]));
    // Same burn (4 × 300): ⌈4200 × 7 / 300⌉ = 98 exactly → 2027-03-03.
    check_burn("summary", &f, 4, 1200);
    check_runs_out("summary", &f, "2027-03-03", 98, Some(EndCheck::Lasts { end: d("2026-12-31") }));
    // Charts end with the previous week.
    assert_eq!(f.weekly.len(), 12);
    assert_eq!((f.weekly[0].week.start, f.weekly[11].week.start, f.weekly[11].minutes), (d("2026-08-31"), d("2026-11-16"), 300));
    assert_eq!(f.burn_up.points.last().map(|p| (p.week.start, p.minutes)), Some((d("2026-11-16"), 1800)));

    // Removing the current week's entries, or adding more (any member, task, phase, billable or
    // not, later this week), changes nothing.
    let without = base.clone().keep(|r| r.date < d("2026-11-23"));
    let with_more = base.clone().with_entries(vec![
        e("2026-11-23", "mem_d", 500).task("tsk_new").phase("phs_new"),
        e("2026-11-25", "mem_a", 30).non_billable(),
        e("2026-11-29", "mem_b", 45).task("tsk_design"),
    ]);
    for (label, other) in [("without", without.figures()), ("with more", with_more.figures())] {
        assert_eq!(other.this_week, None, "{label}");
        assert_eq!(other.by_member, f.by_member, "{label}: by member");
        assert_eq!(other.by_task, f.by_task, "{label}: by task");
        assert_eq!(other.by_phase, f.by_phase, "{label}: by phase");
        assert_eq!(other.to_date_minutes, f.to_date_minutes, "{label}: to date");
        assert_eq!(other.budget, f.budget, "{label}: budget");
        assert_eq!(other.weekly, f.weekly, "{label}: weekly");
        assert_eq!(other.burn_up, f.burn_up, "{label}: burn-up");
        assert_eq!(other, f, "{label}: everything");
    }
    // In real time the same additions do show (the check above is not vacuous):
    // 1920 + 500 (the non-billable 30 stays hidden; Sunday 11-29's 45 is planned time, after
    // today, and counts from that Sunday) = 2420.
    let mut rt = with_more;
    rt.view = ViewMode::RealTime;
    assert_eq!(rt.figures().to_date_minutes, 2420);
    rt.today = d("2026-11-29");
    assert_eq!(rt.figures().to_date_minutes, 2465);

    // Same with non-billable time shown and counted, and for a retainer.
    let nb = |s: Scenario| {
        let s = s.show_non_billable();
        let b = including_non_billable(s.project.budget);
        s.budget(b)
    };
    assert_eq!(nb(base.clone()).figures(), nb(without.clone()).figures());
    let r = retainer().summary();
    let r_more = r.clone().with_entries(vec![e("2026-12-07", "mem_c", 400), e("2026-12-13", "mem_a", 10).non_billable()]);
    assert_eq!(r.figures(), r_more.figures());
    assert_eq!(r.figures(), r.clone().keep(|x| x.date < d("2026-12-07")).figures());
}

#[test]
fn non_billable_visibility_and_budget_inclusion_are_separate() {
    // The reference project has one non-billable entry: b 120 in week 11-16.
    let cases = [
        // (shown, budget includes, to_date, used, last-week total, burn minutes)
        (false, false, 1920, 1920, 300, 1200),
        (true, false, 2040, 1920, 420, 1200),
        (false, true, 1920, 2040, 300, 1320),
        (true, true, 2040, 2040, 420, 1320),
    ];
    for (shown, includes, to_date, used, last_week, burn) in cases {
        let mut s = web();
        s.show_non_billable = shown;
        if includes {
            s = s.budget(including_non_billable(fixed(6000)));
        }
        let f = s.figures();
        let label = format!("shown={shown} includes={includes}");
        assert_eq!(f.to_date_minutes, to_date, "{label}: to date");
        assert_eq!(f.budget.as_ref().unwrap().used_minutes, used, "{label}: used");
        assert_eq!(f.last_week.total_minutes, last_week, "{label}: last week");
        assert_eq!(f.burn.minutes, burn, "{label}: burn");
        assert_eq!(sum(&f.by_member), to_date, "{label}: by member follows visibility");
        assert_eq!(f.weekly[10].minutes, last_week, "{label}: weekly follows visibility");
        assert_eq!(f.burn_up.points.last().unwrap().minutes, used, "{label}: burn-up follows the budget");
    }
    // Included but hidden: used 2040, remaining 3960, 34.0 %; burn 1320 = 330/week;
    // ⌈3960 × 7 / 330⌉ = 84 exactly → 2027-02-17.
    let f = web().budget(including_non_billable(fixed(6000))).figures();
    check_budget("included", &f, 2040, 3960, "34.0");
    check_runs_out("included", &f, "2027-02-17", 84, Some(EndCheck::Lasts { end: d("2026-12-31") }));
}

#[test]
fn money_only_budget_projects_with_amounts() {
    // $10,001.23 budget, no hours budget.
    let s = Scenario::new(
        project("2026-10-05", None, budget(BudgetPeriod::Fixed, None, Some(1_000_123))),
        utc_monday(),
        "2026-11-25",
        vec![
            e("2026-10-06", "mem_a", 600).amount(100_000),
            e("2026-10-27", "mem_a", 300).amount(50_000),
            e("2026-11-03", "mem_a", 300).amount(50_000),
            e("2026-11-10", "mem_b", 300).amount(50_000),
            e("2026-11-17", "mem_b", 300).amount(50_000),
            e("2026-11-18", "mem_b", 120).non_billable(),
            e("2026-11-24", "mem_a", 60).amount(10_000),
        ],
    );
    let f = s.figures();
    let b = f.budget.as_ref().unwrap();
    // Used 100 000 + 4 × 50 000 + 10 000 = 310 000; remaining 690 123;
    // 310 000 / 1 000 123 = 30.996 % → 31.0.
    assert_eq!((b.used_amount_minor, b.remaining_amount_minor, b.allocated_amount_minor), (310_000, Some(690_123), Some(1_000_123)));
    assert_eq!(b.percent_amount.map(|p| p.to_string()), Some("31.0".to_string()));
    assert_eq!((b.allocated_minutes, b.remaining_minutes, b.percent_minutes), (None, None, None));
    assert_eq!(b.used_minutes, 1860); // billable minutes: 600 + 4 × 300 + 60
    assert_eq!(f.status, Some(Status::OnTrack));
    // Burn: 200 000 over 4 weeks = 50 000/week. ⌈690 123 × 7 / 50 000⌉ = ⌈96.6⌉ = 97 → 2027-03-02.
    assert_eq!(f.burn.amount_minor, 200_000);
    check_runs_out("money", &f, "2027-03-02", 97, None);

    // Minutes burned but nothing billed: no money burn ⇒ no projection.
    let unpriced = Scenario { entries: s.entries.iter().cloned().map(|r| r.amount(0)).collect(), ..s.clone() };
    assert_eq!(unpriced.figures().projection, Projection::NoBurn);

    // Money exhausted: over by the amount.
    let f = s.clone().budget(budget(BudgetPeriod::Fixed, None, Some(300_000))).figures();
    assert_eq!(f.projection, Projection::Exhausted { over_minutes: None, over_amount_minor: Some(10_000) });
    assert_eq!(f.status, Some(Status::OverBudget));
}

/// Entries dated after the client's today count nowhere until their day (module docs of
/// `figures`): the reference project with planned time added tomorrow, next week and next year
/// has exactly the reference figures; the day after, tomorrow's entry counts everywhere.
#[test]
fn entries_dated_after_today_count_nowhere_until_their_day() {
    let base = web().budget(including_non_billable(fixed(6000)));
    let planned = vec![
        e("2026-11-26", "mem_a", 60).task("tsk_dev").phase("phs_build").amount(14_242),
        e("2026-11-26", "mem_b", 30).non_billable(),
        e("2026-12-02", "mem_c", 45).task("tsk_review"),
        e("2027-06-01", "mem_a", 480),
    ];
    let with = base.clone().with_entries(planned.clone());
    for (label, s) in [("real time", (base.clone(), with.clone())), ("summary", (base.clone().summary(), with.clone().summary()))] {
        assert_eq!(s.1.figures(), s.0.figures(), "{label}: planned entries changed a figure");
    }
    // Thursday 11-26 arrives: only the 26th's entries count (this week, to date, budget, charts).
    let (mut before, mut after) = (base.clone(), with.clone());
    before.today = d("2026-11-26");
    after.today = d("2026-11-26");
    let (b, a) = (before.figures(), after.figures());
    assert_eq!(a.this_week.as_ref().unwrap().total_minutes, b.this_week.as_ref().unwrap().total_minutes + 60);
    assert_eq!(a.to_date_minutes, b.to_date_minutes + 60);
    assert_eq!(a.budget.as_ref().unwrap().used_minutes, b.budget.as_ref().unwrap().used_minutes + 90);
    assert_eq!(a.budget.as_ref().unwrap().used_amount_minor, b.budget.as_ref().unwrap().used_amount_minor + 14_242);
    assert_eq!(a.weekly.last().unwrap().minutes, b.weekly.last().unwrap().minutes + 60);
    assert_eq!(sum(&a.by_task), sum(&b.by_task) + 60);
}

/// The same with a pinned clock crossing midnight in the client's time zone: New York's
/// Wednesday 23:30 is Thursday 04:30 UTC; an entry dated Thursday counts from 00:00 New York
/// time (05:00 UTC), not from UTC midnight.
#[test]
fn a_planned_entry_counts_from_local_midnight_with_no_write() {
    let ny = cal("America/New_York", "monday");
    let s = Scenario::new(
        project("2026-10-05", None, fixed(6000)),
        ny,
        "2026-11-25",
        vec![e("2026-11-24", "mem_a", 120), e("2026-11-26", "mem_a", 60)],
    );
    let at = |h: u32, m: u32| {
        let mut s = s.clone();
        s.today = ny.today(Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap());
        s.figures()
    };
    let (late_wednesday, early_thursday) = (at(4, 30), at(5, 30));
    assert_eq!((late_wednesday.today, early_thursday.today), (d("2026-11-25"), d("2026-11-26")));
    assert_eq!(late_wednesday.to_date_minutes, 120);
    assert_eq!(late_wednesday.this_week.as_ref().unwrap().total_minutes, 120);
    assert_eq!(late_wednesday.budget.as_ref().unwrap().percent_minutes.unwrap().to_string(), "2.0");
    assert_eq!(early_thursday.to_date_minutes, 180);
    assert_eq!(early_thursday.this_week.as_ref().unwrap().total_minutes, 180);
    assert_eq!(early_thursday.budget.as_ref().unwrap().percent_minutes.unwrap().to_string(), "3.0");
}

/// A budget counting non-billable time says how much when the client cannot see that time.
#[test]
fn a_budget_with_hidden_internal_time_says_so() {
    let s = web().budget(including_non_billable(fixed(6000)));
    assert_eq!(s.figures().budget.unwrap().non_billable_minutes, 120);
    assert_eq!(web().figures().budget.unwrap().non_billable_minutes, 0);
    let members = canary_members();
    let hidden: serde_json::Value =
        serde_json::from_str(&dashboard_json(&s, Visibility { view: ViewMode::RealTime, ..Visibility::default() }, &members)).unwrap();
    assert_eq!(hidden["budget"]["internal_hours"], "2.00");
    assert_eq!(hidden["budget"]["internal_note"], "Includes 2 h of internal time.");
    let shown = Visibility { view: ViewMode::RealTime, non_billable: NonBillable::Shown, ..Visibility::default() };
    let shown: serde_json::Value = serde_json::from_str(&dashboard_json(&s, shown, &members)).unwrap();
    assert!(shown["budget"]["internal_hours"].is_null() && shown["budget"]["internal_note"].is_null());
}

/// Weekly summary: `as_of` is the end of the last complete week (local midnight, in UTC),
/// whatever the newest change; real time passes the newest change through.
#[test]
fn weekly_summary_as_of_is_the_end_of_the_last_complete_week() {
    let members = canary_members();
    let (tasks, phases) = catalogue();
    let ny = web();
    let mut s = ny.clone();
    s.calendar = cal("America/New_York", "monday");
    let summary = Visibility::default();
    for newest in ["2026-11-25T12:00:00Z", "2026-11-25T12:00:01Z", "2026-11-18T08:00:00Z"] {
        let ctx = ClientContext { visibility: summary, currency: usd(), members: &members, tasks: &tasks, phases: &phases };
        let dash = project_dashboard(&ctx, &s.project, &s.clone().summary().figures(), Some(newest.into()));
        // Monday 2026-11-23 00:00 in New York (EST, UTC−5).
        assert_eq!(dash.as_of.as_deref(), Some("2026-11-23T05:00:00Z"), "{newest}");
        let ctx = ClientContext {
            visibility: Visibility { view: ViewMode::RealTime, ..summary },
            currency: usd(),
            members: &members,
            tasks: &tasks,
            phases: &phases,
        };
        let dash = project_dashboard(&ctx, &s.project, &s.figures(), Some(newest.into()));
        assert_eq!(dash.as_of.as_deref(), Some(newest));
    }
    // No data yet still reads the same (None → Some would tell that the week changed).
    let ctx = ClientContext { visibility: summary, currency: usd(), members: &members, tasks: &tasks, phases: &phases };
    let dash = project_dashboard(&ctx, &s.project, &s.clone().summary().figures(), None);
    assert_eq!(dash.as_of.as_deref(), Some("2026-11-23T05:00:00Z"));
}

/// With budget money as percentages, no amount reaches the client; as amounts, only the
/// budget-level ones (allocated, used, remaining, over by).
#[test]
fn budget_money_as_amounts_or_percentages_only() {
    let members = canary_members();
    let s = Scenario::new(
        project("2026-10-05", None, budget(BudgetPeriod::Fixed, Some(6000), Some(1_000_123))),
        utc_monday(),
        "2026-11-25",
        vec![e("2026-10-06", "mem_a", 60).amount(14_242), e("2026-11-17", "mem_b", 60).amount(14_242)],
    );
    for rates in RatesVisibility::ALL {
        let v = Visibility { rates: *rates, view: ViewMode::RealTime, budget_money: BudgetMoney::Percentages, ..Visibility::default() };
        let json = dashboard_json(&s, v, &members);
        assert!(!json.contains("USD") && !json.contains("142.42") && !json.contains("284.84"), "{json}");
        let d: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!((d["budget"]["percent_amount"].as_str(), d["budget"]["money_shown_as"].as_str()), (Some("2.8"), Some("percentages")));
        let v = Visibility { budget_money: BudgetMoney::Amounts, ..v };
        let d: serde_json::Value = serde_json::from_str(&dashboard_json(&s, v, &members)).unwrap();
        assert_eq!(d["budget"]["amount_used"], "USD 284.84");
        assert_eq!(d["budget"]["amount_allocated"], "USD 10,001.23");
        assert_eq!(d["budget"]["amount_remaining"], "USD 9,716.39");
    }
    // Over budget by money, percentages only: the sentence names no amount.
    let over = s.clone().budget(budget(BudgetPeriod::Fixed, None, Some(20_000)));
    let d: serde_json::Value =
        serde_json::from_str(&dashboard_json(&over, Visibility { view: ViewMode::RealTime, ..Visibility::default() }, &members)).unwrap();
    assert_eq!(d["projection"]["kind"], "over_budget");
    assert!(d["projection"]["over_by_amount"].is_null());
    assert_eq!(d["projection"]["summary"], "The budget is used up: 142.4% used.");
}

/// A run-out far in the future saturates at the calendar's end; it never wraps to today.
#[test]
fn a_far_run_out_date_saturates_instead_of_wrapping_to_today() {
    let s = Scenario::new(
        project("2026-10-05", None, budget(BudgetPeriod::Fixed, None, Some(i64::MAX))),
        utc_monday(),
        "2026-11-25",
        vec![e("2026-11-17", "mem_a", 60).amount(1)],
    );
    match s.figures().projection {
        Projection::RunsOut { date, days_left, end } => {
            assert_eq!(date, NaiveDate::MAX);
            assert!(days_left > 1_000_000_000, "{days_left}");
            assert_eq!(end, None);
        }
        other => panic!("expected a run-out, got {other:?}"),
    }
    let ends = s.clone().ends(Some("2026-12-31")).figures();
    assert!(matches!(ends.projection, Projection::RunsOut { end: Some(EndCheck::Lasts { .. }), .. }), "{:?}", ends.projection);
    let members = canary_members();
    let _ = dashboard_json(&s, Visibility::default(), &members);
}

fn canary_members() -> Vec<MemberRecord> {
    ["mem_a", "mem_b", "mem_c"].iter().enumerate().map(|(i, id)| member_record(id, i, "Developer", i as u32 + 1)).collect()
}

const EMAIL_CANARY: &str = "canary.mail.7f3a@private.invalid";
const PHONE_CANARY: &str = "+1-555-CANARY-0199";
const NOTES_CANARY: &str = "CANARY-NOTE-e41d";
const COST_RATE_CANARY: &str = "4321.9876";
const MEMBER_RATE_CANARY: &str = "1234.5678";
const NAME_CANARY: &str = "Zelda Qwertyname";

fn member_record(id: &str, i: usize, title: &str, seq: u32) -> MemberRecord {
    MemberRecord {
        id: MemberId::parse(id).unwrap(),
        name: format!("{NAME_CANARY} {i}"),
        role_title: title.into(),
        email: format!("{i}.{EMAIL_CANARY}"),
        phone: format!("{PHONE_CANARY}-{i}"),
        cost_rate: Some(HourlyRate::parse(COST_RATE_CANARY).unwrap()),
        default_rate: Some(HourlyRate::parse(MEMBER_RATE_CANARY).unwrap()),
        personal_notes: format!("{NOTES_CANARY} about member {i}"),
        client_seq: seq,
    }
}

fn catalogue() -> (Vec<TaskRecord>, Vec<PhaseRecord>) {
    let task = |id: &str, name: &str| TaskRecord {
        id: TaskId::parse(id).unwrap(),
        name: name.into(),
        client_explanation: format!("{name} work"),
        billable_default: true,
    };
    let phase = |id: &str, name: &str| PhaseRecord { id: PhaseId::parse(id).unwrap(), name: name.into() };
    (
        vec![task("tsk_dev", "Development"), task("tsk_design", "Design")],
        vec![phase("phs_build", "Build"), phase("phs_design", "Design phase")],
    )
}

fn dashboard_json(s: &Scenario, visibility: Visibility, members: &[MemberRecord]) -> String {
    let (tasks, phases) = catalogue();
    let ctx = ClientContext { visibility, currency: s.project.currency, members, tasks: &tasks, phases: &phases };
    let dash = project_dashboard(&ctx, &s.project, &s.figures(), Some("2026-11-25T12:00:00Z".into()));
    serde_json::to_string(&dash).unwrap()
}

fn assert_no_private_fields(json: &str, team: TeamDisplay) {
    for canary in [EMAIL_CANARY, PHONE_CANARY, NOTES_CANARY, COST_RATE_CANARY, MEMBER_RATE_CANARY] {
        assert!(!json.contains(canary), "{canary:?} leaked into {json}");
    }
    if team != TeamDisplay::Names {
        assert!(!json.contains(NAME_CANARY), "a name leaked under {team:?}: {json}");
    }
}

#[test]
fn client_dashboard_shows_labels_and_no_private_fields() {
    let members = canary_members();
    for team in TeamDisplay::ALL {
        let vis = Visibility { team: *team, view: ViewMode::RealTime, ..Visibility::default() };
        let json = dashboard_json(&web(), vis, &members);
        assert_no_private_fields(&json, *team);
        match team {
            TeamDisplay::Anonymous => assert!(json.contains("Team member A") && json.contains("Team member C"), "{json}"),
            TeamDisplay::Roles => assert!(json.contains("Developer 1") && json.contains("Developer 3"), "{json}"),
            TeamDisplay::Names => assert!(json.contains(&format!("{NAME_CANARY} 0")), "{json}"),
        }
    }
    // The early run-out and over-budget cases reach the client as such.
    let vis = Visibility { view: ViewMode::RealTime, ..Visibility::default() };
    let early: serde_json::Value =
        serde_json::from_str(&dashboard_json(&steady(1050, 4500).ends(Some("2026-12-31")), vis, &members)).unwrap();
    assert_eq!(early["projection"]["kind"], "runs_out");
    assert_eq!(early["projection"]["days_early"], 34);
    assert_eq!(early["projection"]["run_out_date"], "2026-11-27");
    let over: serde_json::Value = serde_json::from_str(&dashboard_json(&steady(1050, 4020), vis, &members)).unwrap();
    assert_eq!(over["projection"]["kind"], "over_budget");
    assert_eq!(over["projection"]["over_by_hours"], "3.00");
}

// ============================================================================================
// Properties
// ============================================================================================

const TIME_ZONES: [&str; 4] = ["UTC", "America/New_York", "Europe/Berlin", "Pacific/Auckland"];
const WEEKDAYS: [Weekday; 7] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
/// `mem_x` has no member record (a member removed since).
const MEMBER_IDS: [&str; 4] = ["mem_a", "mem_b", "mem_c", "mem_x"];
const TASK_IDS: [Option<&str>; 3] = [None, Some("tsk_dev"), Some("tsk_design")];
const PHASE_IDS: [Option<&str>; 3] = [None, Some("phs_build"), Some("phs_design")];

/// An entry whose date is chosen later (from `pos`) within a range of dates.
#[derive(Clone, Debug)]
struct EntrySpec {
    pos: u32,
    member: usize,
    task: usize,
    phase: usize,
    billable: bool,
    minutes: i64,
    cents_per_minute: i64,
}

fn arb_entry() -> impl Strategy<Value = EntrySpec> {
    (any::<u32>(), 0..MEMBER_IDS.len(), 0..TASK_IDS.len(), 0..PHASE_IDS.len(), prop::bool::weighted(0.75), 1i64..=600, 0i64..=400).prop_map(
        |(pos, member, task, phase, billable, minutes, cents_per_minute)| EntrySpec {
            pos,
            member,
            task,
            phase,
            billable,
            minutes,
            cents_per_minute,
        },
    )
}

impl EntrySpec {
    /// The entry on a date in `from ..= to`.
    fn place(&self, from: NaiveDate, to: NaiveDate) -> Raw {
        let span = (to - from).num_days().max(0) + 1;
        let date = add_days(from, i64::from(self.pos) % span);
        let mut r = entry_on(date, MEMBER_IDS[self.member], self.minutes);
        r.task = TASK_IDS[self.task].map(String::from);
        r.phase = PHASE_IDS[self.phase].map(String::from);
        if self.billable {
            r.amount = self.minutes * self.cents_per_minute;
        } else {
            r = r.non_billable();
        }
        r
    }
}

/// Budget kinds generated: none, fixed or monthly with hours, money or both (0 allowed).
#[derive(Clone, Debug)]
struct BudgetSpec {
    monthly: bool,
    minutes: Option<i64>,
    amount: Option<i64>,
    includes_non_billable: bool,
}

fn arb_budget() -> impl Strategy<Value = BudgetSpec> {
    (any::<bool>(), prop::option::weighted(0.8, 0i64..=20_000), prop::option::weighted(0.4, 0i64..=5_000_000), any::<bool>())
        .prop_map(|(monthly, minutes, amount, includes_non_billable)| BudgetSpec { monthly, minutes, amount, includes_non_billable })
}

/// Everything but the entries' dates.
#[derive(Clone, Debug)]
struct Spec {
    today_offset: i64,
    started_days_before: i64,
    ends_after_start: Option<i64>,
    budget: Option<BudgetSpec>,
    thresholds: Vec<u16>,
    tz: usize,
    first_day: usize,
    summary: bool,
    show_non_billable: bool,
    entries: Vec<EntrySpec>,
}

fn arb_spec() -> impl Strategy<Value = Spec> {
    (
        (0i64..900, 0i64..400, prop::option::of(0i64..500), prop::option::weighted(0.85, arb_budget())),
        (prop::collection::vec(1u16..=500, 1..4), 0..TIME_ZONES.len(), 0..WEEKDAYS.len(), any::<bool>(), any::<bool>()),
        prop::collection::vec(arb_entry(), 0..40),
    )
        .prop_map(
            |(
                (today_offset, started_days_before, ends_after_start, budget),
                (thresholds, tz, first_day, summary, show_non_billable),
                entries,
            )| Spec {
                today_offset,
                started_days_before,
                ends_after_start,
                budget,
                thresholds,
                tz,
                first_day,
                summary,
                show_non_billable,
                entries,
            },
        )
}

/// Where the generated entries' dates fall.
#[derive(Clone, Copy)]
enum Dates {
    /// From 150 days before today to 13 days after (before the project, in the future…).
    Anywhere,
    /// Within the project, up to today.
    ProjectToToday,
    /// From 120 days before today up to today.
    UpToToday,
}

impl Spec {
    fn today(&self) -> NaiveDate {
        add_days(d("2025-06-01"), self.today_offset)
    }

    fn scenario(&self, dates: Dates) -> Scenario {
        let today = self.today();
        let starts_on = add_days(today, -self.started_days_before);
        let budget = self.budget.as_ref().map(|b| Budget {
            period: if b.monthly { BudgetPeriod::Monthly } else { BudgetPeriod::Fixed },
            minutes: b.minutes,
            amount_minor: b.amount,
            includes_non_billable: b.includes_non_billable,
        });
        let project = Project {
            starts_on,
            ends_on: self.ends_after_start.map(|n| add_days(starts_on, n)),
            budget,
            thresholds: Thresholds::new(self.thresholds.clone()).unwrap(),
            ..project("2026-01-01", None, None)
        };
        let (from, to) = match dates {
            Dates::Anywhere => (add_days(today, -150), add_days(today, 13)),
            Dates::ProjectToToday => (starts_on, today),
            Dates::UpToToday => (add_days(today, -120), today),
        };
        Scenario {
            project,
            calendar: ClientCalendar::new(TIME_ZONES[self.tz], WEEKDAYS[self.first_day]).unwrap(),
            today,
            view: if self.summary { ViewMode::WeeklySummary } else { ViewMode::RealTime },
            show_non_billable: self.show_non_billable,
            entries: self.entries.iter().map(|e| e.place(from, to)).collect(),
        }
    }
}

// --- Direct computations from raw entries (independent of the rollups) ---------------------

fn visible(s: &Scenario, r: &Raw) -> bool {
    r.billable || s.show_non_billable
}

fn counts_for_budget(s: &Scenario, r: &Raw) -> bool {
    r.billable || s.project.budget.is_some_and(|b| b.includes_non_billable)
}

/// Not cut off: dated today or earlier, and real time or dated before the current week.
fn in_view(s: &Scenario, r: &Raw) -> bool {
    r.date <= s.today && (s.view == ViewMode::RealTime || r.date < s.current_week().start)
}

fn in_period(s: &Scenario, r: &Raw) -> bool {
    !s.project.is_monthly() || month_start_of(r.date) == month_start_of(s.today)
}

fn raw_by_member(s: &Scenario, keep: impl Fn(&Raw) -> bool) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for r in s.entries.iter().filter(|r| keep(r)) {
        *m.entry(r.member.clone()).or_insert(0) += r.minutes;
    }
    m
}

/// (weeks, minutes, amount) of the budget burn, stepping week by week from the first week.
fn raw_burn(s: &Scenario) -> (i64, i64, i64) {
    let current = s.current_week();
    let mut weeks = Vec::new();
    let mut w = s.calendar.week_of(s.project.starts_on);
    while w.start < current.start {
        weeks.push(w.start);
        w = w.next();
    }
    let last: Vec<NaiveDate> = weeks.iter().rev().take(4).copied().collect();
    let burned =
        s.entries.iter().filter(|r| counts_for_budget(s, r) && r.date <= s.today && last.contains(&s.calendar.week_of(r.date).start));
    let (minutes, amount) = burned.fold((0, 0), |(m, a), r| (m + r.minutes, a + if r.billable { r.amount } else { 0 }));
    (last.len() as i64, minutes, amount)
}

fn arb_extra_in_current_week() -> impl Strategy<Value = Vec<EntrySpec>> {
    prop::collection::vec(arb_entry(), 1..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) This week's and last week's totals are the sums over members, and match the raw
    /// entries of those weeks.
    #[test]
    fn week_totals_are_the_sum_over_members(spec in arb_spec()) {
        let s = spec.scenario(Dates::Anywhere);
        let f = s.figures();
        let current = s.current_week();
        prop_assert_eq!(f.last_week.total_minutes, sum(&f.last_week.by_member));
        prop_assert_eq!(f.last_week.week, current.previous());
        let expected_last = raw_by_member(&s, |r| visible(&s, r) && current.previous().contains(r.date) && r.date <= s.today);
        prop_assert_eq!(by_id(&f.last_week.by_member), expected_last);
        match (&f.this_week, s.view) {
            (Some(w), ViewMode::RealTime) => {
                prop_assert_eq!(w.total_minutes, sum(&w.by_member));
                prop_assert_eq!(w.week, current);
                let expected = raw_by_member(&s, |r| visible(&s, r) && current.contains(r.date) && r.date <= s.today);
                prop_assert_eq!(by_id(&w.by_member), expected);
            }
            (None, ViewMode::WeeklySummary) => {}
            (w, v) => prop_assert!(false, "this_week {:?} in {:?}", w, v),
        }
    }

    /// (b) Fixed budget (or none), every entry within the project: by member = by task =
    /// by phase = to date = the raw visible minutes not cut off.
    #[test]
    fn breakdowns_add_up_to_the_to_date_hours(spec in arb_spec()) {
        let mut s = spec.scenario(Dates::ProjectToToday);
        if let Some(b) = s.project.budget.as_mut() {
            b.period = BudgetPeriod::Fixed;
        }
        let f = s.figures();
        let expected: i64 = s.entries.iter().filter(|r| visible(&s, r) && in_view(&s, r)).map(|r| r.minutes).sum();
        prop_assert_eq!(f.to_date_minutes, expected);
        prop_assert_eq!(sum(&f.by_member), expected);
        prop_assert_eq!(sum(&f.by_task), expected);
        prop_assert_eq!(sum(&f.by_phase), expected);
        prop_assert!(f.by_member.iter().chain(&f.by_task).chain(&f.by_phase).all(|x| x.minutes > 0));
    }

    /// (c) Weekly summary: entries dated in the current week change nothing at all.
    #[test]
    fn weekly_summary_ignores_current_week_entries(spec in arb_spec(), extra in arb_extra_in_current_week()) {
        let mut s = spec.scenario(Dates::Anywhere);
        s.view = ViewMode::WeeklySummary;
        let week = s.current_week();
        let more = s.clone().with_entries(extra.iter().map(|e| e.place(week.start, week.end())).collect());
        let (a, b) = (s.figures(), more.figures());
        prop_assert!(b.this_week.is_none());
        prop_assert_eq!(&a.by_member, &b.by_member);
        prop_assert_eq!(&a.by_task, &b.by_task);
        prop_assert_eq!(&a.by_phase, &b.by_phase);
        prop_assert_eq!(a.to_date_minutes, b.to_date_minutes);
        prop_assert_eq!(&a.budget, &b.budget);
        prop_assert_eq!(&a.weekly, &b.weekly);
        prop_assert_eq!(&a.burn_up, &b.burn_up);
        prop_assert_eq!(a, b);
    }

    /// (d) Burn-up never goes down, and ends at "budget used" when all entries are in the chart.
    #[test]
    fn burn_up_is_monotonic_and_ends_at_used(spec in arb_spec()) {
        let dates = if spec.budget.as_ref().is_some_and(|b| b.monthly) { Dates::UpToToday } else { Dates::ProjectToToday };
        let s = spec.scenario(dates);
        let f = s.figures();
        let points = &f.burn_up.points;
        prop_assert!(points.windows(2).all(|w| w[0].minutes <= w[1].minutes && w[1].week == w[0].week.next()), "{:?}", points);
        if let Some(b) = &f.budget {
            prop_assert_eq!(points.last().map_or(0, |p| p.minutes), b.used_minutes);
            let expected: i64 = s.entries.iter().filter(|r| counts_for_budget(&s, r) && in_view(&s, r) && in_period(&s, r)).map(|r| r.minutes).sum();
            prop_assert_eq!(b.used_minutes, expected);
        }
    }

    /// Budget, burn and projection agree with the raw entries and the contract's formula
    /// (⌈remaining × 7 / burn-per-week⌉ is the smallest whole number of days that is enough).
    #[test]
    fn burn_and_projection_follow_the_contract(spec in arb_spec()) {
        let s = spec.scenario(Dates::Anywhere);
        let f = s.figures();
        let (weeks, minutes, amount) = raw_burn(&s);
        prop_assert_eq!((f.burn.weeks, f.burn.minutes, f.burn.amount_minor), (weeks, minutes, amount));
        let Some(b) = &f.budget else {
            prop_assert_eq!(f.projection, Projection::NoBudget);
            prop_assert_eq!(f.status, None);
            return Ok(());
        };
        let used_amount: i64 = s.entries.iter().filter(|r| r.billable && in_view(&s, r) && in_period(&s, r)).map(|r| r.amount).sum();
        prop_assert_eq!(b.used_amount_minor, used_amount);
        let over_m = b.allocated_minutes.map(|a| b.used_minutes - a).filter(|o| *o >= 0);
        let over_a = b.allocated_amount_minor.map(|a| b.used_amount_minor - a).filter(|o| *o >= 0);
        match f.projection {
            Projection::Exhausted { over_minutes, over_amount_minor } => {
                prop_assert_eq!((over_minutes, over_amount_minor), (over_m, over_a));
                prop_assert!(over_m.is_some() || over_a.is_some());
            }
            Projection::RunsOut { date, days_left, end } => {
                prop_assert!(over_m.is_none() && over_a.is_none());
                let (remaining, burned) = match b.remaining_minutes {
                    Some(r) => (r, minutes),
                    None => (b.remaining_amount_minor.unwrap(), amount),
                };
                // days_left × burned/weeks ≥ remaining × 7 > (days_left − 1) × burned/weeks
                prop_assert!(days_left * burned >= remaining * 7 * weeks);
                prop_assert!((days_left - 1) * burned < remaining * 7 * weeks);
                prop_assert_eq!(date, add_days(s.today, days_left));
                prop_assert_eq!(f.burn_up.projection, Some((s.today, date)));
                let period_end = if s.project.is_monthly() { Some(f.period.end.unwrap()) } else { s.project.ends_on };
                match (end, period_end) {
                    (None, None) => {}
                    (Some(EndCheck::Lasts { end }), Some(e)) => prop_assert!(end == e && date >= e),
                    (Some(EndCheck::RunsOutEarly { end, days_early }), Some(e)) => {
                        prop_assert!(end == e && date < e && days_early == (e - date).num_days());
                        prop_assert_eq!(f.runs_out_before_end, Some(days_early));
                    }
                    (got, want) => prop_assert!(false, "end {:?} vs {:?}", got, want),
                }
            }
            Projection::NoBurn => {
                prop_assert!(over_m.is_none() && over_a.is_none());
                prop_assert_eq!(if b.allocated_minutes.is_some() { minutes } else { amount }, 0);
            }
            Projection::NoBudget => prop_assert!(b.allocated_minutes.is_none() && b.allocated_amount_minor.is_none()),
        }
        // Status compares exactly (not the rounded percentage): over budget iff used ≥ allocated.
        let exhausted = b.allocated_minutes.is_some_and(|a| b.used_minutes >= a) || b.allocated_amount_minor.is_some_and(|a| b.used_amount_minor >= a);
        if b.percent().is_some() {
            prop_assert_eq!(f.status == Some(Status::OverBudget), exhausted);
        }
    }

    /// (f) Entries dated after today (planned time) change no figure at all, in either view.
    #[test]
    fn planned_entries_change_nothing(spec in arb_spec(), extra in prop::collection::vec(arb_entry(), 1..10)) {
        let s = spec.scenario(Dates::ProjectToToday);
        let more = s.clone().with_entries(extra.iter().map(|e| e.place(add_days(s.today, 1), add_days(s.today, 400))).collect());
        prop_assert_eq!(s.figures(), more.figures());
    }

    /// (g) Weekly summary: as_of never depends on the newest change.
    #[test]
    fn weekly_summary_as_of_ignores_the_newest_change(spec in arb_spec(), secs in 0i64..2_000_000_000) {
        let mut s = spec.scenario(Dates::Anywhere);
        s.view = ViewMode::WeeklySummary;
        let (tasks, phases) = catalogue();
        let members = canary_members();
        let ctx = ClientContext { visibility: Visibility::default(), currency: usd(), members: &members, tasks: &tasks, phases: &phases };
        let f = s.figures();
        let newest = Utc.timestamp_opt(secs, 0).unwrap().to_rfc3339();
        let a = project_dashboard(&ctx, &s.project, &f, Some(newest)).as_of;
        let b = project_dashboard(&ctx, &s.project, &f, None).as_of;
        prop_assert!(a.is_some());
        prop_assert_eq!(a, b);
    }

    /// (e) The client projection never panics and never carries a member's private fields.
    #[test]
    fn client_dashboard_never_leaks_private_fields(
        spec in arb_spec(),
        team in 0..TeamDisplay::ALL.len(),
        rates in any::<bool>(),
        titles in prop::collection::vec(prop::sample::select(vec!["Developer", "Designer", "", " Developer "]), 3),
        seqs in prop::collection::vec(1u32..5, 3),
    ) {
        let s = spec.scenario(Dates::Anywhere);
        let team = TeamDisplay::ALL[team];
        let visibility = Visibility {
            rates: if rates { RatesVisibility::Shown } else { RatesVisibility::Hidden },
            descriptions: DescriptionMode::Summarised,
            team,
            view: s.view,
            non_billable: if s.show_non_billable { NonBillable::Shown } else { NonBillable::Hidden },
            budget_money: if rates { BudgetMoney::Amounts } else { BudgetMoney::Percentages },
        };
        let members: Vec<MemberRecord> = (0..3).map(|i| member_record(MEMBER_IDS[i], i, titles[i], seqs[i])).collect();
        let json = dashboard_json(&s, visibility, &members);
        assert_no_private_fields(&json, team);
    }
}
