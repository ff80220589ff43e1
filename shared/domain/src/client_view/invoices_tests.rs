//! Tests of the billing projection (`client_view::invoices`).
use super::*;
use crate::client_view::{MemberRecord, PhaseRecord, TaskRecord};
use crate::ids::{EntryId, MemberId, PhaseId, TaskId};
use crate::settings::{TeamDisplay, Visibility};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const CANARY_RATE: &str = "137.13";

fn member(id: &str, name: &str, seq: u32) -> MemberRecord {
    MemberRecord {
        id: MemberId::parse(id).unwrap(),
        name: name.into(),
        role_title: "Developer".into(),
        email: "CANARY@private.example".into(),
        phone: "CANARY-PHONE".into(),
        cost_rate: HourlyRate::parse("77.77").ok(),
        default_rate: HourlyRate::parse("99.99").ok(),
        personal_notes: "CANARY-PERSONAL".into(),
        client_seq: seq,
    }
}

fn entries(c: Currency) -> Vec<BillableEntry> {
    let e = |i: u32, m: &str, t: Option<&str>, p: Option<&str>, day: &str, minutes: i64, billable: bool| {
        let rate = HourlyRate::parse(CANARY_RATE).unwrap();
        BillableEntry {
            id: EntryId::parse(&format!("ent_CANARY_{i}")).unwrap(),
            project_id: ProjectId::parse("prj_a").unwrap(),
            member_id: MemberId::parse(m).unwrap(),
            task_id: t.map(|t| TaskId::parse(t).unwrap()),
            phase_id: p.map(|p| PhaseId::parse(p).unwrap()),
            local_date: d(day),
            minutes,
            billable,
            rate: Some(rate),
            amount_minor: rate.amount_for(minutes, c).minor,
        }
    };
    vec![
        // Durations off the hour, so no line total equals the canary rate by arithmetic.
        e(1, "mem_a", Some("tsk_dev"), Some("phs_1"), "2026-11-16", 50, true),
        e(2, "mem_b", Some("tsk_dev"), None, "2026-11-17", 95, true),
        e(3, "mem_b", None, None, "2026-11-18", 35, true),
        // In the current week (Mon 23 Nov): withheld in weekly summary.
        e(4, "mem_a", Some("tsk_dev"), None, "2026-11-24", 70, true),
    ]
}

struct Fx {
    members: Vec<MemberRecord>,
    tasks: Vec<TaskRecord>,
    phases: Vec<PhaseRecord>,
}

fn fx() -> Fx {
    Fx {
        members: vec![member("mem_a", "Al Alpha", 1), member("mem_b", "Bo Beta", 2)],
        tasks: vec![TaskRecord {
            id: TaskId::parse("tsk_dev").unwrap(),
            name: "Development".into(),
            client_explanation: "Building".into(),
            billable_default: true,
        }],
        phases: vec![PhaseRecord { id: PhaseId::parse("phs_1").unwrap(), name: "Build".into() }],
    }
}

fn settings() -> BillingSettings {
    BillingSettings {
        grouping: Grouping::Person,
        tax_rate: TaxRate::parse("10").unwrap(),
        payment_terms_days: 30,
        next_invoice_on: None,
        time_increment_minutes: Some(15),
    }
}

fn record(status: StoredStatus, total: i64, paid: i64) -> InvoiceRecord {
    InvoiceRecord {
        id: InvoiceId::parse("inv_CANARY_ID").unwrap(),
        number: "INV-0001".into(),
        status,
        currency: Currency::parse("USD").unwrap(),
        grouping: Grouping::Task,
        period_start: Some(d("2026-10-01")),
        period_end: Some(d("2026-10-31")),
        issued_on: Some(d("2026-11-01")),
        due_on: Some(d("2026-11-30")),
        paid_on: None,
        subtotal_minor: total,
        tax_rate: TaxRate::default(),
        tax_minor: 0,
        total_minor: total,
        paid_minor: paid,
        terms: "Net 30".into(),
        notes: String::new(),
        payment_url: Some("https://pay.example/inv".into()),
        entry_count: 3,
        viewed: false,
        created_at: "2026-11-01T00:00:00Z".into(),
        voided_at: None,
    }
}

fn billing(v: Visibility) -> ClientBilling {
    let f = fx();
    let usd = Currency::parse("USD").unwrap();
    let ctx = ClientContext {
        visibility: v,
        currency: usd,
        locale: crate::locale::Locale::default(),
        time_zone: chrono_tz::UTC,
        members: &f.members,
        tasks: &f.tasks,
        phases: &f.phases,
    };
    let projects = HashMap::from([(ProjectId::parse("prj_a").unwrap(), "Website".to_string())]);
    let cal = crate::calendar::ClientCalendar::parse("UTC", "monday").unwrap();
    let today = d("2026-11-25");
    let end = crate::invoice::default_period_end(v.view, &cal, today);
    let invoices =
        [record(StoredStatus::Draft, 500, 0), InvoiceRecord { number: "INV-0002".into(), ..record(StoredStatus::Sent, 1000, 400) }];
    project_billing(&ctx, &projects, &entries(usd), &settings(), &invoices, today, end)
}

#[test]
fn rates_hidden_show_totals_only_and_no_rate_anywhere() {
    let v = Visibility { team: TeamDisplay::Names, ..Visibility::default() };
    let b = billing(v);
    let json = serde_json::to_string(&b).unwrap();
    for canary in [CANARY_RATE, "CANARY", "inv_CANARY", "ent_CANARY", "77.77", "99.99"] {
        assert!(!json.contains(canary), "{canary} in {json}");
    }
    assert!(b.unbilled.by_person.iter().all(|r| r.amount.is_none()));
    assert!(b.preview.lines.iter().all(|l| l.rate.is_none()));
    // Totals and line totals are there: the line totals are the invoice.
    assert!(b.preview.lines.iter().all(|l| l.amount.starts_with("USD ")));
    // Weekly summary (the default): the entry of the current week is not counted.
    assert_eq!(b.unbilled.minutes, 180);
    assert_eq!(b.preview.minutes, 180);
    assert_eq!(b.unbilled.amount_minor, b.preview.subtotal_minor);
    assert_eq!(b.preview.total_minor, b.preview.subtotal_minor + b.preview.tax_minor);
    assert_eq!(b.increment_note.as_deref(), Some("Time is recorded in 15-minute increments."));
}

#[test]
fn rates_shown_show_line_rates() {
    let v = Visibility {
        rates: RatesVisibility::Shown,
        team: TeamDisplay::Anonymous,
        view: crate::settings::ViewMode::RealTime,
        ..Visibility::default()
    };
    let b = billing(v);
    let json = serde_json::to_string(&b).unwrap();
    assert!(json.contains("USD 137.13"), "{json}");
    assert!(b.unbilled.by_person.iter().all(|r| r.amount.is_some()));
    assert_eq!(b.unbilled.minutes, 250);
    assert_eq!(
        b.preview.lines.iter().map(|l| l.description.as_str()).collect::<Vec<_>>(),
        vec!["Website · Team member A", "Website · Team member B"]
    );
    assert!(!json.contains("Al Alpha"));
}

#[test]
fn drafts_are_never_shown_and_statuses_are_derived() {
    let b = billing(Visibility::default());
    assert_eq!(b.invoices.len(), 1);
    assert_eq!(b.invoices[0].number, "INV-0002");
    assert_eq!(b.invoices[0].status, InvoiceStatus::PartiallyPaid);
    assert_eq!(b.invoices[0].balance, "USD 6.00");
    assert_eq!(b.invoices[0].pay_url.as_deref(), Some("https://pay.example/inv"));
    assert!(project_summary(&record(StoredStatus::Draft, 1, 0), d("2026-11-25")).is_none());
    let paid = project_summary(&record(StoredStatus::Sent, 1000, 1000), d("2026-12-25")).unwrap();
    assert_eq!((paid.status, paid.pay_url), (InvoiceStatus::Paid, None));
    let void = project_summary(&record(StoredStatus::Void, 1000, 0), d("2026-12-25")).unwrap();
    assert_eq!((void.status, void.balance_minor), (InvoiceStatus::Void, 0));
    let invoices =
        [record(StoredStatus::Draft, 500, 0), InvoiceRecord { number: "INV-0002".into(), ..record(StoredStatus::Sent, 1000, 400) }];
    let usd = Currency::parse("USD").unwrap();
    let s = billing_summary(usd, true, b.unbilled.minutes, b.unbilled.amount_minor, &settings(), &invoices, d("2026-11-25"));
    assert_eq!(s.open_balance, "USD 6.00");
    assert_eq!(s.next_invoice_on, d("2026-12-01"));
    assert_eq!((s.unbilled_amount.as_str(), s.unbilled_hours), (b.unbilled.amount.as_str(), Some(b.unbilled.hours)));
    assert_eq!(
        billing_summary(usd, false, b.unbilled.minutes, b.unbilled.amount_minor, &settings(), &invoices, d("2026-11-25")).unbilled_hours,
        None
    );
    assert_eq!(s.overdue, 0);
    let later = billing_summary(usd, true, 0, 0, &settings(), &invoices, d("2026-12-01"));
    assert_eq!(later.overdue, 1);
}

#[test]
fn the_preview_is_what_an_issued_invoice_shows() {
    let f = fx();
    let usd = Currency::parse("USD").unwrap();
    for rates in [RatesVisibility::Shown, RatesVisibility::Hidden] {
        let v = Visibility { rates, ..Visibility::default() };
        let ctx = ClientContext {
            visibility: v,
            currency: usd,
            locale: crate::locale::Locale::default(),
            time_zone: chrono_tz::UTC,
            members: &f.members,
            tasks: &f.tasks,
            phases: &f.phases,
        };
        let projects = HashMap::from([(ProjectId::parse("prj_a").unwrap(), "Website".to_string())]);
        let labels = line_labels(&ctx, &projects);
        let sel = Selection { from: None, to: d("2026-11-22"), projects: vec![] };
        let dr = draft(&entries(usd), &sel, Grouping::Task, TaxRate::parse("10").unwrap(), usd, &labels);
        let preview = project_preview(rates, &dr, d("2026-11-22"));
        let rec = InvoiceRecord {
            subtotal_minor: dr.subtotal_minor,
            tax_rate: dr.tax_rate,
            tax_minor: dr.tax_minor,
            total_minor: dr.total_minor,
            ..record(StoredStatus::Sent, 0, 0)
        };
        let issued = project_invoice(rates, &rec, &line_records(&dr), &[], d("2026-11-25"), None).unwrap();
        assert_eq!(preview.lines, issued.lines);
        assert_eq!(
            (preview.subtotal, preview.tax, preview.total, preview.tax_rate),
            (issued.subtotal, issued.tax, issued.summary.total, issued.tax_rate)
        );
    }
}
