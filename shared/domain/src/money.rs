//! Money and durations. Money is `rust_decimal` or integer minor units, never floating point;
//! durations are integer minutes.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code with its number of minor-unit digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency([u8; 3]);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("currency must be a three-letter ISO 4217 code such as USD or EUR")]
pub struct CurrencyError;

impl Currency {
    pub fn parse(s: &str) -> Result<Self, CurrencyError> {
        let b = s.trim().as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(CurrencyError);
        }
        Ok(Self([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase(), b[2].to_ascii_uppercase()]))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (ISO 4217), 2 unless listed.
    pub fn minor_digits(&self) -> u32 {
        match self.code() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "XPF" | "PYG" | "BIF" | "DJF" | "GNF" | "KMF" | "RWF"
            | "VUV" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
            _ => 2,
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in a currency's minor units (cents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// The amount as a decimal in major units (`1234.50`).
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits())
    }

    /// Parses a major-unit decimal string (`"48000.00"`), refusing more digits than the currency has.
    pub fn parse_major(s: &str, currency: Currency) -> Result<Self, String> {
        let d = Decimal::from_str(s.trim()).map_err(|_| format!("{s:?} is not a decimal amount"))?;
        if d.is_sign_negative() {
            return Err("must not be negative".into());
        }
        if d.scale() > currency.minor_digits() && d.normalize().scale() > currency.minor_digits() {
            return Err(format!("{} allows at most {} decimals", currency, currency.minor_digits()));
        }
        // Checked: a 29-digit amount overflows the decimal when scaled to minor units.
        let too_large = || "amount is too large".to_string();
        let scaled = d.checked_mul(Decimal::from(10i64.pow(currency.minor_digits()))).ok_or_else(too_large)?;
        let minor = scaled.trunc().try_into().map_err(|_| too_large())?;
        Ok(Self { minor, currency })
    }
}

impl fmt::Display for Money {
    /// `USD 1,234.50` — grouping with commas, the currency's own number of decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits() as usize;
        let d = self.to_decimal().abs();
        let s = format!("{:.*}", digits, d);
        let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
        let grouped = group_thousands(int);
        let sign = if self.minor < 0 { "-" } else { "" };
        if frac.is_empty() {
            write!(f, "{} {sign}{grouped}", self.currency)
        } else {
            write!(f, "{} {sign}{grouped}.{frac}", self.currency)
        }
    }
}

fn group_thousands(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An hourly rate in major units (`"120.00"` per hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HourlyRate(pub Decimal);

impl HourlyRate {
    pub fn parse(s: &str) -> Result<Self, String> {
        let d = Decimal::from_str(s.trim()).map_err(|_| format!("{s:?} is not a decimal rate"))?;
        if d.is_sign_negative() {
            return Err("rate must not be negative".into());
        }
        if d > Decimal::from(1_000_000) {
            return Err("rate is implausibly high (over 1,000,000 per hour)".into());
        }
        if d.normalize().scale() > 4 {
            return Err("rate allows at most 4 decimals".into());
        }
        Ok(Self(d))
    }

    /// What `minutes` at this rate bill, rounded half-to-even to the currency's minor unit.
    pub fn amount_for(&self, minutes: i64, currency: Currency) -> Money {
        // Checked throughout: a rate built without `parse` has no upper bound.
        let minor = self
            .0
            .checked_mul(Decimal::from(minutes))
            .map(|exact| exact / Decimal::from(60))
            .map(|exact| exact.round_dp_with_strategy(currency.minor_digits(), RoundingStrategy::MidpointNearestEven))
            .and_then(|rounded| rounded.checked_mul(Decimal::from(10i64.pow(currency.minor_digits()))))
            .and_then(|m| i64::try_from(m.trunc()).ok());
        Money { minor: minor.unwrap_or(if self.0.is_sign_negative() == (minutes < 0) { i64::MAX } else { i64::MIN }), currency }
    }
}

impl fmt::Display for HourlyRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

/// Minutes as decimal hours, rounded half-to-even to `dp` places (display and API only).
pub fn hours(minutes: i64, dp: u32) -> Decimal {
    let mut d = (Decimal::from(minutes) / Decimal::from(60)).round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    d.rescale(dp);
    d
}

/// `part / whole` as a percentage with one decimal; `None` when `whole` is not positive.
pub fn percent(part: i64, whole: i64) -> Option<Decimal> {
    if whole <= 0 {
        return None;
    }
    let mut d =
        (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp_with_strategy(1, RoundingStrategy::MidpointNearestEven);
    d.rescale(1);
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("usd").unwrap()
    }

    #[test]
    fn amounts_round_half_even_to_cents() {
        let r = HourlyRate::parse("100").unwrap();
        assert_eq!(r.amount_for(90, usd()).minor, 15_000);
        // 1 minute at 0.30/h = 0.005 → rounds to even 0.00; 3 minutes = 0.015 → 0.02.
        let r = HourlyRate::parse("0.30").unwrap();
        assert_eq!(r.amount_for(1, usd()).minor, 0);
        assert_eq!(r.amount_for(3, usd()).minor, 2);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(HourlyRate::parse("9000").unwrap().amount_for(20, jpy).minor, 3000);
    }

    #[test]
    fn money_parses_and_formats() {
        let m = Money::parse_major("48000.5", usd()).unwrap();
        assert_eq!(m.minor, 4_800_050);
        assert_eq!(m.to_string(), "USD 48,000.50");
        assert!(Money::parse_major("1.005", usd()).is_err());
        assert!(Money::parse_major("-1", usd()).is_err());
        assert_eq!(Money::new(-123456, usd()).to_string(), "USD -1,234.56");
        assert_eq!(Money::new(5, Currency::parse("JPY").unwrap()).to_string(), "JPY 5");
    }

    #[test]
    fn huge_amounts_are_refused_not_a_panic() {
        // 29 digits: parses as a decimal, overflows when scaled to cents (panicked before).
        assert_eq!(Money::parse_major("12345678901234567890123456789", usd()), Err("amount is too large".into()));
        assert!(Money::parse_major("99999999999999999999999999999", usd()).is_err());
        assert_eq!(Money::parse_major("79228162514264337593543950335", usd()), Err("amount is too large".into()));
        assert_eq!(Money::parse_major("92233720368547758.08", usd()), Err("amount is too large".into()));
        assert_eq!(Money::parse_major("92233720368547758.07", usd()).map(|m| m.minor), Ok(i64::MAX));
        assert!(Money::parse_major("1e30", usd()).is_err());
        assert!(Money::parse_major("", usd()).is_err());
        assert_eq!(HourlyRate(Decimal::MAX).amount_for(i64::MAX, usd()).minor, i64::MAX);
    }

    proptest::proptest! {
        /// No string makes the money or rate parsers panic; what parses round-trips.
        #[test]
        fn money_parsers_never_panic(s in "\\PC{0,40}", digits in "[0-9]{0,40}(\\.[0-9]{0,30})?") {
            for input in [s.as_str(), digits.as_str()] {
                if let Ok(m) = Money::parse_major(input, usd()) {
                    proptest::prop_assert!(m.minor >= 0);
                    proptest::prop_assert_eq!(Money::parse_major(&m.to_decimal().to_string(), usd()), Ok(m));
                }
                if let Ok(r) = HourlyRate::parse(input) {
                    let _ = r.amount_for(i64::MAX, usd());
                    let _ = r.amount_for(i64::MIN, usd());
                }
            }
        }
    }

    #[test]
    fn hours_and_percent() {
        assert_eq!(hours(90, 2).to_string(), "1.50");
        assert_eq!(hours(20, 2).to_string(), "0.33");
        assert_eq!(percent(85, 100).unwrap().to_string(), "85.0");
        assert_eq!(percent(1, 3).unwrap().to_string(), "33.3");
        assert_eq!(percent(1, 0), None);
    }
}
