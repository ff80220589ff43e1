//! Invoices: grouping unbilled entries into lines, the money rules, and an invoice's status.
//!
//! # Money rules (the contract; the tests below check each one)
//! 1. **A line's amount is the sum of its entries' amounts as stored.** Each entry's amount was
//!    computed once, when it was ingested, as rate × minutes / 60 rounded half-to-even to the
//!    currency's minor unit ([`crate::money::HourlyRate::amount_for`]). A line is never re-priced
//!    as rate × hours: the client is told "amounts are per entry, rounded to the cent"
//!    ([`money_note`]).
//! 2. **Subtotal = Σ line amounts**, in integer minor units.
//! 3. **Tax = subtotal × tax rate / 100, rounded half-to-even once**, to the minor unit. Never
//!    per line.
//! 4. **Total = subtotal + tax.** Balance = total − Σ payments.
//! 5. **Minor units are the currency's** (ISO 4217): JPY, KRW, XPF … have none, so every amount
//!    of theirs is whole; BHD, KWD … have three. Amounts are integers in minor units throughout,
//!    formatted only at the edge ([`crate::money::Money`]).
//! 6. Only billable entries are invoiced; non-billable time is never on an invoice.
//!
//! # Lines
//! Entries are grouped as the provider configures per client ([`Grouping`]): by task, phase or
//! person within each project, or one line per project. A line's quantity is its minutes (shown
//! as hours with two places); its rate is given only when every entry on it has the same rate.
//! Lines are ordered by description, then by the ids behind them, so the same entries always
//! make the same invoice: the client's preview **is** the invoice issued right after it
//! ([`draft`] is the only function that makes lines, for both).

use crate::calendar::{add_days, month_start_of, ClientCalendar};
use crate::ids::{EntryId, MemberId, PhaseId, ProjectId, TaskId};
use crate::money::{Currency, HourlyRate};
use crate::settings::ViewMode;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// How unbilled entries become invoice lines (per client).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One line per task in each project.
    Task,
    /// One line per phase in each project.
    Phase,
    /// One line per team member in each project (labelled as the client's team setting says).
    Person,
    /// One line per project.
    Project,
}

impl Grouping {
    pub const ALL: &'static [Grouping] = &[Grouping::Task, Grouping::Phase, Grouping::Person, Grouping::Project];

    pub fn as_str(&self) -> &'static str {
        match self {
            Grouping::Task => "task",
            Grouping::Phase => "phase",
            Grouping::Person => "person",
            Grouping::Project => "project",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "task" => Ok(Grouping::Task),
            "phase" => Ok(Grouping::Phase),
            "person" => Ok(Grouping::Person),
            "project" => Ok(Grouping::Project),
            other => Err(format!("{other:?} is not one of: task, phase, person, project")),
        }
    }
}

/// A tax rate in percent (`19`, `8.875`), 0 to 100 with at most 4 decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TaxRate(pub Decimal);

impl TaxRate {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().trim_end_matches('%').trim();
        let t = if t.is_empty() { "0" } else { t };
        let d = Decimal::from_str(t).map_err(|_| format!("{s:?} is not a percentage such as 19 or 8.875"))?;
        if d.is_sign_negative() || d > Decimal::from(100) {
            return Err("tax rate must be between 0 and 100 percent".into());
        }
        if d.normalize().scale() > 4 {
            return Err("tax rate allows at most 4 decimals".into());
        }
        Ok(Self(d.normalize()))
    }

    /// Money rule 3: the tax on a subtotal, rounded half-to-even once to the minor unit.
    pub fn tax_on(&self, subtotal_minor: i64) -> i64 {
        let exact = Decimal::from(subtotal_minor) * self.0 / Decimal::from(100);
        let rounded = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }

    /// `19`, `8.875` (for storage and display).
    pub fn to_stored(&self) -> String {
        self.0.normalize().to_string()
    }
}

/// An entry that may go on an invoice (provider-side record; never shown to a client as such).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillableEntry {
    pub id: EntryId,
    pub project_id: ProjectId,
    pub member_id: MemberId,
    pub task_id: Option<TaskId>,
    pub phase_id: Option<PhaseId>,
    pub local_date: NaiveDate,
    pub minutes: i64,
    pub billable: bool,
    pub rate: Option<HourlyRate>,
    /// Rounded when stored (money rule 1).
    pub amount_minor: i64,
}

/// The names lines are labelled with: the client-facing ones (member labels under the client's
/// team setting, task and phase names, project names).
#[derive(Clone, Debug, Default)]
pub struct LineLabels {
    pub projects: HashMap<ProjectId, String>,
    pub members: HashMap<MemberId, String>,
    pub tasks: HashMap<TaskId, String>,
    pub phases: HashMap<PhaseId, String>,
}

/// One line of a draft invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftLine {
    pub description: String,
    pub minutes: i64,
    /// Set when every entry on the line has this rate.
    pub rate: Option<HourlyRate>,
    pub amount_minor: i64,
    /// Sorted.
    pub entries: Vec<EntryId>,
}

/// What an invoice over some entries says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceDraft {
    pub currency: Currency,
    pub grouping: Grouping,
    pub tax_rate: TaxRate,
    /// First and last local dates of the entries on it (`None` when there are none).
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub lines: Vec<DraftLine>,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// Every entry the invoice locks, sorted: exactly the entries of its lines.
    pub entries: Vec<EntryId>,
}

impl InvoiceDraft {
    pub fn minutes(&self) -> i64 {
        self.lines.iter().fold(0i64, |a, l| a.saturating_add(l.minutes))
    }
}

/// Which entries an invoice covers: billable entries with a local date in `from ..= to` (no
/// `from`: from the oldest), in `projects` (empty: every project).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub projects: Vec<ProjectId>,
}

impl Selection {
    pub fn takes(&self, e: &BillableEntry) -> bool {
        e.billable
            && e.local_date <= self.to
            && self.from.is_none_or(|f| e.local_date >= f)
            && (self.projects.is_empty() || self.projects.contains(&e.project_id))
    }
}

/// The one function that turns entries into invoice lines and totals (see the module docs).
/// `entries` are the client's unbilled entries; those outside `selection` are left alone.
pub fn draft(
    entries: &[BillableEntry],
    selection: &Selection,
    grouping: Grouping,
    tax_rate: TaxRate,
    currency: Currency,
    labels: &LineLabels,
) -> InvoiceDraft {
    struct Acc {
        minutes: i64,
        amount: i64,
        rates: Vec<Option<HourlyRate>>,
        entries: Vec<EntryId>,
    }
    let project_name = |p: &ProjectId| labels.projects.get(p).cloned().unwrap_or_else(|| "Project".to_string());
    // Key: (description, project id, group id) — sorted by what the client reads, ids break ties.
    let mut groups: BTreeMap<(String, String, String), Acc> = BTreeMap::new();
    let (mut first, mut last) = (None::<NaiveDate>, None::<NaiveDate>);
    for e in entries.iter().filter(|e| selection.takes(e)) {
        let project = project_name(&e.project_id);
        let (label, gid) = match grouping {
            Grouping::Task => match &e.task_id {
                Some(t) => (labels.tasks.get(t).cloned().unwrap_or_else(|| "Other".into()), t.to_string()),
                None => ("No task".to_string(), String::new()),
            },
            Grouping::Phase => match &e.phase_id {
                Some(p) => (labels.phases.get(p).cloned().unwrap_or_else(|| "Other".into()), p.to_string()),
                None => ("No phase".to_string(), String::new()),
            },
            Grouping::Person => {
                (labels.members.get(&e.member_id).cloned().unwrap_or_else(|| "Team member".into()), e.member_id.to_string())
            }
            Grouping::Project => (String::new(), String::new()),
        };
        let description = if label.is_empty() { project } else { format!("{project} · {label}") };
        let acc = groups.entry((description, e.project_id.to_string(), gid)).or_insert(Acc {
            minutes: 0,
            amount: 0,
            rates: Vec::new(),
            entries: Vec::new(),
        });
        acc.minutes = acc.minutes.saturating_add(e.minutes);
        acc.amount = acc.amount.saturating_add(e.amount_minor);
        acc.rates.push(e.rate.map(|r| HourlyRate(r.0.normalize())));
        acc.entries.push(e.id.clone());
        first = Some(first.map_or(e.local_date, |f: NaiveDate| f.min(e.local_date)));
        last = Some(last.map_or(e.local_date, |l: NaiveDate| l.max(e.local_date)));
    }
    let mut all = Vec::new();
    let lines: Vec<DraftLine> = groups
        .into_iter()
        .map(|((description, _, _), mut acc)| {
            let rate = match acc.rates.first() {
                Some(Some(r)) if acc.rates.iter().all(|x| x.as_ref() == Some(r)) => Some(*r),
                _ => None,
            };
            acc.entries.sort();
            all.extend(acc.entries.iter().cloned());
            DraftLine { description, minutes: acc.minutes, rate, amount_minor: acc.amount, entries: acc.entries }
        })
        .collect();
    all.sort();
    let subtotal = lines.iter().fold(0i64, |a, l| a.saturating_add(l.amount_minor));
    let tax = tax_rate.tax_on(subtotal);
    InvoiceDraft {
        currency,
        grouping,
        tax_rate,
        first_date: first,
        last_date: last,
        lines,
        subtotal_minor: subtotal,
        tax_minor: tax,
        total_minor: subtotal.saturating_add(tax),
        entries: all,
    }
}

/// The last date an invoice issued today covers by default: today in real time; the end of the
/// last complete week in weekly summary (so an invoice never shows a week the client cannot).
pub fn default_period_end(view: ViewMode, calendar: &ClientCalendar, today: NaiveDate) -> NaiveDate {
    match view {
        ViewMode::RealTime => today,
        ViewMode::WeeklySummary => add_days(calendar.week_of(today).start, -1),
    }
}

/// The next invoice's date: the provider's planned date if it is today or later, else the 1st
/// of next month.
pub fn next_invoice_date(planned: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    match planned {
        Some(d) if d >= today => d,
        _ => month_start_of(today).checked_add_months(chrono::Months::new(1)).unwrap_or(today),
    }
}

/// "Amounts are per entry, rounded to the cent." (in the currency's own words).
pub fn money_note(currency: Currency) -> String {
    let unit = match currency.minor_digits() {
        0 => format!("a whole {}", currency.code()),
        2 => "the cent".to_string(),
        d => format!("{d} decimals"),
    };
    format!("Amounts are per entry, rounded to {unit}; tax is calculated once, on the subtotal.")
}

/// "Time is recorded in 15-minute increments." when the provider set an increment.
pub fn increment_note(minutes: Option<i64>) -> Option<String> {
    minutes.filter(|m| *m > 1).map(|m| format!("Time is recorded in {m}-minute increments."))
}

/// What the database stores; the statuses a client sees are derived ([`status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredStatus {
    Draft,
    Sent,
    Paid,
    Void,
}

impl StoredStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            StoredStatus::Draft => "draft",
            StoredStatus::Sent => "sent",
            StoredStatus::Paid => "paid",
            StoredStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(StoredStatus::Draft),
            "sent" => Ok(StoredStatus::Sent),
            "paid" => Ok(StoredStatus::Paid),
            "void" => Ok(StoredStatus::Void),
            other => Err(format!("unknown invoice status {other:?}")),
        }
    }
}

/// An invoice's status as people read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Sent,
    Viewed,
    PartiallyPaid,
    Overdue,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn label(&self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Sent => "Sent",
            InvoiceStatus::Viewed => "Viewed",
            InvoiceStatus::PartiallyPaid => "Partially paid",
            InvoiceStatus::Overdue => "Overdue",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Void => "Void",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Sent => "sent",
            InvoiceStatus::Viewed => "viewed",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }
}

/// The status on `today` (the client's local date): void and draft as stored; paid when stored
/// paid or nothing is left to pay; **overdue** when a balance is left and the due date is
/// before today in the client's time zone; partially paid when something but not all is paid;
/// viewed once a contact opened it; else sent.
pub fn status(
    stored: StoredStatus,
    total_minor: i64,
    paid_minor: i64,
    due_on: Option<NaiveDate>,
    today: NaiveDate,
    viewed: bool,
) -> InvoiceStatus {
    match stored {
        StoredStatus::Draft => InvoiceStatus::Draft,
        StoredStatus::Void => InvoiceStatus::Void,
        StoredStatus::Paid => InvoiceStatus::Paid,
        StoredStatus::Sent if paid_minor >= total_minor => InvoiceStatus::Paid,
        StoredStatus::Sent if due_on.is_some_and(|d| d < today) => InvoiceStatus::Overdue,
        StoredStatus::Sent if paid_minor > 0 => InvoiceStatus::PartiallyPaid,
        StoredStatus::Sent if viewed => InvoiceStatus::Viewed,
        StoredStatus::Sent => InvoiceStatus::Sent,
    }
}

/// A payment recorded by hand: more than zero and at most the balance (`total − paid`), so a
/// typo cannot mark an invoice paid many times over.
pub fn check_payment(amount_minor: i64, total_minor: i64, paid_minor: i64) -> Result<(), String> {
    let balance = total_minor.saturating_sub(paid_minor);
    if amount_minor <= 0 {
        return Err("the amount must be more than zero".into());
    }
    if amount_minor > balance {
        return Err("the amount is more than the balance".into());
    }
    Ok(())
}

/// Invoice numbers: 1–40 characters of letters, digits, `-`, `_`, `.`, `/` excluded (they sit
/// in URLs).
pub fn check_number(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 40 {
        return Err("invoice number must be 1 to 40 characters".into());
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err("invoice number may contain only letters, digits, '-', '_' and '.'".into());
    }
    Ok(())
}

/// The reference definition of invoice locking, which `storage::invoices` runs as one guarded
/// D1 batch (and `tests/invoices.test.mjs` checks against the database): an invoice drafted from
/// a snapshot of the unbilled entries commits only if every entry of its draft is still unbilled
/// and unchanged, and then locks exactly those; otherwise nothing changes. Ingest changes only
/// unlocked entries (a change to a locked one is flagged, not applied). Void unlocks exactly the
/// entries its invoice locked.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    entries: BTreeMap<EntryId, (BillableEntry, Option<u64>)>,
    invoices: BTreeMap<u64, (i64, bool)>,
    next: u64,
}

impl Ledger {
    /// Ingest: adds or changes an entry; `false` (flagged, unchanged) when it is locked.
    pub fn upsert(&mut self, e: BillableEntry) -> bool {
        match self.entries.get(&e.id) {
            Some((_, Some(_))) => false,
            _ => {
                self.entries.insert(e.id.clone(), (e, None));
                true
            }
        }
    }

    pub fn unbilled(&self) -> Vec<BillableEntry> {
        self.entries.values().filter(|(_, inv)| inv.is_none()).map(|(e, _)| e.clone()).collect()
    }

    /// The guarded commit: `Some(invoice)` when every drafted entry is still as in `snapshot`
    /// and unlocked (then they are locked), `None` when anything changed (nothing written).
    pub fn commit(&mut self, draft: &InvoiceDraft, snapshot: &[BillableEntry]) -> Option<u64> {
        if draft.entries.is_empty() {
            return None;
        }
        let seen: HashMap<&EntryId, &BillableEntry> = snapshot.iter().map(|e| (&e.id, e)).collect();
        let intact = draft.entries.iter().all(|id| match (self.entries.get(id), seen.get(id)) {
            (Some((now, None)), Some(then)) => now == *then,
            _ => false,
        });
        if !intact {
            return None;
        }
        self.next += 1;
        for id in &draft.entries {
            if let Some(slot) = self.entries.get_mut(id) {
                slot.1 = Some(self.next);
            }
        }
        self.invoices.insert(self.next, (draft.subtotal_minor, false));
        Some(self.next)
    }

    /// Voids an invoice: unlocks exactly its entries and returns them (sorted).
    pub fn void(&mut self, invoice: u64) -> Vec<EntryId> {
        match self.invoices.get_mut(&invoice) {
            Some((_, voided)) if !*voided => *voided = true,
            _ => return Vec::new(),
        }
        let mut out = Vec::new();
        for (id, (_, inv)) in &mut self.entries {
            if *inv == Some(invoice) {
                *inv = None;
                out.push(id.clone());
            }
        }
        out
    }

    /// The entries an invoice locks (sorted).
    pub fn locked_by(&self, invoice: u64) -> Vec<EntryId> {
        self.entries.iter().filter(|(_, (_, inv))| *inv == Some(invoice)).map(|(id, _)| id.clone()).collect()
    }

    /// Live invoices with their issued subtotal.
    pub fn live(&self) -> Vec<(u64, i64)> {
        self.invoices.iter().filter(|(_, (_, v))| !*v).map(|(n, (s, _))| (*n, *s)).collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn amount_of(&self, ids: &[EntryId]) -> i64 {
        ids.iter().filter_map(|id| self.entries.get(id)).map(|(e, _)| e.amount_minor).sum()
    }
}

#[cfg(test)]
#[path = "invoice_tests.rs"]
mod tests;
