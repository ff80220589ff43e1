//! PDF documents: a general paginated table report ([`Report`], [`render`]) and the timesheet
//! built on it ([`timesheet`]).
//!
//! Fonts: the standard-14 Helvetica and Helvetica-Bold in WinAnsi encoding — nothing embedded,
//! so documents stay small and every PDF reader has the font. WinAnsi covers Latin-1 and a few
//! more (`€ – — … ‘ ’ “ ” • ™ Š š Ž ž Œ œ Ÿ`): "Lucía", "Zoë", "Çağlar" (as "Caglar") render.
//! Other characters are mapped sensibly ([`win_ansi`]): Latin letters with marks outside
//! Latin-1 lose the mark (`ł` → `l`, `ő` → `o`), arrows become `->`, anything else `?`.
//!
//! # A report, for any table document (timesheets, invoices)
//!
//! ```
//! use clearhours_export::pdf::{render, Align, Report, ReportColumn, ReportRow};
//! let report = Report {
//!     title: "Invoice 2026-0042".into(),
//!     header_lines: vec!["Client: Acme".into(), "Period: 2026-11-01 to 2026-11-30".into()],
//!     columns: vec![
//!         ReportColumn { title: "Item".into(), weight: 4.0, align: Align::Left },
//!         ReportColumn { title: "Hours".into(), weight: 1.0, align: Align::Right },
//!     ],
//!     rows: vec![
//!         ReportRow::Group("Design".into()),
//!         ReportRow::Cells(vec!["Wireframes".into(), "3.50".into()]),
//!         ReportRow::Subtotal(vec!["Design".into(), "3.50".into()]),
//!         ReportRow::Total(vec!["Total".into(), "3.50".into()]),
//!     ],
//!     footer: "Generated 2026-11-30 10:00 (Europe/Berlin)".into(),
//!     landscape: false,
//! };
//! let bytes = render(&report);
//! assert!(bytes.starts_with(b"%PDF-"));
//! ```
//!
//! Layout: A4 (portrait or landscape), 36 pt margins; the title and header lines on the first
//! page; the column header row repeated at the top of every page; text that does not fit its
//! column is cut with "…"; "Page n of N" and the footer text at the bottom of every page.
//! Subtotal and total rows are bold with a rule above; group rows are bold headings.
// Layout is in floating-point points (coordinates, never money).
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use crate::{columns, describe, value, Field, Value};
use clearhours_domain::client_view::entries::{ClientEntryRow, ClientEntryTotals, ClientSubtotal, ClientTimesheet, GroupBy};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::io::Write;

/// Horizontal alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A column: its heading, its share of the width (relative to the other weights) and alignment.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportColumn {
    pub title: String,
    pub weight: f32,
    pub align: Align,
}

/// A line of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportRow {
    /// Ordinary cells, one per column (missing cells are blank).
    Cells(Vec<String>),
    /// A bold heading across the table (a group's name).
    Group(String),
    /// A group's subtotal: bold cells with a thin rule above.
    Subtotal(Vec<String>),
    /// The grand total: bold cells with a rule above.
    Total(Vec<String>),
    /// A line of plain text across the table (a note).
    Text(String),
}

/// A paginated table document.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub title: String,
    /// Lines under the title on the first page (client, period, filters…).
    pub header_lines: Vec<String>,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<ReportRow>,
    /// Text at the bottom left of every page ("Generated …").
    pub footer: String,
    pub landscape: bool,
}

const MARGIN: f32 = 36.0;
const BODY: f32 = 8.0;
const ROW_H: f32 = 11.5;
const PAD: f32 = 3.0;

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' ' … '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // '0' … '?'
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // '@' … 'O'
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 'P' … '_'
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // '`' … 'o'
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p' … '~'
];

/// Replaces a character WinAnsi lacks: Latin letters lose their marks, a few symbols get ASCII
/// stand-ins, anything else becomes `?`.
fn fallback(c: char) -> &'static str {
    match c {
        'ā' | 'ă' | 'ą' => "a",
        'Ā' | 'Ă' | 'Ą' => "A",
        'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĥ' | 'ħ' => "h",
        'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ń' | 'ņ' | 'ň' => "n",
        'Ń' | 'Ņ' | 'Ň' => "N",
        'ō' | 'ŏ' | 'ő' => "o",
        'Ō' | 'Ŏ' | 'Ő' => "O",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ś' | 'ŝ' | 'ş' | 'ș' => "s",
        'Ś' | 'Ŝ' | 'Ş' | 'Ș' => "S",
        'ţ' | 'ť' | 'ț' => "t",
        'Ţ' | 'Ť' | 'Ț' => "T",
        'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ŵ' => "w",
        'ŷ' => "y",
        'ź' | 'ż' => "z",
        'Ź' | 'Ż' => "Z",
        '→' | '⇒' => "->",
        '←' => "<-",
        '≤' => "<=",
        '≥' => ">=",
        '\u{2009}' | '\u{202F}' | '\u{2007}' => " ",
        '‐' | '‑' | '−' => "-",
        _ => "?",
    }
}

fn win_ansi_byte(c: char) -> Option<u8> {
    let special = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => 0,
    };
    if special != 0 {
        return Some(special);
    }
    let n = u32::from(c);
    match n {
        0x20..=0x7E | 0xA0..=0xFF => u8::try_from(n).ok(),
        _ => None,
    }
}

/// The WinAnsi bytes for `s` (see the module docs for characters outside WinAnsi). Control
/// characters become spaces.
pub fn win_ansi(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push(b' ');
        } else if let Some(b) = win_ansi_byte(c) {
            out.push(b);
        } else {
            out.extend(fallback(c).bytes());
        }
    }
    out
}

/// Width of WinAnsi bytes in points at `size` (Helvetica; bold is about 6 % wider).
fn width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| {
            let w = match b {
                32..=126 => HELVETICA.get(usize::from(b - 32)).copied().unwrap_or(556),
                0x85 | 0x97 | 0x89 | 0x99 => 1000,
                0x91 | 0x92 | 0x82 | 0xB7 | 0xA0 => 278,
                0xC6 | 0x8C => 1000,
                0xE6 | 0x9C => 944,
                _ => 556,
            };
            u32::from(w)
        })
        .sum();
    units as f32 * size / 1000.0 * if bold { 1.06 } else { 1.0 }
}

/// `bytes` cut to `max` points, with "…" when cut.
fn fit(bytes: Vec<u8>, max: f32, size: f32, bold: bool) -> Vec<u8> {
    if width(&bytes, size, bold) <= max {
        return bytes;
    }
    let ellipsis = width(&[0x85], size, bold);
    let mut out = bytes;
    while !out.is_empty() && width(&out, size, bold) + ellipsis > max {
        out.pop();
    }
    out.push(0x85);
    out
}

struct Layout {
    w: f32,
    h: f32,
    x: Vec<(f32, f32)>,
}

impl Layout {
    fn new(r: &Report) -> Layout {
        let (w, h) = if r.landscape { (842.0, 595.0) } else { (595.0, 842.0) };
        let total: f32 = r.columns.iter().map(|c| c.weight.max(0.1)).sum::<f32>().max(0.1);
        let avail = w - 2.0 * MARGIN;
        let mut x = MARGIN;
        let cols = r
            .columns
            .iter()
            .map(|c| {
                let cw = avail * c.weight.max(0.1) / total;
                let span = (x, cw);
                x += cw;
                span
            })
            .collect();
        Layout { w, h, x: cols }
    }
}

fn text_at(c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, bytes: &[u8]) {
    c.begin_text();
    c.set_font(Name(font), size);
    c.next_line(x, y);
    c.show(Str(bytes));
    c.end_text();
}

fn cells(c: &mut Content, layout: &Layout, cols: &[ReportColumn], values: &[String], y: f32, bold: bool) {
    let font: &[u8] = if bold { b"F2" } else { b"F1" };
    for (i, (x, cw)) in layout.x.iter().enumerate() {
        let Some(v) = values.get(i) else { continue };
        if v.is_empty() {
            continue;
        }
        // Left-aligned text may run on over the empty cells after it (labels of sums rows).
        let mut room = *cw;
        if cols.get(i).map_or(Align::Left, |c| c.align) == Align::Left {
            for (j, (_, next_w)) in layout.x.iter().enumerate().skip(i + 1) {
                if values.get(j).is_some_and(|n| !n.is_empty()) {
                    break;
                }
                room += next_w;
            }
        }
        let bytes = fit(win_ansi(v), room - 2.0 * PAD, BODY, bold);
        let tx = match cols.get(i).map_or(Align::Left, |c| c.align) {
            Align::Left => x + PAD,
            Align::Right => x + cw - PAD - width(&bytes, BODY, bold),
        };
        text_at(c, font, BODY, tx, y, &bytes);
    }
}

fn rule(c: &mut Content, layout: &Layout, y: f32, weight: f32) {
    c.set_line_width(weight);
    c.move_to(MARGIN, y);
    c.line_to(layout.w - MARGIN, y);
    c.stroke();
}

/// Renders the report (see the module docs).
pub fn render(r: &Report) -> Vec<u8> {
    let layout = Layout::new(r);
    let titles: Vec<String> = r.columns.iter().map(|c| c.title.clone()).collect();
    let bottom = MARGIN + 18.0;
    // Lay the rows out on pages first, so that every page can say "of N".
    let mut pages: Vec<Vec<(f32, &ReportRow)>> = vec![Vec::new()];
    let first_top = layout.h - MARGIN - 22.0 - 12.0 * r.header_lines.len() as f32 - 10.0;
    let other_top = layout.h - MARGIN - 16.0;
    let mut y = first_top - ROW_H * 1.4;
    for row in &r.rows {
        let h = match row {
            ReportRow::Group(_) => ROW_H * 1.4,
            ReportRow::Total(_) => ROW_H * 1.3,
            _ => ROW_H,
        };
        if y - h < bottom {
            pages.push(Vec::new());
            y = other_top - ROW_H * 1.4;
        }
        y -= h;
        if let Some(p) = pages.last_mut() {
            p.push((y, row));
        }
    }
    let n = pages.len();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (f1, f2, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(6 + 2 * i32::try_from(i).unwrap_or(0))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(i32::try_from(n).unwrap_or(i32::MAX));
    pdf.type1_font(f1).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(f2).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(&r.title)).producer(TextStr("Clearhours"));
    for (i, rows) in pages.iter().enumerate() {
        let page_id = page_ids.get(i).copied().unwrap_or(Ref::new(6));
        let content_id = Ref::new(page_id.get() + 1);
        let mut c = Content::new();
        let header_y = if i == 0 {
            text_at(&mut c, b"F2", 14.0, MARGIN, layout.h - MARGIN - 14.0, &win_ansi(&r.title));
            for (k, line) in r.header_lines.iter().enumerate() {
                let bytes = fit(win_ansi(line), layout.w - 2.0 * MARGIN, 9.0, false);
                text_at(&mut c, b"F1", 9.0, MARGIN, layout.h - MARGIN - 30.0 - 12.0 * k as f32, &bytes);
            }
            first_top
        } else {
            let t = fit(win_ansi(&format!("{} (continued)", r.title)), layout.w - 2.0 * MARGIN, 9.0, true);
            text_at(&mut c, b"F2", 9.0, MARGIN, layout.h - MARGIN - 9.0, &t);
            other_top
        };
        let hy = header_y - ROW_H;
        cells(&mut c, &layout, &r.columns, &titles, hy, true);
        rule(&mut c, &layout, hy - 3.5, 0.6);
        for (y, row) in rows {
            match row {
                ReportRow::Cells(v) => cells(&mut c, &layout, &r.columns, v, *y, false),
                ReportRow::Subtotal(v) => {
                    rule(&mut c, &layout, y + ROW_H - 2.5, 0.3);
                    cells(&mut c, &layout, &r.columns, v, *y, true);
                }
                ReportRow::Total(v) => {
                    rule(&mut c, &layout, y + ROW_H * 1.3 - 3.0, 0.8);
                    cells(&mut c, &layout, &r.columns, v, *y, true);
                }
                ReportRow::Group(t) => {
                    let bytes = fit(win_ansi(t), layout.w - 2.0 * MARGIN - PAD, BODY + 1.0, true);
                    text_at(&mut c, b"F2", BODY + 1.0, MARGIN + PAD, *y, &bytes);
                }
                ReportRow::Text(t) => {
                    let bytes = fit(win_ansi(t), layout.w - 2.0 * MARGIN - PAD, BODY, false);
                    text_at(&mut c, b"F1", BODY, MARGIN + PAD, *y, &bytes);
                }
            }
        }
        let foot = fit(win_ansi(&r.footer), layout.w * 0.6, 7.0, false);
        text_at(&mut c, b"F1", 7.0, MARGIN, MARGIN, &foot);
        let num = win_ansi(&format!("Page {} of {n}", i + 1));
        text_at(&mut c, b"F1", 7.0, layout.w - MARGIN - width(&num, 7.0, false), MARGIN, &num);
        let raw = c.finish();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let compressed = z.write_all(&raw).ok().and_then(|()| z.finish().ok());
        match compressed {
            Some(bytes) => {
                pdf.stream(content_id, &bytes).filter(Filter::FlateDecode);
            }
            None => {
                pdf.stream(content_id, &raw);
            }
        }
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, layout.w, layout.h));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), f1).pair(Name(b"F2"), f2);
        page.finish();
    }
    pdf.finish()
}

/// What goes around a timesheet's rows.
pub struct TimesheetInfo<'a> {
    pub client: &'a str,
    /// "2026-11-25 10:00 (America/New_York)".
    pub generated_at: &'a str,
}

fn weight(f: Field) -> (f32, Align) {
    match f {
        Field::Date => (1.3, Align::Left),
        Field::Project => (1.6, Align::Left),
        Field::Member => (1.6, Align::Left),
        Field::Task => (1.5, Align::Left),
        Field::Phase => (1.1, Align::Left),
        Field::Description => (3.6, Align::Left),
        Field::Entries => (0.8, Align::Right),
        Field::Billable => (0.8, Align::Left),
        Field::Hours => (0.9, Align::Right),
        Field::Rate => (1.3, Align::Right),
        Field::Amount => (1.4, Align::Right),
    }
}

fn cell_text(v: Value) -> String {
    match v {
        Value::Text(t) => t,
        Value::Date(d) => d.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Empty => String::new(),
    }
}

/// The row of sums under a group or the table: hours, entries and (rates shown) amount in
/// their columns, `label` in the first.
fn sums(cols: &[crate::Column], label: &str, t: &ClientEntryTotals) -> Vec<String> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| match c.field {
            _ if i == 0 => label.to_string(),
            Field::Hours => t.hours.to_string(),
            Field::Entries => t.entries.to_string(),
            Field::Amount => t.amount.as_ref().map(ToString::to_string).unwrap_or_default(),
            _ => String::new(),
        })
        .collect()
}

/// Which subtotal a row belongs to, for the grouping in force.
fn group_of<'a>(group: GroupBy, r: &ClientEntryRow, subtotals: &'a [ClientSubtotal]) -> Option<&'a ClientSubtotal> {
    subtotals.iter().find(|s| match group {
        GroupBy::None => false,
        GroupBy::Week => s.week_start.is_some_and(|w| w <= r.date) && s.week_end.is_some_and(|e| r.date <= e),
        GroupBy::Person => s.label == r.member,
        GroupBy::Task => s.label == r.task,
        GroupBy::Phase => s.label == r.phase,
    })
}

/// The timesheet report: header with client, project, period and filters; the rows (grouped
/// with subtotals when the view is grouped); the totals; staff notes for the weeks shown.
pub fn timesheet(
    info: &TimesheetInfo,
    ts: &ClientTimesheet,
    rows: &[ClientEntryRow],
    totals: &ClientEntryTotals,
    subtotals: &[ClientSubtotal],
) -> Vec<u8> {
    let cols = columns(ts);
    let currency = ts.currency.to_string();
    let columns = cols
        .iter()
        .map(|c| {
            let (weight, align) = weight(c.field);
            ReportColumn { title: c.title.to_string(), weight, align }
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len() + subtotals.len() * 2 + 4);
    let mut current: Option<&ClientSubtotal> = None;
    let group = ts.filter.group;
    for r in rows {
        if group != GroupBy::None {
            let g = group_of(group, r, subtotals);
            if g.map(|s| &s.label) != current.map(|s| &s.label) {
                if let Some(prev) = current {
                    out.push(ReportRow::Subtotal(sums(&cols, &format!("Subtotal {}", prev.label), &prev.totals)));
                }
                if let Some(s) = g {
                    let title = match (s.week_start, s.week_end, &s.explanation) {
                        (Some(a), Some(b), _) => format!("Week {a} to {b}"),
                        (_, _, Some(ex)) => format!("{} — {ex}", s.label),
                        _ => s.label.clone(),
                    };
                    out.push(ReportRow::Group(title));
                    if let (Some(a), Some(b)) = (s.week_start, s.week_end) {
                        for n in ts.notes.iter().filter(|n| n.week_start == a && n.week_end == b) {
                            out.push(ReportRow::Text(format!("Note ({}): {}", n.project, n.body)));
                        }
                    }
                }
                current = g;
            }
        }
        out.push(ReportRow::Cells(
            cols.iter()
                .map(|c| match c.field {
                    Field::Rate | Field::Amount => match value(c.field, r) {
                        Value::Number(n) => format!("{currency} {n}"),
                        other => cell_text(other),
                    },
                    f => cell_text(value(f, r)),
                })
                .collect(),
        ));
    }
    if let Some(prev) = current {
        out.push(ReportRow::Subtotal(sums(&cols, &format!("Subtotal {}", prev.label), &prev.totals)));
    }
    out.push(ReportRow::Total(sums(&cols, &format!("Total ({} entries)", totals.entries), totals)));
    if group != GroupBy::Week {
        for n in &ts.notes {
            out.push(ReportRow::Text(format!("Note for the week {} to {} ({}): {}", n.week_start, n.week_end, n.project, n.body)));
        }
    }
    let title = match &ts.project {
        Some(p) => format!("Timesheet · {}", p.name),
        None => "Timesheet · all projects".to_string(),
    };
    render(&Report {
        title,
        header_lines: describe(info.client, ts),
        columns,
        rows: out,
        footer: format!("Generated {} · {}", info.generated_at, info.client),
        landscape: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_latin_1_and_maps_the_rest() {
        assert_eq!(win_ansi("Lucía"), b"Luc\xEDa");
        assert_eq!(win_ansi("Zoë"), b"Zo\xEB");
        assert_eq!(win_ansi("€ – …"), b"\x80 \x96 \x85");
        assert_eq!(win_ansi("Łódź"), b"L\xF3dz");
        assert_eq!(win_ansi("a→b 日"), b"a->b ?");
        assert_eq!(win_ansi("tab\there"), b"tab here");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let cut = fit(win_ansi(&"word ".repeat(40)), 100.0, BODY, false);
        assert!(cut.ends_with(&[0x85]) && width(&cut, BODY, false) <= 100.0);
        assert_eq!(fit(b"short".to_vec(), 100.0, BODY, false), b"short");
    }

    #[test]
    fn pages_are_numbered_and_headers_repeat() {
        let report = Report {
            title: "T".into(),
            header_lines: vec!["Client: Zoë".into()],
            columns: vec![ReportColumn { title: "Name".into(), weight: 1.0, align: Align::Left }],
            rows: (0..200).map(|i| ReportRow::Cells(vec![format!("row {i}")])).collect(),
            footer: "f".into(),
            landscape: false,
        };
        let pdf = render(&report);
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 4") || text.contains("/Count 5"), "{}", &text[..400.min(text.len())]);
    }
}
