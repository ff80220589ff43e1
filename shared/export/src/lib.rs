//! Exports of a client's timesheet: CSV ([`csv`]), Excel ([`xlsx`]) and PDF ([`pdf`]).
//!
//! Pure: no I/O, no clock, no `worker` dependency — callers pass "generated at" and the
//! records. The writers take only client-view types (`client_view::entries::Client*`), so an
//! export cannot show more than the page: whatever the projection left out has no field here.
//! [`columns`] decides the columns once for every format from the timesheet's visibility flags:
//! no rate or amount column when rates are hidden, no billable column when non-billable time
//! is hidden, "Summary" instead of "Description" when descriptions are summarised.
//!
//! [`pdf`] also has a general paginated table report ([`pdf::Report`]) for other documents
//! (invoices).

pub mod csv;
pub mod invoice_pdf;
pub mod pdf;
pub mod xlsx;

use chrono::NaiveDate;
use clearhours_domain::client_view::entries::{ClientEntryRow, ClientTimesheet, Preset};
use clearhours_domain::client_view::RowMoney;
use clearhours_domain::settings::DescriptionMode;
use rust_decimal::Decimal;

/// Most rows an XLSX or PDF export holds; CSV streams any number.
pub const MAX_DOCUMENT_ROWS: i64 = 20_000;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Date,
    Project,
    Member,
    Task,
    Phase,
    Description,
    Entries,
    Billable,
    Hours,
    Rate,
    Amount,
}

/// A typed cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    /// Hours, amounts and rates: decimal numbers.
    Number(Decimal),
    Int(i64),
    Empty,
}

/// A column of the timesheet export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub field: Field,
    pub title: &'static str,
}

/// The columns every format writes, from the timesheet's visibility (see the crate docs).
pub fn columns(ts: &ClientTimesheet) -> Vec<Column> {
    let summarised = ts.descriptions == DescriptionMode::Summarised;
    let mut out = vec![
        Column { field: Field::Date, title: "Date" },
        Column { field: Field::Project, title: "Project" },
        Column { field: Field::Member, title: "Team member" },
        Column { field: Field::Task, title: "Task" },
        Column { field: Field::Phase, title: "Phase" },
        Column { field: Field::Description, title: if summarised { "Summary" } else { "Description" } },
    ];
    if summarised {
        out.push(Column { field: Field::Entries, title: "Entries" });
    }
    if ts.non_billable_shown {
        out.push(Column { field: Field::Billable, title: "Billable" });
    }
    out.push(Column { field: Field::Hours, title: "Hours" });
    if ts.rates_shown {
        out.push(Column { field: Field::Rate, title: "Rate per hour" });
        out.push(Column { field: Field::Amount, title: "Amount" });
    }
    out
}

/// A row's value for a column.
pub fn value(field: Field, r: &ClientEntryRow) -> Value {
    let ClientEntryRow { date, project, member, task, phase, description, entries, billable, hours, minutes: _, rate, amount } = r;
    match field {
        Field::Date => Value::Date(*date),
        Field::Project => Value::Text(project.clone()),
        Field::Member => Value::Text(member.clone()),
        Field::Task => Value::Text(task.clone()),
        Field::Phase => Value::Text(phase.clone()),
        Field::Description => Value::Text(description.clone()),
        Field::Entries => Value::Int(*entries),
        Field::Billable => Value::Text(if *billable { "yes" } else { "no" }.into()),
        Field::Hours => Value::Number(*hours),
        Field::Rate => rate.as_ref().and_then(number).map_or(Value::Empty, Value::Number),
        Field::Amount => amount.as_ref().and_then(number).map_or(Value::Empty, Value::Number),
    }
}

/// The number in a client money text (`EUR 1,234.50` → `1234.50`), for typed cells.
pub fn number(m: &RowMoney) -> Option<Decimal> {
    let (_, n) = m.as_str().split_once(' ')?;
    n.replace(',', "").parse().ok()
}

/// A slug for file names: lower-case ASCII letters and digits, dashes between words.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let t = out.trim_end_matches('-');
    let t: String = t.chars().take(60).collect();
    if t.is_empty() {
        "timesheet".into()
    } else {
        t
    }
}

/// `acme-shop_2026-11-01_2026-11-30.xlsx`: the project (or client, for all projects) and period.
pub fn file_name(client: &str, ts: &ClientTimesheet, extension: &str) -> String {
    let who = match &ts.project {
        Some(p) => format!("{}-{}", slug(client), slug(&p.name)),
        None => slug(client),
    };
    format!("{who}_{}_{}.{extension}", ts.from, ts.to)
}

/// Header lines describing the export: client, project, period and the filters in force.
pub fn describe(client: &str, ts: &ClientTimesheet) -> Vec<String> {
    let mut out = vec![format!("Client: {client}")];
    out.push(format!("Project: {}", ts.project.as_ref().map_or("All projects".to_string(), |p| p.name.clone())));
    let preset = match ts.filter.range {
        Preset::ThisWeek => " (this week)",
        Preset::LastWeek => " (last week)",
        Preset::ThisMonth => " (this month)",
        Preset::LastMonth => " (last month)",
        Preset::ToDate => " (project to date)",
        Preset::Custom => "",
    };
    out.push(format!("Period: {} to {}{preset}", ts.from, ts.to));
    let f = &ts.filter;
    let mut filters = Vec::new();
    for (k, v) in [("Team member", &f.person), ("Task", &f.task), ("Phase", &f.phase), ("Search", &f.q)] {
        if let Some(v) = v {
            filters.push(format!("{k}: {v}"));
        }
    }
    if f.billable != clearhours_domain::client_view::entries::BillableFilter::All {
        filters.push(format!("Billable: {}", f.billable.as_str().replace('_', "-")));
    }
    if !filters.is_empty() {
        out.push(format!("Filters: {}", filters.join("; ")));
    }
    if let Some(w) = ts.withheld_from {
        out.push(format!("Entries from {w} on appear once their week is complete."));
    }
    out
}
