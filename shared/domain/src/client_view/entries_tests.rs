//! Tests of the timesheet projection (`client_view::entries`): the rules one by one, and a
//! property test of filter combinations against a recomputation written independently here.
#![allow(clippy::type_complexity)]
use super::*;
use crate::calendar::ClientCalendar;
use crate::client_view::{member_labels, MemberRecord, PhaseRecord};
use crate::ids::{EntryId, ExternalId, InvoiceId};
use crate::settings::{NonBillable, TeamDisplay, Visibility};
use chrono::Datelike;
use chrono::Weekday;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn member(id: &str, name: &str, role: &str, seq: u32) -> MemberRecord {
    MemberRecord {
        id: MemberId::parse(id).unwrap(),
        name: name.into(),
        role_title: role.into(),
        email: format!("{id}@CANARY-EMAIL.example"),
        phone: "CANARY-PHONE".into(),
        cost_rate: HourlyRate::parse("77.77").ok(),
        default_rate: HourlyRate::parse("99.99").ok(),
        personal_notes: "CANARY-PERSONAL".into(),
        client_seq: seq,
    }
}
fn task(id: &str, name: &str, ex: &str) -> TaskRecord {
    TaskRecord { id: TaskId::parse(id).unwrap(), name: name.into(), client_explanation: ex.into(), billable_default: true }
}
fn members() -> Vec<MemberRecord> {
    vec![
        member("mem_a", "Lucía Alpha", "Developer", 1),
        member("mem_b", "Zoë Beta", "Designer", 2),
        member("mem_c", "Cy Gamma", "Developer", 3),
    ]
}
fn tasks() -> Vec<TaskRecord> {
    vec![task("tsk_dev", "Development", "Building features"), task("tsk_pm", "Management", "Planning calls"), task("tsk_qa", "Testing", "")]
}
fn phases() -> Vec<PhaseRecord> {
    vec![
        PhaseRecord { id: PhaseId::parse("phs_1").unwrap(), name: "Build".into() },
        PhaseRecord { id: PhaseId::parse("phs_2").unwrap(), name: "Launch".into() },
    ]
}
fn projects() -> Vec<ProjectRef> {
    vec![
        ProjectRef { id: ProjectId::parse("prj_a").unwrap(), name: "Shop".into(), starts_on: d("2026-10-01") },
        ProjectRef { id: ProjectId::parse("prj_b").unwrap(), name: "App".into(), starts_on: d("2026-09-15") },
    ]
}
const TODAY: &str = "2026-11-25";
fn cal() -> ClientCalendar {
    ClientCalendar { tz: chrono_tz::UTC, first_day: Weekday::Mon }
}

#[allow(clippy::too_many_arguments)]
fn entry(
    i: usize,
    project: &str,
    m: &str,
    t: Option<&str>,
    p: Option<&str>,
    date: &str,
    minutes: i64,
    billable: bool,
    desc: &str,
    rate: Option<&str>,
    amount: i64,
) -> EntryRecord {
    EntryRecord {
        id: EntryId::parse(&format!("ent_CANARY_ID_{i:04}")).unwrap(),
        project_id: ProjectId::parse(project).unwrap(),
        external_id: ExternalId::parse(&format!("CANARY-EXT-{i}")).unwrap(),
        source: "CANARY-SOURCE".into(),
        member_id: MemberId::parse(m).unwrap(),
        task_id: t.map(|t| TaskId::parse(t).unwrap()),
        phase_id: p.map(|p| PhaseId::parse(p).unwrap()),
        local_date: d(date),
        minutes,
        billable,
        description: desc.into(),
        internal_note: format!("CANARY-NOTE-{i}"),
        rate: rate.map(|r| HourlyRate::parse(r).unwrap()),
        amount_minor: amount,
        invoice_id: Some(InvoiceId::parse("inv_CANARY").unwrap()),
    }
}

fn fixed_entries() -> Vec<EntryRecord> {
    vec![
        entry(0, "prj_a", "mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 60, true, "Login form", Some("100.00"), 10_000),
        entry(1, "prj_a", "mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 30, true, "Signup form", Some("100.00"), 5_000),
        entry(2, "prj_a", "mem_b", Some("tsk_dev"), None, "2026-11-17", 45, true, "Bug fix", Some("120.00"), 9_000),
        entry(3, "prj_a", "mem_a", Some("tsk_pm"), None, "2026-11-16", 15, false, "Stand-up", Some("100.00"), 0),
        entry(4, "prj_b", "mem_b", None, Some("phs_1"), "2026-11-18", 90, true, "Review", None, 0),
        entry(5, "prj_a", "mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-23", 60, true, "CURRENT-WEEK", Some("100.00"), 10_000),
        entry(6, "prj_a", "mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-17", 30, true, "Hotfix", Some("150.00"), 7_500),
    ]
}
const TEXTS: &[&str] = &["Login form", "Signup form", "Bug fix", "Stand-up", "Review", "Hotfix", "CURRENT-WEEK"];

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Every page of a query, run against the in-memory reference, concatenated.
fn run(v: Visibility, q: &[(&str, &str)], entries: &[EntryRecord]) -> (ClientTimesheet, Vec<ClientEntryRow>) {
    let (m, t, p) = (members(), tasks(), phases());
    let ctx = ClientContext {
        visibility: v,
        currency: Currency::parse("USD").unwrap(),
        locale: crate::locale::Locale::default(),
        time_zone: chrono_tz::UTC,
        members: &m,
        tasks: &t,
        phases: &p,
    };
    let today = d(TODAY);
    let mut query = parse_query(&pairs(q), &cal(), v.view, today).unwrap();
    let projects = projects();
    let notes = vec![NoteRecord {
        id: "n1".into(),
        project_id: ProjectId::parse("prj_a").unwrap(),
        week_start: d("2026-11-23"),
        body: "STAFF-NOTE-23".into(),
        author_staff_id: "stf_CANARY".into(),
        created_at: "x".into(),
    }];
    let mut all = Vec::new();
    let mut first = None;
    for _ in 0..100 {
        let plan = plan(&ctx, &projects, &query, &cal(), today).unwrap();
        let mut page = select(&plan.selection, entries);
        match &mut page {
            Page::Entries(e) => e.truncate(PAGE_SIZE + 1),
            Page::Groups(g) => g.truncate(PAGE_SIZE + 1),
        }
        let dim = SubtotalDim::of(plan.query.group);
        let loaded = Loaded {
            projects: &projects,
            page,
            totals: totals(&plan.selection, entries),
            subtotals: dim.map(|dim| subtotals(&plan.selection, dim, &cal(), entries)).unwrap_or_default(),
            notes: &notes,
        };
        let ts = project_timesheet(&ctx, &plan, today, loaded);
        all.extend(ts.rows.clone());
        let next = ts.next_cursor.clone();
        first.get_or_insert(ts);
        match next {
            Some(c) => query.after = Some(Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    (first.unwrap(), all)
}

fn all_visibilities() -> Vec<Visibility> {
    let mut out = Vec::new();
    for &rates in RatesVisibility::ALL {
        for &descriptions in DescriptionMode::ALL {
            for &team in TeamDisplay::ALL {
                for &view in ViewMode::ALL {
                    for &non_billable in NonBillable::ALL {
                        out.push(Visibility { rates, descriptions, team, view, non_billable, ..Visibility::default() });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn hidden_data_never_appears_under_any_setting() {
    for v in all_visibilities() {
        for q in [
            &[("range", "this_month")][..],
            &[("range", "to_date"), ("group", "week")],
            &[("from", "2026-11-16"), ("to", "2026-11-29"), ("group", "task")],
        ] {
            let (ts, rows) = run(v, q, &fixed_entries());
            let json = serde_json::to_string(&(&ts, &rows)).unwrap();
            assert!(!json.contains("CANARY"), "{v:?}: {json}");
            if v.descriptions == DescriptionMode::Summarised {
                assert!(TEXTS.iter().all(|t| !json.contains(t)), "summarised shows an entry's text: {json}");
                assert!(rows.iter().all(|r| !r.description.contains("Building")), "the explanation is not repeated on rows");
            }
            if v.rates == RatesVisibility::Hidden {
                assert!(
                    !json.contains("\"rate\"") && !json.contains("rate_value") && !json.contains("amount") && !json.contains("USD "),
                    "{json}"
                );
            }
            if v.team != TeamDisplay::Names {
                assert!(!json.contains("Lucía") && !json.contains("Zoë"), "{json}");
            }
            if v.view == ViewMode::WeeklySummary {
                assert!(!json.contains("CURRENT-WEEK") && rows.iter().all(|r| r.date < d("2026-11-23")), "{json}");
                assert_eq!(ts.withheld_from, Some(d("2026-11-23")));
            } else {
                assert!(json.contains("STAFF-NOTE-23"));
            }
            if v.non_billable == NonBillable::Hidden {
                assert!(rows.iter().all(|r| r.billable) && ts.totals.billable_minutes == ts.totals.minutes);
            }
        }
    }
}

#[test]
fn weekly_summary_withholds_a_range_inside_the_current_week() {
    let v = Visibility { view: ViewMode::WeeklySummary, descriptions: DescriptionMode::Detailed, ..Visibility::default() };
    let (ts, rows) = run(v, &[("range", "this_week")], &fixed_entries());
    assert!(ts.withheld && rows.is_empty() && ts.totals.entries == 0, "{ts:?}");
    let (ts, rows) = run(Visibility { view: ViewMode::RealTime, ..v }, &[("range", "this_week")], &fixed_entries());
    assert!(!ts.withheld && rows.len() == 1 && rows[0].description == "CURRENT-WEEK");
}

#[test]
fn filters_resolve_labels_and_summaries_say_counts() {
    let v = Visibility {
        rates: RatesVisibility::Shown,
        descriptions: DescriptionMode::Summarised,
        team: TeamDisplay::Anonymous,
        view: ViewMode::RealTime,
        non_billable: NonBillable::Shown,
        ..Visibility::default()
    };
    let (ts, rows) = run(v, &[("range", "this_month"), ("person", "Team member A"), ("task", "Development")], &fixed_entries());
    // Entries 0, 1 (rate 100) and 6 (rate 150) on the 17th, and 5 on the 23rd.
    assert_eq!(
        rows.iter()
            .map(|r| (r.date.to_string(), r.description.as_str(), r.minutes, r.rate.as_ref().map(|m| m.to_string())))
            .collect::<Vec<_>>(),
        vec![
            ("2026-11-17".into(), "2 entries", 90, Some("USD 100.00".into())),
            ("2026-11-17".into(), "1 entry", 30, Some("USD 150.00".into())),
            ("2026-11-23".into(), "1 entry", 60, Some("USD 100.00".into())),
        ]
    );
    assert_eq!(
        (ts.totals.entries, ts.totals.minutes, ts.totals.rows, ts.totals.amount.as_ref().map(|m| m.as_str())),
        (4, 180, 3, Some("USD 325.00"))
    );
    // Searching summarised rows looks at task names and explanations only.
    let (_, rows) = run(v, &[("range", "this_month"), ("q", "login")], &fixed_entries());
    assert!(rows.is_empty());
    let (_, rows) = run(v, &[("range", "this_month"), ("q", "planning")], &fixed_entries());
    assert_eq!(rows.iter().map(|r| r.task.as_str()).collect::<Vec<_>>(), vec!["Management"]);
    // An unknown label matches nothing (and is not an error).
    let (ts, rows) = run(v, &[("range", "this_month"), ("person", "Lucía Alpha")], &fixed_entries());
    assert!(rows.is_empty() && ts.totals.entries == 0);
}

#[test]
fn a_cursor_of_another_shape_is_refused() {
    let (m, t, p) = (members(), tasks(), phases());
    let ctx = ClientContext {
        visibility: Visibility::default(),
        currency: Currency::parse("USD").unwrap(),
        locale: crate::locale::Locale::default(),
        time_zone: chrono_tz::UTC,
        members: &m,
        tasks: &t,
        phases: &p,
    };
    let mut q = parse_query(&pairs(&[("range", "this_month")]), &cal(), ViewMode::RealTime, d(TODAY)).unwrap();
    q.after = Some(Cursor(vec![KeyPart::Text("2026-11-01".into()), KeyPart::Text("ent_1".into())]));
    assert_eq!(plan(&ctx, &projects(), &q, &cal(), d(TODAY)).unwrap_err().field, "after");
}

// ---- Property test: any filter combination equals a recomputation from the entries. ----

const WORDS: &[&str] = &["alpha", "Beta", "café", "GAMMA", "delta"];
const DATES: &[&str] = &["2026-10-30", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-17", "2026-11-22", "2026-11-23", "2026-11-24"];

/// (project, member, task, phase, date, minutes, billable, word, rate) as indexes.
type Spec = (usize, usize, usize, usize, usize, i64, bool, usize, usize);
/// (date, project, member, task, phase, billable, minutes, entries) of an expected row.
type Expected = (String, String, String, String, String, bool, i64, i64);
type RowKey = (String, String, String, String, String, bool, String, String);

fn arb_entry() -> impl Strategy<Value = Spec> {
    (0..2usize, 0..3usize, 0..5usize, 0..3usize, 0..DATES.len(), 1..600i64, any::<bool>(), 0..WORDS.len(), 0..3usize)
}

fn build(specs: &[Spec]) -> Vec<EntryRecord> {
    specs
        .iter()
        .enumerate()
        .map(|(i, &(p, m, t, ph, dt, minutes, billable, w, r))| {
            let task = [Some("tsk_dev"), Some("tsk_pm"), Some("tsk_qa"), None, Some("tsk_gone")][t];
            let phase = [Some("phs_1"), Some("phs_2"), None][ph];
            let rate = ["100.00", "120.00", "150.00"][r];
            let amount = if billable { minutes * rate.trim_end_matches(".00").parse::<i64>().unwrap() * 100 / 60 } else { 0 };
            entry(
                i,
                ["prj_a", "prj_b"][p],
                ["mem_a", "mem_b", "mem_c"][m],
                task,
                phase,
                DATES[dt],
                minutes,
                billable,
                &format!("{} work {i}", WORDS[w]),
                Some(rate),
                amount,
            )
        })
        .collect()
}

fn arb_visibility() -> impl Strategy<Value = Visibility> {
    (0..2usize, 0..2usize, 0..3usize, 0..2usize, 0..2usize).prop_map(|(r, de, t, v, n)| Visibility {
        rates: RatesVisibility::ALL[r],
        descriptions: DescriptionMode::ALL[de],
        team: TeamDisplay::ALL[t],
        view: ViewMode::ALL[v],
        non_billable: NonBillable::ALL[n],
        ..Visibility::default()
    })
}

/// Query pairs: range, project, person, task, phase, billable, q, sort, group.
fn arb_query() -> impl Strategy<Value = Vec<(String, String)>> {
    let range = prop_oneof![
        Just(vec![("range".to_string(), "this_month".to_string())]),
        Just(vec![("range".into(), "to_date".into())]),
        Just(vec![("range".into(), "last_week".into())]),
        Just(vec![("range".into(), "this_week".into())]),
        (0..DATES.len(), 0..DATES.len()).prop_map(|(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            vec![("from".into(), DATES[a].into()), ("to".into(), DATES[b].into())]
        }),
    ];
    let opt = |k: &'static str, vals: &'static [&'static str]| {
        prop_oneof![Just(None), (0..vals.len()).prop_map(move |i| Some((k.to_string(), vals[i].to_string())))]
    };
    (
        range,
        opt("project", &["prj_a", "prj_b"]),
        opt("person", &["Lucía Alpha", "Developer 1", "Designer", "Team member B", "Team member C", "Nobody"]),
        opt("task", &["Development", "Management", "Testing", "No task", "Other"]),
        opt("phase", &["Build", "Launch", "No phase"]),
        opt("billable", &["all", "billable", "non_billable"]),
        opt("q", &["alpha", "BETA", "caf", "work 1", "feature", "plan"]),
        opt("sort", &["date", "person", "task", "phase", "hours"]),
        opt("group", &["none", "week", "person", "task", "phase"]),
    )
        .prop_map(|(r, a, b, c, d, e, f, g, h)| r.into_iter().chain([a, b, c, d, e, f, g, h].into_iter().flatten()).collect())
}

/// The recomputation: straight from the rules, on labels, without the Selection.
fn expected(v: Visibility, q: &[(String, String)], entries: &[EntryRecord]) -> (Vec<Expected>, i64, i64) {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let today = d(TODAY);
    let parsed = parse_query(q, &cal(), v.view, today).unwrap();
    let projects = projects();
    let from = parsed.from.unwrap_or_else(|| {
        projects.iter().filter(|p| get("project").is_none_or(|x| x == p.id.as_str())).map(|p| p.starts_on).min().unwrap()
    });
    let mut to = parsed.to;
    if v.view == ViewMode::WeeklySummary {
        to = to.min(d("2026-11-22"));
    }
    let labels = member_labels(&members(), v.team);
    let task_of = |e: &EntryRecord| match &e.task_id {
        None => ("No task".to_string(), String::new()),
        Some(t) => tasks().into_iter().find(|x| x.id == *t).map_or(("Other".into(), String::new()), |x| (x.name, x.client_explanation)),
    };
    let phase_of = |e: &EntryRecord| match &e.phase_id {
        None => "No phase".to_string(),
        Some(p) => phases().into_iter().find(|x| x.id == *p).map_or("Other".into(), |x| x.name),
    };
    let kept: Vec<&EntryRecord> = entries
        .iter()
        .filter(|e| e.local_date >= from && e.local_date <= to)
        .filter(|e| get("project").is_none_or(|p| p == e.project_id.as_str()))
        .filter(|e| e.billable || v.non_billable == NonBillable::Shown)
        .filter(|e| get("person").is_none_or(|p| labels[&e.member_id] == p))
        .filter(|e| get("task").is_none_or(|t| t == task_of(e).0 && t != "Other"))
        .filter(|e| get("phase").is_none_or(|p| p == phase_of(e)))
        .filter(|e| match get("billable") {
            Some("billable") => e.billable,
            Some("non_billable") => !e.billable,
            _ => true,
        })
        .filter(|e| {
            get("q").is_none_or(|q| {
                let q = q.to_ascii_lowercase();
                match v.descriptions {
                    DescriptionMode::Detailed => e.description.to_ascii_lowercase().contains(&q),
                    DescriptionMode::Summarised => {
                        let (n, x) = task_of(e);
                        e.task_id.is_some() && n != "Other" && (n.to_ascii_lowercase().contains(&q) || x.to_ascii_lowercase().contains(&q))
                    }
                }
            })
        })
        .collect();
    let minutes = kept.iter().map(|e| e.minutes).sum();
    let mut rows: BTreeMap<RowKey, (i64, i64)> = BTreeMap::new();
    for e in &kept {
        let project = projects.iter().find(|p| p.id == e.project_id).unwrap().name.clone();
        let (desc, split) = match v.descriptions {
            DescriptionMode::Detailed => (e.description.clone(), e.id.to_string()),
            DescriptionMode::Summarised => {
                (String::new(), if v.rates == RatesVisibility::Shown && e.billable { e.rate.unwrap().0.to_string() } else { String::new() })
            }
        };
        let k = (e.local_date.to_string(), project, labels[&e.member_id].clone(), task_of(e).0, phase_of(e), e.billable, desc, split);
        let slot = rows.entry(k).or_default();
        slot.0 += 1;
        slot.1 += e.minutes;
    }
    let out = rows
        .into_iter()
        .map(|((date, p, m, t, ph, b, desc, _), (n, mins))| (date, p, m, t, ph, b, mins, if desc.is_empty() { n } else { 1 }))
        .collect();
    (out, i64::try_from(kept.len()).unwrap(), minutes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn any_filter_combination_matches_a_recomputation(
        specs in prop::collection::vec(arb_entry(), 0..140),
        v in arb_visibility(),
        q in arb_query(),
    ) {
        let entries = build(&specs);
        let borrowed: Vec<(&str, &str)> = q.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (ts, rows) = run(v, &borrowed, &entries);
        let (want, entries_n, minutes) = expected(v, &q, &entries);
        let mut got: Vec<_> = rows.iter().map(|r| (r.date.to_string(), r.project.clone(), r.member.clone(), r.task.clone(), r.phase.clone(), r.billable, r.minutes, r.entries)).collect();
        // Order: the chosen sort's field never goes backwards.
        let sort = ts.filter.sort;
        for w in rows.windows(2) {
            let ok = match sort {
                Sort::Date => w[0].date <= w[1].date,
                Sort::Person => w[0].member <= w[1].member,
                Sort::Task => w[0].task <= w[1].task || w[0].task == "Other" || w[1].task == "Other",
                Sort::Phase => w[0].phase <= w[1].phase || w[0].phase == "Other",
                Sort::Hours => w[0].minutes >= w[1].minutes,
            };
            prop_assert!(ok, "{sort:?} order broken: {:?} then {:?}", w[0], w[1]);
        }
        got.sort();
        let mut want = want;
        want.sort();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(ts.totals.entries, entries_n);
        prop_assert_eq!(ts.totals.minutes, minutes);
        prop_assert_eq!(ts.totals.rows, i64::try_from(rows.len()).unwrap());
        if let Some(dim) = SubtotalDim::of(ts.filter.group) {
            let sum: i64 = ts.subtotals.iter().map(|s| s.totals.minutes).sum();
            prop_assert_eq!(sum, minutes, "{:?} subtotals add up", dim);
        }
        if v.rates == RatesVisibility::Hidden {
            prop_assert!(rows.iter().all(|r| r.amount.is_none() && r.rate.is_none()) && ts.totals.amount.is_none());
        } else {
            let number = |m: &RowMoney| m.as_str().split_once(' ').and_then(|(_, n)| n.replace(',', "").parse::<Decimal>().ok());
            let amount: Decimal = rows.iter().filter_map(|r| r.amount.as_ref().and_then(number)).sum();
            prop_assert_eq!(Some(amount), ts.totals.amount.as_ref().and_then(number));
        }
    }
}

proptest! {
    /// The rollup split covers the range exactly: the interior is whole buckets, the edges are
    /// shorter than a week.
    #[test]
    fn the_rollup_interior_is_whole_buckets_and_the_edges_short(start in 0i64..400, len in 0i64..120, first in 0usize..7) {
        let calendar = ClientCalendar { tz: chrono_tz::UTC, first_day: [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun][first] };
        let (m, t, p) = (members(), tasks(), phases());
        let ctx = ClientContext { visibility: Visibility { descriptions: DescriptionMode::Detailed, ..Visibility::default() }, currency: Currency::parse("USD").unwrap(), locale: crate::locale::Locale::default(), time_zone: chrono_tz::UTC, members: &m, tasks: &t, phases: &p };
        let from = add_days(d("2025-01-01"), start);
        let to = add_days(from, len);
        let q = parse_query(&pairs(&[("from", &from.to_string()), ("to", &to.to_string())]), &calendar, ViewMode::RealTime, d("2027-01-01")).unwrap();
        let sel = plan(&ctx, &projects(), &q, &calendar, d("2027-01-01")).unwrap().selection;
        match sel.rollup_split(&calendar) {
            Some(s) => {
                prop_assert!(s.from >= from && s.to <= to && s.from <= s.to);
                prop_assert!((s.from - from).num_days() < 7 && (to - s.to).num_days() < 7);
                prop_assert!(calendar.week_of(s.from).start == s.from || s.from.day() == 1);
                let next = add_days(s.to, 1);
                prop_assert!(calendar.week_of(next).start == next || next.day() == 1);
            }
            None => prop_assert!(len < 13),
        }
    }
}
