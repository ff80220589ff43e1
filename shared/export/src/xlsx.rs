//! Excel workbooks (rust_xlsxwriter): real cells — dates as dates, hours and amounts as numbers
//! with number formats — a frozen, filterable header row, a totals row of `SUM` formulas (with
//! their results cached, so readers that do not calculate see the numbers), fitted column
//! widths, a second sheet "Summary" with the totals by team member and by task, and document
//! properties naming the client, project and period.

use crate::{columns, describe, value, Field, Value};
use clearhours_domain::client_view::entries::{ClientEntryRow, ClientEntryTotals, ClientSubtotal, ClientTimesheet};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError};

/// Why a workbook could not be written.
#[derive(Debug)]
pub struct ExportError(pub String);

impl From<XlsxError> for ExportError {
    fn from(e: XlsxError) -> Self {
        ExportError(e.to_string())
    }
}

/// What goes around the rows.
pub struct WorkbookInfo<'a> {
    pub client: &'a str,
    /// "2026-11-25 10:00 (America/New_York)".
    pub generated_at: &'a str,
    /// Seconds since 1970 (UTC), for the document's creation date.
    pub generated_unix: i64,
}

fn number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn col_letter(mut c: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + u8::try_from(c % 26).unwrap_or(0));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The workbook for these rows (all of them: callers keep to [`crate::MAX_DOCUMENT_ROWS`]).
pub fn workbook(
    info: &WorkbookInfo,
    ts: &ClientTimesheet,
    rows: &[ClientEntryRow],
    totals: &ClientEntryTotals,
    by_person: &[ClientSubtotal],
    by_task: &[ClientSubtotal],
) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let project = ts.project.as_ref().map_or("All projects".to_string(), |p| p.name.clone());
    let period = format!("{} to {}", ts.from, ts.to);
    let props = DocProperties::new()
        .set_title(format!("Timesheet · {} · {project}", info.client))
        .set_subject(format!("Time entries {period}"))
        .set_company(info.client)
        .set_comment(describe(info.client, ts).join("\n"))
        .set_custom_property("Client", info.client)
        .set_custom_property("Project", project.as_str())
        .set_custom_property("Period", period.as_str())
        .set_custom_property("Generated", info.generated_at)
        .set_creation_datetime(&ExcelDateTime::from_timestamp(info.generated_unix)?);
    wb.set_properties(&props);
    let bold = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
    let date = Format::new().set_num_format("yyyy-mm-dd").set_align(FormatAlign::Left);
    let hours = Format::new().set_num_format("0.00");
    let money = Format::new().set_num_format("#,##0.00");
    let total_fmt = |f: &Format| f.clone().set_bold().set_border_top(FormatBorder::Thin);
    let cols = columns(ts);
    let currency = ts.currency.to_string();

    let sheet: &mut Worksheet = wb.add_worksheet();
    sheet.set_name("Timesheet")?;
    let mut widths: Vec<usize> = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(0);
        let title = match c.field {
            Field::Rate | Field::Amount => format!("{} ({currency})", c.title),
            _ => c.title.to_string(),
        };
        widths.push(title.chars().count() + 2);
        sheet.write_string_with_format(0, col, &title, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let rn = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (i, c) in cols.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(0);
            let v = value(c.field, row);
            let len = match &v {
                Value::Text(t) => t.chars().count(),
                Value::Date(_) => 10,
                Value::Number(n) => n.to_string().len() + 2,
                Value::Int(n) => n.to_string().len(),
                Value::Empty => 0,
            };
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(len.min(60));
            }
            match v {
                Value::Text(t) => sheet.write_string(rn, col, t)?,
                Value::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(chrono::Datelike::year(&d)).unwrap_or(1900),
                        u8::try_from(chrono::Datelike::month(&d)).unwrap_or(1),
                        u8::try_from(chrono::Datelike::day(&d)).unwrap_or(1),
                    )?;
                    sheet.write_date_with_format(rn, col, &dt, &date)?
                }
                Value::Number(n) => {
                    sheet.write_number_with_format(rn, col, number(n), if c.field == Field::Hours { &hours } else { &money })?
                }
                Value::Int(n) => sheet.write_number(rn, col, i32::try_from(n).map(f64::from).unwrap_or(0.0))?,
                Value::Empty => sheet.write_blank(rn, col, &Format::new())?,
            };
        }
    }
    let last = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let total_row = last + 1;
    let last_col = u16::try_from(cols.len().saturating_sub(1)).unwrap_or(0);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last.max(1), last_col)?;
    sheet.write_string_with_format(total_row, 0, "Total", &total_fmt(&Format::new()))?;
    for (i, c) in cols.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(0);
        let (result, fmt) = match c.field {
            Field::Hours => (Some(totals.hours), &hours),
            Field::Amount => (totals.amount.as_ref().and_then(crate::number), &money),
            Field::Entries => (Some(Decimal::from(totals.entries)), &Format::new()),
            _ => (None, &Format::new()),
        };
        if let Some(result) = result {
            let l = col_letter(col);
            let f = Formula::new(format!("=SUM({l}2:{l}{})", last + 1)).set_result(result.to_string());
            sheet.write_formula_with_format(total_row, col, f, &total_fmt(fmt))?;
        }
    }
    for (i, w) in widths.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        sheet.set_column_width(u16::try_from(i).unwrap_or(0), (*w as f64).min(62.0))?;
    }

    let summary = wb.add_worksheet();
    summary.set_name("Summary")?;
    let mut r: u32 = 0;
    for line in describe(info.client, ts).iter().chain([format!("Generated {}", info.generated_at)].iter()) {
        summary.write_string(r, 0, line)?;
        r += 1;
    }
    r += 1;
    for (title, list) in [("By team member", by_person), ("By task", by_task)] {
        summary.write_string_with_format(r, 0, title, &bold)?;
        summary.write_string_with_format(r, 1, "Hours", &bold)?;
        summary.write_string_with_format(r, 2, "Billable hours", &bold)?;
        summary.write_string_with_format(r, 3, "Entries", &bold)?;
        if ts.rates_shown {
            summary.write_string_with_format(r, 4, format!("Amount ({currency})"), &bold)?;
        }
        r += 1;
        for s in list {
            summary.write_string(r, 0, &s.label)?;
            summary.write_number_with_format(r, 1, number(s.totals.hours), &hours)?;
            summary.write_number_with_format(r, 2, number(s.totals.billable_hours), &hours)?;
            summary.write_number(r, 3, i32::try_from(s.totals.entries).map(f64::from).unwrap_or(0.0))?;
            if let Some(a) = s.totals.amount.as_ref().and_then(crate::number) {
                summary.write_number_with_format(r, 4, number(a), &money)?;
            }
            r += 1;
        }
        r += 1;
    }
    summary.set_column_width(0, 40)?;
    summary.set_column_width(1, 12)?;
    summary.set_column_width(2, 15)?;
    summary.set_column_width(3, 10)?;
    summary.set_column_width(4, 16)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::col_letter;
    #[test]
    fn column_letters() {
        assert_eq!([col_letter(0), col_letter(8), col_letter(25), col_letter(26), col_letter(27)], ["A", "I", "Z", "AA", "AB"]);
    }
}
