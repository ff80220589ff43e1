//! Inline SVG charts for the client dashboard: pure functions from client-view data to markup.
//!
//! Geometry is integer arithmetic on minutes and days (no floats). Sizes are in viewBox units;
//! the SVG scales to its container's width. Colours and line styles come from `app.css` via
//! `class`, never `style=` (the CSP blocks inline styles). Every piece of text is escaped.

use chrono::{Datelike, NaiveDate};
use clearhours_domain::client_view::{ClientBurnUp, ClientChartPoint};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt::Write;

const W: i64 = 640;
const H: i64 = 260;
const LEFT: i64 = 52;
const RIGHT: i64 = 16;
const TOP: i64 = 18;
const BOTTOM: i64 = 34;
const PLOT_W: i64 = W - LEFT - RIGHT;
const PLOT_H: i64 = H - TOP - BOTTOM;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Escapes text for SVG/HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Nov 16".
pub fn short_date(d: NaiveDate) -> String {
    let m = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    format!("{m} {}", d.day())
}

/// Minutes as decimal hours with two places ("7.50"), exact rounding via `Decimal`.
pub fn hours_text(minutes: i64) -> String {
    let mut h = (Decimal::from(minutes) / Decimal::from(60)).round_dp(2);
    h.rescale(2);
    h.to_string()
}

/// Decimal hours to whole minutes, `None` on overflow.
fn to_minutes(hours: Decimal) -> Option<i64> {
    hours.checked_mul(Decimal::from(60)).and_then(|m| m.round().to_i64())
}

/// A gridline step in whole hours so that the axis has at most five steps, and the axis top.
fn nice_axis(max_minutes: i64) -> (i64, i64) {
    let max_h = max_minutes.max(0).saturating_add(59) / 60;
    let mut base = 1i64;
    loop {
        for m in [1, 2, 5] {
            let step = base.saturating_mul(m);
            if step.saturating_mul(5) >= max_h || step >= i64::MAX / 100 {
                let steps = (max_h / step + i64::from(max_h % step != 0)).max(1);
                return (step, step.saturating_mul(steps));
            }
        }
        base = base.saturating_mul(10);
    }
}

fn svg_open(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
}

fn empty_svg(id: &str, title: &str) -> String {
    let mut out = String::new();
    svg_open(&mut out, id, title, "No data yet.");
    let _ = write!(out, r#"<text class="chart-empty" x="{}" y="{}" text-anchor="middle">No data yet</text></svg>"#, W / 2, H / 2);
    out
}

/// Y coordinate of `minutes` on an axis whose top is `top_minutes` (> 0).
fn y_of(minutes: i64, top_minutes: i64) -> i64 {
    let m = i128::from(minutes.clamp(0, top_minutes));
    let top = i128::from(top_minutes.max(1));
    let off = m * i128::from(PLOT_H) / top;
    TOP + PLOT_H - i64::try_from(off).unwrap_or(0)
}

/// Horizontal gridlines with hour labels.
fn y_grid(out: &mut String, step_h: i64, top_h: i64) {
    let top_min = top_h.saturating_mul(60);
    let mut h = 0;
    while h <= top_h {
        let y = y_of(h.saturating_mul(60), top_min);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="axis" x="{}" y="{}" text-anchor="end">{h} h</text>"#,
            W - RIGHT,
            LEFT - 6,
            y + 4
        );
        match h.checked_add(step_h.max(1)) {
            Some(next) => h = next,
            None => break,
        }
    }
}

/// Weekly hours as bars, one per point (oldest first).
pub fn weekly_bars(points: &[ClientChartPoint], title: &str) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return empty_svg("weekly", title);
    };
    let n = i64::try_from(points.len()).unwrap_or(1).max(1);
    let total = points.iter().fold(0i64, |a, p| a.saturating_add(p.minutes));
    let max_point = points.iter().max_by_key(|p| p.minutes).unwrap_or(last);
    let desc = if points.iter().all(|p| p.minutes == 0) {
        format!("{n} weeks from {} to {}: no hours recorded.", short_date(first.week_start), short_date(last.week_end))
    } else {
        format!(
            "{n} weeks from {} to {}. Total {} h. Highest: {} h in the week of {}. Latest week: {} h.",
            short_date(first.week_start),
            short_date(last.week_end),
            hours_text(total),
            max_point.hours,
            short_date(max_point.week_start),
            last.hours
        )
    };
    let (step_h, top_h) = nice_axis(max_point.minutes);
    let top_min = top_h.saturating_mul(60);
    let mut out = String::new();
    svg_open(&mut out, "weekly", title, &desc);
    y_grid(&mut out, step_h, top_h);
    let slot = PLOT_W / n;
    let bar_w = (slot * 6 / 10).max(1);
    let crowded = n > 8;
    for (i, p) in points.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let x = LEFT + i * slot + (slot - bar_w) / 2;
        let y = y_of(p.minutes, top_min);
        let height = TOP + PLOT_H - y;
        let _ = write!(
            out,
            r#"<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{height}"><title>Week of {}: {} h</title></rect>"#,
            escape(&short_date(p.week_start)),
            p.hours
        );
        if !crowded || (n - 1 - i) % 2 == 0 {
            let _ = write!(
                out,
                r#"<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2,
                H - BOTTOM + 18,
                escape(&short_date(p.week_start))
            );
        }
    }
    let _ = write!(out, r#"<line class="baseline" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/></svg>"#, W - RIGHT, TOP + PLOT_H, TOP + PLOT_H);
    out
}

/// Maps dates to x coordinates between `from` and `to`.
struct XScale {
    from: NaiveDate,
    days: i64,
}

impl XScale {
    fn x(&self, d: NaiveDate) -> i64 {
        let off = (d - self.from).num_days().clamp(0, self.days);
        LEFT + off * PLOT_W / self.days.max(1)
    }
}

/// Cumulative hours per week against the budget line, with the projection dashed.
pub fn burn_up(b: &ClientBurnUp, title: &str) -> String {
    let (Some(first), Some(last)) = (b.points.first(), b.points.last()) else {
        return empty_svg("burnup", title);
    };
    // Points sit at each week's end, but never after "today" (the projection's start).
    let at = |p: &ClientChartPoint| b.projection_from.map_or(p.week_end, |t| p.week_end.min(t).max(p.week_start));
    let start = first.week_start;
    let end = b.projection_to.map_or(at(last), |t| t.max(at(last)));
    let xs = XScale { from: start, days: (end - start).num_days().max(1) };
    let allocated = b.hours_allocated.and_then(to_minutes);
    let max_used = b.points.iter().map(|p| p.minutes).max().unwrap_or(0);
    let (step_h, top_h) = nice_axis(max_used.max(allocated.unwrap_or(0)));
    let top_min = top_h.saturating_mul(60);

    let mut desc = format!("Cumulative hours from {} to {}: {} h", short_date(start), short_date(at(last)), last.hours);
    if let Some(a) = b.hours_allocated {
        let _ = write!(desc, " of a {} h budget", a.normalize());
    }
    desc.push('.');
    if let Some(t) = b.projection_to {
        let _ = write!(desc, " At the current pace the budget is used up on {}.", short_date(t));
    }

    let mut out = String::new();
    svg_open(&mut out, "burnup", title, &desc);
    y_grid(&mut out, step_h, top_h);
    // Five date labels spread across the span.
    for k in 0..=4i64 {
        let d = start.checked_add_signed(chrono::Duration::days(xs.days * k / 4)).unwrap_or(start);
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            r#"<text class="axis" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
            xs.x(d),
            H - BOTTOM + 18,
            escape(&short_date(d))
        );
    }
    let base_y = TOP + PLOT_H;
    let _ = write!(out, r#"<line class="baseline" x1="{LEFT}" x2="{}" y1="{base_y}" y2="{base_y}"/>"#, W - RIGHT);
    if let (Some(a), Some(h)) = (allocated, b.hours_allocated) {
        let y = y_of(a, top_min);
        let _ = write!(
            out,
            r#"<line class="budget-line" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="budget-label" x="{}" y="{}" text-anchor="end">Budget {} h</text>"#,
            W - RIGHT,
            W - RIGHT,
            (y - 6).max(10),
            escape(&h.normalize().to_string())
        );
    }
    // The cumulative line starts at zero at the start of the first week.
    let mut line = format!("{},{base_y}", xs.x(start));
    for p in &b.points {
        let _ = write!(line, " {},{}", xs.x(at(p)), y_of(p.minutes, top_min));
    }
    if let (Some(from), Some(to)) = (b.projection_from, b.projection_to) {
        let y0 = y_of(last.minutes, top_min);
        match allocated {
            Some(a) => {
                let _ =
                    write!(out, r#"<line class="projection" x1="{}" y1="{y0}" x2="{}" y2="{}"/>"#, xs.x(from), xs.x(to), y_of(a, top_min));
            }
            None => {
                // A money-only budget: mark the run-out date.
                let x = xs.x(to);
                let _ = write!(out, r#"<line class="projection" x1="{x}" y1="{TOP}" x2="{x}" y2="{base_y}"/>"#);
            }
        }
    }
    let _ = write!(out, r#"<polyline class="cumulative" points="{line}"/>"#);
    for p in &b.points {
        let _ = write!(
            out,
            r#"<circle class="point" cx="{}" cy="{}" r="3"><title>Through {}: {} h</title></circle>"#,
            xs.x(at(p)),
            y_of(p.minutes, top_min),
            escape(&short_date(at(p))),
            p.hours
        );
    }
    out.push_str("</svg>");
    out
}

/// A horizontal progress bar for a percentage (clamped to 0–100 for drawing). Decorative: the
/// percentage is always printed next to it.
pub fn progress_bar(percent: Option<Decimal>, class: &str) -> String {
    let tenths = percent.and_then(|p| p.checked_mul(Decimal::from(10))).and_then(|t| t.round().to_i64()).unwrap_or(0).clamp(0, 1000);
    format!(
        r#"<svg class="progress" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect class="progress-track" width="1000" height="10"/><rect class="progress-fill {}" width="{tenths}" height="10"/></svg>"#,
        escape(class)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn pt(start: NaiveDate, minutes: i64) -> ClientChartPoint {
        ClientChartPoint {
            week_start: start,
            week_end: start.checked_add_signed(chrono::Duration::days(6)).unwrap_or(start),
            hours: Decimal::from(minutes) / Decimal::from(60),
            minutes,
        }
    }

    #[test]
    fn axis_steps_are_nice() {
        assert_eq!(nice_axis(0), (1, 1));
        assert_eq!(nice_axis(60 * 4), (1, 4));
        assert_eq!(nice_axis(60 * 7), (2, 8));
        assert_eq!(nice_axis(60 * 23), (5, 25));
        assert_eq!(nice_axis(60 * 120), (50, 150));
    }

    #[test]
    fn empty_and_zero_inputs_render() {
        assert!(weekly_bars(&[], "t").contains("No data yet"));
        let zero = vec![pt(d(2024, 11, 4), 0), pt(d(2024, 11, 11), 0)];
        assert!(weekly_bars(&zero, "t").contains("no hours"));
        let b = ClientBurnUp { points: vec![], hours_allocated: None, projection_from: None, projection_to: None };
        assert!(burn_up(&b, "t").contains("No data yet"));
        let b = ClientBurnUp { points: zero, hours_allocated: Some(Decimal::ZERO), projection_from: None, projection_to: None };
        assert!(burn_up(&b, "<t>").contains("&lt;t&gt;"));
    }

    #[test]
    fn burn_up_draws_budget_and_projection() {
        let b = ClientBurnUp {
            points: vec![pt(d(2024, 11, 4), 600), pt(d(2024, 11, 11), 1200)],
            hours_allocated: Some(Decimal::from(40)),
            projection_from: Some(d(2024, 11, 14)),
            projection_to: Some(d(2024, 12, 2)),
        };
        let s = burn_up(&b, "Burn-up");
        assert!(s.contains("Budget 40 h") && s.contains(r#"class="projection""#));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(progress_bar(Some(Decimal::from(150)), "x").contains(r#"width="1000""#));
    }
}
