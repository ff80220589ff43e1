//! CSV (RFC 4180): a header row, then one line per row, CRLF line ends, UTF-8 (with a byte
//! order mark on request, for Excel). Written in pieces ([`header`], then [`rows`] per page),
//! so a caller can stream any number of rows with bounded memory.
//!
//! Formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is prefixed with `'`, so spreadsheets show it as text instead of running it.
//! Numbers are written plainly (`1.50`), dates as `YYYY-MM-DD`.

use crate::{columns, value, Column, Value};
use clearhours_domain::client_view::entries::{ClientEntryRow, ClientTimesheet};

/// The UTF-8 byte order mark Excel looks for.
pub const BOM: &str = "\u{FEFF}";

/// One field, quoted when needed and neutralised when it could be read as a formula.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Text(t) => field(t),
        Value::Date(d) => d.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Empty => String::new(),
    }
}

/// The header line (after the BOM when `bom`).
pub fn header(ts: &ClientTimesheet, bom: bool) -> String {
    let cols: Vec<String> = columns(ts).iter().map(|c| field(c.title)).collect();
    format!("{}{}\r\n", if bom { BOM } else { "" }, cols.join(","))
}

/// Lines for some rows, in the columns of [`crate::columns`].
pub fn rows(cols: &[Column], rows: &[ClientEntryRow]) -> String {
    let mut out = String::with_capacity(rows.len() * 96);
    for r in rows {
        let line: Vec<String> = cols.iter().map(|c| cell(&value(c.field, r))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@cmd"), "'@cmd");
        assert_eq!(field("=1,2"), "\"'=1,2\"");
        assert_eq!(field("Lucía"), "Lucía");
    }
}
