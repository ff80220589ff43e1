//! Inline SVG charts for the client dashboard: pure functions from client-view data to markup.
//!
//! Geometry is integer arithmetic on minutes, tenths of a percent and days (no floats). Sizes
//! are in viewBox units; the SVG scales to its container's width. Colours, line styles and type
//! sizes come from `app.css` via `class`, never `style=` (the CSP blocks inline styles); on
//! narrow screens the stylesheet enlarges the type and hides labels marked `tick-minor`, so a
//! 390 px phone shows fewer, legible ticks. Every piece of text is escaped and formatted in the
//! client's locale.

use chrono::NaiveDate;
use clearhours_domain::client_view::{ClientBurnUp, ClientChartPoint};
use clearhours_domain::locale::Locale;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::fmt::Write;

const W: i64 = 560;
const H: i64 = 280;
const LEFT: i64 = 64;
const RIGHT: i64 = 18;
const TOP: i64 = 26;
const BOTTOM: i64 = 40;
const PLOT_W: i64 = W - LEFT - RIGHT;
const PLOT_H: i64 = H - TOP - BOTTOM;

use clearhours_domain::text::escape_html as escape;

/// "Nov 16" (en-US), for surfaces that have no client locale.
pub fn short_date(d: NaiveDate) -> String {
    Locale::default().day_month(d)
}

/// Decimal hours to whole minutes, `None` on overflow.
fn to_minutes(hours: Decimal) -> Option<i64> {
    hours.checked_mul(Decimal::from(60)).and_then(|m| m.round().to_i64())
}

/// Tenths of a percent, `None` on overflow.
fn to_tenths(percent: Decimal) -> Option<i64> {
    percent.checked_mul(Decimal::from(10)).and_then(|m| m.round().to_i64())
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

/// What the y axis counts.
#[derive(Clone, Copy)]
enum Unit {
    Minutes,
    /// Tenths of a percent of a money budget.
    PercentTenths,
}

impl Unit {
    /// (step, top) in the unit, at most about five steps.
    fn axis(self, max: i64) -> (i64, i64) {
        match self {
            Unit::Minutes => {
                let (step_h, top_h) = nice_axis(max);
                (step_h.saturating_mul(60), top_h.saturating_mul(60))
            }
            Unit::PercentTenths => {
                let top = max.max(1000);
                let step = if top > 2000 { 500 } else { 250 };
                (step, (top + step - 1) / step * step)
            }
        }
    }

    fn label(self, v: i64, loc: Locale) -> String {
        match self {
            Unit::Minutes => format!("{}\u{a0}h", loc.integer(v / 60)),
            Unit::PercentTenths => loc.percent_places(Decimal::new(v, 1), 0),
        }
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

/// Y coordinate of `v` on an axis whose top is `top` (> 0).
fn y_of(v: i64, top: i64) -> i64 {
    let m = i128::from(v.clamp(0, top));
    let top = i128::from(top.max(1));
    let off = m * i128::from(PLOT_H) / top;
    TOP + PLOT_H - i64::try_from(off).unwrap_or(0)
}

/// Horizontal gridlines with labels; every other label is minor (hidden on phones) when there
/// are more than three.
fn y_grid(out: &mut String, unit: Unit, step: i64, top: i64, loc: Locale) {
    let steps = top / step.max(1);
    let mut i = 0;
    while i <= steps && i <= 20 {
        let v = step.saturating_mul(i);
        let y = y_of(v, top);
        let minor = steps > 3 && i % 2 == 1;
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="axis{}" x="{}" y="{}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            if minor { " tick-minor" } else { "" },
            LEFT - 8,
            y + 5,
            escape(&unit.label(v, loc))
        );
        i += 1;
    }
}

/// Weekly hours as bars, one per point (oldest first). Every second week is labelled, every
/// fourth on phones (counted back from the newest week, which is always labelled).
pub fn weekly_bars(points: &[ClientChartPoint], title: &str, loc: Locale) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return empty_svg("weekly", title);
    };
    let n = i64::try_from(points.len()).unwrap_or(1).max(1);
    let total = points.iter().fold(0i64, |a, p| a.saturating_add(p.minutes));
    let max_point = points.iter().max_by_key(|p| p.minutes).unwrap_or(last);
    let desc = if points.iter().all(|p| p.minutes == 0) {
        format!("{n} weeks from {} to {}: no hours recorded.", loc.day_month(first.week_start), loc.date(last.week_end))
    } else {
        format!(
            "{n} weeks from {} to {}. Total {}. Highest: {} in the week of {}. Latest week: {}.",
            loc.day_month(first.week_start),
            loc.date(last.week_end),
            loc.hours(Decimal::from(total) / Decimal::from(60)),
            loc.hours(max_point.hours),
            loc.day_month(max_point.week_start),
            loc.hours(last.hours)
        )
    };
    let (step, top) = Unit::Minutes.axis(max_point.minutes);
    let mut out = String::new();
    svg_open(&mut out, "weekly", title, &desc);
    y_grid(&mut out, Unit::Minutes, step, top, loc);
    let slot = PLOT_W / n;
    let bar_w = (slot * 6 / 10).max(1);
    for (i, p) in points.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let x = LEFT + i * slot + (slot - bar_w) / 2;
        let y = y_of(p.minutes, top);
        let height = TOP + PLOT_H - y;
        let _ = write!(
            out,
            r#"<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{height}"><title>Week of {}: {}</title></rect>"#,
            escape(&loc.day_month(p.week_start)),
            escape(&loc.hours(p.hours))
        );
        // Counted back from the newest week: every second label, every fourth on phones.
        let back = n - 1 - i;
        let (shown, minor) = if n <= 6 { (true, back % 2 == 1) } else { (back % 2 == 0, back % 4 != 0) };
        if shown {
            let _ = write!(
                out,
                r#"<text class="axis{}" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                if minor { " tick-minor" } else { "" },
                x + bar_w / 2,
                H - BOTTOM + 24,
                escape(&loc.day_month(p.week_start))
            );
        }
    }
    let _ = write!(out, r#"<line class="baseline" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/></svg>"#, W - RIGHT, TOP + PLOT_H, TOP + PLOT_H);
    out
}

/// Values in a chart's unit, each at a date.
type Series = Vec<(NaiveDate, i64)>;

/// Maps dates to x coordinates between `from` and `from + days`.
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

/// Cumulative use against the budget: hours against an hours budget, or percent of a
/// money-only budget; the budget line, the projection dashed from today to the run-out, and
/// vertical marks for today and the end date (the x axis reaches the end date, so a run-out
/// before it is drawn).
pub fn burn_up(b: &ClientBurnUp, title: &str, loc: Locale) -> String {
    // The series in the chart's unit, each value at a date.
    let at = |p: &ClientChartPoint| p.week_end.min(b.today).max(p.week_start);
    let (unit, series, budget): (Unit, Series, Option<(i64, String)>) = if b.budget_unit == "money" {
        let s = b.percent_points.iter().map(|p| (p.date, to_tenths(p.percent).unwrap_or(0))).collect();
        let label = b.amount_allocated.as_ref().map_or_else(|| "Budget".to_string(), |a| format!("Budget {a}"));
        (Unit::PercentTenths, s, Some((1000, label)))
    } else {
        let mut s = Vec::new();
        if let Some(first) = b.points.first() {
            s.push((first.week_start, 0));
        }
        s.extend(b.points.iter().map(|p| (at(p), p.minutes)));
        let budget = b.hours_allocated.and_then(|h| to_minutes(h).map(|m| (m, format!("Budget {}", loc.hours(h)))));
        (Unit::Minutes, s, budget)
    };
    let (Some(&(start, _)), Some(&(last_date, last_value))) = (series.first(), series.last()) else {
        return empty_svg("burnup", title);
    };
    let mut end = last_date;
    for d in [b.projection_to, b.end_date].into_iter().flatten() {
        end = end.max(d);
    }
    let xs = XScale { from: start, days: (end - start).num_days().max(1) };
    let max_used = series.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let (step, top) = unit.axis(max_used.max(budget.as_ref().map_or(0, |(v, _)| *v)));

    let used_text = match unit {
        Unit::Minutes => loc.hours(Decimal::from(last_value) / Decimal::from(60)),
        Unit::PercentTenths => format!("{} of the budget", loc.percent(Decimal::new(last_value, 1))),
    };
    let mut desc = format!("Cumulative use from {} to {}: {used_text}", loc.date(start), loc.date(last_date));
    if let Some((_, label)) = &budget {
        let _ = write!(desc, " ({label})");
    }
    desc.push('.');
    for s in &b.budget_steps {
        let _ = match unit {
            Unit::Minutes => {
                write!(desc, " The budget changed on {} from {} to {}.", loc.date(s.date), loc.hours(s.before), loc.hours(s.after))
            }
            Unit::PercentTenths => write!(
                desc,
                " The budget changed on {} from {} to {} of today's budget.",
                loc.date(s.date),
                loc.percent(s.before),
                loc.percent(s.after)
            ),
        };
    }
    if let Some(t) = b.projection_to {
        let _ = write!(desc, " At the current pace the budget is used up on {}.", loc.date(t));
    }
    if let Some(e) = b.end_date {
        let _ = write!(desc, " The end date is {}.", loc.date(e));
    }

    let mut out = String::new();
    svg_open(&mut out, "burnup", title, &desc);
    y_grid(&mut out, unit, step, top, loc);
    // Five date labels spread across the span; three on phones.
    for k in 0..=4i64 {
        let d = start.checked_add_signed(chrono::Duration::days(xs.days * k / 4)).unwrap_or(start);
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            r#"<text class="axis{}" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
            if k % 2 == 1 { " tick-minor" } else { "" },
            xs.x(d),
            H - BOTTOM + 24,
            escape(&loc.day_month(d))
        );
    }
    let base_y = TOP + PLOT_H;
    let _ = write!(out, r#"<line class="baseline" x1="{LEFT}" x2="{}" y1="{base_y}" y2="{base_y}"/>"#, W - RIGHT);
    if let Some((v, label)) = &budget {
        let y = y_of(*v, top);
        // Budget changes (issue 15): the line is the budget in force each day, one step per change.
        let steps: Vec<(i64, i64, i64)> = b
            .budget_steps
            .iter()
            .filter_map(|s| {
                let conv = |d: Decimal| match unit {
                    Unit::Minutes => to_minutes(d),
                    Unit::PercentTenths => to_tenths(d),
                };
                Some((xs.x(s.date.max(start).min(end)), y_of(conv(s.before)?, top), y_of(conv(s.after)?, top)))
            })
            .collect();
        if steps.is_empty() {
            let _ = write!(out, r#"<line class="budget-line" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/>"#, W - RIGHT);
        } else {
            let mut pts = format!("{LEFT},{}", steps.first().map_or(y, |s| s.1));
            for (x, y0, y1) in &steps {
                let _ = write!(pts, " {x},{y0} {x},{y1}");
            }
            let _ = write!(pts, " {},{y}", W - RIGHT);
            let _ = write!(out, r#"<polyline class="budget-line budget-steps" fill="none" points="{pts}"/>"#);
        }
        let _ = write!(
            out,
            r#"<text class="budget-label" x="{}" y="{}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            (y - 7).max(14),
            escape(label)
        );
    }
    // Today and the end date.
    let today_x = xs.x(b.today.min(end));
    let _ = write!(
        out,
        r#"<line class="today-line" x1="{today_x}" x2="{today_x}" y1="{TOP}" y2="{base_y}"/><text class="marker-label" x="{}" y="{}" text-anchor="end">Today</text>"#,
        today_x - 5,
        TOP + 16
    );
    if let Some(e) = b.end_date {
        let x = xs.x(e);
        let _ = write!(
            out,
            r#"<line class="end-line" x1="{x}" x2="{x}" y1="{TOP}" y2="{base_y}"/><text class="marker-label" x="{}" y="{}" text-anchor="end">End {}</text>"#,
            x - 5,
            base_y - 8,
            escape(&loc.day_month(e))
        );
    }
    // The projection: from the latest value (at today) to the budget at the run-out date.
    if let (Some(from), Some(to), Some((v, _))) = (b.projection_from, b.projection_to, &budget) {
        let y0 = y_of(last_value, top);
        let _ = write!(
            out,
            r#"<line class="projection" x1="{}" y1="{y0}" x2="{}" y2="{}"/>"#,
            xs.x(from.max(last_date)),
            xs.x(to),
            y_of(*v, top)
        );
    }
    let line = series.iter().map(|(d, v)| format!("{},{}", xs.x(*d), y_of(*v, top))).collect::<Vec<_>>().join(" ");
    let _ = write!(out, r#"<polyline class="cumulative" points="{line}"/>"#);
    for (d, v) in series.iter().skip(1) {
        let value = match unit {
            Unit::Minutes => loc.hours(Decimal::from(*v) / Decimal::from(60)),
            Unit::PercentTenths => loc.percent(Decimal::new(*v, 1)),
        };
        let _ = write!(
            out,
            r#"<circle class="point" cx="{}" cy="{}" r="4"><title>Through {}: {}</title></circle>"#,
            xs.x(*d),
            y_of(*v, top),
            escape(&loc.date(*d)),
            escape(&value)
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
    use clearhours_domain::client_view::ClientPercentPoint;

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

    fn bu(points: Vec<ClientChartPoint>, hours: Option<Decimal>, proj: Option<(NaiveDate, NaiveDate)>) -> ClientBurnUp {
        ClientBurnUp {
            points,
            hours_allocated: hours,
            projection_from: proj.map(|p| p.0),
            projection_to: proj.map(|p| p.1),
            budget_unit: if hours.is_some() { "hours" } else { "none" },
            percent_points: vec![],
            amount_allocated: None,
            end_date: None,
            today: d(2024, 11, 14),
            budget_steps: vec![],
        }
    }

    const US: Locale = Locale::en_us_const();

    /// A budget amount as the projection makes it (the type has no other constructor).
    fn budget_amount(minor: i64, currency: &str, locale: &str) -> Option<clearhours_domain::client_view::BudgetAmount> {
        use clearhours_domain::settings::{BudgetMoney, Visibility};
        let v = Visibility { budget_money: BudgetMoney::Amounts, ..Visibility::default() };
        let currency = clearhours_domain::money::Currency::parse(currency).ok()?;
        clearhours_domain::client_view::MoneyPolicy::of(&v, currency).in_locale(Locale::parse(locale).ok()?).budget(minor)
    }

    #[test]
    fn empty_and_zero_inputs_render() {
        assert!(weekly_bars(&[], "t", US).contains("No data yet"));
        let zero = vec![pt(d(2024, 11, 4), 0), pt(d(2024, 11, 11), 0)];
        assert!(weekly_bars(&zero, "t", US).contains("no hours"));
        assert!(burn_up(&bu(vec![], None, None), "t", US).contains("No data yet"));
        assert!(burn_up(&bu(zero, Some(Decimal::ZERO), None), "<t>", US).contains("&lt;t&gt;"));
    }

    #[test]
    fn burn_up_draws_budget_and_projection() {
        let b =
            bu(vec![pt(d(2024, 11, 4), 600), pt(d(2024, 11, 11), 1200)], Some(Decimal::from(40)), Some((d(2024, 11, 14), d(2024, 12, 2))));
        let s = burn_up(&b, "Burn-up", US);
        assert!(s.contains("Budget 40.00\u{a0}h") && s.contains(r#"class="projection""#), "{s}");
        assert!(s.contains(r#"class="today-line""#));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(progress_bar(Some(Decimal::from(150)), "x").contains(r#"width="1000""#));
    }

    #[test]
    fn money_budgets_get_a_budget_line_and_the_end_date_is_marked() {
        let b = ClientBurnUp {
            points: vec![pt(d(2024, 11, 4), 600), pt(d(2024, 11, 11), 1200)],
            hours_allocated: None,
            projection_from: Some(d(2024, 11, 14)),
            projection_to: Some(d(2024, 12, 2)),
            budget_unit: "money",
            percent_points: vec![
                ClientPercentPoint { date: d(2024, 11, 4), percent: Decimal::ZERO },
                ClientPercentPoint { date: d(2024, 11, 14), percent: Decimal::from(60) },
            ],
            amount_allocated: budget_amount(100_000, "EUR", "de-DE"),
            end_date: Some(d(2024, 12, 20)),
            today: d(2024, 11, 14),
            budget_steps: vec![],
        };
        let de = Locale::parse("de-DE").unwrap_or_default();
        let s = burn_up(&b, "Burn-up", de);
        assert!(s.contains("Budget 1.000,00\u{a0}€"), "{s}");
        assert!(s.contains(r#"class="budget-line""#) && s.contains(r#"class="end-line""#) && s.contains("End 20. Dez."));
        // The projection is a dashed line from today's 60 % to 100 % at the run-out, not a vertical mark.
        let proj = s.split(r#"<line class="projection" "#).nth(1).unwrap_or_default();
        let coords: Vec<i64> = proj.split('"').filter_map(|t| t.parse().ok()).take(4).collect();
        assert_eq!(coords.len(), 4, "{proj}");
        assert!(coords[2] > coords[0] && coords[3] < coords[1], "{coords:?}");
        assert!(s.contains("100\u{a0}%"), "percent axis in the locale");
        // The x axis reaches the end date: the end mark sits right of the run-out.
        assert!(s.contains("The end date is 20. Dez. 2024."));
    }

    #[test]
    fn phones_get_fewer_ticks() {
        let pts: Vec<_> = (0..12).map(|i| pt(d(2024, 9, 2) + chrono::Duration::days(7 * i), 60 * i)).collect();
        let s = weekly_bars(&pts, "t", US);
        // Week labels (x axis) are centred under their bar.
        let weeks: Vec<&str> = s.split("<text ").filter(|t| t.contains(r#"text-anchor="middle""#)).collect();
        let on_phones = weeks.iter().filter(|t| !t.contains("tick-minor")).count();
        assert_eq!(weeks.len(), 6, "every second week on wide screens");
        assert_eq!(on_phones, 3, "every fourth week on phones");
        assert!(weeks.last().is_some_and(|t| t.contains("Nov 18")), "the newest week is always labelled");
    }
}
