//! Tests of the invoice PDF's content (what it says; the layout is the report writer's).
use super::*;
use chrono::NaiveDate;
use clearhours_domain::client_view::invoices::{project_invoice, InvoiceLineRecord, InvoiceRecord, PaymentRecord};
use clearhours_domain::ids::InvoiceId;
use clearhours_domain::invoice::{Grouping, StoredStatus, TaxRate};
use clearhours_domain::money::{Currency, HourlyRate};
use clearhours_domain::settings::RatesVisibility;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn invoice(rates: RatesVisibility, currency: &str) -> ClientInvoice {
    let c = Currency::parse(currency).unwrap();
    let rate = HourlyRate::parse("137.13").unwrap();
    let lines = vec![
        InvoiceLineRecord {
            description: "Website · Development".into(),
            minutes: 50,
            rate: Some(rate),
            amount_minor: rate.amount_for(50, c).minor,
        },
        InvoiceLineRecord { description: "Website · Planning".into(), minutes: 35, rate: None, amount_minor: 7999 },
    ];
    let subtotal: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let tax = TaxRate::parse("8.875").unwrap();
    let record = InvoiceRecord {
        id: InvoiceId::parse("inv_1").unwrap(),
        number: "INV-0042".into(),
        status: StoredStatus::Sent,
        currency: c,
        grouping: Grouping::Task,
        period_start: Some(d("2026-11-01")),
        period_end: Some(d("2026-11-30")),
        issued_on: Some(d("2026-12-01")),
        due_on: Some(d("2026-12-15")),
        paid_on: None,
        subtotal_minor: subtotal,
        tax_rate: tax,
        tax_minor: tax.tax_on(subtotal),
        total_minor: subtotal + tax.tax_on(subtotal),
        paid_minor: 1000,
        terms: "Net 14".into(),
        notes: String::new(),
        payment_url: None,
        entry_count: 2,
        viewed: false,
        created_at: "2026-12-01T00:00:00Z".into(),
        voided_at: None,
    };
    let payments =
        [PaymentRecord { amount_minor: 1000, paid_on: d("2026-12-05"), reference: "SECRET-REF".into(), source: "manual".into() }];
    project_invoice(rates, &record, &lines, &payments, d("2026-12-06"), Some(15)).unwrap()
}

fn cells(r: &Report) -> String {
    r.rows
        .iter()
        .map(|row| match row {
            ReportRow::Cells(c) | ReportRow::Subtotal(c) | ReportRow::Total(c) => c.join(" | "),
            ReportRow::Group(t) | ReportRow::Text(t) => t.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn rates_hidden_totals_only() {
    let inv = invoice(RatesVisibility::Hidden, "USD");
    let r = report("Client A", &inv, &[]);
    let all = cells(&r) + &r.header_lines.join("\n");
    assert!(!all.contains("137.13"), "{all}");
    assert!(r.columns.iter().all(|c| c.title != "Rate per hour"));
    assert!(!all.contains("SECRET-REF"));
    assert!(all.contains(&format!("Total |  | {}", inv.summary.total)), "{all}");
    assert!(all.contains(&format!("Tax (8.875%) |  | {}", inv.tax)));
    assert!(all.contains(&format!("Balance due |  | {}", inv.summary.balance)));
    assert!(all.contains("Amounts are per entry, rounded to the cent"));
    assert!(all.contains("15-minute increments"));
    assert_eq!(r.title, "Invoice INV-0042");
    assert!(render("Client A", &inv, &[]).starts_with(b"%PDF-"));
}

#[test]
fn rates_shown_and_zero_decimal_currency() {
    let inv = invoice(RatesVisibility::Shown, "USD");
    let all = cells(&report("Client A", &inv, &[]));
    assert!(all.contains("Website · Development | 0.83 | USD 137.13 | USD 114.28"), "{all}");
    assert!(all.contains("Website · Planning | 0.58 | - | USD 79.99"), "{all}");
    let jpy = invoice(RatesVisibility::Shown, "JPY");
    let all = cells(&report("Client J", &jpy, &[]));
    // 50 minutes at JPY 137.13/h = 114.275 → 114 yen; the second line is 7,999 yen as stored.
    assert!(all.contains("JPY 114"), "{all}");
    assert!(all.contains("JPY 8,113") && !all.contains("8,113."), "{all}");
}

#[test]
fn signoffs_of_the_covered_weeks_are_listed() {
    use clearhours_domain::client_view::signoff::{signoff, SignoffRecord};
    use clearhours_domain::client_view::MoneyPolicy;
    use clearhours_domain::money::Currency;
    use clearhours_domain::settings::Visibility;
    let inv = invoice(RatesVisibility::Hidden, "USD");
    let rec = SignoffRecord {
        id: "so_1".into(),
        project_id: "prj_web".into(),
        project_name: "Website".into(),
        week_start: chrono::NaiveDate::from_ymd_opt(2026, 11, 9).unwrap(),
        week_end: chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        contact_name: "April Approver".into(),
        approved_at: "2026-11-17T09:00:00Z".into(),
        minutes: 180,
        billable_minutes: 180,
        rows: 3,
        amount_minor: None,
        lines_hash: "0123456789abcdef0123456789abcdef".into(),
        changed_at: None,
    };
    let pay = MoneyPolicy::of(&Visibility::default(), Currency::parse("USD").unwrap());
    let all = cells(&report("Client A", &inv, &[signoff(&rec, &pay)]));
    assert!(
        all.contains("Week of 2026-11-09 (Website): approved by April Approver on 2026-11-17T09:00:00Z, lines sha256:0123456789ab"),
        "{all}"
    );
    assert!(!all.contains("prj_web") && !all.contains("0123456789abcdef0123"), "{all}");
}
