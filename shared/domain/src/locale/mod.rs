//! Locale-aware formatting of numbers, money, dates and times for every client surface.
//!
//! A client's `locale` setting (empty = derived from the time zone's country, see
//! [`Locale::resolve`]) picks one of the supported locales below; every client page and e-mail
//! formats through a [`Locale`], so "1,000.50" in New York is "1.000,50" in Berlin.
//!
//! **Where the patterns come from.** The CLDR data of the supported locales (separators,
//! grouping, minus sign, percent and currency patterns, currency symbols, abbreviated month
//! names, day-month / date / short time patterns, AM/PM) is generated into `data.rs` by
//! `scripts/gen-locale-data.mjs` from the ICU/CLDR that ships with Node (`Intl`). ICU4X with
//! compiled data would carry every CLDR locale into the worker (its `icu_decimal` +
//! `icu_datetime` baked data alone is several hundred KB of wasm, and currency formatting is
//! still in `icu_experimental`); these nine locales cost ~14 KB of source and a few KB of wasm.
//! Supported: en-US, en-GB, en-AU, de-DE, fr-FR, nl-NL, sv-SE, es-ES, ja-JP. Adding one is a
//! line in the generator.
//!
//! Rules applied here (CLDR's): grouping by threes with the locale's minimum grouping digits
//! (es-ES: "1000" but "10.000"); currency symbol position and spacing from the locale's currency
//! pattern, with CLDR's currency spacing (a no-break space between a letter symbol such as
//! "USD" and the digits); minor units from ISO 4217 (`Currency::minor_digits`: JPY has none);
//! the currency's code where the locale has no symbol for it. Words stay English.

#[rustfmt::skip]
mod data;

use crate::money::{Currency, Money};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

pub use data::CLDR_VERSION;

/// One piece of a date or time pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Day,
    Month,
    Year,
    Hour12,
    Hour24,
    Hour24Pad,
    Minute,
    DayPeriod,
    Lit(&'static str),
}

/// One piece of a currency pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CTok {
    Sym,
    Num,
    Minus,
    Lit(&'static str),
}

/// The CLDR facts of one locale (generated, see the module docs).
#[derive(Debug, PartialEq, Eq)]
pub struct LocaleData {
    pub tag: &'static str,
    pub decimal: &'static str,
    pub group: &'static str,
    pub minus: &'static str,
    pub min_grouping: u8,
    pub percent_prefix: &'static str,
    pub percent_suffix: &'static str,
    pub currency_positive: &'static [CTok],
    pub currency_negative: &'static [CTok],
    pub currency_symbols: &'static [(&'static str, &'static str)],
    pub months_day_month: [&'static str; 12],
    pub day_month: &'static [Tok],
    pub months_date: [&'static str; 12],
    pub date: &'static [Tok],
    pub time: &'static [Tok],
    pub am_pm: [&'static str; 2],
}

/// A supported locale. Serialises as its BCP 47 tag (`"de-DE"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locale(&'static LocaleData);

impl Serialize for Locale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self::en_us()
    }
}

impl Locale {
    fn en_us() -> Self {
        Self::en_us_const()
    }

    /// en-US, usable in constants (data.rs lists it first).
    pub const fn en_us_const() -> Self {
        Locale(&data::LOCALES[0])
    }

    /// Every supported locale, in the generator's order.
    pub fn all() -> impl Iterator<Item = Locale> {
        data::LOCALES.iter().map(Locale)
    }

    /// A supported tag (`de-DE`; case and `_` tolerated). The error names the choices.
    pub fn parse(tag: &str) -> Result<Locale, String> {
        let want = tag.trim().replace('_', "-");
        Locale::all().find(|l| l.tag().eq_ignore_ascii_case(&want)).ok_or_else(|| {
            format!("{tag:?} is not a supported locale; choose one of: {}", Locale::all().map(|l| l.tag()).collect::<Vec<_>>().join(", "))
        })
    }

    /// The locale of the country a tz database zone lies in; en-US when that country has no
    /// supported locale (the formats every client had before locales existed).
    pub fn for_time_zone(tz: &str) -> Locale {
        data::ZONE_LOCALES
            .binary_search_by(|(z, _)| z.cmp(&tz))
            .ok()
            .and_then(|i| data::ZONE_LOCALES.get(i))
            .and_then(|(_, tag)| Locale::parse(tag).ok())
            .unwrap_or_default()
    }

    /// The client's setting: a tag, or empty for "derive from the time zone". An unknown stored
    /// tag falls back to the derived one (never an error on a page).
    pub fn resolve(setting: &str, tz: &str) -> Locale {
        if setting.trim().is_empty() {
            return Locale::for_time_zone(tz);
        }
        Locale::parse(setting).unwrap_or_else(|_| Locale::for_time_zone(tz))
    }

    pub fn tag(&self) -> &'static str {
        self.0.tag
    }

    /// The locale's name for settings forms.
    pub fn display_name(&self) -> &'static str {
        match self.tag() {
            "en-US" => "English (United States)",
            "en-GB" => "English (United Kingdom)",
            "en-AU" => "English (Australia)",
            "de-DE" => "Deutsch (Deutschland)",
            "fr-FR" => "Français (France)",
            "nl-NL" => "Nederlands (Nederland)",
            "sv-SE" => "Svenska (Sverige)",
            "es-ES" => "Español (España)",
            "ja-JP" => "日本語 (日本)",
            other => other,
        }
    }

    /// A decimal rounded (half away from zero, as CLDR) to `places`, with the locale's
    /// separators and grouping: `1.000,50`.
    pub fn number(&self, value: Decimal, places: u32) -> String {
        let mut v = value.round_dp(places);
        v.rescale(places);
        let negative = v.is_sign_negative() && !v.is_zero();
        let text = v.abs().to_string();
        let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let mut out = String::new();
        if negative {
            out.push_str(self.0.minus);
        }
        out.push_str(&self.group(int));
        if !frac.is_empty() {
            out.push_str(self.0.decimal);
            out.push_str(frac);
        }
        out
    }

    /// An integer with grouping: `12.345`.
    pub fn integer(&self, n: i64) -> String {
        self.number(Decimal::from(n), 0)
    }

    fn group(&self, int: &str) -> String {
        let digits: Vec<char> = int.chars().collect();
        let n = digits.len();
        if n < 4 || n < 3 + usize::from(self.0.min_grouping) {
            return int.to_string();
        }
        let mut out = String::with_capacity(n + n / 3 * 3);
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (n - i).is_multiple_of(3) {
                out.push_str(self.0.group);
            }
            out.push(*c);
        }
        out
    }

    /// Hours with two decimals and the unit: `1,000.50 h`.
    pub fn hours(&self, hours: Decimal) -> String {
        format!("{}\u{a0}h", self.number(hours, 2))
    }

    /// Minutes as hours with `places` decimals, without the unit.
    pub fn hours_of_minutes(&self, minutes: i64, places: u32) -> String {
        self.number(Decimal::from(minutes) / Decimal::from(60), places)
    }

    /// A percentage already × 100 with one decimal: `85.0%`, `85,0 %`.
    pub fn percent(&self, p: Decimal) -> String {
        self.percent_places(p, 1)
    }

    /// A percentage already × 100 with `places` decimals: `25%` (0 places).
    pub fn percent_places(&self, p: Decimal, places: u32) -> String {
        format!("{}{}{}", self.0.percent_prefix, self.number(p, places), self.0.percent_suffix)
    }

    /// The symbol this locale uses for a currency (its code when CLDR has none).
    pub fn currency_symbol(&self, c: Currency) -> String {
        self.0.currency_symbols.iter().find(|(code, _)| *code == c.code()).map_or_else(|| c.code().to_string(), |(_, s)| (*s).to_string())
    }

    /// An amount with the locale's currency pattern and the currency's minor units:
    /// `$1,000.50`, `1.000,50 €`, `¥1,000`, `USD 1,000.50` (en-AU).
    pub fn money(&self, m: Money) -> String {
        let symbol = self.currency_symbol(m.currency);
        let number = self.number(m.to_decimal().abs(), m.currency.minor_digits());
        let pattern = if m.minor < 0 { self.0.currency_negative } else { self.0.currency_positive };
        let mut out = String::new();
        for (i, t) in pattern.iter().enumerate() {
            match t {
                CTok::Sym => {
                    // CLDR currency spacing: a letter next to the digits gets a no-break space.
                    let next_is_num = matches!(pattern.get(i + 1), Some(CTok::Num | CTok::Minus));
                    let prev_is_num = i > 0 && matches!(pattern.get(i - 1), Some(CTok::Num));
                    if prev_is_num && symbol.chars().next().is_some_and(char::is_alphabetic) {
                        out.push('\u{a0}');
                    }
                    out.push_str(&symbol);
                    if next_is_num && symbol.chars().last().is_some_and(char::is_alphabetic) {
                        out.push('\u{a0}');
                    }
                }
                CTok::Num => out.push_str(&number),
                CTok::Minus => out.push_str(self.0.minus),
                CTok::Lit(s) => out.push_str(s),
            }
        }
        out
    }

    /// Minor units of a currency, formatted.
    pub fn money_minor(&self, minor: i64, currency: Currency) -> String {
        self.money(Money::new(minor, currency))
    }

    fn render(&self, pattern: &[Tok], months: &[&str; 12], d: NaiveDate, hm: Option<(u32, u32)>) -> String {
        let mut out = String::new();
        for t in pattern {
            match t {
                Tok::Day => out.push_str(&d.day().to_string()),
                Tok::Month => out.push_str(months.get(d.month0() as usize).copied().unwrap_or("")),
                Tok::Year => out.push_str(&d.year().to_string()),
                Tok::Hour12 => {
                    let h = hm.map_or(0, |(h, _)| h) % 12;
                    out.push_str(&(if h == 0 { 12 } else { h }).to_string());
                }
                Tok::Hour24 => out.push_str(&hm.map_or(0, |(h, _)| h).to_string()),
                Tok::Hour24Pad => out.push_str(&format!("{:02}", hm.map_or(0, |(h, _)| h))),
                Tok::Minute => out.push_str(&format!("{:02}", hm.map_or(0, |(_, m)| m))),
                Tok::DayPeriod => out.push_str(self.0.am_pm[usize::from(hm.is_some_and(|(h, _)| h >= 12))]),
                Tok::Lit(s) => out.push_str(s),
            }
        }
        out
    }

    /// Day and abbreviated month: `Nov 23`, `23 Nov`, `23. Nov.`, `11月23日`.
    pub fn day_month(&self, d: NaiveDate) -> String {
        self.render(self.0.day_month, &self.0.months_day_month, d, None)
    }

    /// A date with the year: `Nov 23, 2026`, `23. Nov. 2026`, `2026年11月23日`.
    pub fn date(&self, d: NaiveDate) -> String {
        self.render(self.0.date, &self.0.months_date, d, None)
    }

    /// Two dates joined by an en dash, the year only at the end when both share it:
    /// `Nov 23 – Nov 29`, `23. Nov. – 29. Nov. 2026` (with `with_year`).
    pub fn date_range(&self, from: NaiveDate, to: NaiveDate, with_year: bool) -> String {
        if !with_year {
            return format!("{} – {}", self.day_month(from), self.day_month(to));
        }
        if from.year() == to.year() {
            format!("{} – {}", self.day_month(from), self.date(to))
        } else {
            format!("{} – {}", self.date(from), self.date(to))
        }
    }

    /// A time of day in the locale's short pattern: `3:51 PM`, `15:51`.
    pub fn time(&self, hour: u32, minute: u32) -> String {
        self.render(self.0.time, &self.0.months_date, NaiveDate::MIN, Some((hour, minute)))
    }

    /// An instant in the client's time zone: `Nov 23, 2026, 3:51 PM EST`, `24. Nov. 2026, 07:51 AEDT`.
    pub fn date_time_in(&self, t: DateTime<Utc>, tz: Tz) -> String {
        let local = tz.from_utc_datetime(&t.naive_utc());
        format!("{}, {} {}", self.date(local.date_naive()), self.time(local.hour(), local.minute()), local.format("%Z"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(tag: &str) -> Locale {
        Locale::parse(tag).unwrap()
    }
    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }
    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    const NB: char = '\u{a0}';

    #[test]
    fn money_follows_each_locales_pattern() {
        assert_eq!(l("de-DE").money(Money::new(100_050, cur("EUR"))), format!("1.000,50{NB}€"));
        assert_eq!(l("en-US").money(Money::new(100_050, cur("USD"))), "$1,000.50");
        assert_eq!(l("en-US").money(Money::new(-100_050, cur("USD"))), "-$1,000.50");
        assert_eq!(l("en-GB").money(Money::new(100_050, cur("USD"))), "US$1,000.50");
        assert_eq!(l("en-AU").money(Money::new(18_000_000, cur("AUD"))), "$180,000.00");
        // A letter symbol gets CLDR's currency spacing.
        assert_eq!(l("en-AU").money(Money::new(100_050, cur("USD"))), format!("USD{NB}1,000.50"));
        assert_eq!(l("fr-FR").money(Money::new(6_565_750, cur("EUR"))), format!("65\u{202f}657,50{NB}€"));
        assert_eq!(l("nl-NL").money(Money::new(-100_050, cur("EUR"))), format!("€{NB}-1.000,50"));
        assert_eq!(l("sv-SE").money(Money::new(100_050, cur("SEK"))), format!("1{NB}000,50{NB}kr"));
        // JPY has no minor units: 1000 yen is 1000 minor units, no decimals.
        assert_eq!(l("ja-JP").money(Money::new(1000, cur("JPY"))), "￥1,000");
        assert_eq!(l("en-US").money(Money::new(123_456, cur("JPY"))), "¥123,456");
        assert_eq!(l("de-DE").money(Money::new(1000, cur("JPY"))), format!("1.000{NB}¥"));
        // A currency without a symbol in the locale shows its code.
        assert_eq!(l("de-DE").money(Money::new(1000, cur("CHF"))), format!("10,00{NB}CHF"));
    }

    #[test]
    fn numbers_group_and_separate() {
        assert_eq!(l("en-US").number(dec("1000"), 2), "1,000.00");
        assert_eq!(l("de-DE").number(dec("1234567.891"), 2), "1.234.567,89");
        assert_eq!(l("es-ES").number(dec("1000"), 0), "1000");
        assert_eq!(l("es-ES").number(dec("10000"), 0), "10.000");
        assert_eq!(l("sv-SE").number(dec("-2.5"), 1), "\u{2212}2,5");
        assert_eq!(l("en-US").hours(dec("1000")), format!("1,000.00{NB}h"));
        assert_eq!(l("de-DE").percent(dec("85")), format!("85,0{NB}%"));
        assert_eq!(l("en-US").percent(dec("85.04")), "85.0%");
        assert_eq!(l("en-US").integer(-1234), "-1,234");
    }

    #[test]
    fn dates_and_times() {
        let nov23 = d(2026, 11, 23);
        assert_eq!(l("en-US").day_month(nov23), "Nov 23");
        assert_eq!(l("en-GB").day_month(nov23), "23 Nov");
        assert_eq!(l("de-DE").day_month(nov23), "23. Nov.");
        assert_eq!(l("en-US").date(d(2026, 12, 19)), "Dec 19, 2026");
        assert_eq!(l("de-DE").date(d(2026, 3, 5)), "5. März 2026");
        assert_eq!(l("en-AU").date(nov23), "23 Nov 2026");
        assert_eq!(l("fr-FR").date(d(2026, 2, 1)), "1 févr. 2026");
        assert_eq!(l("ja-JP").date(nov23), "2026年11月23日");
        assert_eq!(l("en-US").date_range(nov23, d(2026, 11, 29), false), "Nov 23 – Nov 29");
        assert_eq!(l("de-DE").date_range(nov23, d(2026, 11, 29), true), "23. Nov. – 29. Nov. 2026");
        assert_eq!(l("en-US").time(15, 51), "3:51\u{202f}PM");
        assert_eq!(l("en-US").time(0, 5), "12:05\u{202f}AM");
        assert_eq!(l("en-GB").time(9, 5), "09:05");
        assert_eq!(l("de-DE").time(15, 51), "15:51");
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 15, 51, 0).unwrap();
        // Sydney's today is already tomorrow.
        assert_eq!(l("en-AU").date_time_in(t, chrono_tz::Australia::Sydney), "28 Nov 2026, 2:51\u{202f}am AEDT");
        assert_eq!(l("de-DE").date_time_in(t, chrono_tz::Europe::Berlin), "27. Nov. 2026, 16:51 CET");
    }

    #[test]
    fn defaults_come_from_the_time_zone() {
        assert_eq!(Locale::for_time_zone("Europe/Berlin").tag(), "de-DE");
        assert_eq!(Locale::for_time_zone("Australia/Sydney").tag(), "en-AU");
        assert_eq!(Locale::for_time_zone("America/New_York").tag(), "en-US");
        assert_eq!(Locale::for_time_zone("Europe/London").tag(), "en-GB");
        assert_eq!(Locale::for_time_zone("Asia/Tokyo").tag(), "ja-JP");
        assert_eq!(Locale::for_time_zone("Atlantic/Canary").tag(), "es-ES");
        assert_eq!(Locale::for_time_zone("Africa/Nairobi").tag(), "en-US");
        assert_eq!(Locale::resolve("", "Europe/Paris").tag(), "fr-FR");
        assert_eq!(Locale::resolve("en-GB", "Europe/Paris").tag(), "en-GB");
        assert_eq!(Locale::resolve("xx-YY", "Europe/Paris").tag(), "fr-FR");
        assert_eq!(Locale::parse("de_de").unwrap().tag(), "de-DE");
        let err = Locale::parse("klingon").unwrap_err();
        assert!(err.contains("en-GB") && err.contains("ja-JP"), "{err}");
        assert!(serde_json::to_string(&l("sv-SE")).unwrap() == "\"sv-SE\"");
    }
}
