//! The invoice PDF, on the shared report writer ([`crate::pdf::Report`]): built only from a
//! `ClientInvoice`, so per-hour rates appear only when the client sees rates (the line totals
//! and totals always: they are the invoice). Title and header lines (client, period, issue and
//! due dates, status), one row per invoice line, then subtotal, tax and total (and paid /
//! balance due once something is paid), then payments, terms, notes, the weekly sign-offs of
//! the covered weeks (`ClientSignoff`) and the money rule.
// Column weights are layout, not money.
#![allow(clippy::float_arithmetic)]

use crate::pdf::{render as render_report, Align, Report, ReportColumn, ReportRow};
use clearhours_domain::client_view::invoices::ClientInvoice;
use clearhours_domain::client_view::signoff::ClientSignoff;

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// What the invoice PDF says.
pub fn report(client_name: &str, inv: &ClientInvoice, signoffs: &[ClientSignoff]) -> Report {
    let s = &inv.summary;
    let mut columns = vec![ReportColumn { title: "Description".into(), weight: 5.0, align: Align::Left }];
    columns.push(ReportColumn { title: "Hours".into(), weight: 1.2, align: Align::Right });
    if inv.rates_shown {
        columns.push(ReportColumn { title: "Rate per hour".into(), weight: 1.8, align: Align::Right });
    }
    columns.push(ReportColumn { title: format!("Amount ({})", s.currency), weight: 2.0, align: Align::Right });
    let pad = |label: &str, value: String| {
        let mut cells = vec![label.to_string(), String::new()];
        if inv.rates_shown {
            cells.push(String::new());
        }
        cells.push(value);
        cells
    };
    let mut rows: Vec<ReportRow> = inv
        .lines
        .iter()
        .map(|l| {
            let mut cells = vec![l.description.clone(), l.hours.to_string()];
            if inv.rates_shown {
                cells.push(l.rate.clone().unwrap_or_else(|| "-".into()));
            }
            cells.push(l.amount.clone());
            ReportRow::Cells(cells)
        })
        .collect();
    rows.push(ReportRow::Total({
        let mut c = pad("Subtotal", inv.subtotal.clone());
        c[1] = inv.hours.to_string();
        c
    }));
    rows.push(ReportRow::Cells(pad(&format!("Tax ({}%)", inv.tax_rate), inv.tax.clone())));
    rows.push(ReportRow::Total(pad("Total", s.total.clone())));
    if s.paid_minor > 0 {
        rows.push(ReportRow::Cells(pad("Paid", s.paid.clone())));
        rows.push(ReportRow::Total(pad("Balance due", s.balance.clone())));
    }
    for p in &inv.payments {
        rows.push(ReportRow::Text(format!("Payment received {}: {}", p.paid_on, p.amount)));
    }
    if !inv.terms.is_empty() {
        rows.push(ReportRow::Text(format!("Terms: {}", inv.terms)));
    }
    if !inv.notes.is_empty() {
        rows.push(ReportRow::Text(inv.notes.clone()));
    }
    // Weekly sign-offs of the weeks the invoice covers (issue 15): who, when, the week, the hash.
    for w in signoffs {
        let state = if w.state == "changed" { "approved, changed since approval" } else { "approved" };
        rows.push(ReportRow::Text(format!(
            "Week of {} ({}): {} by {} on {}, lines sha256:{}",
            w.week_start,
            w.project_name,
            state,
            w.approved_by.as_deref().unwrap_or("-"),
            w.approved_at.as_deref().unwrap_or("-"),
            w.hash_prefix.as_deref().unwrap_or("-"),
        )));
    }
    rows.push(ReportRow::Text(inv.money_note.clone()));
    if let Some(n) = &inv.increment_note {
        rows.push(ReportRow::Text(n.clone()));
    }
    Report {
        title: format!("Invoice {}", s.number),
        header_lines: vec![
            format!("Client: {client_name}"),
            format!("Period: {} to {}", date(s.period_start), date(s.period_end)),
            format!("Issued: {}    Due: {}", date(s.issued_on), date(s.due_on)),
            format!("Status: {}", s.status_label),
        ],
        columns,
        rows,
        footer: format!("Invoice {} · {}", s.number, client_name),
        landscape: false,
    }
}

/// The invoice as a PDF.
pub fn render(client_name: &str, inv: &ClientInvoice, signoffs: &[ClientSignoff]) -> Vec<u8> {
    render_report(&report(client_name, inv, signoffs))
}

#[cfg(test)]
#[path = "invoice_pdf_tests.rs"]
mod tests;
