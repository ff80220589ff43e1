//! Rollups: the pre-added sums the dashboard reads instead of raw entries.
//!
//! Two levels per project, each split by billable flag and by one *dimension* at a time:
//! - **week rollups**, keyed by [`Bucket`] (week start, month) × dimension;
//! - **total rollups**, keyed by dimension only (the project's life).
//!
//! Dimensions: everything (`all`), per member, per task, per phase (`''` stands for "none").
//! The SQL triggers in `migrations/` keep these tables current in the same transaction as the
//! entry write; [`recompute`] is the reference definition they are tested against.

use crate::calendar::Bucket;
use serde::Serialize;
use std::collections::BTreeMap;

/// Which way a rollup row slices a project's minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    All,
    Member,
    Task,
    Phase,
}

impl Dim {
    pub const ALL: [Dim; 4] = [Dim::All, Dim::Member, Dim::Task, Dim::Phase];

    pub fn as_str(&self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Member => "member",
            Dim::Task => "task",
            Dim::Phase => "phase",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Minutes, billed amount and entry count added up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sums {
    pub minutes: i64,
    pub amount_minor: i64,
    pub entries: i64,
}

impl Sums {
    pub fn add(&mut self, other: &Sums) {
        self.minutes += other.minutes;
        self.amount_minor += other.amount_minor;
        self.entries += other.entries;
    }
    pub fn sub(&mut self, other: &Sums) {
        self.minutes -= other.minutes;
        self.amount_minor -= other.amount_minor;
        self.entries -= other.entries;
    }
}

/// One row of the week rollup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeekRow {
    pub bucket: Bucket,
    pub dim: Dim,
    /// Member, task or phase id; empty for `Dim::All` and for "no task/phase".
    pub dim_id: String,
    pub billable: bool,
    pub sums: Sums,
}

/// One row of the total rollup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotalRow {
    pub dim: Dim,
    pub dim_id: String,
    pub billable: bool,
    pub sums: Sums,
}

/// The facts of one stored entry that rollups depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryFacts {
    pub bucket: Bucket,
    pub member_id: String,
    pub task_id: Option<String>,
    pub phase_id: Option<String>,
    pub billable: bool,
    pub minutes: i64,
    pub amount_minor: i64,
}

pub type WeekKey = (Bucket, Dim, String, bool);
pub type TotalKey = (Dim, String, bool);

/// Reference rollups of a project's entries (rows with zero entries are absent).
pub fn recompute<'a>(entries: impl IntoIterator<Item = &'a EntryFacts>) -> (BTreeMap<WeekKey, Sums>, BTreeMap<TotalKey, Sums>) {
    let mut weeks: BTreeMap<WeekKey, Sums> = BTreeMap::new();
    let mut totals: BTreeMap<TotalKey, Sums> = BTreeMap::new();
    for e in entries {
        let s = Sums { minutes: e.minutes, amount_minor: e.amount_minor, entries: 1 };
        for (dim, id) in [
            (Dim::All, String::new()),
            (Dim::Member, e.member_id.clone()),
            (Dim::Task, e.task_id.clone().unwrap_or_default()),
            (Dim::Phase, e.phase_id.clone().unwrap_or_default()),
        ] {
            weeks.entry((e.bucket, dim, id.clone(), e.billable)).or_default().add(&s);
            totals.entry((dim, id, e.billable)).or_default().add(&s);
        }
    }
    (weeks, totals)
}
