//! **What changed**: weekly hours by task, phase and team member over the last complete weeks,
//! and the callouts that name a sharp change. This module's docs are the contract the callouts
//! are tested against (`tests/changes.rs`).
//!
//! **Weeks.** Only *complete* weeks count, in both view modes: the current week is never part of
//! the series or of a callout (an unfinished week would look like a drop every Monday). The
//! series cover the last [`CHANGE_WEEKS`] complete weeks, never weeks before the project's first
//! week. A week that crosses a month boundary (two rollup buckets) is summed.
//!
//! **Minutes.** *Visible* minutes, as everywhere on the dashboard: billable, plus non-billable
//! when the client's visibility shows non-billable time.
//!
//! **Callouts.** The last *r* complete weeks are *recent*, for r in [`RECENT_SPANS`] (2, 3 or
//! 4 weeks); the complete weeks before them inside the window are the *baseline* (at least
//! [`MIN_BASELINE_WEEKS`]; fewer ⇒ no callout for that span). Averages are per week over all
//! weeks of each span, zeros included. Every comparison is exact (integer
//! cross-multiplication), never on rounded figures. Of the spans that meet every rule below,
//! the callout uses the one with the largest |recent average − baseline average| (on a tie,
//! the longer span): for a clean step that is exactly where the change starts, and a change
//! that began mid-week is not diluted by that half week.
//! - **A task or phase rose** when all hold:
//!   1. it had minutes in at least [`MIN_ACTIVE_BASELINE_WEEKS`] baseline weeks (a phase that
//!      merely started is not a surprise) and its baseline average is at least
//!      [`MIN_BASELINE_MINUTES`] per week;
//!   2. recent average ≥ [`RATIO`] × baseline average;
//!   3. recent average − baseline average ≥ [`MIN_CHANGE_MINUTES`] per week;
//!   4. the change is *recent*: 2 and 3 also hold against the *adjacent* weeks alone (the r
//!      baseline weeks just before the recent span), so a shift that happened two months ago
//!      and has been flat since is not news;
//!   5. its *share* of the visible hours grew: recent share ≥ [`SHARE_RATIO`] × baseline share
//!      (when the whole project speeds up, no single task is singled out).
//! - **A team member's hours rose or fell** when 1–4 hold in either direction (a fall: baseline
//!   average ≥ [`RATIO`] × recent average, and the same minimum change).
//!
//! So noise cannot raise a callout: weekly values within ±30 % of a flat mean never reach the
//! ratio (at most 1.3 / 0.7 ≈ 1.86 < 2), and values that stay inside a band narrower than 4 h
//! never move the average by [`MIN_CHANGE_MINUTES`]; the property tests check both.
//! Callouts are ordered by the size of the change (largest first), at most [`MAX_CALLOUTS`].
//!
//! Labels are not chosen here: callouts carry ids, and `client_view` names them under the
//! client's visibility settings (team display), like every other dashboard figure.

use crate::calendar::{add_days, week_start_of, Week};
use crate::rollup::{Dim, WeekRow};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Complete weeks in the series.
pub const CHANGE_WEEKS: i64 = 12;
/// The spans of most recent complete weeks compared with the weeks before.
pub const RECENT_SPANS: [i64; 3] = [2, 3, 4];
/// Baseline weeks needed before any callout.
pub const MIN_BASELINE_WEEKS: i64 = 4;
/// Baseline weeks in which a task, phase or member must have had minutes.
pub const MIN_ACTIVE_BASELINE_WEEKS: usize = 3;
/// Smallest baseline average (minutes per week) a ratio is computed from: 1 h/week.
pub const MIN_BASELINE_MINUTES: i64 = 60;
/// Smallest change of the weekly average (minutes per week): 4 h/week.
pub const MIN_CHANGE_MINUTES: i64 = 240;
/// Recent vs baseline average (or the reverse for a fall): at least 2×.
pub const RATIO: i64 = 2;
/// Growth of a task's or phase's share of the visible hours: at least 1.5× (3/2).
pub const SHARE_RATIO: (i64, i64) = (3, 2);
/// Callouts shown at most.
pub const MAX_CALLOUTS: usize = 4;

/// Minutes of one task, phase or member in each week of [`Changes::weeks`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    pub id: String,
    pub minutes: Vec<i64>,
}

impl Series {
    pub fn total(&self) -> i64 {
        self.minutes.iter().sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

/// One sharp change (see the module docs). Averages are `*_minutes / *_weeks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Callout {
    /// `Task`, `Phase` or `Member`.
    pub dim: Dim,
    pub id: String,
    pub direction: Direction,
    pub recent_weeks: i64,
    pub recent_minutes: i64,
    pub baseline_weeks: i64,
    pub baseline_minutes: i64,
}

impl Callout {
    /// Compares |recent average − baseline average| = |r_sum·b − b_sum·r| / (r·b) of two
    /// callouts exactly; on a tie the longer recent span wins.
    fn contrast_cmp(&self, other: &Callout) -> std::cmp::Ordering {
        let num = |c: &Callout| {
            (i128::from(c.recent_minutes) * i128::from(c.baseline_weeks) - i128::from(c.baseline_minutes) * i128::from(c.recent_weeks))
                .abs()
        };
        let den = |c: &Callout| i128::from(c.recent_weeks * c.baseline_weeks).max(1);
        (num(self) * den(other)).cmp(&(num(other) * den(self))).then(self.recent_weeks.cmp(&other.recent_weeks))
    }

    /// |recent average − baseline average| × recent weeks × baseline weeks (for ordering).
    fn change_scaled(&self) -> i128 {
        (i128::from(self.recent_minutes) * i128::from(self.baseline_weeks)
            - i128::from(self.baseline_minutes) * i128::from(self.recent_weeks))
        .abs()
            * 1_000
            / i128::from((self.recent_weeks * self.baseline_weeks).max(1))
    }
}

/// The "what changed" section of one project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Complete weeks, oldest first (at most [`CHANGE_WEEKS`]).
    pub weeks: Vec<Week>,
    pub by_task: Vec<Series>,
    pub by_phase: Vec<Series>,
    pub by_member: Vec<Series>,
    pub callouts: Vec<Callout>,
}

/// Computes the series and callouts from week rows of the member, task and phase dimensions
/// (rows outside the window are ignored). `current` is the client's current week.
pub fn compute(rows: &[WeekRow], current: Week, project_start: NaiveDate, first_day: chrono::Weekday, show_non_billable: bool) -> Changes {
    let first_week = week_start_of(project_start, first_day);
    let weeks: Vec<Week> =
        (1..=CHANGE_WEEKS).rev().map(|i| Week { start: add_days(current.start, -7 * i) }).filter(|w| w.start >= first_week).collect();
    let index: BTreeMap<NaiveDate, usize> = weeks.iter().enumerate().map(|(i, w)| (w.start, i)).collect();
    let mut maps: [BTreeMap<String, Vec<i64>>; 3] = Default::default();
    for r in rows {
        let slot = match r.dim {
            Dim::Task => 0,
            Dim::Phase => 1,
            Dim::Member => 2,
            Dim::All => continue,
        };
        if !(r.billable || show_non_billable) {
            continue;
        }
        let Some(&i) = index.get(&r.bucket.week_start) else { continue };
        let series = maps[slot].entry(r.dim_id.clone()).or_insert_with(|| vec![0; weeks.len()]);
        if let Some(m) = series.get_mut(i) {
            *m += r.sums.minutes;
        }
    }
    // Weekly totals from the member dimension (every entry has exactly one member).
    let totals: Vec<i64> = (0..weeks.len()).map(|i| maps[2].values().map(|s| s.get(i).copied().unwrap_or(0)).sum()).collect();
    let [tasks, phases, members] = maps.map(|m| {
        let mut v: Vec<Series> =
            m.into_iter().map(|(id, minutes)| Series { id, minutes }).filter(|s| s.minutes.iter().any(|m| *m != 0)).collect();
        v.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.id.cmp(&b.id)));
        v
    });

    let mut callouts = Vec::new();
    let n = i64::try_from(weeks.len()).unwrap_or(0);
    for (dim, list) in [(Dim::Task, &tasks), (Dim::Phase, &phases), (Dim::Member, &members)] {
        for s in list {
            let best = RECENT_SPANS
                .iter()
                .filter(|r| n - **r >= MIN_BASELINE_WEEKS)
                .filter_map(|r| {
                    let split = usize::try_from(n - r).ok()?;
                    let total_base: i64 = totals.get(..split)?.iter().sum();
                    let total_recent: i64 = totals.get(split..)?.iter().sum();
                    judge(dim, s, split, (total_base, total_recent))
                })
                .max_by(|a, b| a.contrast_cmp(b));
            callouts.extend(best);
        }
    }
    callouts.sort_by(|a, b| b.change_scaled().cmp(&a.change_scaled()).then_with(|| a.id.cmp(&b.id)));
    callouts.truncate(MAX_CALLOUTS);
    Changes { weeks, by_task: tasks, by_phase: phases, by_member: members, callouts }
}

/// The rules of the module docs for one series split at `split` (baseline | recent).
fn judge(dim: Dim, s: &Series, split: usize, (total_base, total_recent): (i64, i64)) -> Option<Callout> {
    let (base, recent) = s.minutes.split_at(split);
    let bw = i128::try_from(base.len()).ok()?;
    let rw = i128::try_from(recent.len()).ok()?;
    let b: i128 = base.iter().map(|m| i128::from(*m)).sum();
    let r: i128 = recent.iter().map(|m| i128::from(*m)).sum();
    let active = base.iter().filter(|m| **m > 0).count();
    if active < MIN_ACTIVE_BASELINE_WEEKS || b < i128::from(MIN_BASELINE_MINUTES) * bw {
        return None;
    }
    // Averages compared as r/rw vs b/bw, i.e. r·bw vs b·rw.
    let ratio = i128::from(RATIO);
    let moved = |b: i128, bw: i128| {
        let recent_scaled = r * bw;
        let base_scaled = b * rw;
        let min_change = i128::from(MIN_CHANGE_MINUTES) * rw * bw;
        let up = recent_scaled >= ratio * base_scaled && recent_scaled - base_scaled >= min_change;
        let down = base_scaled >= ratio * recent_scaled && base_scaled - recent_scaled >= min_change;
        (up, down)
    };
    // The adjacent weeks: the last `rw` baseline weeks (all of them if fewer).
    let adjacent = &base[base.len().saturating_sub(recent.len())..];
    let (adj_up, adj_down) = moved(adjacent.iter().map(|m| i128::from(*m)).sum(), i128::try_from(adjacent.len()).ok()?);
    let (up, down) = moved(b, bw);
    let (up, down) = (up && adj_up, down && adj_down);
    let direction = match dim {
        Dim::Member if up => Direction::Up,
        Dim::Member if down => Direction::Down,
        Dim::Task | Dim::Phase if up => {
            // Share: r / total_recent ≥ 3/2 · b / total_base.
            let (num, den) = SHARE_RATIO;
            if total_recent <= 0 || r * i128::from(total_base) * i128::from(den) < i128::from(num) * b * i128::from(total_recent) {
                return None;
            }
            Direction::Up
        }
        _ => return None,
    };
    Some(Callout {
        dim,
        id: s.id.clone(),
        direction,
        recent_weeks: i64::try_from(rw).ok()?,
        recent_minutes: i64::try_from(r).ok()?,
        baseline_weeks: i64::try_from(bw).ok()?,
        baseline_minutes: i64::try_from(b).ok()?,
    })
}
