//! Invoices: the client's billing reads (through a [`ClientScope`]), the provider's invoice
//! lifecycle (through a [`ProviderScope`]), and payments from signed webhooks.
//!
//! **Locking is exact.** Creating an invoice is one D1 batch (a transaction): the number from
//! the provider's sequence, the invoice row, its lines, `time_entries.invoice_id` set on exactly
//! the entries the draft was computed from, and a guard that rolls the whole batch back if any of
//! them was meanwhile locked by another invoice, changed or deleted ([`CreateError::Changed`]).
//! So no entry is ever on two invoices, and an entry is either on its invoice or still unbilled —
//! none is lost. Voiding clears `invoice_id` on exactly the entries that carry this invoice's id,
//! in the same batch that marks it void.
//!
//! **Payments.** A payment is written with the status change it causes in one batch; the insert
//! is guarded by the invoice still being `sent` with a balance, so a payment event marks an
//! invoice paid at most once, however often or concurrently it arrives. Webhook events are
//! deduplicated by `(endpoint, event id)` as the batch's first statement.

use crate::args;
use crate::auth::ts;
use crate::dashboard::{catalogue_from, corrupt, date, Catalogue, MemberDb, PhaseDb, TaskDb, VISIBLE_PROJECTS};
use crate::db::{new_id, rows, Db, Result, StorageError};
use crate::scope::{ClientScope, ProviderScope};
use chrono::{DateTime, NaiveDate, Utc};
use clearhours_domain::calendar::ClientCalendar;
use clearhours_domain::client_view::entries::EntryRecord;
use clearhours_domain::client_view::invoices::{BillingSettings, InvoiceLineRecord, InvoiceRecord, PaymentRecord};
use clearhours_domain::ids::{ClientId, EntryId, InvoiceId, MemberId, PhaseId, ProjectId, ProviderId, TaskId};
use clearhours_domain::invoice::{BillableEntry, Grouping, InvoiceDraft, StoredStatus, TaxRate};
use clearhours_domain::money::{Currency, HourlyRate};
use clearhours_domain::settings::Visibility;
use serde::Deserialize;
use std::collections::HashMap;

/// Most unbilled entries read for one client; more is refused rather than silently cut.
pub const UNBILLED_LIMIT: usize = 20_000;

/// Everything billing needs about one client.
pub struct BillingData {
    pub settings: BillingSettings,
    pub projects: HashMap<ProjectId, String>,
    pub catalogue: Catalogue,
    /// Billable entries without an invoice, local date ≤ the `through` asked for.
    pub unbilled: Vec<BillableEntry>,
    /// Newest first. Client reads leave drafts out.
    pub invoices: Vec<InvoiceRecord>,
    /// More than [`UNBILLED_LIMIT`] entries were unbilled: `unbilled` holds only the oldest, so
    /// no draft or preview may be made from it.
    pub truncated: bool,
}

#[derive(Deserialize)]
struct SettingsDb {
    invoice_grouping: String,
    tax_rate: String,
    payment_terms_days: i64,
    next_invoice_on: Option<String>,
    time_increment_minutes: Option<i64>,
}

impl SettingsDb {
    fn into_settings(self) -> Result<BillingSettings> {
        Ok(BillingSettings {
            grouping: Grouping::parse(&self.invoice_grouping).map_err(|e| corrupt("grouping", e))?,
            tax_rate: TaxRate::parse(&self.tax_rate).map_err(|e| corrupt("tax rate", e))?,
            payment_terms_days: self.payment_terms_days,
            next_invoice_on: self.next_invoice_on.as_deref().map(date).transpose()?,
            time_increment_minutes: self.time_increment_minutes,
        })
    }
}

const SETTINGS_COLUMNS: &str = "invoice_grouping, tax_rate, payment_terms_days, next_invoice_on, time_increment_minutes";

#[derive(Deserialize)]
struct NameDb {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct BillableDb {
    id: String,
    project_id: String,
    member_id: String,
    task_id: Option<String>,
    phase_id: Option<String>,
    local_date: String,
    minutes: i64,
    billable: i64,
    rate: Option<String>,
    amount_minor: i64,
}

fn billable(r: BillableDb) -> Result<BillableEntry> {
    Ok(BillableEntry {
        id: EntryId::parse(&r.id).map_err(|e| corrupt("entry id", e))?,
        project_id: ProjectId::parse(&r.project_id).map_err(|e| corrupt("project id", e))?,
        member_id: MemberId::parse(&r.member_id).map_err(|e| corrupt("member id", e))?,
        task_id: r.task_id.as_deref().map(TaskId::parse).transpose().map_err(|e| corrupt("task id", e))?,
        phase_id: r.phase_id.as_deref().map(PhaseId::parse).transpose().map_err(|e| corrupt("phase id", e))?,
        local_date: date(&r.local_date)?,
        minutes: r.minutes,
        billable: r.billable != 0,
        rate: r.rate.as_deref().map(HourlyRate::parse).transpose().map_err(|e| corrupt("rate", e))?,
        amount_minor: r.amount_minor,
    })
}

const BILLABLE_COLUMNS: &str =
    "e.id, e.project_id, e.member_id, e.task_id, e.phase_id, e.local_date, e.minutes, e.billable, e.rate, e.amount_minor";

#[derive(Deserialize)]
struct InvoiceDb {
    id: String,
    client_id: String,
    number: String,
    status: String,
    currency: String,
    grouping: String,
    period_start: Option<String>,
    period_end: Option<String>,
    issued_on: Option<String>,
    due_on: Option<String>,
    paid_on: Option<String>,
    subtotal_minor: i64,
    tax_rate: String,
    tax_minor: i64,
    total_minor: i64,
    paid_minor: i64,
    terms: String,
    notes: String,
    payment_url: Option<String>,
    entry_count: i64,
    viewed: i64,
    created_at: String,
    voided_at: Option<String>,
}

const INVOICE_COLUMNS: &str = "i.id, i.client_id, i.number, i.status, i.currency, i.grouping, i.period_start, i.period_end, i.issued_on,
     i.due_on, i.paid_on, i.subtotal_minor, i.tax_rate, i.tax_minor, i.total_minor,
     (SELECT COALESCE(SUM(pay.amount_minor), 0) FROM invoice_payments pay WHERE pay.invoice_id = i.id) AS paid_minor,
     i.terms, i.notes, i.payment_url, i.entry_count,
     EXISTS (SELECT 1 FROM invoice_views v WHERE v.invoice_id = i.id) AS viewed, i.created_at, i.voided_at";

fn invoice(r: InvoiceDb) -> Result<InvoiceRecord> {
    let d = |s: Option<String>| s.as_deref().map(date).transpose();
    Ok(InvoiceRecord {
        id: InvoiceId::parse(&r.id).map_err(|e| corrupt("invoice id", e))?,
        number: r.number,
        status: StoredStatus::parse(&r.status).map_err(|e| corrupt("status", e))?,
        currency: Currency::parse(&r.currency).map_err(|e| corrupt("currency", e))?,
        grouping: Grouping::parse(&r.grouping).map_err(|e| corrupt("grouping", e))?,
        period_start: d(r.period_start)?,
        period_end: d(r.period_end)?,
        issued_on: d(r.issued_on)?,
        due_on: d(r.due_on)?,
        paid_on: d(r.paid_on)?,
        subtotal_minor: r.subtotal_minor,
        tax_rate: TaxRate::parse(&r.tax_rate).map_err(|e| corrupt("tax rate", e))?,
        tax_minor: r.tax_minor,
        total_minor: r.total_minor,
        paid_minor: r.paid_minor,
        terms: r.terms,
        notes: r.notes,
        payment_url: r.payment_url,
        entry_count: r.entry_count,
        viewed: r.viewed != 0,
        created_at: r.created_at,
        voided_at: r.voided_at,
    })
}

#[derive(Deserialize)]
struct LineDb {
    description: String,
    minutes: i64,
    rate: Option<String>,
    amount_minor: i64,
}

fn line(r: LineDb) -> Result<InvoiceLineRecord> {
    Ok(InvoiceLineRecord {
        description: r.description,
        minutes: r.minutes,
        rate: r.rate.as_deref().map(HourlyRate::parse).transpose().map_err(|e| corrupt("rate", e))?,
        amount_minor: r.amount_minor,
    })
}

#[derive(Deserialize)]
struct PaymentDb {
    amount_minor: i64,
    paid_on: String,
    reference: String,
    source: String,
}

fn payment(r: PaymentDb) -> Result<PaymentRecord> {
    Ok(PaymentRecord { amount_minor: r.amount_minor, paid_on: date(&r.paid_on)?, reference: r.reference, source: r.source })
}

const TOO_MANY: &str = "unbilled entries for one client";

fn too_many() -> StorageError {
    StorageError::D1(format!("more than {UNBILLED_LIMIT} {TOO_MANY}; invoice a shorter period"))
}

/// Whether a read refused because more than [`UNBILLED_LIMIT`] entries are unbilled (callers
/// answer 422 and ask for a shorter period instead of failing).
pub fn is_too_many(e: &StorageError) -> bool {
    matches!(e, StorageError::D1(m) if m.contains(TOO_MANY))
}

// ------------------------------------------------------------------------------- client side

/// Invoices a contact may see: not drafts; client-wide ones only for contacts of all projects,
/// project invoices for contacts who see the project. ?1 client, ?2 all flag, ?3 contact, ?4 NULL.
const VISIBLE_INVOICES: &str =
    "i.client_id = ?1 AND i.status != 'draft' AND ((i.project_id IS NULL AND ?2 = 1) OR i.project_id IN (VISIBLE))";

fn visible_invoices() -> String {
    VISIBLE_INVOICES.replace("VISIBLE", VISIBLE_PROJECTS)
}

fn client_args(scope: &ClientScope) -> Vec<crate::db::Arg> {
    args![scope.client_id.as_str(), i64::from(scope.all_projects), scope.contact_id.as_str(), None::<String>]
}

/// The billing page's data for a contact: unbilled entries (visible projects, through
/// `through`), the catalogue to name them, settings, and the visible invoices. One round trip.
pub async fn client_billing(db: &Db, scope: &ClientScope, through: NaiveDate) -> Result<BillingData> {
    let visible = VISIBLE_PROJECTS;
    let a = client_args(scope);
    let mut with_through = a.clone();
    with_through.extend(args![through.to_string(), i64::try_from(UNBILLED_LIMIT + 1).unwrap_or(i64::MAX)]);
    let mut with_provider = a.clone();
    with_provider.extend(args![scope.provider_id.as_str()]);
    let results = db
        .batch(vec![
            db.stmt(
                &format!("SELECT {SETTINGS_COLUMNS} FROM clients WHERE id = ?1 AND ?2 IN (0, 1) AND ?3 IS NOT NULL AND ?4 IS NULL"),
                &a,
            )?,
            db.stmt(&format!("SELECT p.id, p.name FROM projects p WHERE p.id IN ({visible})"), &a)?,
            db.stmt(
                &format!(
                    "SELECT {BILLABLE_COLUMNS} FROM time_entries e
                      WHERE e.client_id = ?1 AND e.invoice_id IS NULL AND e.billable = 1 AND e.local_date <= ?5
                        AND e.project_id IN ({visible}) ORDER BY e.local_date, e.id LIMIT ?6"
                ),
                &with_through,
            )?,
            db.stmt(
                "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                   FROM client_members cm JOIN members m ON m.id = cm.member_id WHERE cm.client_id = ?1 AND ?4 IS NULL ORDER BY cm.seq",
                &a,
            )?,
            db.stmt(
                "SELECT id, name, client_explanation, billable_default FROM tasks WHERE provider_id = ?5 AND ?1 IS NOT NULL",
                &with_provider,
            )?,
            db.stmt(&format!("SELECT id, name FROM phases WHERE client_id = ?1 AND project_id IN ({visible})"), &a)?,
            db.stmt(
                &format!("SELECT {INVOICE_COLUMNS} FROM invoices i WHERE {} ORDER BY i.issued_on DESC, i.number DESC", visible_invoices()),
                &a,
            )?,
        ])
        .await?;
    let [settings, projects, entries, members, tasks, phases, invoices] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    billing_from(settings, projects, entries, members, tasks, phases, invoices)
}

fn billing_from(
    settings: &worker::D1Result,
    projects: &worker::D1Result,
    entries: &worker::D1Result,
    members: &worker::D1Result,
    tasks: &worker::D1Result,
    phases: &worker::D1Result,
    invoices: &worker::D1Result,
) -> Result<BillingData> {
    let settings = rows::<SettingsDb>(settings)?.into_iter().next().ok_or_else(|| corrupt("client", "missing"))?.into_settings()?;
    let projects = rows::<NameDb>(projects)?
        .into_iter()
        .map(|p| Ok((ProjectId::parse(&p.id).map_err(|e| corrupt("project id", e))?, p.name)))
        .collect::<Result<_>>()?;
    let mut unbilled: Vec<BillableEntry> = rows::<BillableDb>(entries)?.into_iter().map(billable).collect::<Result<_>>()?;
    let truncated = unbilled.len() > UNBILLED_LIMIT;
    unbilled.truncate(UNBILLED_LIMIT);
    Ok(BillingData {
        settings,
        projects,
        catalogue: catalogue_from(rows::<MemberDb>(members)?, rows::<TaskDb>(tasks)?, rows::<PhaseDb>(phases)?)?,
        unbilled,
        invoices: rows::<InvoiceDb>(invoices)?.into_iter().map(invoice).collect::<Result<_>>()?,
        truncated,
    })
}

/// What the dashboard and portfolio need: settings, the unbilled totals (summed in SQL over the
/// unbilled-entries index, never loaded), and the visible invoices.
pub struct BillingTotals {
    pub settings: BillingSettings,
    pub unbilled_minutes: i64,
    pub unbilled_amount_minor: i64,
    pub invoices: Vec<InvoiceRecord>,
}

pub async fn client_billing_totals(db: &Db, scope: &ClientScope, through: NaiveDate) -> Result<BillingTotals> {
    let visible = VISIBLE_PROJECTS;
    let a = client_args(scope);
    let mut with_through = a.clone();
    with_through.extend(args![through.to_string()]);
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {SETTINGS_COLUMNS} FROM clients WHERE id = ?1 AND ?2 IN (0, 1) AND ?3 IS NOT NULL AND ?4 IS NULL"), &a)?,
            db.stmt(
                &format!(
                    "SELECT COALESCE(SUM(e.minutes), 0) AS minutes, COALESCE(SUM(e.amount_minor), 0) AS amount_minor FROM time_entries e
                      WHERE e.client_id = ?1 AND e.invoice_id IS NULL AND e.billable = 1 AND e.local_date <= ?5 AND e.project_id IN ({visible})"
                ),
                &with_through,
            )?,
            db.stmt(&format!("SELECT {INVOICE_COLUMNS} FROM invoices i WHERE {}", visible_invoices()), &a)?,
        ])
        .await?;
    let [settings, sums, invoices] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    #[derive(Deserialize)]
    struct Sums {
        minutes: i64,
        amount_minor: i64,
    }
    let settings = rows::<SettingsDb>(settings)?.into_iter().next().ok_or_else(|| corrupt("client", "missing"))?.into_settings()?;
    let s = rows::<Sums>(sums)?.into_iter().next().unwrap_or(Sums { minutes: 0, amount_minor: 0 });
    Ok(BillingTotals {
        settings,
        unbilled_minutes: s.minutes,
        unbilled_amount_minor: s.amount_minor,
        invoices: rows::<InvoiceDb>(invoices)?.into_iter().map(invoice).collect::<Result<_>>()?,
    })
}

/// One invoice with its lines and payments.
pub struct InvoiceDetail {
    pub client_id: ClientId,
    pub record: InvoiceRecord,
    pub lines: Vec<InvoiceLineRecord>,
    pub payments: Vec<PaymentRecord>,
    pub time_increment_minutes: Option<i64>,
}

/// A visible invoice by number, or `None` (404: drafts, other clients', other projects').
pub async fn client_invoice(db: &Db, scope: &ClientScope, number: &str) -> Result<Option<InvoiceDetail>> {
    let mut a = client_args(scope);
    a.extend(args![number]);
    let vis = visible_invoices();
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.number = ?5 AND {vis}"), &a)?,
            db.stmt(
                &format!(
                    "SELECT l.description, l.minutes, l.rate, l.amount_minor FROM invoice_lines l
                      WHERE l.client_id = ?1 AND l.invoice_id IN (SELECT i.id FROM invoices i WHERE i.number = ?5 AND {vis}) ORDER BY l.position"
                ),
                &a,
            )?,
            db.stmt(
                &format!(
                    "SELECT p.amount_minor, p.paid_on, p.reference, p.source FROM invoice_payments p
                      WHERE p.client_id = ?1 AND p.invoice_id IN (SELECT i.id FROM invoices i WHERE i.number = ?5 AND {vis}) ORDER BY p.paid_on, p.id"
                ),
                &a,
            )?,
            db.stmt("SELECT time_increment_minutes FROM clients WHERE id = ?1 AND ?2 IN (0, 1) AND ?3 IS NOT NULL AND ?4 IS NULL AND ?5 IS NOT NULL", &a)?,
        ])
        .await?;
    let [inv, lines, payments, client] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    #[derive(Deserialize)]
    struct Inc {
        time_increment_minutes: Option<i64>,
    }
    let Some(r) = rows::<InvoiceDb>(inv)?.into_iter().next() else { return Ok(None) };
    let client_id = ClientId::parse(&r.client_id).map_err(|e| corrupt("client id", e))?;
    Ok(Some(InvoiceDetail {
        client_id,
        record: invoice(r)?,
        lines: rows::<LineDb>(lines)?.into_iter().map(line).collect::<Result<_>>()?,
        payments: rows::<PaymentDb>(payments)?.into_iter().map(payment).collect::<Result<_>>()?,
        time_increment_minutes: rows::<Inc>(client)?.into_iter().next().and_then(|i| i.time_increment_minutes),
    }))
}

/// Records that this contact opened the invoice; `true` the first time only.
pub async fn mark_viewed(db: &Db, scope: &ClientScope, invoice: &InvoiceId, now: DateTime<Utc>) -> Result<bool> {
    Ok(db
        .run(
            "INSERT OR IGNORE INTO invoice_views (invoice_id, contact_id, client_id, viewed_at)
             SELECT i.id, ?, i.client_id, ? FROM invoices i WHERE i.id = ? AND i.client_id = ? AND i.status != 'draft'",
            &args![scope.contact_id.as_str(), ts(now), invoice.as_str(), scope.client_id.as_str()],
        )
        .await?
        > 0)
}

/// The entries behind a visible invoice, grouped by project, with the catalogue to name them.
pub struct InvoiceEntries {
    pub record: InvoiceRecord,
    pub projects: Vec<(ProjectId, String)>,
    pub catalogue: Catalogue,
    /// Ordered by project, local date, id.
    pub entries: Vec<(ProjectId, EntryRecord)>,
}

#[derive(Deserialize)]
struct EntryWithProject {
    project_id: String,
    #[serde(flatten)]
    entry: crate::entries::EntryDb,
}

pub async fn client_invoice_entries(db: &Db, scope: &ClientScope, number: &str) -> Result<Option<InvoiceEntries>> {
    let visible = VISIBLE_PROJECTS;
    let mut a = client_args(scope);
    a.extend(args![number]);
    let vis = visible_invoices();
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.number = ?5 AND {vis}"), &a)?,
            db.stmt(
                &format!(
                    "SELECT e.project_id, e.id, e.external_id, e.source, e.member_id, e.task_id, e.phase_id, e.local_date, e.minutes, e.billable,
                            e.description, e.internal_note, e.rate, e.amount_minor, e.invoice_id
                       FROM time_entries e
                      WHERE e.invoice_id = (SELECT i.id FROM invoices i WHERE i.number = ?5 AND {vis}) AND e.client_id = ?1
                      ORDER BY e.project_id, e.local_date, e.id"
                ),
                &a,
            )?,
            db.stmt(&format!("SELECT p.id, p.name FROM projects p WHERE p.client_id = ?1 AND ?4 IS NULL AND ?5 IS NOT NULL AND (?2 = 1 OR p.id IN ({visible})) ORDER BY p.name"), &a)?,
            db.stmt(
                "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                   FROM client_members cm JOIN members m ON m.id = cm.member_id WHERE cm.client_id = ?1 AND ?4 IS NULL AND ?5 IS NOT NULL ORDER BY cm.seq",
                &a,
            )?,
            db.stmt(
                "SELECT t.id, t.name, t.client_explanation, t.billable_default FROM tasks t JOIN clients c ON c.provider_id = t.provider_id
                  WHERE c.id = ?1 AND ?4 IS NULL AND ?5 IS NOT NULL",
                &a,
            )?,
            db.stmt("SELECT id, name FROM phases WHERE client_id = ?1 AND ?4 IS NULL AND ?5 IS NOT NULL", &a)?,
        ])
        .await?;
    let [inv, entries, projects, members, tasks, phases] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let Some(r) = rows::<InvoiceDb>(inv)?.into_iter().next() else { return Ok(None) };
    let projects: Vec<(ProjectId, String)> = rows::<NameDb>(projects)?
        .into_iter()
        .map(|p| Ok((ProjectId::parse(&p.id).map_err(|e| corrupt("project id", e))?, p.name)))
        .collect::<Result<_>>()?;
    let entries = rows::<EntryWithProject>(entries)?
        .into_iter()
        .map(|e| Ok((ProjectId::parse(&e.project_id).map_err(|x| corrupt("project id", x))?, crate::entries::entry(e.entry)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(InvoiceEntries {
        record: invoice(r)?,
        projects,
        catalogue: catalogue_from(rows::<MemberDb>(members)?, rows::<TaskDb>(tasks)?, rows::<PhaseDb>(phases)?)?,
        entries,
    }))
}

// ----------------------------------------------------------------------------- provider side

/// A client as billing sees it from the provider side.
pub struct ClientBillingHeader {
    pub id: ClientId,
    pub name: String,
    pub calendar: ClientCalendar,
    pub currency: Currency,
    pub locale: clearhours_domain::locale::Locale,
    pub visibility: Visibility,
}

#[derive(Deserialize)]
struct ClientDb {
    id: String,
    name: String,
    time_zone: String,
    week_start: String,
    currency: String,
    show_rates: String,
    descriptions: String,
    team_display: String,
    view_mode: String,
    non_billable: String,
    budget_money: String,
    locale: String,
}

impl ClientDb {
    fn header(self) -> Result<ClientBillingHeader> {
        let c = |e: String| StorageError::Corrupt(e);
        Ok(ClientBillingHeader {
            id: ClientId::parse(&self.id).map_err(|e| corrupt("client id", e))?,
            name: self.name,
            calendar: ClientCalendar::parse(&self.time_zone, &self.week_start).map_err(|e| corrupt("calendar", e))?,
            currency: Currency::parse(&self.currency).map_err(|e| corrupt("currency", e))?,
            locale: clearhours_domain::locale::Locale::resolve(&self.locale, &self.time_zone),
            visibility: Visibility::from_stored(
                &self.show_rates,
                &self.descriptions,
                &self.team_display,
                &self.view_mode,
                &self.non_billable,
                &self.budget_money,
            )
            .map_err(c)?,
        })
    }
}

/// The client's name, calendar, currency and visibility, if it is the provider's.
pub async fn billing_header(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<Option<ClientBillingHeader>> {
    db.first::<ClientDb>(
        "SELECT id, name, time_zone, week_start, currency, show_rates, descriptions, team_display, view_mode, non_billable, budget_money, locale
           FROM clients WHERE id = ? AND provider_id = ?",
        &args![client.as_str(), scope.provider_id.as_str()],
    )
    .await?
    .map(ClientDb::header)
    .transpose()
}

/// The provider's view of a client's billing: every project, every unbilled billable entry
/// through `through`, every invoice including drafts. `None` if the client is not the provider's.
pub async fn provider_billing(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    through: NaiveDate,
) -> Result<Option<(ClientBillingHeader, BillingData)>> {
    let a = args![client.as_str(), scope.provider_id.as_str(), through.to_string(), i64::try_from(UNBILLED_LIMIT + 1).unwrap_or(i64::MAX)];
    let mine = "SELECT id FROM clients WHERE id = ?1 AND provider_id = ?2";
    let results = db
        .batch(vec![
            db.stmt(
                "SELECT id, name, time_zone, week_start, currency, show_rates, descriptions, team_display, view_mode, non_billable, budget_money, locale
                   FROM clients WHERE id = ?1 AND provider_id = ?2 AND ?3 IS NOT NULL AND ?4 > 0",
                &a,
            )?,
            db.stmt(&format!("SELECT {SETTINGS_COLUMNS} FROM clients WHERE id = ?1 AND provider_id = ?2 AND ?3 IS NOT NULL AND ?4 > 0"), &a)?,
            db.stmt("SELECT p.id, p.name FROM projects p WHERE p.client_id = ?1 AND p.provider_id = ?2 AND ?3 IS NOT NULL AND ?4 > 0", &a)?,
            db.stmt(
                &format!(
                    "SELECT {BILLABLE_COLUMNS} FROM time_entries e
                      WHERE e.client_id = ?1 AND e.invoice_id IS NULL AND e.billable = 1 AND e.local_date <= ?3
                        AND e.client_id IN ({mine}) ORDER BY e.local_date, e.id LIMIT ?4"
                ),
                &a,
            )?,
            db.stmt(
                &format!(
                    "SELECT m.id, m.name, m.role_title, m.email, m.phone, m.cost_rate, m.default_rate, m.personal_notes, cm.seq
                       FROM client_members cm JOIN members m ON m.id = cm.member_id
                      WHERE cm.client_id = ?1 AND cm.client_id IN ({mine}) AND ?3 IS NOT NULL AND ?4 > 0 ORDER BY cm.seq"
                ),
                &a,
            )?,
            db.stmt("SELECT id, name, client_explanation, billable_default FROM tasks WHERE provider_id = ?2 AND ?1 IS NOT NULL AND ?3 IS NOT NULL AND ?4 > 0", &a)?,
            db.stmt(&format!("SELECT id, name FROM phases WHERE client_id = ?1 AND client_id IN ({mine}) AND ?3 IS NOT NULL AND ?4 > 0"), &a)?,
            db.stmt(
                &format!(
                    "SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.client_id = ?1 AND i.provider_id = ?2 AND ?3 IS NOT NULL AND ?4 > 0
                      ORDER BY i.created_at DESC, i.number DESC"
                ),
                &a,
            )?,
        ])
        .await?;
    let [client, settings, projects, entries, members, tasks, phases, invoices] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let Some(header) = rows::<ClientDb>(client)?.into_iter().next() else { return Ok(None) };
    Ok(Some((header.header()?, billing_from(settings, projects, entries, members, tasks, phases, invoices)?)))
}

/// Saves how a client is billed.
pub async fn set_billing_settings(db: &Db, scope: &ProviderScope, client: &ClientId, s: &BillingSettings) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE clients SET invoice_grouping = ?, tax_rate = ?, payment_terms_days = ?, next_invoice_on = ?, time_increment_minutes = ?
              WHERE id = ? AND provider_id = ?",
            &args![
                s.grouping.as_str(),
                s.tax_rate.to_stored(),
                s.payment_terms_days,
                s.next_invoice_on.map(|d| d.to_string()),
                s.time_increment_minutes,
                client.as_str(),
                scope.provider_id.as_str()
            ],
        )
        .await?
        > 0)
}

/// What a new invoice says besides its draft.
pub struct NewInvoice<'a> {
    /// `None`: the next number of the provider's sequence.
    pub number: Option<&'a str>,
    pub project: Option<&'a ProjectId>,
    pub period_start: Option<NaiveDate>,
    pub period_end: NaiveDate,
    pub terms: &'a str,
    pub notes: &'a str,
    pub payment_url: Option<&'a str>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    /// Nothing to invoice in the selection.
    Empty,
    /// Some entry was locked, changed or removed after the draft was computed: nothing written.
    Changed,
    /// The number is already used by this provider.
    NumberTaken,
}

/// Creates a draft invoice and locks its entries, all in one batch (see the module docs).
/// `lines` are `client_view::invoices::line_records(draft)`; `entries` are the records the draft
/// was computed from (their stored values are re-checked inside the batch).
#[allow(clippy::too_many_arguments)]
pub async fn create_invoice(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    draft: &InvoiceDraft,
    lines: &[InvoiceLineRecord],
    entries: &[BillableEntry],
    new: &NewInvoice<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(InvoiceId, String), CreateError>> {
    if draft.entries.is_empty() {
        return Ok(Err(CreateError::Empty));
    }
    let by_id: HashMap<&EntryId, &BillableEntry> = entries.iter().map(|e| (&e.id, e)).collect();
    let mut expect = Vec::with_capacity(draft.entries.len());
    for id in &draft.entries {
        let e = by_id.get(id).ok_or_else(|| corrupt("draft", "an entry of the draft is not among the entries given"))?;
        expect.push(serde_json::json!([
            e.id.as_str(),
            e.amount_minor,
            e.minutes,
            e.project_id.as_str(),
            e.member_id.as_str(),
            e.task_id.as_ref().map_or("", TaskId::as_str),
            e.phase_id.as_ref().map_or("", PhaseId::as_str),
        ]));
    }
    let expect = serde_json::Value::Array(expect).to_string();
    let lines_json = serde_json::Value::Array(
        lines
            .iter()
            .map(|l| serde_json::json!([l.description, l.minutes, l.rate.map(|r| r.0.normalize().to_string()), l.amount_minor]))
            .collect(),
    )
    .to_string();
    let p = scope.provider_id.as_str();
    for _attempt in 0..3 {
        let id = new_id("inv")?;
        let statements = vec![
            db.stmt("INSERT INTO invoice_sequences (provider_id) VALUES (?) ON CONFLICT (provider_id) DO NOTHING", &args![p])?,
            db.stmt(
                "INSERT INTO invoices (id, provider_id, client_id, project_id, number, status, currency, period_start, period_end, total_minor,
                                       created_at, grouping, subtotal_minor, tax_rate, tax_minor, terms, notes, payment_url, entry_count)
                 SELECT ?1, ?2, c.id, ?4, COALESCE(?5, (SELECT s.prefix || printf('%04d', s.next) FROM invoice_sequences s WHERE s.provider_id = ?2)),
                        'draft', c.currency, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17
                   FROM clients c WHERE c.id = ?3 AND c.provider_id = ?2",
                &args![
                    id.as_str(),
                    p,
                    client.as_str(),
                    new.project.map(ProjectId::as_str),
                    new.number,
                    new.period_start.or(draft.first_date).map(|d| d.to_string()),
                    new.period_end.to_string(),
                    draft.total_minor,
                    ts(now),
                    draft.grouping.as_str(),
                    draft.subtotal_minor,
                    draft.tax_rate.to_stored(),
                    draft.tax_minor,
                    new.terms,
                    new.notes,
                    new.payment_url,
                    i64::try_from(draft.entries.len()).unwrap_or(i64::MAX)
                ],
            )?,
            db.stmt("UPDATE invoice_sequences SET next = next + 1 WHERE provider_id = ? AND ? IS NULL", &args![p, new.number])?,
            db.stmt(
                "INSERT INTO invoice_lines (id, invoice_id, client_id, position, description, minutes, rate, amount_minor)
                 SELECT ?1 || '_' || j.key, ?1, ?2, j.key, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
                        json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]')
                   FROM json_each(?3) j WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ?1)",
                &args![id.as_str(), client.as_str(), lines_json.as_str()],
            )?,
            db.stmt(
                "UPDATE time_entries SET invoice_id = ?1
                  WHERE client_id = ?2 AND provider_id = ?3 AND invoice_id IS NULL AND billable = 1
                    AND id IN (SELECT json_extract(value, '$[0]') FROM json_each(?4))
                    AND EXISTS (SELECT 1 FROM invoices WHERE id = ?1)",
                &args![id.as_str(), client.as_str(), p, expect.as_str()],
            )?,
            // The guard: every expected entry is now on this invoice, unchanged; else roll back.
            db.stmt(
                "INSERT INTO invoice_guard (ok) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM invoices WHERE id = ?1) OR EXISTS (
                   SELECT 1 FROM json_each(?2) j LEFT JOIN time_entries t ON t.id = json_extract(j.value, '$[0]')
                    WHERE t.id IS NULL OR t.invoice_id IS NOT ?1 OR t.billable != 1
                       OR t.amount_minor != json_extract(j.value, '$[1]') OR t.minutes != json_extract(j.value, '$[2]')
                       OR t.project_id != json_extract(j.value, '$[3]') OR t.member_id != json_extract(j.value, '$[4]')
                       OR COALESCE(t.task_id, '') != json_extract(j.value, '$[5]') OR COALESCE(t.phase_id, '') != json_extract(j.value, '$[6]'))
                 OR (SELECT COUNT(*) FROM time_entries WHERE invoice_id = ?1) != json_array_length(?2)",
                &args![id.as_str(), expect.as_str()],
            )?,
        ];
        match db.batch(statements).await {
            Ok(_) => {}
            Err(StorageError::Conflict(m)) if m.contains("invoices.provider_id, invoices.number") || m.contains("invoices.number") => {
                if new.number.is_some() {
                    return Ok(Err(CreateError::NumberTaken));
                }
                // The sequence met a number set by hand: move past it and try again.
                db.run("UPDATE invoice_sequences SET next = next + 1 WHERE provider_id = ?", &args![p]).await?;
                continue;
            }
            Err(StorageError::D1(m)) if m.contains("invoice_lock_lost") || m.contains("CHECK constraint failed") => {
                return Ok(Err(CreateError::Changed));
            }
            Err(e) => return Err(e),
        }
        #[derive(Deserialize)]
        struct Num {
            number: String,
        }
        let Some(n) = db.first::<Num>("SELECT number FROM invoices WHERE id = ? AND provider_id = ?", &args![id.as_str(), p]).await? else {
            // The client was not the provider's: nothing was written.
            return Ok(Err(CreateError::Empty));
        };
        return Ok(Ok((InvoiceId::parse(&id).map_err(|e| corrupt("invoice id", e))?, n.number)));
    }
    Ok(Err(CreateError::NumberTaken))
}

/// An invoice of this provider with its lines, payments and the ingest flags raised on it.
pub struct AdminInvoice {
    pub client: ClientBillingHeader,
    pub detail: InvoiceDetail,
    pub flags: Vec<crate::mapping::FlagRow>,
    pub views: Vec<(String, String)>,
}

pub async fn admin_invoice(db: &Db, scope: &ProviderScope, id: &InvoiceId) -> Result<Option<AdminInvoice>> {
    let a = args![id.as_str(), scope.provider_id.as_str()];
    let results = db
        .batch(vec![
            db.stmt(&format!("SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.id = ?1 AND i.provider_id = ?2"), &a)?,
            db.stmt(
                "SELECT l.description, l.minutes, l.rate, l.amount_minor FROM invoice_lines l
                  WHERE l.invoice_id = ?1 AND EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND provider_id = ?2) ORDER BY l.position",
                &a,
            )?,
            db.stmt(
                "SELECT p.amount_minor, p.paid_on, p.reference, p.source FROM invoice_payments p
                  WHERE p.invoice_id = ?1 AND p.provider_id = ?2 ORDER BY p.paid_on, p.id",
                &a,
            )?,
            db.stmt(
                "SELECT c.id, c.name, c.time_zone, c.week_start, c.currency, c.show_rates, c.descriptions, c.team_display, c.view_mode,
                        c.non_billable, c.budget_money, c.locale, c.time_increment_minutes
                   FROM clients c JOIN invoices i ON i.client_id = c.id WHERE i.id = ?1 AND i.provider_id = ?2",
                &a,
            )?,
            db.stmt(
                "SELECT f.id, f.entry_id, f.external_id, f.invoice_id, i.number AS invoice_number, f.change, f.detail, f.received_at
                   FROM ingest_flags f JOIN invoices i ON i.id = f.invoice_id
                  WHERE f.invoice_id = ?1 AND f.provider_id = ?2 ORDER BY f.id DESC LIMIT 200",
                &a,
            )?,
            db.stmt(
                "SELECT c.name, v.viewed_at FROM invoice_views v JOIN contacts c ON c.id = v.contact_id
                  WHERE v.invoice_id = ?1 AND EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND provider_id = ?2) ORDER BY v.viewed_at",
                &a,
            )?,
        ])
        .await?;
    let [inv, lines, payments, client, flags, views] = results.as_slice() else {
        return Err(StorageError::D1("batch returned an unexpected number of results".into()));
    };
    let Some(r) = rows::<InvoiceDb>(inv)?.into_iter().next() else { return Ok(None) };
    #[derive(Deserialize)]
    struct ClientInc {
        #[serde(flatten)]
        c: ClientDb,
        time_increment_minutes: Option<i64>,
    }
    #[derive(Deserialize)]
    struct View {
        name: String,
        viewed_at: String,
    }
    let Some(c) = rows::<ClientInc>(client)?.into_iter().next() else { return Ok(None) };
    let inc = c.time_increment_minutes;
    let client = c.c.header()?;
    Ok(Some(AdminInvoice {
        detail: InvoiceDetail {
            client_id: client.id.clone(),
            record: invoice(r)?,
            lines: rows::<LineDb>(lines)?.into_iter().map(line).collect::<Result<_>>()?,
            payments: rows::<PaymentDb>(payments)?.into_iter().map(payment).collect::<Result<_>>()?,
            time_increment_minutes: inc,
        },
        client,
        flags: rows(flags)?,
        views: rows::<View>(views)?.into_iter().map(|v| (v.name, v.viewed_at)).collect(),
    }))
}

/// Draft → sent, with its issue and due dates. `false` if it was not a draft of this provider.
pub async fn issue(db: &Db, scope: &ProviderScope, id: &InvoiceId, issued_on: NaiveDate, due_on: NaiveDate) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE invoices SET status = 'sent', issued_on = ?, due_on = ? WHERE id = ? AND provider_id = ? AND status = 'draft'",
            &args![issued_on.to_string(), due_on.to_string(), id.as_str(), scope.provider_id.as_str()],
        )
        .await?
        > 0)
}

/// Sets or clears the payment link.
pub async fn set_payment_url(db: &Db, scope: &ProviderScope, id: &InvoiceId, url: Option<&str>) -> Result<bool> {
    Ok(db
        .run("UPDATE invoices SET payment_url = ? WHERE id = ? AND provider_id = ?", &args![url, id.as_str(), scope.provider_id.as_str()])
        .await?
        > 0)
}

#[derive(Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Recorded; the invoice is now paid in full.
    Paid,
    /// Recorded; a balance remains.
    Partial,
    /// Not recorded: the invoice is not an issued invoice with a balance (draft, void, paid).
    NotOpen,
}

#[allow(clippy::too_many_arguments)]
fn payment_statements(
    db: &Db,
    invoice_where: &str,
    invoice_args: &[crate::db::Arg],
    amount: Option<i64>,
    paid_on: NaiveDate,
    reference: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Vec<worker::D1PreparedStatement>> {
    let pid = new_id("pay")?;
    let mut a = args![pid.as_str(), amount, paid_on.to_string(), reference, source, ts(now)];
    a.extend(invoice_args.iter().cloned());
    let open =
        "i.status = 'sent' AND i.total_minor > (SELECT COALESCE(SUM(amount_minor), 0) FROM invoice_payments WHERE invoice_id = i.id)";
    Ok(vec![
        db.stmt(
            &format!(
                "INSERT INTO invoice_payments (id, invoice_id, provider_id, client_id, amount_minor, paid_on, reference, source, created_at)
                 SELECT ?1, i.id, i.provider_id, i.client_id,
                        COALESCE(?2, i.total_minor - (SELECT COALESCE(SUM(amount_minor), 0) FROM invoice_payments WHERE invoice_id = i.id)),
                        ?3, ?4, ?5, ?6
                   FROM invoices i WHERE {invoice_where} AND {open}"
            ),
            &a,
        )?,
        db.stmt(
            &format!(
                "UPDATE invoices SET status = 'paid', paid_on = ?3
                  WHERE id IN (SELECT i.id FROM invoices i WHERE {invoice_where} AND i.status = 'sent'
                                 AND (SELECT COALESCE(SUM(amount_minor), 0) FROM invoice_payments WHERE invoice_id = i.id) >= i.total_minor)
                    AND ?1 IS NOT NULL AND ?2 IS ?2 AND ?4 IS NOT NULL AND ?5 IS NOT NULL AND ?6 IS NOT NULL"
            ),
            &a,
        )?,
    ])
}

#[derive(Deserialize)]
struct StateDb {
    status: String,
    total_minor: i64,
    paid_minor: i64,
}

async fn state(db: &Db, provider: &ProviderId, id: &InvoiceId) -> Result<Option<StateDb>> {
    db.first(
        "SELECT i.status, i.total_minor, (SELECT COALESCE(SUM(amount_minor), 0) FROM invoice_payments WHERE invoice_id = i.id) AS paid_minor
           FROM invoices i WHERE i.id = ? AND i.provider_id = ?",
        &args![id.as_str(), provider.as_str()],
    )
    .await
}

/// Records a payment made by hand (full or partial). `amount` in minor units, positive.
pub async fn record_payment(
    db: &Db,
    scope: &ProviderScope,
    id: &InvoiceId,
    amount: i64,
    paid_on: NaiveDate,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome> {
    let before = state(db, &scope.provider_id, id).await?;
    let statements = payment_statements(
        db,
        "i.id = ?7 AND i.provider_id = ?8",
        &args![id.as_str(), scope.provider_id.as_str()],
        Some(amount),
        paid_on,
        reference,
        "manual",
        now,
    )?;
    let results = db.batch(statements).await?;
    let inserted = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    if inserted == 0 || before.is_none() {
        return Ok(PaymentOutcome::NotOpen);
    }
    let after = state(db, &scope.provider_id, id).await?;
    Ok(match after {
        Some(s) if s.status == "paid" => PaymentOutcome::Paid,
        _ => PaymentOutcome::Partial,
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum VoidOutcome {
    /// Void now; this many entries were unlocked.
    Voided(usize),
    /// Not a draft or sent invoice of this provider, or payments were recorded on it.
    NotVoidable,
}

/// Voids an invoice and unlocks exactly its entries, in one batch.
pub async fn void(db: &Db, scope: &ProviderScope, id: &InvoiceId, now: DateTime<Utc>) -> Result<VoidOutcome> {
    let stamp = ts(now);
    let a = args![id.as_str(), scope.provider_id.as_str(), stamp.as_str()];
    let results = db
        .batch(vec![
            db.stmt(
                "UPDATE invoices SET status = 'void', voided_at = ?3
                  WHERE id = ?1 AND provider_id = ?2 AND status IN ('draft', 'sent')
                    AND NOT EXISTS (SELECT 1 FROM invoice_payments WHERE invoice_id = ?1)",
                &a,
            )?,
            db.stmt(
                "UPDATE time_entries SET invoice_id = NULL
                  WHERE invoice_id = ?1 AND provider_id = ?2
                    AND EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND status = 'void' AND voided_at = ?3)",
                &a,
            )?,
        ])
        .await?;
    let changes = |i: usize| results.get(i).and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    if changes(0) == 0 {
        return Ok(VoidOutcome::NotVoidable);
    }
    Ok(VoidOutcome::Voided(changes(1)))
}

// ----------------------------------------------------------------------------- payment webhooks

/// A payment webhook endpoint with its live secrets (opened).
pub struct PaymentEndpoint {
    pub provider_id: ProviderId,
    pub secrets: Vec<String>,
}

pub fn endpoint_context(id: &str) -> String {
    format!("payment_endpoint:{id}")
}

pub async fn payment_endpoint(db: &Db, id: &str) -> Result<Option<PaymentEndpoint>> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        secret: String,
    }
    let rows: Vec<Row> =
        db.all("SELECT provider_id, secret FROM payment_endpoints WHERE id = ? AND disabled_at IS NULL", &args![id]).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let provider_id = ProviderId::parse(&first.provider_id).map_err(|e| corrupt("provider id", e))?;
    let secrets = rows.iter().map(|r| db.open(&endpoint_context(id), &r.secret)).collect::<Result<Vec<_>>>()?;
    Ok(Some(PaymentEndpoint { provider_id, secrets }))
}

/// The provider's live payment webhook endpoints (ids, oldest first).
pub async fn payment_endpoints(db: &Db, scope: &ProviderScope) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    Ok(db
        .all::<Row>(
            "SELECT id FROM payment_endpoints WHERE provider_id = ? AND disabled_at IS NULL ORDER BY created_at, id",
            &args![scope.provider_id.as_str()],
        )
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Adds an endpoint for the provider with this signing secret (sealed at rest).
pub async fn create_payment_endpoint(db: &Db, scope: &ProviderScope, id: &str, secret: &str, now: DateTime<Utc>) -> Result<()> {
    db.run(
        "INSERT INTO payment_endpoints (id, provider_id, secret, created_at) VALUES (?, ?, ?, ?)",
        &args![id, scope.provider_id.as_str(), db.seal(&endpoint_context(id), secret)?, ts(now)],
    )
    .await?;
    Ok(())
}

/// What a payment event did.
#[derive(Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// This event id was already processed: nothing changed.
    Duplicate,
    /// No invoice of this provider has that number (recorded, so a retry is a duplicate).
    UnknownInvoice,
    /// The event's currency is not the invoice's: nothing recorded.
    CurrencyMismatch,
    /// The invoice was not open (already paid, void, or a draft): recorded, no payment.
    NotOpen,
    Paid,
    Partial,
}

/// Applies a verified payment event: dedupe row, payment and status change in one batch.
pub async fn apply_payment_event(
    db: &Db,
    endpoint_id: &str,
    endpoint: &PaymentEndpoint,
    ev: &clearhours_domain::payment_webhook::PaymentEvent,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome> {
    #[derive(Deserialize)]
    struct Found {
        id: String,
        currency: String,
        time_zone: String,
        week_start: String,
    }
    let p = endpoint.provider_id.as_str();
    let found: Option<Found> = db
        .first(
            "SELECT i.id, i.currency, c.time_zone, c.week_start FROM invoices i JOIN clients c ON c.id = i.client_id
              WHERE i.provider_id = ? AND i.number = ?",
            &args![p, ev.invoice_number.as_str()],
        )
        .await?;
    let seen = |outcome: &str, invoice: Option<&str>| {
        db.stmt(
            "INSERT INTO payment_events (endpoint_id, event_id, invoice_id, outcome, received_at) VALUES (?, ?, ?, ?, ?)",
            &args![endpoint_id, ev.event_id.as_str(), invoice, outcome, ts(now)],
        )
    };
    let Some(f) = found else {
        return match db.batch(vec![seen("unknown_invoice", None)?]).await {
            Ok(_) => Ok(WebhookOutcome::UnknownInvoice),
            Err(StorageError::Conflict(_)) => Ok(WebhookOutcome::Duplicate),
            Err(e) => Err(e),
        };
    };
    if ev.currency.as_deref().is_some_and(|c| !c.eq_ignore_ascii_case(&f.currency)) {
        return Ok(WebhookOutcome::CurrencyMismatch);
    }
    let calendar = ClientCalendar::parse(&f.time_zone, &f.week_start).map_err(|e| corrupt("calendar", e))?;
    let id = InvoiceId::parse(&f.id).map_err(|e| corrupt("invoice id", e))?;
    let mut statements = vec![seen("received", Some(id.as_str()))?];
    statements.extend(payment_statements(
        db,
        "i.id = ?7 AND i.provider_id = ?8",
        &args![id.as_str(), p],
        ev.amount_minor,
        calendar.today(now),
        &ev.event_id,
        "webhook",
        now,
    )?);
    let results = match db.batch(statements).await {
        Ok(r) => r,
        Err(StorageError::Conflict(m)) if m.contains("payment_events") => return Ok(WebhookOutcome::Duplicate),
        Err(e) => return Err(e),
    };
    let inserted = results.get(1).and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
    if inserted == 0 {
        return Ok(WebhookOutcome::NotOpen);
    }
    Ok(match state(db, &endpoint.provider_id, &id).await? {
        Some(s) if s.status == "paid" || s.paid_minor >= s.total_minor => WebhookOutcome::Paid,
        _ => WebhookOutcome::Partial,
    })
}

/// What the provider chose when creating an invoice.
pub struct InvoiceRequest<'a> {
    pub selection: clearhours_domain::invoice::Selection,
    /// Overrides the client's tax rate for this invoice.
    pub tax_rate: Option<TaxRate>,
    pub number: Option<&'a str>,
    pub terms: &'a str,
    pub notes: &'a str,
    pub payment_url: Option<&'a str>,
}

/// Creates a draft invoice from the client's unbilled entries in `req.selection`: reads them,
/// makes the draft with the client's grouping and labels (`invoice::draft`, the function the
/// client's preview uses), and writes it with [`create_invoice`]. The admin area and the fixture
/// loader both create invoices only through this.
pub async fn create_for_client(
    db: &Db,
    scope: &ProviderScope,
    client: &ClientId,
    req: &InvoiceRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Option<std::result::Result<(InvoiceId, String, InvoiceDraft), CreateError>>> {
    use clearhours_domain::client_view::invoices::{line_labels, line_records};
    use clearhours_domain::client_view::ClientContext;
    let Some((header, data)) = provider_billing(db, scope, client, req.selection.to).await? else { return Ok(None) };
    if data.truncated {
        return Err(too_many());
    }
    let ctx = ClientContext {
        visibility: header.visibility,
        currency: header.currency,
        locale: header.locale,
        time_zone: header.calendar.tz,
        members: &data.catalogue.members,
        tasks: &data.catalogue.tasks,
        phases: &data.catalogue.phases,
    };
    let labels = line_labels(&ctx, &data.projects);
    let d = clearhours_domain::invoice::draft(
        &data.unbilled,
        &req.selection,
        data.settings.grouping,
        req.tax_rate.unwrap_or(data.settings.tax_rate),
        header.currency,
        &labels,
    );
    let project = match req.selection.projects.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let new = NewInvoice {
        number: req.number,
        project,
        period_start: req.selection.from.or(d.first_date),
        period_end: req.selection.to,
        terms: req.terms,
        notes: req.notes,
        payment_url: req.payment_url,
    };
    let created = create_invoice(db, scope, client, &d, &line_records(&d), &data.unbilled, &new, now).await?;
    Ok(Some(created.map(|(id, number)| (id, number, d))))
}

/// The client's payment terms in days (for the due date of an invoice issued now).
pub async fn payment_terms_days(db: &Db, scope: &ProviderScope, client: &ClientId) -> Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        payment_terms_days: i64,
    }
    Ok(db
        .first::<Row>(
            "SELECT payment_terms_days FROM clients WHERE id = ? AND provider_id = ?",
            &args![client.as_str(), scope.provider_id.as_str()],
        )
        .await?
        .map(|r| r.payment_terms_days))
}
