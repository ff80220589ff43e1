//! Money a client may see, as types only this module can make.
//!
//! With rates hidden, any amount next to the hours it paid for gives the rate away (one
//! 60-minute entry shown as "USD 142.42" *is* the rate). So money comes in two kinds, and no
//! client type has a plain `String` (or number) for an amount or a rate:
//!
//! - [`RowMoney`]: money below the budget level — a timesheet row's amount and rate, a week's
//!   total. Only [`MoneyPolicy::row`] and [`MoneyPolicy::rate`] make one, and only when the
//!   client's rates are `Shown`. With rates hidden the projection *cannot* put money per row,
//!   week, member, task or phase: there is no value to put there.
//! - [`BudgetAmount`]: money at the budget level — allocated, used, remaining, over by, for the
//!   budget's period. Only [`MoneyPolicy::budget`] makes one, and only when the client's
//!   budget-money setting is `Amounts` (even budget money ÷ budget hours gives the blended
//!   rate, so the provider may show percentages only).
//!
//! The fields are private, so nothing outside this module can wrap a string as client money;
//! `tidy_no_plain_money_fields` below fails if a client type declares an amount or rate field of
//! another type.

use crate::money::{Currency, HourlyRate, Money};
use crate::settings::{BudgetMoney, RatesVisibility, Visibility};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// Money below the budget level (a row, a week); exists only when rates are shown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RowMoney(String);

/// Money at the budget level; exists only when budget amounts are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct BudgetAmount(String);

impl RowMoney {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl BudgetAmount {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RowMoney {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for BudgetAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What money one client may see, decided once from its visibility settings.
#[derive(Clone, Copy, Debug)]
pub struct MoneyPolicy {
    rates_shown: bool,
    budget_amounts: bool,
    currency: Currency,
}

impl MoneyPolicy {
    pub fn of(visibility: &Visibility, currency: Currency) -> Self {
        Self {
            rates_shown: visibility.rates == RatesVisibility::Shown,
            budget_amounts: visibility.budget_money == BudgetMoney::Amounts,
            currency,
        }
    }

    pub fn rates_shown(&self) -> bool {
        self.rates_shown
    }

    pub fn budget_amounts(&self) -> bool {
        self.budget_amounts
    }

    /// A row's or week's amount: `None` unless rates are shown.
    pub fn row(&self, minor: i64) -> Option<RowMoney> {
        self.rates_shown.then(|| RowMoney(Money::new(minor, self.currency).to_string()))
    }

    /// An hourly rate (`USD 150.00`; more decimals only when the rate has them): `None` unless
    /// rates are shown.
    pub fn rate(&self, rate: HourlyRate) -> Option<RowMoney> {
        self.rates_shown.then(|| RowMoney(rate_text(rate, self.currency)))
    }

    /// A budget-level amount: `None` unless budget amounts are shown.
    pub fn budget(&self, minor: i64) -> Option<BudgetAmount> {
        self.budget_amounts.then(|| BudgetAmount(Money::new(minor, self.currency).to_string()))
    }
}

/// An hourly rate as money: `USD 150.00` (more decimals only when the rate has them).
fn rate_text(rate: HourlyRate, currency: Currency) -> String {
    let minor = rate.0.checked_mul(Decimal::from(10i64.pow(currency.minor_digits())));
    match minor.and_then(|m| if m.fract().is_zero() { i64::try_from(m).ok() } else { None }) {
        Some(m) => Money::new(m, currency).to_string(),
        None => format!("{currency} {}", rate.0.normalize()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::RatesVisibility;

    fn policy(rates: RatesVisibility, budget_money: BudgetMoney) -> MoneyPolicy {
        MoneyPolicy::of(
            &Visibility { rates, budget_money, ..Visibility::default() },
            Currency::parse("USD").unwrap_or_else(|_| unreachable!()),
        )
    }

    #[test]
    fn row_money_only_with_rates_shown_budget_money_only_with_amounts() {
        for rates in RatesVisibility::ALL {
            for bm in BudgetMoney::ALL {
                let p = policy(*rates, *bm);
                assert_eq!(p.row(14_242).is_some(), *rates == RatesVisibility::Shown);
                assert_eq!(p.rate(HourlyRate::parse("142.42").unwrap()).is_some(), *rates == RatesVisibility::Shown);
                assert_eq!(p.budget(14_242).is_some(), *bm == BudgetMoney::Amounts);
            }
        }
        let p = policy(RatesVisibility::Shown, BudgetMoney::Amounts);
        assert_eq!(p.row(14_242).unwrap().as_str(), "USD 142.42");
        assert_eq!(p.rate(HourlyRate::parse("80.125").unwrap()).unwrap().as_str(), "USD 80.125");
        assert_eq!(serde_json::to_string(&p.budget(100).unwrap()).unwrap(), "\"USD 1.00\"");
    }

    /// Tidy: every field of a `Client*` type named like an amount or a rate holds [`RowMoney`]
    /// or [`BudgetAmount`], never a plain string or number that could carry money past the
    /// policy. (Internal records such as `EntryRecord` hold raw amounts; the projection
    /// destructures them and they are never serialized to a client.)
    #[test]
    fn tidy_no_plain_money_fields() {
        let sources =
            [("mod.rs", include_str!("mod.rs")), ("entries.rs", include_str!("entries.rs")), ("notes.rs", include_str!("notes.rs"))];
        let mut checked = 0;
        for (file, src) in sources {
            let mut in_client_type = false;
            for (n, line) in src.lines().enumerate() {
                let t = line.trim();
                if let Some(rest) = t.strip_prefix("pub struct ") {
                    in_client_type = rest.starts_with("Client");
                    continue;
                }
                if t == "}" {
                    in_client_type = false;
                }
                let Some((name, ty)) = t.strip_prefix("pub ").and_then(|r| r.split_once(':')) else { continue };
                let name = name.trim();
                if !in_client_type || name.contains(' ') || name.starts_with("percent") {
                    continue;
                }
                if name.contains("amount") || name == "rate" || name.ends_with("_rate") {
                    checked += 1;
                    assert!(
                        ty.contains("RowMoney") || ty.contains("BudgetAmount"),
                        "{file}:{}: `{t}` — client money must be RowMoney or BudgetAmount",
                        n + 1
                    );
                }
            }
        }
        assert!(checked >= 6, "the tidy check found only {checked} money fields: has the layout changed?");
    }
}
