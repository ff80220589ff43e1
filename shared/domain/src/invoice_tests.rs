use super::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cur(c: &str) -> Currency {
    Currency::parse(c).unwrap()
}

fn labels() -> LineLabels {
    let mut l = LineLabels::default();
    l.projects.insert(ProjectId::parse("prj_a").unwrap(), "Website".into());
    l.projects.insert(ProjectId::parse("prj_b").unwrap(), "App".into());
    l.members.insert(MemberId::parse("mem_1").unwrap(), "Team member A".into());
    l.members.insert(MemberId::parse("mem_2").unwrap(), "Team member B".into());
    l.tasks.insert(TaskId::parse("tsk_dev").unwrap(), "Development".into());
    l.tasks.insert(TaskId::parse("tsk_pm").unwrap(), "Project management".into());
    l.phases.insert(PhaseId::parse("phs_1").unwrap(), "Build".into());
    l
}

/// An entry priced the way ingest prices it (money rule 1).
#[allow(clippy::too_many_arguments)]
fn entry(i: usize, project: &str, member: &str, task: Option<&str>, day: &str, minutes: i64, rate: &str, c: Currency) -> BillableEntry {
    let rate = HourlyRate::parse(rate).unwrap();
    BillableEntry {
        id: EntryId::parse(&format!("ent_{i:04}")).unwrap(),
        project_id: ProjectId::parse(project).unwrap(),
        member_id: MemberId::parse(member).unwrap(),
        task_id: task.map(|t| TaskId::parse(t).unwrap()),
        phase_id: None,
        local_date: d(day),
        minutes,
        billable: true,
        rate: Some(rate),
        amount_minor: rate.amount_for(minutes, c).minor,
    }
}

fn all_until(day: &str) -> Selection {
    Selection { from: None, to: d(day), projects: vec![] }
}

#[test]
fn lines_sum_stored_amounts_not_rate_times_hours() {
    let usd = cur("USD");
    // 3 entries of 1 minute at 0.30/h: each 0.005 → rounds to 0.00 when stored; the line is 0.00,
    // although 3 minutes at 0.30/h would be 0.015 → 0.02.
    let es: Vec<_> = (0..3).map(|i| entry(i, "prj_a", "mem_1", Some("tsk_dev"), "2026-11-02", 1, "0.30", usd)).collect();
    let inv = draft(&es, &all_until("2026-11-30"), Grouping::Task, TaxRate::default(), usd, &labels());
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].amount_minor, 0);
    assert_eq!(inv.lines[0].minutes, 3);
    assert_eq!(inv.lines[0].description, "Website · Development");
    assert_eq!(inv.total_minor, 0);
}

#[test]
fn tax_is_rounded_once_on_the_subtotal() {
    let eur = cur("EUR");
    // Two lines of EUR 0.05 each; 10 % per line would be 0.005 → 0.00 twice (0.00), on the
    // subtotal 0.10 it is 0.01.
    let es = vec![
        entry(1, "prj_a", "mem_1", Some("tsk_dev"), "2026-11-02", 1, "3.00", eur),
        entry(2, "prj_a", "mem_1", Some("tsk_pm"), "2026-11-02", 1, "3.00", eur),
    ];
    let inv = draft(&es, &all_until("2026-11-30"), Grouping::Task, TaxRate::parse("10").unwrap(), eur, &labels());
    assert_eq!(inv.lines.iter().map(|l| l.amount_minor).collect::<Vec<_>>(), vec![5, 5]);
    assert_eq!(inv.subtotal_minor, 10);
    assert_eq!(inv.tax_minor, 1);
    assert_eq!(inv.total_minor, 11);
    // Half-to-even: 19 % of 0.50 = 0.095 → 0.10 (9.5 cents rounds to even 10); of 0.50 at 1 % = 0.005 → 0.00.
    assert_eq!(TaxRate::parse("19").unwrap().tax_on(50), 10);
    assert_eq!(TaxRate::parse("1").unwrap().tax_on(50), 0);
    assert_eq!(TaxRate::parse("1").unwrap().tax_on(150), 2);
    assert_eq!(TaxRate::parse("8.875%").unwrap().to_stored(), "8.875");
    assert!(TaxRate::parse("101").is_err() && TaxRate::parse("-1").is_err() && TaxRate::parse("abc").is_err());
    assert!(TaxRate::parse("1.00001").is_err());
}

#[test]
fn zero_decimal_currencies_round_to_whole_units() {
    let jpy = cur("JPY");
    assert_eq!(jpy.minor_digits(), 0);
    assert_eq!(cur("XPF").minor_digits(), 0);
    assert_eq!(cur("KRW").minor_digits(), 0);
    // 20 minutes at JPY 9,001/h = 3000.333… → 3000 yen; 10 minutes = 1500.1666… → 1500.
    let es = vec![
        entry(1, "prj_a", "mem_1", Some("tsk_dev"), "2026-11-02", 20, "9001", jpy),
        entry(2, "prj_a", "mem_1", Some("tsk_dev"), "2026-11-03", 10, "9001", jpy),
    ];
    let inv = draft(&es, &all_until("2026-11-30"), Grouping::Task, TaxRate::parse("10").unwrap(), jpy, &labels());
    assert_eq!(inv.subtotal_minor, 4500);
    assert_eq!(inv.tax_minor, 450);
    assert_eq!(inv.total_minor, 4950);
    assert_eq!(crate::money::Money::new(inv.total_minor, jpy).to_string(), "JPY 4,950");
    // 8 % of JPY 4,506 = 360.48 → 360; of 4,507 = 360.56 → 361; of JPY 5 at 10 % = 0.5 → 0 (even).
    assert_eq!(TaxRate::parse("8").unwrap().tax_on(4506), 360);
    assert_eq!(TaxRate::parse("8").unwrap().tax_on(4507), 361);
    assert_eq!(TaxRate::parse("10").unwrap().tax_on(5), 0);
    assert_eq!(TaxRate::parse("10").unwrap().tax_on(15), 2);
    assert!(money_note(jpy).contains("a whole JPY"));
    // EUR: 20 minutes at 100.01/h = 33.3366… → 33.34.
    let eur = cur("EUR");
    assert_eq!(HourlyRate::parse("100.01").unwrap().amount_for(20, eur).minor, 3334);
    assert!(money_note(eur).contains("rounded to the cent"));
}

#[test]
fn grouping_and_rates() {
    let usd = cur("USD");
    let mut es = vec![
        entry(1, "prj_a", "mem_1", Some("tsk_dev"), "2026-11-02", 60, "100", usd),
        entry(2, "prj_a", "mem_2", Some("tsk_dev"), "2026-11-03", 30, "150", usd),
        entry(3, "prj_b", "mem_1", None, "2026-11-04", 45, "100", usd),
    ];
    es[2].phase_id = Some(PhaseId::parse("phs_1").unwrap());
    let sel = all_until("2026-11-30");
    let by = |g| draft(&es, &sel, g, TaxRate::default(), usd, &labels());
    let task = by(Grouping::Task);
    assert_eq!(task.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(), vec!["App · No task", "Website · Development"]);
    // Mixed rates on one line: no single rate.
    assert_eq!(task.lines[1].rate, None);
    assert_eq!(task.lines[0].rate, Some(HourlyRate::parse("100").unwrap()));
    let person = by(Grouping::Person);
    assert_eq!(
        person.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(),
        vec!["App · Team member A", "Website · Team member A", "Website · Team member B"]
    );
    let phase = by(Grouping::Phase);
    assert_eq!(phase.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(), vec!["App · Build", "Website · No phase"]);
    let project = by(Grouping::Project);
    assert_eq!(project.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(), vec!["App", "Website"]);
    // Selection: a period and a project list; non-billable never.
    es[0].billable = false;
    let only_a = Selection { from: Some(d("2026-11-03")), to: d("2026-11-30"), projects: vec![ProjectId::parse("prj_a").unwrap()] };
    let inv = draft(&es, &only_a, Grouping::Task, TaxRate::default(), usd, &labels());
    assert_eq!(inv.entries, vec![EntryId::parse("ent_0002").unwrap()]);
    assert_eq!((inv.first_date, inv.last_date), (Some(d("2026-11-03")), Some(d("2026-11-03"))));
}

#[test]
fn statuses_follow_payments_and_the_clients_today() {
    let due = Some(d("2026-11-30"));
    let s = |stored, paid, today: &str, viewed| status(stored, 1000, paid, due, d(today), viewed);
    assert_eq!(s(StoredStatus::Sent, 0, "2026-11-30", false), InvoiceStatus::Sent);
    assert_eq!(s(StoredStatus::Sent, 0, "2026-11-30", true), InvoiceStatus::Viewed);
    assert_eq!(s(StoredStatus::Sent, 400, "2026-11-30", true), InvoiceStatus::PartiallyPaid);
    // Due on the 30th: overdue from the 1st, in the client's calendar.
    assert_eq!(s(StoredStatus::Sent, 400, "2026-12-01", true), InvoiceStatus::Overdue);
    assert_eq!(s(StoredStatus::Sent, 1000, "2026-12-01", true), InvoiceStatus::Paid);
    assert_eq!(s(StoredStatus::Paid, 0, "2026-12-01", false), InvoiceStatus::Paid);
    assert_eq!(s(StoredStatus::Void, 0, "2026-12-01", false), InvoiceStatus::Void);
    assert_eq!(s(StoredStatus::Draft, 0, "2026-12-01", false), InvoiceStatus::Draft);
}

#[test]
fn dates() {
    let cal = ClientCalendar::parse("UTC", "monday").unwrap();
    let wed = d("2026-11-25");
    assert_eq!(default_period_end(ViewMode::RealTime, &cal, wed), wed);
    assert_eq!(default_period_end(ViewMode::WeeklySummary, &cal, wed), d("2026-11-22"));
    assert_eq!(next_invoice_date(None, wed), d("2026-12-01"));
    assert_eq!(next_invoice_date(Some(d("2026-11-28")), wed), d("2026-11-28"));
    assert_eq!(next_invoice_date(Some(d("2026-11-20")), wed), d("2026-12-01"));
    assert_eq!(next_invoice_date(None, d("2026-12-31")), d("2027-01-01"));
    assert!(check_payment(500, 1000, 400).is_ok());
    assert!(check_payment(600, 1000, 400).is_ok());
    assert!(check_payment(601, 1000, 400).is_err() && check_payment(0, 1000, 0).is_err() && check_payment(-5, 1000, 0).is_err());
    assert!(check_number("INV-0001").is_ok());
    assert!(check_number("INV/1").is_err() && check_number("").is_err());
}

fn arb_entries(currency: Currency) -> impl Strategy<Value = Vec<BillableEntry>> {
    let rates = ["0.30", "99.99", "100", "120.5", "137.13", "9001"];
    prop::collection::vec((0usize..2, 0usize..2, 0usize..3, 0i64..40, 1i64..600, 0usize..6, prop::bool::weighted(0.85)), 0..60).prop_map(
        move |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (p, m, t, day, minutes, r, billable))| {
                    let mut e = entry(
                        i,
                        ["prj_a", "prj_b"][p],
                        ["mem_1", "mem_2"][m],
                        [Some("tsk_dev"), Some("tsk_pm"), None][t],
                        "2026-10-01",
                        minutes,
                        rates[r],
                        currency,
                    );
                    e.local_date = add_days(e.local_date, day);
                    e.billable = billable;
                    e
                })
                .collect()
        },
    )
}

fn grouping() -> impl Strategy<Value = Grouping> {
    prop::sample::select(Grouping::ALL.to_vec())
}

proptest! {
    /// Totals are the sums of the lines; the subtotal is the sum of the stored amounts of exactly
    /// the selected entries; every selected entry is on exactly one line (none lost, none twice).
    #[test]
    fn totals_are_sums_of_lines(
        code in prop::sample::select(vec!["USD", "EUR", "JPY", "KWD"]),
        g in grouping(),
        tax in prop::sample::select(vec!["0", "7.7", "19", "8.875", "10"]),
        seed_entries in arb_entries(cur("USD")),
        to_day in 0i64..45,
    ) {
        let c = cur(code);
        // Re-price for the currency, as ingest would have.
        let es: Vec<BillableEntry> = seed_entries.into_iter().map(|mut e| { e.amount_minor = e.rate.map_or(0, |r| r.amount_for(e.minutes, c).minor); e }).collect();
        let sel = Selection { from: None, to: add_days(d("2026-10-01"), to_day), projects: vec![] };
        let inv = draft(&es, &sel, g, TaxRate::parse(tax).unwrap(), c, &labels());
        let lines_amount: i64 = inv.lines.iter().map(|l| l.amount_minor).sum();
        prop_assert_eq!(inv.subtotal_minor, lines_amount);
        prop_assert_eq!(inv.total_minor, inv.subtotal_minor + inv.tax_minor);
        prop_assert_eq!(inv.tax_minor, TaxRate::parse(tax).unwrap().tax_on(inv.subtotal_minor));
        let selected: Vec<&BillableEntry> = es.iter().filter(|e| sel.takes(e)).collect();
        prop_assert_eq!(inv.subtotal_minor, selected.iter().map(|e| e.amount_minor).sum::<i64>());
        prop_assert_eq!(inv.minutes(), selected.iter().map(|e| e.minutes).sum::<i64>());
        let mut on_lines: Vec<EntryId> = inv.lines.iter().flat_map(|l| l.entries.iter().cloned()).collect();
        on_lines.sort();
        let mut want: Vec<EntryId> = selected.iter().map(|e| e.id.clone()).collect();
        want.sort();
        prop_assert_eq!(&on_lines, &want);
        prop_assert_eq!(&inv.entries, &want);
        for l in &inv.lines {
            if let Some(r) = l.rate {
                // A single-rate line's amount is within half a minor unit per entry of rate × hours.
                let exact = r.0 * Decimal::from(l.minutes) / Decimal::from(60) * Decimal::from(10i64.pow(c.minor_digits()));
                let diff = (exact - Decimal::from(l.amount_minor)).abs();
                prop_assert!(diff <= Decimal::from(l.entries.len()) / Decimal::from(2), "{} vs {}", exact, l.amount_minor);
            }
        }
    }

    /// The preview equals the invoice issued right after it: the same entries, whatever order
    /// storage returns them in, make the same lines and totals; and issuing it leaves nothing of
    /// the selection unbilled, so the next preview is the rest (nothing twice, nothing lost).
    #[test]
    fn preview_equals_issued(es in arb_entries(cur("EUR")), g in grouping(), shuffle_seed in any::<u64>()) {
        let eur = cur("EUR");
        let sel = all_until("2026-10-30");
        let preview = draft(&es, &sel, g, TaxRate::parse("19").unwrap(), eur, &labels());
        let mut shuffled = es.clone();
        let mut s = shuffle_seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let issued = draft(&shuffled, &sel, g, TaxRate::parse("19").unwrap(), eur, &labels());
        prop_assert_eq!(&preview, &issued);
        // Lock what was issued; the unbilled rest makes the next preview.
        let rest: Vec<BillableEntry> = es.iter().filter(|e| !issued.entries.contains(&e.id)).cloned().collect();
        let next = draft(&rest, &sel, g, TaxRate::parse("19").unwrap(), eur, &labels());
        prop_assert!(next.entries.is_empty());
        // Voiding unlocks exactly the issued entries: the preview over everything is the same again.
        let mut after_void = rest.clone();
        after_void.extend(es.iter().filter(|e| issued.entries.contains(&e.id)).cloned());
        prop_assert_eq!(draft(&after_void, &sel, g, TaxRate::parse("19").unwrap(), eur, &labels()), preview);
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Creator `k` reads the unbilled entries and drafts (days `from..`, optionally one project).
    Read { k: usize, from: i64, one_project: Option<usize> },
    /// Creator `k` commits what it drafted.
    Commit { k: usize },
    /// Void the `n`-th live invoice.
    Void { n: usize },
    /// Ingest changes entry `i` (or adds it).
    Ingest { i: usize, minutes: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 0i64..30, prop::option::of(0usize..2)).prop_map(|(k, from, one_project)| Op::Read { k, from, one_project }),
        (0usize..3).prop_map(|k| Op::Commit { k }),
        (0usize..4).prop_map(|n| Op::Void { n }),
        (0usize..40, 1i64..300).prop_map(|(i, minutes)| Op::Ingest { i, minutes }),
    ]
}

proptest! {
    /// Locking is exact under concurrent creation: creators read, draft and commit in any
    /// interleaving with each other, with voids and with ingest; at every step each live invoice
    /// locks exactly the entries it drafted, unchanged (its subtotal is still the sum of their
    /// stored amounts), no entry is locked twice (an entry has one slot), none is lost, and a void
    /// unlocks exactly what its invoice locked.
    #[test]
    fn locking_is_exact_under_concurrent_creation(seed_entries in arb_entries(cur("USD")), ops in prop::collection::vec(op(), 1..60)) {
        let usd = cur("USD");
        let mut ledger = Ledger::default();
        for e in &seed_entries {
            ledger.upsert(e.clone());
        }
        let mut pending: Vec<Option<(InvoiceDraft, Vec<BillableEntry>)>> = vec![None, None, None];
        let mut drafted: HashMap<u64, Vec<EntryId>> = HashMap::new();
        for o in ops {
            match o {
                Op::Read { k, from, one_project } => {
                    let snapshot = ledger.unbilled();
                    let sel = Selection {
                        from: Some(add_days(d("2026-10-01"), from)),
                        to: d("2026-12-31"),
                        projects: one_project.map(|p| vec![ProjectId::parse(["prj_a", "prj_b"][p]).unwrap()]).unwrap_or_default(),
                    };
                    let dr = draft(&snapshot, &sel, Grouping::Task, TaxRate::default(), usd, &labels());
                    pending[k] = Some((dr, snapshot));
                }
                Op::Commit { k } => {
                    if let Some((dr, snapshot)) = pending[k].take() {
                        if let Some(n) = ledger.commit(&dr, &snapshot) {
                            prop_assert_eq!(ledger.locked_by(n), dr.entries.clone());
                            drafted.insert(n, dr.entries.clone());
                        }
                    }
                }
                Op::Void { n } => {
                    let live = ledger.live();
                    if let Some((inv, _)) = live.get(n % live.len().max(1)) {
                        let before = ledger.locked_by(*inv);
                        prop_assert_eq!(ledger.void(*inv), before.clone());
                        prop_assert_eq!(&before, &drafted[inv]);
                        prop_assert!(ledger.locked_by(*inv).is_empty());
                    }
                }
                Op::Ingest { i, minutes } => {
                    let mut e = entry(i, "prj_a", "mem_1", Some("tsk_dev"), "2026-10-15", minutes, "99.99", usd);
                    e.local_date = add_days(d("2026-10-01"), i64::try_from(i).unwrap());
                    let locked = ledger.entries.get(&e.id).is_some_and(|(_, inv)| inv.is_some());
                    prop_assert_eq!(ledger.upsert(e), !locked);
                }
            }
            for (inv, subtotal) in ledger.live() {
                let ids = ledger.locked_by(inv);
                prop_assert_eq!(&ids, &drafted[&inv]);
                prop_assert_eq!(ledger.amount_of(&ids), subtotal);
            }
            prop_assert!(ledger.len() >= seed_entries.len());
        }
    }
}
