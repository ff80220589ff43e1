//! "What changed" (`figures::changes`) checked against its contract: the demo agency's scenarios
//! (loaded from `fixtures/demo.json` exactly as the fixture loader places them, for every
//! weekday the demo may be loaded on), property tests on noise, labels under every team
//! setting, and the weekly-summary rule (the current week never counts).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Datelike, NaiveDate, Weekday};
use clearhours_domain::calendar::{add_days, ClientCalendar, Week};
use clearhours_domain::figures::changes::{self, Direction, CHANGE_WEEKS};
use clearhours_domain::figures::{compute, FigureInputs, Status, StatusReason};
use clearhours_domain::fixture::{Fixture, FxClient, FxProject};
use clearhours_domain::ids::{ClientId, ProjectId};
use clearhours_domain::money::Currency;
use clearhours_domain::project::{Budget, BudgetPeriod, Project, Thresholds};
use clearhours_domain::rollup::{Dim, EntryFacts, Sums, WeekRow};
use clearhours_domain::settings::{TeamDisplay, ViewMode, Visibility};
use proptest::prelude::*;

const DEMO: &str = include_str!("../../../fixtures/demo.json");

fn demo() -> Fixture {
    serde_json::from_str(DEMO).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

mod support;
use support::{demo_dashboard, rows};

fn find<'a>(fx: &'a Fixture, project: &str) -> (&'a FxClient, &'a FxProject) {
    fx.clients.iter().find_map(|c| c.projects.iter().find(|p| p.id == project).map(|p| (c, p))).unwrap()
}

/// Load days covering every weekday, in two different months.
fn load_days() -> Vec<NaiveDate> {
    (0..7).map(|i| add_days(d("2026-11-23"), i)).chain((0..7).map(|i| add_days(d("2027-02-08"), i))).collect()
}

// ============================================================================================
// The demo's three stories
// ============================================================================================

#[test]
fn halden_shows_the_revisions_spike_on_every_load_day() {
    let fx = demo();
    let (client, p) = find(&fx, "prj_halden_app");
    for today in load_days() {
        let dash = demo_dashboard(&fx, client, p, today);
        let c = &dash.changes;
        assert_eq!(c.weeks.len() as i64, CHANGE_WEEKS, "{today}");
        assert!(c.weeks.iter().all(|w| w.end < dash.today), "{today}: only complete weeks");
        let rev = c.callouts.iter().find(|c| c.subject == "task" && c.label == "Revisions");
        let rev = rev.unwrap_or_else(|| panic!("{today} ({:?}): no Revisions callout in {:#?}", today.weekday(), c.callouts));
        assert_eq!(rev.direction, Direction::Up);
        assert!(rev.ratio >= "2.0".parse().unwrap(), "{today}: {}", rev.text);
        // Halden is in Berlin: de-DE numbers in the sentence.
        assert!(
            rev.text.starts_with("Revisions: ") && rev.text.contains(" h/week over the last ") && rev.text.contains(','),
            "{}",
            rev.text
        );
        // The lead developer's arrival and the beta phase starting are not "surprises".
        assert!(c.callouts.iter().all(|c| c.subject != "phase"), "{today}: {:#?}", c.callouts);
        // The series show Revisions week by week.
        let series = c.by_task.iter().find(|s| s.label == "Revisions").unwrap();
        assert_eq!(series.minutes.len(), c.weeks.len());
    }
}

#[test]
fn kestrel_shows_the_lead_developer_dropping_off_on_every_load_day() {
    let fx = demo();
    let (client, p) = find(&fx, "prj_kestrel_platform");
    for today in load_days() {
        let dash = demo_dashboard(&fx, client, p, today);
        assert_eq!(dash.view, ViewMode::WeeklySummary);
        let drops: Vec<_> = dash.changes.callouts.iter().filter(|c| c.subject == "member" && c.direction == Direction::Down).collect();
        assert_eq!(drops.len(), 1, "{today} ({:?}): {:#?}", today.weekday(), dash.changes.callouts);
        let c = drops[0];
        assert!(c.label.starts_with("Team member "), "anonymous team display: {}", c.label);
        assert!(c.baseline_hours_per_week >= "20".parse().unwrap(), "{}", c.text);
        assert!(c.recent_hours_per_week * rust_decimal::Decimal::from(3) <= c.baseline_hours_per_week, "{}", c.text);
        assert!(c.text.contains(", down from "), "{}", c.text);
        for m in &fx.members {
            assert!(!c.text.contains(&m.name) && !c.text.contains(&m.role_title), "{}", c.text);
        }
    }
}

#[test]
fn acme_keeps_its_85_percent_story_and_is_at_risk_for_running_out_early() {
    let fx = demo();
    let (client, p) = find(&fx, "prj_acme_shop");
    for today in load_days() {
        let dash = demo_dashboard(&fx, client, p, today);
        let pct = dash.budget.as_ref().unwrap().percent_hours.unwrap();
        // 85 % with every entry loaded; loaded on a Monday or Tuesday the last days are still ahead.
        assert!(pct >= "80".parse().unwrap() && pct <= "88".parse().unwrap(), "{today}: {pct}");
        assert!(dash.status >= Some(Status::Watch), "{today}: {:?}", dash.status);
        if dash.projection.lasts_until_end == Some(false) {
            assert!(dash.status >= Some(Status::AtRisk));
            let reason = dash.status_reason.clone().unwrap();
            assert!(reason.contains("runs out on") && reason.contains("before the end date"), "{reason}");
        }
        // No unexplained callouts on the project whose story is the budget.
        assert!(dash.changes.callouts.len() <= 1, "{today}: {:#?}", dash.changes.callouts);
    }
}

#[test]
fn an_early_run_out_raises_the_status_to_at_risk_with_the_reason() {
    // 10 h budget, 6 h used (below every threshold), 1.5 h/week over the 4 complete weeks:
    // ⌈240 × 7 × 4 / 360⌉ = 19 days from 25 Nov = 14 Dec, 17 days before the end date 31 Dec.
    let cal = ClientCalendar::new("America/New_York", Weekday::Mon).unwrap();
    let project = Project {
        id: ProjectId::parse("prj_x").unwrap(),
        client_id: ClientId::parse("cli_x").unwrap(),
        name: "X".into(),
        currency: Currency::parse("USD").unwrap(),
        budget: Some(Budget { period: BudgetPeriod::Fixed, minutes: Some(600), amount_minor: None, includes_non_billable: false }),
        starts_on: d("2026-10-26"),
        ends_on: Some(d("2026-12-31")),
        default_rate: None,
        thresholds: Thresholds::default(),
    };
    let today = d("2026-11-25");
    let facts: Vec<EntryFacts> = ["2026-10-27", "2026-11-03", "2026-11-10", "2026-11-17"]
        .iter()
        .map(|day| EntryFacts {
            bucket: cal.bucket_of(d(day)),
            member_id: "mem_a".into(),
            task_id: None,
            phase_id: None,
            billable: true,
            minutes: 90,
            amount_minor: 0,
        })
        .collect();
    let (all, recent, totals) = rows(&facts, &cal, today);
    let inputs = |end: Option<NaiveDate>| {
        let mut p = project.clone();
        p.ends_on = end;
        compute(&FigureInputs {
            project: &p,
            calendar: &cal,
            today,
            view: ViewMode::RealTime,
            show_non_billable: false,
            all_weeks: &all,
            recent: &recent,
            totals: &totals,
            future: &[],
        })
    };
    let f = inputs(Some(d("2026-12-31")));
    assert_eq!(f.status, Some(Status::AtRisk));
    assert_eq!(f.status_reason, Some(StatusReason::RunsOutEarly { run_out: d("2026-12-14"), end: d("2026-12-31"), days_early: 17 }));
    // Without an end date (or one before the run-out) the thresholds alone decide.
    let f = inputs(None);
    assert_eq!(f.status, Some(Status::OnTrack));
    assert_eq!(f.status_reason, Some(StatusReason::BelowThresholds));
}

// ============================================================================================
// Properties
// ============================================================================================

fn week_rows(series: &[(Dim, &str, Vec<i64>)], current: Week) -> Vec<WeekRow> {
    let n = series.first().map_or(0, |s| s.2.len());
    let mut out = Vec::new();
    for (dim, id, minutes) in series {
        for (i, m) in minutes.iter().enumerate() {
            let start = add_days(current.start, -7 * (n - i) as i64);
            out.push(WeekRow {
                bucket: clearhours_domain::calendar::Bucket { week_start: start, month: start.with_day(1).unwrap() },
                dim: *dim,
                dim_id: (*id).to_string(),
                billable: true,
                sums: Sums { minutes: *m, amount_minor: 0, entries: 1 },
            });
        }
    }
    out
}

fn current() -> Week {
    Week { start: d("2026-11-23") }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Weekly values within ±30 % of a flat mean never raise a callout, whatever the mean and
    /// however many tasks, phases and members there are.
    #[test]
    fn no_callout_from_noise_around_a_flat_mean(
        keys in prop::collection::vec((0u8..3, 60i64..3_600, prop::collection::vec(-300i64..=300, 12)), 1..8),
    ) {
        let mut series = Vec::new();
        for (k, (dim, mean, noise)) in keys.iter().enumerate() {
            let dim = [Dim::Task, Dim::Phase, Dim::Member][usize::from(*dim)];
            let minutes: Vec<i64> = noise.iter().map(|n| mean + mean * n / 1000).collect();
            series.push((dim, ["a", "b", "c", "d", "e", "f", "g", "h"][k], minutes));
        }
        let c = changes::compute(&week_rows(&series, current()), current(), d("2025-01-01"), Weekday::Mon, false);
        prop_assert!(c.callouts.is_empty(), "{:#?}", c.callouts);
    }

    /// Any values inside a band narrower than 4 h/week never raise a callout (too small to matter).
    #[test]
    fn no_callout_from_small_wobbles(
        keys in prop::collection::vec((0u8..3, 0i64..600, prop::collection::vec(0i64..239, 12)), 1..6),
    ) {
        let mut series = Vec::new();
        for (k, (dim, floor, wobble)) in keys.iter().enumerate() {
            let dim = [Dim::Task, Dim::Phase, Dim::Member][usize::from(*dim)];
            series.push((dim, ["a", "b", "c", "d", "e", "f"][k], wobble.iter().map(|w| floor + w).collect::<Vec<_>>()));
        }
        let c = changes::compute(&week_rows(&series, current()), current(), d("2025-01-01"), Weekday::Mon, false);
        prop_assert!(c.callouts.is_empty(), "{:#?}", c.callouts);
    }

    /// A clear step (×3 and ≥ 5 h/week) in the last three weeks of one task, everything else flat,
    /// is always called out; a step down of a member likewise. Only complete weeks count: rows
    /// of the current week change nothing.
    #[test]
    fn a_clear_step_is_called_out_and_the_current_week_never_counts(
        base in 150i64..1_200, others in 600i64..3_000, current_week in 0i64..10_000,
    ) {
        let step = (base * 3).max(base + 300);
        let mut task: Vec<i64> = vec![base; 12];
        for m in task.iter_mut().skip(9) { *m = step; }
        let mut member: Vec<i64> = vec![others + step; 12];
        for m in member.iter_mut().skip(9) { *m = (others + step) / 4; }
        let series = vec![(Dim::Task, "tsk_rev", task), (Dim::Task, "tsk_dev", vec![others; 12]), (Dim::Member, "mem_lead", member)];
        let mut rows = week_rows(&series, current());
        let quiet = changes::compute(&rows, current(), d("2025-01-01"), Weekday::Mon, false);
        prop_assert!(quiet.callouts.iter().any(|c| c.id == "tsk_rev" && c.direction == Direction::Up), "{:#?}", quiet.callouts);
        prop_assert!(quiet.callouts.iter().any(|c| c.id == "mem_lead" && c.direction == Direction::Down), "{:#?}", quiet.callouts);
        // The current week (incomplete) is ignored, whatever it holds.
        for (dim, id) in [(Dim::Task, "tsk_dev"), (Dim::Member, "mem_lead"), (Dim::Phase, "phs_new")] {
            rows.push(WeekRow {
                bucket: clearhours_domain::calendar::Bucket { week_start: current().start, month: d("2026-11-01") },
                dim, dim_id: id.into(), billable: true, sums: Sums { minutes: current_week, amount_minor: 0, entries: 1 },
            });
        }
        let with_current = changes::compute(&rows, current(), d("2025-01-01"), Weekday::Mon, false);
        prop_assert_eq!(quiet, with_current);
    }

    /// Labels follow the team setting: with anonymous or role labels, no callout or series
    /// names a person, whatever their names are.
    #[test]
    fn labels_never_contain_hidden_names(
        names in prop::collection::vec("[A-Z][a-z]{4,9} [A-Z][a-z]{4,9}", 2..5),
        team in prop::sample::select(vec![TeamDisplay::Anonymous, TeamDisplay::Roles]),
    ) {
        let fx = demo();
        let (client, p) = find(&fx, "prj_kestrel_platform");
        let mut fx2 = fx.clone();
        for (m, n) in fx2.members.iter_mut().zip(names.iter().cycle()) { m.name = n.clone(); }
        let mut c2 = client.clone();
        c2.visibility = Visibility { team, ..client.visibility };
        let dash = demo_dashboard(&fx2, &c2, p, d("2026-11-25"));
        let text = serde_json::to_string(&dash.changes).unwrap();
        prop_assert!(!dash.changes.callouts.is_empty());
        for n in &names {
            prop_assert!(!text.contains(n.as_str()), "{} in {}", n, text);
        }
        for m in &fx2.members {
            prop_assert!(!text.contains(&m.id) && !text.contains(&m.email), "{}", text);
        }
    }
}
