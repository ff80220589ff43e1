//! Client view of time entries: one week of one project's timesheet, as the client may see it.
//!
//! [`project_entries`] is the only function that turns [`EntryRecord`]s into [`ClientEntries`];
//! it destructures `EntryRecord` field by field, without `..`. These rules are the contract (the
//! tests below check each of them):
//!
//! 1. **One week.** Only entries whose local date lies in `week` count. With no week asked for,
//!    [`default_week`] is the current week in real time and the last complete week in weekly
//!    summary. A week is *complete* when its last date is before today.
//! 2. **Weekly summary withholds the incomplete week.** Under `ViewMode::WeeklySummary`, a week
//!    that is not complete (the current week or later) has `withheld: true`, no rows and zero
//!    totals, whatever entries are passed in. In real time the current week shows as tracked
//!    (`complete: false`, `withheld: false`).
//! 3. **Non-billable** entries appear only when `visibility.non_billable == Shown`; hidden ones
//!    count nowhere, not even in the totals.
//! 4. **Team members** are labelled by [`member_labels`], exactly as on the dashboard (names,
//!    role pseudonyms, or "Team member A"…).
//! 5. **Descriptions.** `Detailed`: one row per entry with its client-facing `description`.
//!    `Summarised`: one row per (local date, member, task, phase, billable) with summed minutes;
//!    its `description` is the number of entries and the task's client explanation, e.g.
//!    "3 entries · Building and changing features" — never an entry's own text. (With rates
//!    shown, billable entries of one group at different rates make one row per rate, so that
//!    every row has a single rate.)
//! 6. **Rates.** `Shown`: each row has `amount` (the sum of its entries' amounts, each rounded
//!    when it was stored) and, when billable and priced, the hourly `rate`; non-billable rows have
//!    no rate. `Hidden`: rows have neither rate nor amount (an amount divided by the hours would
//!    reveal the rate); only the week's total amount is given.
//! 7. **Never shown:** internal notes, entry ids, external ids, sources, invoice ids, and
//!    members' personal fields. No client type has a field for them.
//! 8. **Order:** rows by date, then member label, then task label (then phase label, billable
//!    first, description).
//! 9. **Totals:** minutes and hours (two places), billable minutes and hours, the amount
//!    formatted with [`Money`], the number of entries and of rows.

use super::{member_labels, ClientContext, PhaseRecord, TaskRecord};
use crate::calendar::{ClientCalendar, Week};
use crate::ids::{EntryId, ExternalId, InvoiceId, MemberId, PhaseId, TaskId};
use crate::money::{hours, Currency, HourlyRate, Money};
use crate::settings::{DescriptionMode, RatesVisibility, ViewMode};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A stored time entry with everything a client-facing surface could be tempted by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRecord {
    pub id: EntryId,
    pub external_id: ExternalId,
    /// `api`, `fixture`, `toggl`, …
    pub source: String,
    pub member_id: MemberId,
    pub task_id: Option<TaskId>,
    pub phase_id: Option<PhaseId>,
    pub local_date: NaiveDate,
    pub minutes: i64,
    pub billable: bool,
    /// Client-facing text.
    pub description: String,
    /// Provider-only text.
    pub internal_note: String,
    pub rate: Option<HourlyRate>,
    pub amount_minor: i64,
    pub invoice_id: Option<InvoiceId>,
}

/// One timesheet row (one entry, or one summarised group).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntryRow {
    pub date: NaiveDate,
    pub member: String,
    pub task: String,
    pub phase: String,
    pub description: String,
    /// How many entries the row stands for (1 when detailed).
    pub entries: i64,
    pub billable: bool,
    pub hours: Decimal,
    pub minutes: i64,
    /// Per hour, `USD 150.00`; only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// `USD 225.00`; only when rates are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntryTotals {
    pub minutes: i64,
    pub hours: Decimal,
    pub billable_minutes: i64,
    pub billable_hours: Decimal,
    pub amount: String,
    pub entries: i64,
    pub rows: usize,
}

/// One week of a project's entries as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientEntries {
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub today: NaiveDate,
    pub view: ViewMode,
    /// The week's last date is before today.
    pub complete: bool,
    /// Weekly summary and the week is not complete: no rows until it is.
    pub withheld: bool,
    pub previous_week: NaiveDate,
    /// `None` when the next week has not started (real time) or is not complete (weekly summary).
    pub next_week: Option<NaiveDate>,
    pub descriptions: DescriptionMode,
    pub rates_shown: bool,
    pub non_billable_shown: bool,
    pub rows: Vec<ClientEntryRow>,
    pub totals: ClientEntryTotals,
}

/// The week shown when none is asked for: the current week in real time, else the last
/// complete one.
pub fn default_week(view: ViewMode, calendar: &ClientCalendar, today: NaiveDate) -> Week {
    let current = calendar.week_of(today);
    match view {
        ViewMode::RealTime => current,
        ViewMode::WeeklySummary => current.previous(),
    }
}

/// Whether a client with this view may look at `week` on `today` (see the module docs).
fn viewable(view: ViewMode, week: Week, today: NaiveDate) -> bool {
    match view {
        ViewMode::RealTime => week.start <= today,
        ViewMode::WeeklySummary => week.end() < today,
    }
}

/// An hourly rate as money: `USD 150.00` (more decimals only when the rate has them).
fn rate_text(rate: HourlyRate, currency: Currency) -> String {
    let minor = rate.0 * Decimal::from(10i64.pow(currency.minor_digits()));
    match i64::try_from(minor) {
        Ok(m) if minor.fract().is_zero() => Money::new(m, currency).to_string(),
        _ => format!("{currency} {}", rate.0.normalize()),
    }
}

/// "3 entries · Building and changing features".
fn summary(entries: i64, explanation: &str) -> String {
    let count = if entries == 1 { "1 entry".to_string() } else { format!("{entries} entries") };
    match explanation.trim() {
        "" => count,
        e => format!("{count} · {e}"),
    }
}

/// A visible entry with client-facing labels, before rows are made.
struct Line<'a> {
    date: NaiveDate,
    member: String,
    task: &'a str,
    explanation: &'a str,
    phase: &'a str,
    billable: bool,
    minutes: i64,
    amount_minor: i64,
    rate: Option<HourlyRate>,
    description: &'a str,
    /// Ids keep rows with equal labels apart and the order total; never shown.
    group: (&'a str, &'a str, &'a str, String),
    tiebreak: &'a str,
}

/// The one projection of a week's entries (see the module docs for the rules).
pub fn project_entries(ctx: &ClientContext, week: Week, today: NaiveDate, entries: &[EntryRecord]) -> ClientEntries {
    let v = ctx.visibility;
    let complete = week.end() < today;
    let withheld = v.view == ViewMode::WeeklySummary && !complete;
    let rates_shown = v.rates == RatesVisibility::Shown;
    let labels = member_labels(ctx.members, v.team);
    let tasks: HashMap<&TaskId, (&str, &str)> = ctx
        .tasks
        .iter()
        .map(|t| {
            let TaskRecord { id, name, client_explanation, billable_default: _ } = t;
            (id, (name.as_str(), client_explanation.as_str()))
        })
        .collect();
    let phases: HashMap<&PhaseId, &str> = ctx
        .phases
        .iter()
        .map(|p| {
            let PhaseRecord { id, name } = p;
            (id, name.as_str())
        })
        .collect();
    let entries = if withheld { &[][..] } else { entries };
    let mut lines: Vec<Line> = Vec::new();
    for e in entries {
        let EntryRecord {
            id,
            external_id: _,
            source: _,
            member_id,
            task_id,
            phase_id,
            local_date,
            minutes,
            billable,
            description,
            internal_note: _,
            rate,
            amount_minor,
            invoice_id: _,
        } = e;
        if !week.contains(*local_date) || (!*billable && !v.shows_non_billable()) {
            continue;
        }
        let (task, explanation) = match task_id {
            None => ("No task", ""),
            Some(t) => tasks.get(t).copied().unwrap_or(("Other", "")),
        };
        let phase = match phase_id {
            None => "No phase",
            Some(p) => phases.get(p).copied().unwrap_or("Other"),
        };
        let rate = if *billable { *rate } else { None };
        lines.push(Line {
            date: *local_date,
            member: labels.get(member_id).cloned().unwrap_or_else(|| "Team member".to_string()),
            task,
            explanation,
            phase,
            billable: *billable,
            minutes: *minutes,
            amount_minor: *amount_minor,
            rate,
            description,
            group: (
                member_id.as_str(),
                task_id.as_ref().map_or("", TaskId::as_str),
                phase_id.as_ref().map_or("", PhaseId::as_str),
                if rates_shown { rate.map(|r| r.0.normalize().to_string()).unwrap_or_default() } else { String::new() },
            ),
            tiebreak: id.as_str(),
        });
    }
    lines.sort_by(|a, b| {
        (a.date, &a.member, a.task, a.phase, !a.billable, a.description, &a.group, a.tiebreak)
            .cmp(&(b.date, &b.member, b.task, b.phase, !b.billable, b.description, &b.group, b.tiebreak))
    });
    let currency = ctx.currency;
    let row = |l: &Line, description: String, entries: i64, minutes: i64, amount_minor: i64| ClientEntryRow {
        date: l.date,
        member: l.member.clone(),
        task: l.task.to_string(),
        phase: l.phase.to_string(),
        description,
        entries,
        billable: l.billable,
        hours: hours(minutes, 2),
        minutes,
        rate: if rates_shown { l.rate.map(|r| rate_text(r, currency)) } else { None },
        amount: rates_shown.then(|| Money::new(amount_minor, currency).to_string()),
    };
    let rows: Vec<ClientEntryRow> = match v.descriptions {
        DescriptionMode::Detailed => lines.iter().map(|l| row(l, l.description.to_string(), 1, l.minutes, l.amount_minor)).collect(),
        DescriptionMode::Summarised => {
            // The key starts with the sort order, so the map yields the rows in order.
            let mut groups: BTreeMap<_, (&Line, i64, i64, i64)> = BTreeMap::new();
            for l in &lines {
                let key = (l.date, &l.member, l.task, l.phase, !l.billable, &l.group);
                let g = groups.entry(key).or_insert((l, 0, 0, 0));
                g.1 += 1;
                g.2 = g.2.saturating_add(l.minutes);
                g.3 = g.3.saturating_add(l.amount_minor);
            }
            groups.into_values().map(|(l, n, minutes, amount)| row(l, summary(n, l.explanation), n, minutes, amount)).collect()
        }
    };
    let sum = |f: fn(&Line) -> i64| lines.iter().fold(0i64, |a, l| a.saturating_add(f(l)));
    let minutes = sum(|l| l.minutes);
    let billable_minutes = sum(|l| if l.billable { l.minutes } else { 0 });
    let totals = ClientEntryTotals {
        minutes,
        hours: hours(minutes, 2),
        billable_minutes,
        billable_hours: hours(billable_minutes, 2),
        amount: Money::new(sum(|l| l.amount_minor), currency).to_string(),
        entries: i64::try_from(lines.len()).unwrap_or(i64::MAX),
        rows: rows.len(),
    };
    ClientEntries {
        week_start: week.start,
        week_end: week.end(),
        today,
        view: v.view,
        complete,
        withheld,
        previous_week: week.previous().start,
        next_week: viewable(v.view, week.next(), today).then(|| week.next().start),
        descriptions: v.descriptions,
        rates_shown,
        non_billable_shown: v.shows_non_billable(),
        rows,
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_view::MemberRecord;
    use crate::settings::{NonBillable, TeamDisplay, Visibility};

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
        let task = |id: &str, name: &str, ex: &str| TaskRecord { id: TaskId::parse(id).unwrap(), name: name.into(), client_explanation: ex.into(), billable_default: true };
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
                            out.push(Visibility { rates, descriptions, team, view, non_billable });
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
                    assert!(!json.contains("\"rate\"") && e.rows.iter().all(|r| r.amount.is_none()), "{json}");
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
            // Rates: only per-row rate and amount (and the flag); the total amount stays.
            let flipped = complete_week(Visibility { rates: RatesVisibility::ALL.iter().copied().find(|r| *r != v.rates).unwrap(), ..v });
            assert_eq!(flipped.totals.amount, "USD 315.00");
            if v.descriptions == DescriptionMode::Detailed {
                assert_eq!(strip_rates(flipped), strip_rates(base.clone()), "{v:?}");
            }
            // Non-billable: exactly the non-billable rows and minutes.
            let (mut shown, hidden) =
                (complete_week(Visibility { non_billable: NonBillable::Shown, ..v }), complete_week(Visibility { non_billable: NonBillable::Hidden, ..v }));
            assert_eq!(shown.totals.minutes, 270);
            assert_eq!((hidden.totals.minutes, hidden.totals.billable_minutes, shown.totals.billable_minutes), (255, 255, 255));
            assert!(shown.rows.iter().any(|r| !r.billable) && hidden.rows.iter().all(|r| r.billable));
            shown.rows.retain(|r| r.billable);
            (shown.totals, shown.non_billable_shown) = (hidden.totals.clone(), false);
            assert_eq!(shown, hidden, "{v:?}");
            // Descriptions: summarised rows are the detailed rows added up by their group.
            let (det, sum) =
                (complete_week(Visibility { descriptions: DescriptionMode::Detailed, ..v }), complete_week(Visibility { descriptions: DescriptionMode::Summarised, ..v }));
            let mut grouped: BTreeMap<_, (i64, i64)> = BTreeMap::new();
            for r in &det.rows {
                let g = grouped.entry((r.date, r.member.clone(), r.task.clone(), r.phase.clone(), r.billable, r.rate.clone())).or_default();
                (g.0, g.1) = (g.0 + r.entries, g.1 + r.minutes);
            }
            let from_sum: BTreeMap<_, _> =
                sum.rows.iter().map(|r| ((r.date, r.member.clone(), r.task.clone(), r.phase.clone(), r.billable, r.rate.clone()), (r.entries, r.minutes))).collect();
            assert_eq!(grouped, from_sum, "{v:?}");
            assert_eq!((det.totals.minutes, &det.totals.amount, det.totals.entries), (sum.totals.minutes, &sum.totals.amount, sum.totals.entries));
            // View: nothing changes for a complete week but the mode (and whether the next week may be opened).
            let mut other = complete_week(Visibility { view: ViewMode::ALL.iter().copied().find(|m| *m != v.view).unwrap(), ..v });
            assert!(!other.withheld && other.complete);
            (other.view, other.next_week) = (base.view, base.next_week);
            assert_eq!(other, base);
        }
    }

    #[test]
    fn summarised_rows_sum_their_entries() {
        let v = Visibility { descriptions: DescriptionMode::Summarised, non_billable: NonBillable::Shown, team: TeamDisplay::Names, ..Visibility::default() };
        let e = complete_week(v);
        let rows: Vec<_> = e.rows.iter().map(|r| (r.date.to_string(), r.member.as_str(), r.task.as_str(), r.phase.as_str(), r.description.as_str(), r.minutes, r.hours.to_string())).collect();
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
        assert_eq!(e.totals.amount, "USD 315.00");
        assert!(e.rows.iter().all(|r| r.rate.is_none() && r.amount.is_none()));
        // Rates shown: one row per rate, each with its amount.
        let e = complete_week(Visibility { rates: RatesVisibility::Shown, ..v });
        let al: Vec<_> = e.rows.iter().filter(|r| r.member == "Al Alpha" && r.billable).map(|r| (r.entries, r.minutes, r.rate.as_deref(), r.amount.as_deref())).collect();
        assert_eq!(al, [(2, 90, Some("USD 100.00"), Some("USD 150.00")), (1, 30, Some("USD 150.00"), Some("USD 75.00"))]);
        // Anonymous: letters by first work for the client.
        let e = complete_week(Visibility { team: TeamDisplay::Anonymous, ..v });
        assert_eq!(e.rows.iter().map(|r| r.member.as_str()).collect::<Vec<_>>(), ["Team member A", "Team member A", "Team member B", "Team member B"]);
    }

    #[test]
    fn detailed_rows_are_entries_in_order_with_rates_when_shown() {
        let v = Visibility { descriptions: DescriptionMode::Detailed, rates: RatesVisibility::Shown, non_billable: NonBillable::Shown, team: TeamDisplay::Names, ..Visibility::default() };
        let e = complete_week(v);
        let rows: Vec<_> = e.rows.iter().map(|r| (r.member.as_str(), r.description.as_str(), r.rate.as_deref(), r.amount.as_deref())).collect();
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
        assert_eq!((e.totals.minutes, e.totals.entries, e.totals.amount.as_str(), e.next_week), (0, 0, "USD 0.00", None));
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
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(rate_text(HourlyRate::parse("1500").unwrap(), usd), "USD 1,500.00");
        assert_eq!(rate_text(HourlyRate::parse("12.3456").unwrap(), usd), "USD 12.3456");
        assert_eq!(rate_text(HourlyRate::parse("9000").unwrap(), Currency::parse("JPY").unwrap()), "JPY 9,000");
    }
}
