//! The in-memory reference definition of what storage's timesheet SQL returns (`storage::entries`):
//! the page ([`select`]), the totals ([`totals`]) and the subtotals ([`subtotals`]) of a
//! [`Selection`] over entry records. The projection (`entries`) never calls these on live data;
//! the property tests and the integration tests compare the SQL and the projection against them.

use super::{EntryRecord, GroupRecord, KeyPart, Page, Selection, SubtotalDim, SubtotalRecord, TotalsRecord};
use crate::calendar::ClientCalendar;
use crate::ids::{MemberId, PhaseId, ProjectId, TaskId};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The reference for storage's page query: the selection's records in key order, after the
/// cursor (all of them; storage stops at a limit). Summarised selections are grouped.
pub fn select(sel: &Selection, entries: &[EntryRecord]) -> Page {
    let chosen = entries.iter().filter(|e| sel.matches(e));
    let after = |k: &Vec<KeyPart>| sel.after.as_ref().is_none_or(|c| *k > c.0);
    if !sel.grouped {
        let mut out: Vec<(Vec<KeyPart>, EntryRecord)> = chosen.map(|e| (sel.entry_key(e), e.clone())).filter(|(k, _)| after(k)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        return Page::Entries(out.into_iter().map(|(_, e)| e).collect());
    }
    type GroupKey = (ProjectId, NaiveDate, MemberId, Option<TaskId>, Option<PhaseId>, bool, Option<String>);
    let mut groups: BTreeMap<GroupKey, GroupRecord> = BTreeMap::new();
    for e in chosen {
        let rate = if sel.rates_split && e.billable { e.rate.map(|r| r.0.to_string()) } else { None };
        let key =
            (e.project_id.clone(), e.local_date, e.member_id.clone(), e.task_id.clone(), e.phase_id.clone(), e.billable, rate.clone());
        let g = groups.entry(key).or_insert_with(|| GroupRecord {
            project_id: e.project_id.clone(),
            local_date: e.local_date,
            member_id: e.member_id.clone(),
            task_id: e.task_id.clone(),
            phase_id: e.phase_id.clone(),
            billable: e.billable,
            rate,
            entries: 0,
            minutes: 0,
            amount_minor: 0,
        });
        g.entries += 1;
        g.minutes += e.minutes;
        g.amount_minor += e.amount_minor;
    }
    let mut out: Vec<(Vec<KeyPart>, GroupRecord)> =
        groups.into_values().map(|g| (sel.group_key(&g), g)).filter(|(k, _)| after(k)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Page::Groups(out.into_iter().map(|(_, g)| g).collect())
}

/// The reference for storage's totals query.
pub fn totals(sel: &Selection, entries: &[EntryRecord]) -> TotalsRecord {
    let mut t = TotalsRecord::default();
    for e in entries.iter().filter(|e| sel.matches(e)) {
        t.entries += 1;
        t.minutes += e.minutes;
        t.billable_minutes += if e.billable { e.minutes } else { 0 };
        t.amount_minor += e.amount_minor;
    }
    let unpaged = Selection { after: None, ..sel.clone() };
    t.rows = i64::try_from(select(&unpaged, entries).len()).unwrap_or(i64::MAX);
    t
}

/// The reference for storage's subtotals query (weeks by the client's calendar).
pub fn subtotals(sel: &Selection, dim: SubtotalDim, calendar: &ClientCalendar, entries: &[EntryRecord]) -> Vec<SubtotalRecord> {
    let mut map: BTreeMap<Option<String>, SubtotalRecord> = BTreeMap::new();
    for e in entries.iter().filter(|e| sel.matches(e)) {
        let key = match dim {
            SubtotalDim::Week => Some(calendar.week_of(e.local_date).start.to_string()),
            SubtotalDim::Person => Some(e.member_id.to_string()),
            SubtotalDim::Task => e.task_id.as_ref().map(ToString::to_string),
            SubtotalDim::Phase => e.phase_id.as_ref().map(ToString::to_string),
        };
        let s = map.entry(key.clone()).or_insert(SubtotalRecord { key, entries: 0, minutes: 0, billable_minutes: 0, amount_minor: 0 });
        s.entries += 1;
        s.minutes += e.minutes;
        s.billable_minutes += if e.billable { e.minutes } else { 0 };
        s.amount_minor += e.amount_minor;
    }
    map.into_values().collect()
}
