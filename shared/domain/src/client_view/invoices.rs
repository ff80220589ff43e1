//! Client view of billing: unbilled hours, the upcoming invoice's preview, invoice history and
//! one invoice. Only billing contacts reach these (the portal answers 404 to viewers).
//!
//! Rules (the tests in `invoices_tests.rs` check each):
//! 1. **Drafts are never shown.** [`project_summary`] and [`project_invoice`] return `None` for
//!    a draft; void invoices are shown as void.
//! 2. **Rates.** With rates shown, an invoice line carries its hourly rate (when the line has a
//!    single rate). With rates hidden, no per-hour rate appears anywhere — not on lines, not in
//!    the unbilled breakdown — but the invoice's line totals and totals do: the line totals *are*
//!    the invoice. The unbilled breakdown then gives hours per row and only a total amount.
//! 3. **Preview = invoice.** The preview's lines come from [`crate::invoice::draft`] through
//!    [`line_records`], the same records an issued invoice stores, and are projected by the same
//!    function ([`project_lines`]); so the preview equals the invoice issued right after it.
//! 4. **Labels** of people follow the client's team setting ([`super::member_labels`]); tasks
//!    and phases by name; what is stored on an issued invoice's lines is what it said then.
//! 5. **Status** is [`crate::invoice::status`] on the client's today (overdue in their calendar).
//! 6. **Never shown:** entry ids, invoice ids, payment references (they may be a processor's
//!    internal ids), provider-side flags, members' personal fields.
//! 7. **Scope of unbilled hours:** billable entries without an invoice up to the default period
//!    end ([`crate::invoice::default_period_end`]): in weekly summary the incomplete week is not
//!    shown here either.

use super::{member_labels, ClientContext, PhaseRecord, TaskRecord};
use crate::ids::{InvoiceId, ProjectId};
use crate::invoice::{
    draft, increment_note, money_note, status, BillableEntry, Grouping, InvoiceDraft, InvoiceStatus, LineLabels, Selection, StoredStatus,
    TaxRate,
};
use crate::money::{hours, Currency, HourlyRate, Money};
use crate::settings::RatesVisibility;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How the provider bills this client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingSettings {
    pub grouping: Grouping,
    pub tax_rate: TaxRate,
    pub payment_terms_days: i64,
    pub next_invoice_on: Option<NaiveDate>,
    pub time_increment_minutes: Option<i64>,
}

/// A stored invoice with everything the provider knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRecord {
    pub id: InvoiceId,
    pub number: String,
    pub status: StoredStatus,
    pub currency: Currency,
    pub grouping: Grouping,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub issued_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
    pub subtotal_minor: i64,
    pub tax_rate: TaxRate,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub terms: String,
    pub notes: String,
    pub payment_url: Option<String>,
    pub entry_count: i64,
    /// Some contact has opened it.
    pub viewed: bool,
    pub created_at: String,
    pub voided_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLineRecord {
    pub description: String,
    pub minutes: i64,
    pub rate: Option<HourlyRate>,
    pub amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    pub amount_minor: i64,
    pub paid_on: NaiveDate,
    /// Provider-side (a processor's id, a bank reference): never shown to the client.
    pub reference: String,
    pub source: String,
}

/// One row of the invoice history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientInvoiceSummary {
    pub number: String,
    pub status: InvoiceStatus,
    pub status_label: &'static str,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub issued_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub currency: Currency,
    pub total: String,
    pub paid: String,
    pub balance: String,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub balance_minor: i64,
    /// Where to pay, when the provider set a link and something is left to pay.
    pub pay_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientInvoiceLine {
    pub description: String,
    pub hours: Decimal,
    pub minutes: i64,
    /// Per hour; only with rates shown and a single rate on the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    pub amount: String,
    pub amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientPayment {
    pub paid_on: NaiveDate,
    pub amount: String,
}

/// One invoice as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientInvoice {
    #[serde(flatten)]
    pub summary: ClientInvoiceSummary,
    pub lines: Vec<ClientInvoiceLine>,
    pub hours: Decimal,
    pub minutes: i64,
    pub subtotal: String,
    pub subtotal_minor: i64,
    /// Percent, `19` or `8.875`.
    pub tax_rate: String,
    pub tax: String,
    pub tax_minor: i64,
    pub terms: String,
    pub notes: String,
    pub payments: Vec<ClientPayment>,
    pub rates_shown: bool,
    pub money_note: String,
    pub increment_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientUnbilledRow {
    pub label: String,
    pub hours: Decimal,
    pub minutes: i64,
    /// Only with rates shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientUnbilled {
    pub through: NaiveDate,
    pub by_project: Vec<ClientUnbilledRow>,
    pub by_phase: Vec<ClientUnbilledRow>,
    pub by_task: Vec<ClientUnbilledRow>,
    pub by_person: Vec<ClientUnbilledRow>,
    pub hours: Decimal,
    pub minutes: i64,
    pub amount: String,
    pub amount_minor: i64,
}

/// What the next invoice would say if it were issued today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientInvoicePreview {
    pub period_start: Option<NaiveDate>,
    pub period_end: NaiveDate,
    pub grouping: Grouping,
    pub currency: Currency,
    pub lines: Vec<ClientInvoiceLine>,
    pub hours: Decimal,
    pub minutes: i64,
    pub subtotal: String,
    pub subtotal_minor: i64,
    pub tax_rate: String,
    pub tax: String,
    pub tax_minor: i64,
    pub total: String,
    pub total_minor: i64,
}

/// The billing page and API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBilling {
    pub today: NaiveDate,
    pub currency: Currency,
    pub rates_shown: bool,
    pub next_invoice_on: NaiveDate,
    pub unbilled: ClientUnbilled,
    pub preview: ClientInvoicePreview,
    pub invoices: Vec<ClientInvoiceSummary>,
    pub money_note: String,
    pub increment_note: Option<String>,
}

/// Unbilled amount and next invoice date, for the dashboard and portfolio of billing contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientBillingSummary {
    pub unbilled_amount: String,
    /// Only when the client sees rates: beside the unbilled amount, the hours would give the
    /// (blended) rate on the dashboard and portfolio, where money is budget-level only.
    pub unbilled_hours: Option<Decimal>,
    pub next_invoice_on: NaiveDate,
    pub open_balance: String,
    pub overdue: usize,
}

fn money(minor: i64, c: Currency) -> String {
    Money::new(minor, c).to_string()
}

/// An hourly rate as money: `USD 150.00` (more decimals only when the rate has them).
fn rate_text(rate: HourlyRate, currency: Currency) -> String {
    let minor = rate.0 * Decimal::from(10i64.pow(currency.minor_digits()));
    match i64::try_from(minor) {
        Ok(m) if minor.fract().is_zero() => money(m, currency),
        _ => format!("{currency} {}", rate.0.normalize()),
    }
}

/// The client-facing labels lines are named with (rule 4).
pub fn line_labels(ctx: &ClientContext, projects: &HashMap<ProjectId, String>) -> LineLabels {
    LineLabels {
        projects: projects.clone(),
        members: member_labels(ctx.members, ctx.visibility.team),
        tasks: ctx
            .tasks
            .iter()
            .map(|t| {
                let TaskRecord { id, name, client_explanation: _, billable_default: _ } = t;
                (id.clone(), name.clone())
            })
            .collect(),
        phases: ctx
            .phases
            .iter()
            .map(|p| {
                let PhaseRecord { id, name } = p;
                (id.clone(), name.clone())
            })
            .collect(),
    }
}

/// The lines an issued invoice stores for a draft (rule 3).
pub fn line_records(d: &InvoiceDraft) -> Vec<InvoiceLineRecord> {
    d.lines
        .iter()
        .map(|l| InvoiceLineRecord { description: l.description.clone(), minutes: l.minutes, rate: l.rate, amount_minor: l.amount_minor })
        .collect()
}

/// Lines as the client sees them (rule 2).
pub fn project_lines(lines: &[InvoiceLineRecord], rates: RatesVisibility, currency: Currency) -> Vec<ClientInvoiceLine> {
    lines
        .iter()
        .map(|l| {
            let InvoiceLineRecord { description, minutes, rate, amount_minor } = l;
            ClientInvoiceLine {
                description: description.clone(),
                hours: hours(*minutes, 2),
                minutes: *minutes,
                rate: if rates == RatesVisibility::Shown { rate.map(|r| rate_text(r, currency)) } else { None },
                amount: money(*amount_minor, currency),
                amount_minor: *amount_minor,
            }
        })
        .collect()
}

/// A history row; `None` for drafts (rule 1).
pub fn project_summary(r: &InvoiceRecord, today: NaiveDate) -> Option<ClientInvoiceSummary> {
    let InvoiceRecord {
        id: _,
        number,
        status: stored,
        currency,
        grouping: _,
        period_start,
        period_end,
        issued_on,
        due_on,
        paid_on: _,
        subtotal_minor: _,
        tax_rate: _,
        tax_minor: _,
        total_minor,
        paid_minor,
        terms: _,
        notes: _,
        payment_url,
        entry_count: _,
        viewed,
        created_at: _,
        voided_at: _,
    } = r;
    let s = status(*stored, *total_minor, *paid_minor, *due_on, today, *viewed);
    if s == InvoiceStatus::Draft {
        return None;
    }
    let balance = if s == InvoiceStatus::Void { 0 } else { total_minor.saturating_sub(*paid_minor).max(0) };
    Some(ClientInvoiceSummary {
        number: number.clone(),
        status: s,
        status_label: s.label(),
        period_start: *period_start,
        period_end: *period_end,
        issued_on: *issued_on,
        due_on: *due_on,
        currency: *currency,
        total: money(*total_minor, *currency),
        paid: money(*paid_minor, *currency),
        balance: money(balance, *currency),
        total_minor: *total_minor,
        paid_minor: *paid_minor,
        balance_minor: balance,
        pay_url: payment_url.clone().filter(|u| !u.is_empty() && balance > 0),
    })
}

/// One invoice; `None` for drafts (rule 1).
pub fn project_invoice(
    rates: RatesVisibility,
    r: &InvoiceRecord,
    lines: &[InvoiceLineRecord],
    payments: &[PaymentRecord],
    today: NaiveDate,
    time_increment_minutes: Option<i64>,
) -> Option<ClientInvoice> {
    let summary = project_summary(r, today)?;
    let lines = project_lines(lines, rates, r.currency);
    let minutes = lines.iter().fold(0i64, |a, l| a.saturating_add(l.minutes));
    Some(ClientInvoice {
        summary,
        lines,
        hours: hours(minutes, 2),
        minutes,
        subtotal: money(r.subtotal_minor, r.currency),
        subtotal_minor: r.subtotal_minor,
        tax_rate: r.tax_rate.to_stored(),
        tax: money(r.tax_minor, r.currency),
        tax_minor: r.tax_minor,
        terms: r.terms.clone(),
        notes: r.notes.clone(),
        payments: payments
            .iter()
            .map(|p| {
                let PaymentRecord { amount_minor, paid_on, reference: _, source: _ } = p;
                ClientPayment { paid_on: *paid_on, amount: money(*amount_minor, r.currency) }
            })
            .collect(),
        rates_shown: rates == RatesVisibility::Shown,
        money_note: money_note(r.currency),
        increment_note: increment_note(time_increment_minutes),
    })
}

/// The preview of the next invoice: the same lines an invoice over the same entries would store.
pub fn project_preview(rates: RatesVisibility, d: &InvoiceDraft, period_end: NaiveDate) -> ClientInvoicePreview {
    let lines = project_lines(&line_records(d), rates, d.currency);
    let minutes = d.minutes();
    ClientInvoicePreview {
        period_start: d.first_date,
        period_end,
        grouping: d.grouping,
        currency: d.currency,
        lines,
        hours: hours(minutes, 2),
        minutes,
        subtotal: money(d.subtotal_minor, d.currency),
        subtotal_minor: d.subtotal_minor,
        tax_rate: d.tax_rate.to_stored(),
        tax: money(d.tax_minor, d.currency),
        tax_minor: d.tax_minor,
        total: money(d.total_minor, d.currency),
        total_minor: d.total_minor,
    }
}

fn name<K: Eq + std::hash::Hash>(m: &HashMap<K, String>, k: Option<&K>, none: &str) -> String {
    match k {
        None => none.to_string(),
        Some(k) => m.get(k).cloned().unwrap_or_else(|| "Other".to_string()),
    }
}

fn breakdown(
    entries: &[&BillableEntry],
    key: impl Fn(&BillableEntry) -> String,
    rates: RatesVisibility,
    c: Currency,
) -> Vec<ClientUnbilledRow> {
    let mut m: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for e in entries {
        let v = m.entry(key(e)).or_default();
        v.0 = v.0.saturating_add(e.minutes);
        v.1 = v.1.saturating_add(e.amount_minor);
    }
    m.into_iter()
        .map(|(label, (minutes, amount))| ClientUnbilledRow {
            label,
            hours: hours(minutes, 2),
            minutes,
            amount: (rates == RatesVisibility::Shown).then(|| money(amount, c)),
        })
        .collect()
}

/// Everything on the billing page (rules 2, 3, 7). `unbilled` are the client's billable
/// entries without an invoice, in projects the contact may see; `period_end` is
/// [`crate::invoice::default_period_end`].
pub fn project_billing(
    ctx: &ClientContext,
    projects: &HashMap<ProjectId, String>,
    unbilled: &[BillableEntry],
    settings: &BillingSettings,
    invoices: &[InvoiceRecord],
    today: NaiveDate,
    period_end: NaiveDate,
) -> ClientBilling {
    let rates = ctx.visibility.rates;
    let c = ctx.currency;
    let labels = line_labels(ctx, projects);
    let selection = Selection { from: None, to: period_end, projects: Vec::new() };
    let d = draft(unbilled, &selection, settings.grouping, settings.tax_rate, c, &labels);
    let taken: Vec<&BillableEntry> = unbilled.iter().filter(|e| selection.takes(e)).collect();
    let minutes = d.minutes();
    let unbilled_view = ClientUnbilled {
        through: period_end,
        by_project: breakdown(&taken, |e| name(&labels.projects, Some(&e.project_id), "Project"), rates, c),
        by_phase: breakdown(&taken, |e| name(&labels.phases, e.phase_id.as_ref(), "No phase"), rates, c),
        by_task: breakdown(&taken, |e| name(&labels.tasks, e.task_id.as_ref(), "No task"), rates, c),
        by_person: breakdown(&taken, |e| name(&labels.members, Some(&e.member_id), "Team member"), rates, c),
        hours: hours(minutes, 2),
        minutes,
        amount: money(d.subtotal_minor, c),
        amount_minor: d.subtotal_minor,
    };
    let mut history: Vec<ClientInvoiceSummary> = invoices.iter().filter_map(|r| project_summary(r, today)).collect();
    history.sort_by(|a, b| (b.issued_on, &b.number).cmp(&(a.issued_on, &a.number)));
    ClientBilling {
        today,
        currency: c,
        rates_shown: rates == RatesVisibility::Shown,
        next_invoice_on: crate::invoice::next_invoice_date(settings.next_invoice_on, today),
        preview: project_preview(rates, &d, period_end),
        unbilled: unbilled_view,
        invoices: history,
        money_note: money_note(c),
        increment_note: increment_note(settings.time_increment_minutes),
    }
}

/// The dashboard/portfolio line for billing contacts. `unbilled_minutes` and
/// `unbilled_amount_minor` are the sums over the same entries as [`project_billing`]'s unbilled
/// hours (billable, no invoice, through the default period end), so they equal its unbilled
/// total and the preview's subtotal (money rule 2).
pub fn billing_summary(
    currency: Currency,
    rates_shown: bool,
    unbilled_minutes: i64,
    unbilled_amount_minor: i64,
    settings: &BillingSettings,
    invoices: &[InvoiceRecord],
    today: NaiveDate,
) -> ClientBillingSummary {
    let history: Vec<ClientInvoiceSummary> = invoices.iter().filter_map(|r| project_summary(r, today)).collect();
    let open: i64 = history.iter().map(|i| i.balance_minor).sum();
    ClientBillingSummary {
        unbilled_amount: money(unbilled_amount_minor, currency),
        unbilled_hours: rates_shown.then(|| hours(unbilled_minutes, 2)),
        next_invoice_on: crate::invoice::next_invoice_date(settings.next_invoice_on, today),
        open_balance: money(open, currency),
        overdue: history.iter().filter(|i| i.status == InvoiceStatus::Overdue).count(),
    }
}

#[cfg(test)]
#[path = "invoices_tests.rs"]
mod tests;
