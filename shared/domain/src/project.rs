//! Projects and their budgets.

use crate::calendar::{month_end_of, month_start_of};
use crate::ids::{ClientId, ProjectId};
use crate::money::{Currency, HourlyRate};
use chrono::NaiveDate;
use serde::Serialize;

/// Fixed: one budget for the project's life. Monthly: a retainer that resets each calendar month
/// of the client's local dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    Fixed,
    Monthly,
}

impl BudgetPeriod {
    pub fn as_str(&self) -> &'static str {
        match self {
            BudgetPeriod::Fixed => "fixed",
            BudgetPeriod::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "fixed" => Ok(Self::Fixed),
            "monthly" => Ok(Self::Monthly),
            o => Err(format!("{o:?} is not one of: fixed, monthly")),
        }
    }
}

/// A budget in hours, money or both (per period). Hours are held as minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub period: BudgetPeriod,
    pub minutes: Option<i64>,
    pub amount_minor: Option<i64>,
    /// Whether non-billable minutes consume the budget (default: only billable time does).
    pub includes_non_billable: bool,
}

/// Largest hours budget (per period) accepted from staff input.
pub const MAX_BUDGET_HOURS: i64 = 1_000_000;

impl Budget {
    /// Parses an hours budget as staff type it (`"120"`, `"37.5"`, `"0.25"`) into minutes.
    /// Refuses zero, negatives, more than [`MAX_BUDGET_HOURS`] and fractions of a minute.
    pub fn parse_hours(s: &str) -> Result<i64, String> {
        use rust_decimal::Decimal;
        let d: Decimal = s.trim().parse().map_err(|_| format!("{:?} is not a number of hours", s.trim()))?;
        if d <= Decimal::ZERO {
            return Err("must be more than zero hours".into());
        }
        if d > Decimal::from(MAX_BUDGET_HOURS) {
            return Err(format!("must be at most {MAX_BUDGET_HOURS} hours"));
        }
        let minutes = d * Decimal::from(60);
        if !minutes.fract().is_zero() {
            return Err("must come to whole minutes (for example 37.5 or 12.25 hours)".into());
        }
        i64::try_from(minutes).map_err(|_| "is too large".to_string())
    }
}

/// Alert/status thresholds in percent of budget, ascending, distinct, 1..=500. Empty means
/// "no alerts" (status still turns "over budget" at 100 %).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Thresholds(Vec<u16>);

impl Default for Thresholds {
    fn default() -> Self {
        Self(vec![75, 90, 100])
    }
}

impl Thresholds {
    pub fn new(mut values: Vec<u16>) -> Result<Self, String> {
        if values.iter().any(|v| *v == 0 || *v > 500) {
            return Err("thresholds are percentages between 1 and 500".into());
        }
        values.sort_unstable();
        values.dedup();
        Ok(Self(values))
    }

    /// Parses the stored form `75,90,100`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Ok(Self(Vec::new()));
        }
        let values = s
            .split(',')
            .map(|p| p.trim().parse::<u16>().map_err(|_| format!("{p:?} is not a whole percentage")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(values)
    }

    pub fn values(&self) -> &[u16] {
        &self.0
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
    }
}

/// A project as the domain needs it (no presentation, no storage details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub client_id: ClientId,
    pub name: String,
    pub currency: Currency,
    pub budget: Option<Budget>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub default_rate: Option<HourlyRate>,
    pub thresholds: Thresholds,
}

/// The local dates a budget figure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    /// Inclusive; `None` for an open-ended fixed budget.
    pub end: Option<NaiveDate>,
}

impl Project {
    /// The budget period containing `today`: the calendar month for a retainer, the project's
    /// whole life otherwise.
    pub fn period_on(&self, today: NaiveDate) -> Period {
        match self.budget.map(|b| b.period) {
            Some(BudgetPeriod::Monthly) => Period { start: month_start_of(today), end: Some(month_end_of(today)) },
            _ => Period { start: self.starts_on, end: self.ends_on },
        }
    }

    pub fn is_monthly(&self) -> bool {
        matches!(self.budget.map(|b| b.period), Some(BudgetPeriod::Monthly))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_sort_dedup_and_validate() {
        assert_eq!(Thresholds::parse("100, 75,90,75").unwrap().values(), &[75, 90, 100]);
        assert!(Thresholds::parse("").unwrap().values().is_empty());
        assert!(Thresholds::parse("0").is_err());
        assert!(Thresholds::parse("50,abc").is_err());
        assert_eq!(Thresholds::default().to_stored(), "75,90,100");
    }

    #[test]
    fn budget_hours_parse_to_whole_minutes() {
        assert_eq!(Budget::parse_hours("10"), Ok(600));
        assert_eq!(Budget::parse_hours(" 37.5 "), Ok(2250));
        assert_eq!(Budget::parse_hours("0.25"), Ok(15));
        assert_eq!(Budget::parse_hours("1000000"), Ok(60_000_000));
        for bad in ["", "abc", "0", "-1", "1.001", "1000000.5"] {
            assert!(Budget::parse_hours(bad).is_err(), "{bad}");
        }
    }
}
