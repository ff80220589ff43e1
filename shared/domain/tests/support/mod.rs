//! Shared by the integration tests: the demo agency's projects as their clients see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use chrono::NaiveDate;
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::client_view::{project_dashboard, ClientContext, ClientDashboard, MemberRecord, PhaseRecord, TaskRecord};
use clearhours_domain::figures::{self, compute, FigureInputs};
use clearhours_domain::fixture::{anchor_day, Fixture, FxClient, FxProject, RelDate};
use clearhours_domain::ids::{ClientId, MemberId, PhaseId, ProjectId, TaskId};
use clearhours_domain::locale::Locale;
use clearhours_domain::money::{Currency, HourlyRate, Money};
use clearhours_domain::project::{Budget, BudgetPeriod, Project, Thresholds};
use clearhours_domain::rollup::{recompute, Dim, EntryFacts, TotalRow, WeekRow};
use std::collections::BTreeMap;

/// Rollup rows as storage returns them for `today` (see `tests/figures.rs`).
pub fn rows(facts: &[EntryFacts], cal: &ClientCalendar, today: NaiveDate) -> (Vec<WeekRow>, Vec<WeekRow>, Vec<TotalRow>) {
    let (weeks, totals) = recompute(facts);
    let from = figures::window_start(cal, today);
    let (mut all, mut recent) = (Vec::new(), Vec::new());
    for ((bucket, dim, dim_id, billable), sums) in weeks {
        let r = WeekRow { bucket, dim, dim_id, billable, sums };
        if r.dim == Dim::All {
            all.push(r);
        } else if r.bucket.week_start >= from {
            recent.push(r);
        }
    }
    let totals = totals.into_iter().map(|((dim, dim_id, billable), sums)| TotalRow { dim, dim_id, billable, sums }).collect();
    (all, recent, totals)
}

/// One demo project's dashboard as its client sees it, the demo loaded on `today`.
pub fn demo_dashboard(fx: &Fixture, client: &FxClient, p: &FxProject, today: NaiveDate) -> ClientDashboard {
    let cal = ClientCalendar::parse(&client.time_zone, &client.week_start).unwrap();
    let currency = Currency::parse(&client.currency).unwrap();
    let anchor = fx.weekday_anchor.as_deref().map(|w| clearhours_domain::calendar::parse_weekday(w).unwrap());
    let day0 = anchor_day(today, anchor);
    let default_rate = p.rate.as_deref().map(|r| HourlyRate::parse(r).unwrap());
    let mut facts = Vec::new();
    let mut first_day: BTreeMap<String, (NaiveDate, usize)> = BTreeMap::new();
    for (i, e) in p.entries.iter().enumerate() {
        let date = e.day.resolve(day0);
        if date > today {
            continue;
        }
        let rate = e.rate.as_deref().map(|r| HourlyRate::parse(r).unwrap()).or(default_rate);
        let amount = if e.billable { rate.map_or(0, |r| r.amount_for(e.minutes, currency).minor) } else { 0 };
        first_day.entry(e.member.clone()).and_modify(|f| *f = (*f).min((date, i))).or_insert((date, i));
        facts.push(EntryFacts {
            bucket: cal.bucket_of(date),
            member_id: e.member.clone(),
            task_id: e.task.clone(),
            phase_id: e.phase.clone(),
            billable: e.billable,
            minutes: e.minutes,
            amount_minor: amount,
        });
    }
    let budget = p.budget.as_ref().map(|b| Budget {
        period: BudgetPeriod::parse(&b.period).unwrap(),
        minutes: b.hours.map(|h| h * 60),
        amount_minor: b.amount.as_deref().map(|a| Money::parse_major(a, currency).unwrap().minor),
        includes_non_billable: b.includes_non_billable,
    });
    let project = Project {
        id: ProjectId::parse(&p.id).unwrap(),
        client_id: ClientId::parse(&client.id).unwrap(),
        name: p.name.clone(),
        currency,
        budget,
        starts_on: p.starts_on.resolve(day0),
        ends_on: p.ends_on.as_ref().map(|e: &RelDate| e.resolve(day0)),
        default_rate,
        thresholds: Thresholds::new(p.alert_thresholds.clone().unwrap_or_default()).unwrap(),
    };
    let (all, recent, totals) = rows(&facts, &cal, today);
    let v = client.visibility;
    let f = compute(&FigureInputs {
        project: &project,
        calendar: &cal,
        today,
        view: v.view,
        show_non_billable: v.shows_non_billable(),
        all_weeks: &all,
        recent: &recent,
        totals: &totals,
        future: &[],
    });
    // Pseudonyms follow the order in which members first worked for the client.
    let mut order: Vec<(&String, &(NaiveDate, usize))> = first_day.iter().collect();
    order.sort_by_key(|(_, k)| **k);
    let members: Vec<MemberRecord> = fx
        .members
        .iter()
        .filter_map(|m| {
            let seq = order.iter().position(|(id, _)| **id == m.id)?;
            Some(MemberRecord {
                id: MemberId::parse(&m.id).unwrap(),
                name: m.name.clone(),
                role_title: m.role_title.clone(),
                email: m.email.clone(),
                phone: m.phone.clone(),
                cost_rate: None,
                default_rate: None,
                personal_notes: m.personal_notes.clone(),
                client_seq: u32::try_from(seq + 1).unwrap(),
            })
        })
        .collect();
    let tasks: Vec<TaskRecord> = fx
        .tasks
        .iter()
        .map(|t| TaskRecord {
            id: TaskId::parse(&t.id).unwrap(),
            name: t.name.clone(),
            client_explanation: t.client_explanation.clone(),
            billable_default: t.billable,
        })
        .collect();
    let phases: Vec<PhaseRecord> =
        p.phases.iter().map(|ph| PhaseRecord { id: PhaseId::parse(&ph.id).unwrap(), name: ph.name.clone() }).collect();
    let ctx = ClientContext {
        visibility: v,
        currency,
        locale: Locale::resolve(&client.locale, &client.time_zone),
        time_zone: cal.tz,
        members: &members,
        tasks: &tasks,
        phases: &phases,
    };
    project_dashboard(&ctx, &project, &f, None)
}
