//! Tests of the timesheet projection (`client_view::entries`).
use super::*;
use crate::client_view::MemberRecord;
use crate::money::Currency;
use crate::settings::{BudgetMoney, NonBillable, RatesVisibility, TeamDisplay, Visibility};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn member(id: &str, name: &str, seq: u32) -> MemberRecord {
    MemberRecord {
        id: MemberId::parse(id).unwrap(),
        name: name.into(),
        role_title: "Developer".into(),
        email: format!("{id}@CANARY-EMAIL.example"),
        phone: "CANARY-PHONE".into(),
        cost_rate: HourlyRate::parse("77.77").ok(),
        default_rate: HourlyRate::parse("99.99").ok(),
        personal_notes: "CANARY-PERSONAL".into(),
        client_seq: seq,
    }
}
/// (member, task, phase, date, minutes, billable, description, rate, amount)
type E<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, i64, bool, &'a str, Option<&'a str>, i64);
const ENTRIES: &[E] = &[
    ("mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 60, true, "Login form", Some("100"), 10_000),
    ("mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 30, true, "Signup form", Some("100"), 5_000),
    ("mem_b", Some("tsk_dev"), None, "2026-11-17", 45, true, "Bug fix", Some("120"), 9_000),
    ("mem_a", Some("tsk_pm"), None, "2026-11-16", 15, false, "Stand-up", Some("100"), 0),
    ("mem_b", None, Some("phs_1"), "2026-11-18", 90, true, "Review", None, 0),
    ("mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-23", 60, true, "OUTSIDE-WEEK", Some("100"), 10_000),
    ("mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 30, true, "Hotfix", Some("150"), 7_500),
];
const TEXTS: &[&str] = &["Login form", "Signup form", "Bug fix", "Stand-up", "Review", "Hotfix"];

fn records() -> Vec<EntryRecord> {
    ENTRIES
        .iter()
        .enumerate()
        .map(|(i, &(m, t, p, date, minutes, billable, description, rate, amount_minor))| EntryRecord {
            id: EntryId::parse(&format!("ent_CANARY_ID_{i}")).unwrap(),
            external_id: ExternalId::parse(&format!("CANARY-EXT-{i}")).unwrap(),
            source: "CANARY-SOURCE".into(),
            member_id: MemberId::parse(m).unwrap(),
            task_id: t.map(|t| TaskId::parse(t).unwrap()),
            phase_id: p.map(|p| PhaseId::parse(p).unwrap()),
            local_date: d(date),
            minutes,
            billable,
            description: description.into(),
            internal_note: format!("CANARY-NOTE-{i}"),
            rate: rate.map(|r| HourlyRate::parse(r).unwrap()),
            amount_minor,
            invoice_id: Some(InvoiceId::parse("inv_CANARY").unwrap()),
        })
        .collect()
}

fn view(v: Visibility, week: &str, today: &str) -> ClientEntries {
    let members = [member("mem_a", "Al Alpha", 1), member("mem_b", "Bo Beta", 2)];
    let task = |id: &str, name: &str, ex: &str| TaskRecord {
        id: TaskId::parse(id).unwrap(),
        name: name.into(),
        client_explanation: ex.into(),
        billable_default: true,
    };
    let tasks = [task("tsk_dev", "Development", "Building features"), task("tsk_pm", "Management", "")];
    let phases = [PhaseRecord { id: PhaseId::parse("phs_1").unwrap(), name: "Build".into() }];
    let ctx = ClientContext { visibility: v, currency: Currency::parse("USD").unwrap(), members: &members, tasks: &tasks, phases: &phases };
    project_entries(&ctx, Week { start: d(week) }, d(today), &records())
}
fn complete_week(v: Visibility) -> ClientEntries {
    view(v, "2026-11-16", "2026-11-25")
}

fn all_visibilities() -> Vec<Visibility> {
    let mut out = Vec::new();
    for &rates in RatesVisibility::ALL {
        for &descriptions in DescriptionMode::ALL {
            for &team in TeamDisplay::ALL {
                for &view in ViewMode::ALL {
                    for &non_billable in NonBillable::ALL {
                        out.push(Visibility { rates, descriptions, team, view, non_billable, budget_money: BudgetMoney::Amounts });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn internal_fields_never_appear_under_any_setting() {
    for v in all_visibilities() {
        for (week, today) in [("2026-11-16", "2026-11-25"), ("2026-11-16", "2026-11-19")] {
            let e = view(v, week, today);
            let json = serde_json::to_string(&e).unwrap();
            assert!(!json.contains("CANARY"), "{v:?}: {json}");
            assert!(!json.contains("OUTSIDE-WEEK") && !json.contains("2026-11-23\",\"member"), "{json}");
            if v.descriptions == DescriptionMode::Summarised {
                assert!(TEXTS.iter().all(|t| !json.contains(t)), "summarised shows an entry's text: {json}");
            }
            if v.rates == RatesVisibility::Hidden {
                // No money at all: no rate, no row amount, no week total (amount ÷ hours = rate).
                assert!(!json.contains("\"rate\"") && !json.contains("\"amount\"") && !json.contains("USD"), "{json}");
                assert!(e.rows.iter().all(|r| r.amount.is_none()) && e.totals.amount.is_none(), "{json}");
            }
        }
    }
}

/// Flipping one setting changes exactly what that setting governs.
#[test]
fn each_setting_changes_exactly_what_it_should() {
    let strip_rates = |mut e: ClientEntries| {
        e.rates_shown = false;
        e.rows.iter_mut().for_each(|r| (r.rate, r.amount) = (None, None));
        e.totals.amount = None;
        e
    };
    for v in all_visibilities() {
        let base = complete_week(v);
        // Team: only member labels.
        for &team in TeamDisplay::ALL {
            let mut a = complete_week(Visibility { team, ..v });
            let mut b = base.clone();
            a.rows.iter_mut().chain(b.rows.iter_mut()).for_each(|r| r.member.clear());
            if v.descriptions == DescriptionMode::Detailed || team == v.team {
                assert_eq!(a, b, "{v:?} → {team:?}");
            } else {
                assert_eq!(a.totals, b.totals);
            }
        }
        // Rates: only per-row rate and amount, the week's amount (and the flag).
        let flipped = complete_week(Visibility { rates: RatesVisibility::ALL.iter().copied().find(|r| *r != v.rates).unwrap(), ..v });
        let total = flipped.totals.amount.as_ref().map(RowMoney::as_str);
        assert_eq!(total, (flipped.rates_shown).then_some("USD 315.00"));
        if v.descriptions == DescriptionMode::Detailed {
            assert_eq!(strip_rates(flipped), strip_rates(base.clone()), "{v:?}");
        }
        // Non-billable: exactly the non-billable rows and minutes.
        let (mut shown, hidden) = (
            complete_week(Visibility { non_billable: NonBillable::Shown, ..v }),
            complete_week(Visibility { non_billable: NonBillable::Hidden, ..v }),
        );
        assert_eq!(shown.totals.minutes, 270);
        assert_eq!((hidden.totals.minutes, hidden.totals.billable_minutes, shown.totals.billable_minutes), (255, 255, 255));
        assert!(shown.rows.iter().any(|r| !r.billable) && hidden.rows.iter().all(|r| r.billable));
        shown.rows.retain(|r| r.billable);
        (shown.totals, shown.non_billable_shown) = (hidden.totals.clone(), false);
        assert_eq!(shown, hidden, "{v:?}");
        // Descriptions: summarised rows are the detailed rows added up by their group.
        let (det, sum) = (
            complete_week(Visibility { descriptions: DescriptionMode::Detailed, ..v }),
            complete_week(Visibility { descriptions: DescriptionMode::Summarised, ..v }),
        );
        let mut grouped: BTreeMap<_, (i64, i64)> = BTreeMap::new();
        for r in &det.rows {
            let g = grouped.entry((r.date, r.member.clone(), r.task.clone(), r.phase.clone(), r.billable, r.rate.clone())).or_default();
            (g.0, g.1) = (g.0 + r.entries, g.1 + r.minutes);
        }
        let from_sum: BTreeMap<_, _> = sum
            .rows
            .iter()
            .map(|r| ((r.date, r.member.clone(), r.task.clone(), r.phase.clone(), r.billable, r.rate.clone()), (r.entries, r.minutes)))
            .collect();
        assert_eq!(grouped, from_sum, "{v:?}");
        assert_eq!(
            (det.totals.minutes, &det.totals.amount, det.totals.entries),
            (sum.totals.minutes, &sum.totals.amount, sum.totals.entries)
        );
        // View: nothing changes for a complete week but the mode (and whether the next week may be opened).
        let mut other = complete_week(Visibility { view: ViewMode::ALL.iter().copied().find(|m| *m != v.view).unwrap(), ..v });
        assert!(!other.withheld && other.complete);
        (other.view, other.next_week) = (base.view, base.next_week);
        assert_eq!(other, base);
    }
}

#[test]
fn summarised_rows_sum_their_entries() {
    let v = Visibility {
        descriptions: DescriptionMode::Summarised,
        non_billable: NonBillable::Shown,
        team: TeamDisplay::Names,
        ..Visibility::default()
    };
    let e = complete_week(v);
    let rows: Vec<_> = e
        .rows
        .iter()
        .map(|r| {
            (
                r.date.to_string(),
                r.member.as_str(),
                r.task.as_str(),
                r.phase.as_str(),
                r.description.as_str(),
                r.minutes,
                r.hours.to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-11-16".into(), "Al Alpha", "Management", "No phase", "1 entry", 15, "0.25".into()),
            ("2026-11-17".into(), "Al Alpha", "Development", "Build", "3 entries · Building features", 120, "2.00".into()),
            ("2026-11-17".into(), "Bo Beta", "Development", "No phase", "1 entry · Building features", 45, "0.75".into()),
            ("2026-11-18".into(), "Bo Beta", "No task", "Build", "1 entry", 90, "1.50".into()),
        ]
    );
    assert_eq!((e.totals.minutes, e.totals.hours.to_string(), e.totals.entries, e.totals.rows), (270, "4.50".into(), 6, 4));
    assert_eq!(e.totals.amount, None);
    assert!(e.rows.iter().all(|r| r.rate.is_none() && r.amount.is_none()));
    // Rates shown: one row per rate, each with its amount.
    let e = complete_week(Visibility { rates: RatesVisibility::Shown, ..v });
    let al: Vec<_> = e
        .rows
        .iter()
        .filter(|r| r.member == "Al Alpha" && r.billable)
        .map(|r| (r.entries, r.minutes, r.rate.as_ref().map(RowMoney::as_str), r.amount.as_ref().map(RowMoney::as_str)))
        .collect();
    assert_eq!(al, [(2, 90, Some("USD 100.00"), Some("USD 150.00")), (1, 30, Some("USD 150.00"), Some("USD 75.00"))]);
    assert_eq!(e.totals.amount.as_ref().map(RowMoney::as_str), Some("USD 315.00"));
    // Anonymous: letters by first work for the client.
    let e = complete_week(Visibility { team: TeamDisplay::Anonymous, ..v });
    assert_eq!(
        e.rows.iter().map(|r| r.member.as_str()).collect::<Vec<_>>(),
        ["Team member A", "Team member A", "Team member B", "Team member B"]
    );
}

#[test]
fn detailed_rows_are_entries_in_order_with_rates_when_shown() {
    let v = Visibility {
        descriptions: DescriptionMode::Detailed,
        rates: RatesVisibility::Shown,
        non_billable: NonBillable::Shown,
        team: TeamDisplay::Names,
        ..Visibility::default()
    };
    let e = complete_week(v);
    let rows: Vec<_> = e
        .rows
        .iter()
        .map(|r| {
            (r.member.as_str(), r.description.as_str(), r.rate.as_ref().map(RowMoney::as_str), r.amount.as_ref().map(RowMoney::as_str))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Al Alpha", "Stand-up", None, Some("USD 0.00")),
            ("Al Alpha", "Hotfix", Some("USD 150.00"), Some("USD 75.00")),
            ("Al Alpha", "Login form", Some("USD 100.00"), Some("USD 100.00")),
            ("Al Alpha", "Signup form", Some("USD 100.00"), Some("USD 50.00")),
            ("Bo Beta", "Bug fix", Some("USD 120.00"), Some("USD 90.00")),
            ("Bo Beta", "Review", None, Some("USD 0.00")),
        ]
    );
    assert!(e.rows.iter().all(|r| r.entries == 1));
}

#[test]
fn weekly_summary_withholds_the_incomplete_week() {
    let v = Visibility { view: ViewMode::WeeklySummary, descriptions: DescriptionMode::Detailed, ..Visibility::default() };
    let e = view(v, "2026-11-16", "2026-11-19");
    assert!(e.withheld && !e.complete && e.rows.is_empty());
    assert_eq!((e.totals.minutes, e.totals.entries, e.totals.amount.as_ref(), e.next_week), (0, 0, None, None));
    assert_eq!(e.previous_week, d("2026-11-09"));
    // The last day of the week is not enough: the week completes the day after.
    assert!(view(v, "2026-11-16", "2026-11-22").withheld);
    assert!(!view(v, "2026-11-16", "2026-11-23").withheld);
    let rt = view(Visibility { view: ViewMode::RealTime, ..v }, "2026-11-16", "2026-11-19");
    assert!(!rt.withheld && !rt.complete && rt.totals.minutes == 255 && rt.next_week.is_none());
    assert_eq!(view(Visibility { view: ViewMode::RealTime, ..v }, "2026-11-16", "2026-11-23").next_week, Some(d("2026-11-23")));
    assert_eq!(view(v, "2026-11-16", "2026-11-29").next_week, None);
    assert_eq!(view(v, "2026-11-16", "2026-11-30").next_week, Some(d("2026-11-23")));
}

#[test]
fn default_week_and_rate_text() {
    let today = d("2026-11-25");
    let mon = ClientCalendar::parse("UTC", "monday").unwrap();
    let sun = ClientCalendar::parse("UTC", "sunday").unwrap();
    assert_eq!(default_week(ViewMode::RealTime, &mon, today).start, d("2026-11-23"));
    assert_eq!(default_week(ViewMode::WeeklySummary, &mon, today).start, d("2026-11-16"));
    assert_eq!(default_week(ViewMode::WeeklySummary, &sun, today).start, d("2026-11-15"));
    let shown = Visibility { rates: RatesVisibility::Shown, ..Visibility::default() };
    let rate_text =
        |r: &str, c: &str| MoneyPolicy::of(&shown, Currency::parse(c).unwrap()).rate(HourlyRate::parse(r).unwrap()).unwrap().to_string();
    assert_eq!(rate_text("1500", "USD"), "USD 1,500.00");
    assert_eq!(rate_text("12.3456", "USD"), "USD 12.3456");
    assert_eq!(rate_text("9000", "JPY"), "JPY 9,000");
    assert_eq!(MoneyPolicy::of(&Visibility::default(), Currency::parse("USD").unwrap()).rate(HourlyRate::parse("1").unwrap()), None);
}

/// Entries dated after today (planned time) appear in no row and no total until their day;
/// then they do, with no other change.
#[test]
fn entries_dated_after_today_appear_when_their_day_comes() {
    let v = Visibility {
        descriptions: DescriptionMode::Detailed,
        rates: RatesVisibility::Shown,
        non_billable: NonBillable::Shown,
        view: ViewMode::RealTime,
        team: TeamDisplay::Names,
        ..Visibility::default()
    };
    // The records are dated 11-16 (15 min), 11-17 (3 entries, 120 min + a non-billable one)
    // and 11-18: on the 17th, the 18th's entry is planned time.
    let on_17 = view(v, "2026-11-16", "2026-11-17");
    let on_18 = view(v, "2026-11-16", "2026-11-18");
    assert!(on_17.rows.iter().all(|r| r.date <= d("2026-11-17")), "{:?}", on_17.rows);
    assert!(on_18.rows.iter().any(|r| r.date == d("2026-11-18")));
    let on_18_dates: Vec<_> = on_18.rows.iter().filter(|r| r.date == d("2026-11-18")).map(|r| r.minutes).collect();
    assert_eq!(on_17.totals.minutes + on_18_dates.iter().sum::<i64>(), on_18.totals.minutes);
    assert_eq!(on_17.rows.len() + on_18_dates.len(), on_18.rows.len());
    // Before the week starts (real time lets no one open it, but the projection holds anyway).
    assert_eq!(view(v, "2026-11-16", "2026-11-15").totals.entries, 0);
}
