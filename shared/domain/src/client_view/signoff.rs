//! Weekly sign-off as the client sees it (issue 15).
//!
//! Rules (tested below and in `tests/signoff.test.mjs`):
//! 1. **What is approved is what the contact saw**: the week's timesheet rows and totals as the
//!    one projection makes them (`client_view::entries`), under the client's visibility at that
//!    moment. [`lines_hash`] is the SHA-256 of their canonical JSON; the totals are stored next
//!    to it. The amount is stored only when the contact saw amounts (rates shown) and shown only
//!    while rates are shown.
//! 2. **Changed since approval**: a later change to a client-visible field of an entry dated in
//!    an approved week marks the approval changed in the same transaction (triggers in
//!    migration 0020); the week then reads "changed since approval" on both sides until it is
//!    approved again.
//! 3. Only complete weeks (ended before the client's today) can be approved.

use super::entries::{ClientEntryRow, ClientEntryTotals};
use super::{MoneyPolicy, RowMoney};
use crate::money::hours;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// SHA-256 (hex) of the rows and totals as the contact saw them (rule 1).
pub fn lines_hash(rows: &[ClientEntryRow], totals: &ClientEntryTotals) -> String {
    #[derive(Serialize)]
    struct Seen<'a> {
        rows: &'a [ClientEntryRow],
        totals: &'a ClientEntryTotals,
    }
    let json = serde_json::to_string(&Seen { rows, totals }).unwrap_or_default();
    Sha256::digest(json.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignoffRecord {
    pub id: String,
    pub project_id: String,
    pub project_name: String,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    pub contact_name: String,
    pub approved_at: String,
    pub minutes: i64,
    pub billable_minutes: i64,
    pub rows: i64,
    pub amount_minor: Option<i64>,
    pub lines_hash: String,
    pub changed_at: Option<String>,
}

/// A week's sign-off state as the client (and staff) see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientSignoff {
    pub project_id: String,
    pub project_name: String,
    pub week_start: NaiveDate,
    pub week_end: NaiveDate,
    /// `approved`, `changed` (changed since approval) or `open` (not approved).
    pub state: &'static str,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub hours: Option<Decimal>,
    pub billable_hours: Option<Decimal>,
    pub rows: Option<i64>,
    /// Only while the client's rates are shown.
    pub amount: Option<RowMoney>,
    pub lines_hash: Option<String>,
    /// The hash's first 12 hex digits, as invoices print it.
    pub hash_prefix: Option<String>,
    pub changed_at: Option<String>,
}

/// How many hex digits of the lines hash invoices show.
pub const HASH_PREFIX: usize = 12;

/// The state of each week (newest approval per week wins; `records` newest first).
pub fn project_signoffs(
    project_id: &str,
    project_name: &str,
    weeks: &[(NaiveDate, NaiveDate)],
    records: &[SignoffRecord],
    pay: &MoneyPolicy,
) -> Vec<ClientSignoff> {
    weeks
        .iter()
        .map(|(start, end)| match records.iter().find(|r| r.project_id == project_id && r.week_start == *start) {
            Some(r) => signoff(r, pay),
            None => ClientSignoff {
                project_id: project_id.to_string(),
                project_name: project_name.to_string(),
                week_start: *start,
                week_end: *end,
                state: "open",
                approved_by: None,
                approved_at: None,
                hours: None,
                billable_hours: None,
                rows: None,
                amount: None,
                lines_hash: None,
                hash_prefix: None,
                changed_at: None,
            },
        })
        .collect()
}

/// One approval as shown (rules 1 and 2).
pub fn signoff(r: &SignoffRecord, pay: &MoneyPolicy) -> ClientSignoff {
    let SignoffRecord {
        id: _,
        project_id,
        project_name,
        week_start,
        week_end,
        contact_name,
        approved_at,
        minutes,
        billable_minutes,
        rows,
        amount_minor,
        lines_hash,
        changed_at,
    } = r;
    ClientSignoff {
        project_id: project_id.clone(),
        project_name: project_name.clone(),
        week_start: *week_start,
        week_end: *week_end,
        state: if changed_at.is_some() { "changed" } else { "approved" },
        approved_by: Some(contact_name.clone()),
        approved_at: Some(approved_at.clone()),
        hours: Some(hours(*minutes, 2)),
        billable_hours: Some(hours(*billable_minutes, 2)),
        rows: Some(*rows),
        amount: amount_minor.and_then(|m| pay.row(m)),
        lines_hash: Some(lines_hash.clone()),
        hash_prefix: Some(lines_hash.chars().take(HASH_PREFIX).collect()),
        changed_at: changed_at.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::settings::{RatesVisibility, Visibility};

    fn row(minutes: i64) -> ClientEntryRow {
        ClientEntryRow {
            date: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            project: "Website".into(),
            member: "Team member A".into(),
            task: "Development".into(),
            phase: "Build".into(),
            description: "Cart".into(),
            entries: 1,
            billable: true,
            hours: hours(minutes, 2),
            minutes,
            rate: None,
            amount: None,
        }
    }

    fn totals(minutes: i64) -> ClientEntryTotals {
        ClientEntryTotals {
            minutes,
            hours: hours(minutes, 2),
            billable_minutes: minutes,
            billable_hours: hours(minutes, 2),
            amount: None,
            entries: 1,
            rows: 1,
        }
    }

    #[test]
    fn the_hash_follows_every_visible_change() {
        let a = lines_hash(&[row(180)], &totals(180));
        assert_eq!(a.len(), 64);
        assert_eq!(a, lines_hash(&[row(180)], &totals(180)));
        assert_ne!(a, lines_hash(&[row(181)], &totals(181)));
        let mut r = row(180);
        r.description = "Cart page".into();
        assert_ne!(a, lines_hash(&[r], &totals(180)));
    }

    #[test]
    fn states_and_money() {
        let rec = SignoffRecord {
            id: "so_1".into(),
            project_id: "prj_a".into(),
            project_name: "Website".into(),
            week_start: NaiveDate::from_ymd_opt(2026, 11, 9).unwrap(),
            week_end: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
            contact_name: "April".into(),
            approved_at: "t".into(),
            minutes: 180,
            billable_minutes: 180,
            rows: 1,
            amount_minor: Some(30_000),
            lines_hash: "h".into(),
            changed_at: None,
        };
        let usd = Currency::parse("USD").unwrap();
        let hidden = MoneyPolicy::of(&Visibility::default(), usd);
        let shown = MoneyPolicy::of(&Visibility { rates: RatesVisibility::Shown, ..Visibility::default() }, usd);
        let weeks = [
            (rec.week_start, rec.week_end),
            (NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()),
        ];
        let s = project_signoffs("prj_a", "Website", &weeks, std::slice::from_ref(&rec), &hidden);
        assert_eq!((s[0].state, s[1].state), ("approved", "open"));
        assert!(s[0].amount.is_none());
        assert!(signoff(&rec, &shown).amount.is_some());
        assert_eq!((s[0].project_name.as_str(), s[1].project_name.as_str()), ("Website", "Website"));
        let long = SignoffRecord { lines_hash: "0123456789abcdef".into(), ..rec.clone() };
        assert_eq!(signoff(&long, &hidden).hash_prefix.as_deref(), Some("0123456789ab"));
        let changed = SignoffRecord { changed_at: Some("later".into()), ..rec };
        assert_eq!(signoff(&changed, &hidden).state, "changed");
    }
}
