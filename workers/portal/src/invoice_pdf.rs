//! The invoice PDF: built only from a `ClientInvoice` (so rates appear only when the client sees
//! rates), laid out as a paginated table: title, header lines, one row per invoice line, then
//! subtotal, tax and total; payments and the money rule as notes.
//!
//! [`report`] decides what the document says; [`draw`] lays it out (A4, Helvetica in WinAnsi,
//! nothing embedded). The shape (`Report`, columns, rows of cells / totals / text) is the one of
//! the shared export crate's report writer, so the drawing can move there unchanged.
// Layout is in floating-point points (coordinates, never money).
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use clearhours_domain::client_view::invoices::ClientInvoice;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Column {
    pub title: String,
    pub weight: f32,
    pub align: Align,
}

pub enum Row {
    Cells(Vec<String>),
    Total(Vec<String>),
    Text(String),
}

pub struct Report {
    pub title: String,
    pub header_lines: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub footer: String,
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// What the invoice PDF says.
pub fn report(client_name: &str, inv: &ClientInvoice) -> Report {
    let s = &inv.summary;
    let mut columns = vec![Column { title: "Description".into(), weight: 5.0, align: Align::Left }];
    columns.push(Column { title: "Hours".into(), weight: 1.2, align: Align::Right });
    if inv.rates_shown {
        columns.push(Column { title: "Rate per hour".into(), weight: 1.8, align: Align::Right });
    }
    columns.push(Column { title: format!("Amount ({})", s.currency), weight: 2.0, align: Align::Right });
    let pad = |label: &str, value: String| {
        let mut cells = vec![label.to_string(), String::new()];
        if inv.rates_shown {
            cells.push(String::new());
        }
        cells.push(value);
        cells
    };
    let mut rows: Vec<Row> = inv
        .lines
        .iter()
        .map(|l| {
            let mut cells = vec![l.description.clone(), l.hours.to_string()];
            if inv.rates_shown {
                cells.push(l.rate.clone().unwrap_or_else(|| "-".into()));
            }
            cells.push(l.amount.clone());
            Row::Cells(cells)
        })
        .collect();
    rows.push(Row::Total({
        let mut c = pad("Subtotal", inv.subtotal.clone());
        c[1] = inv.hours.to_string();
        c
    }));
    rows.push(Row::Cells(pad(&format!("Tax ({}%)", inv.tax_rate), inv.tax.clone())));
    rows.push(Row::Total(pad("Total", s.total.clone())));
    if s.paid_minor > 0 {
        rows.push(Row::Cells(pad("Paid", s.paid.clone())));
        rows.push(Row::Total(pad("Balance due", s.balance.clone())));
    }
    for p in &inv.payments {
        rows.push(Row::Text(format!("Payment received {}: {}", p.paid_on, p.amount)));
    }
    if !inv.terms.is_empty() {
        rows.push(Row::Text(format!("Terms: {}", inv.terms)));
    }
    if !inv.notes.is_empty() {
        rows.push(Row::Text(inv.notes.clone()));
    }
    rows.push(Row::Text(inv.money_note.clone()));
    if let Some(n) = &inv.increment_note {
        rows.push(Row::Text(n.clone()));
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
    }
}

pub fn render(client_name: &str, inv: &ClientInvoice) -> Vec<u8> {
    draw(&report(client_name, inv))
}

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278,
    278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556,
    556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// WinAnsi bytes: Latin-1 as is, a few specials, anything else `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '…' => 0x85,
            c if c.is_control() => b' ',
            c => match u32::from(c) {
                n @ (0x20..=0x7E | 0xA0..=0xFF) => u8::try_from(n).unwrap_or(b'?'),
                _ => b'?',
            },
        })
        .collect()
}

fn width(bytes: &[u8], size: f32) -> f32 {
    bytes.iter().map(|b| if (32..=126).contains(b) { f32::from(HELVETICA[usize::from(*b - 32)]) } else { 556.0 }).sum::<f32>() * size
        / 1000.0
}

/// Cuts text to fit `max` points, with "…".
fn fit(text: &str, size: f32, max: f32) -> Vec<u8> {
    let b = win_ansi(text);
    if width(&b, size) <= max {
        return b;
    }
    let mut out = b;
    while !out.is_empty() && width(&out, size) + width(&[0x85], size) > max {
        out.pop();
    }
    out.push(0x85);
    out
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const SIZE: f32 = 9.0;
const ROW_H: f32 = 14.0;

/// Lays a report out on A4 pages.
pub fn draw(r: &Report) -> Vec<u8> {
    let total_weight: f32 = r.columns.iter().map(|c| c.weight).sum::<f32>().max(1.0);
    let usable = PAGE_W - 2.0 * MARGIN;
    let mut xs = Vec::new();
    let mut x = MARGIN;
    for c in &r.columns {
        let w = usable * c.weight / total_weight;
        xs.push((x, w));
        x += w;
    }
    let mut pages: Vec<Content> = Vec::new();
    let mut content = Content::new();
    let mut y = PAGE_H - MARGIN;
    let text = |c: &mut Content, font: &[u8], size: f32, x: f32, y: f32, bytes: &[u8]| {
        c.begin_text();
        c.set_font(Name(font), size);
        c.next_line(x, y);
        c.show(Str(bytes));
        c.end_text();
    };
    text(&mut content, b"F2", 16.0, MARGIN, y - 16.0, &win_ansi(&r.title));
    y -= 32.0;
    for l in &r.header_lines {
        text(&mut content, b"F1", 10.0, MARGIN, y - 10.0, &win_ansi(l));
        y -= 14.0;
    }
    y -= 8.0;
    let header = |c: &mut Content, y: f32| {
        for (col, (x, w)) in r.columns.iter().zip(&xs) {
            let b = fit(&col.title, SIZE, w - 6.0);
            let tx = if col.align == Align::Right { x + w - 3.0 - width(&b, SIZE) } else { x + 3.0 };
            text(c, b"F2", SIZE, tx, y - SIZE - 2.0, &b);
        }
        c.move_to(MARGIN, y - ROW_H);
        c.line_to(PAGE_W - MARGIN, y - ROW_H);
        c.stroke();
    };
    header(&mut content, y);
    y -= ROW_H + 2.0;
    for row in &r.rows {
        if y - ROW_H < MARGIN + 20.0 {
            pages.push(std::mem::replace(&mut content, Content::new()));
            y = PAGE_H - MARGIN;
            header(&mut content, y);
            y -= ROW_H + 2.0;
        }
        match row {
            Row::Cells(cells) | Row::Total(cells) => {
                let bold = matches!(row, Row::Total(_));
                if bold {
                    content.move_to(MARGIN, y);
                    content.line_to(PAGE_W - MARGIN, y);
                    content.stroke();
                }
                for ((cell, col), (x, w)) in cells.iter().zip(&r.columns).zip(&xs) {
                    let b = fit(cell, SIZE, w - 6.0);
                    let tx = if col.align == Align::Right { x + w - 3.0 - width(&b, SIZE) } else { x + 3.0 };
                    text(&mut content, if bold { b"F2" } else { b"F1" }, SIZE, tx, y - SIZE - 2.0, &b);
                }
            }
            Row::Text(t) => text(&mut content, b"F1", SIZE, MARGIN + 3.0, y - SIZE - 2.0, &fit(t, SIZE, usable - 6.0)),
        }
        y -= ROW_H;
    }
    pages.push(content);

    let n = pages.len();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let page_ref = |i: usize| Ref::new(i32::try_from(5 + 2 * i).unwrap_or(5));
    let content_ref = |i: usize| Ref::new(i32::try_from(6 + 2 * i).unwrap_or(6));
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..n).map(page_ref)).count(i32::try_from(n).unwrap_or(1));
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    for (i, mut c) in pages.into_iter().enumerate() {
        let footer = win_ansi(&format!("{}    Page {} of {}", r.footer, i + 1, n));
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(MARGIN, MARGIN - 12.0);
        c.show(Str(&footer));
        c.end_text();
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_ref(i));
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(content_ref(i), &c.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_and_fit() {
        assert_eq!(win_ansi("a·b–c€"), vec![b'a', 0xB7, b'b', 0x96, b'c', 0x80]);
        assert_eq!(win_ansi("ł"), vec![b'?']);
        let cut = fit(&"W".repeat(100), 9.0, 50.0);
        assert_eq!(cut.last(), Some(&0x85));
        assert!(width(&cut, 9.0) <= 50.0);
    }
}
