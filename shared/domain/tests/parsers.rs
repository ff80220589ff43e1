//! Fuzzing by property: every parser of outside input takes arbitrary bytes or strings — and
//! mutations of valid payloads, which reach deeper than noise — without panicking, and what it
//! accepts satisfies the entry limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic)]

use clearhours_domain::entry::{self, EntryCommand, MAX_MINUTES};
use clearhours_domain::sources::clockify::{self, ClockifyEvent};
use clearhours_domain::sources::csv;
use clearhours_domain::sources::mapping::{MapKind, Mappings, MatchOn};
use clearhours_domain::sources::toggl::{self, TogglEvent};
use clearhours_domain::sources::{clearhours, ExternalEntry, SourceCommand, SourceItem};
use clearhours_domain::webhook::{self, SignedHeaders, WebhookSecret};
use proptest::prelude::*;

const TOGGL: &str = include_str!("../../../tests/formats/toggl-time-entry-created.json");
const TOGGL_PING: &str = include_str!("../../../tests/formats/toggl-ping.json");
const CLOCKIFY: &str = include_str!("../../../tests/formats/clockify-timer-stopped.json");
const HARVEST_CSV: &str = include_str!("../../../tests/formats/harvest-detailed.csv");
const TOGGL_CSV: &str = include_str!("../../../tests/formats/toggl-detailed.csv");
const CLOCKIFY_CSV: &str = include_str!("../../../tests/formats/clockify-detailed.csv");
const API: &str = r#"{"entries":[{"external_id":"e1","project_id":"prj_1","member_id":"mem_1","task_id":"tsk_1","date":"2026-11-20","minutes":90,"billable":true,"description":"x","rate":"120.50","updated_at":"2026-11-20T10:00:00Z"},{"op":"delete","external_id":"e2"}]}"#;

/// Edits applied to a valid payload: (position fraction, kind, byte).
fn mutations() -> impl Strategy<Value = Vec<(f64, u8, u8)>> {
    prop::collection::vec((0.0..1.0f64, 0u8..4, any::<u8>()), 0..12)
}

/// Interesting bytes for JSON and CSV: structure characters more often than noise.
fn pick(b: u8) -> u8 {
    const SPECIAL: &[u8] = b"{}[]\",:;\n\r\\-0123456789.eE tfnTP:/APM\xff\x00";
    if b.is_multiple_of(2) {
        SPECIAL[usize::from(b / 2) % SPECIAL.len()]
    } else {
        b
    }
}

fn mutate(base: &str, edits: &[(f64, u8, u8)]) -> Vec<u8> {
    let mut v = base.as_bytes().to_vec();
    for (pos, kind, b) in edits {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((v.len() as f64) * pos) as usize;
        let i = i.min(v.len());
        match kind {
            0 => v.insert(i, pick(*b)),
            1 if i < v.len() => {
                v.remove(i);
            }
            2 if i < v.len() => v[i] = pick(*b),
            _ => v.truncate(i.max(v.len().saturating_sub(usize::from(*b) % 8))),
        }
    }
    v
}

fn check_entry(e: &ExternalEntry) {
    assert!((1..=MAX_MINUTES).contains(&e.minutes), "minutes {}", e.minutes);
    assert!(e.started_at.is_some() || e.date.is_some());
    assert!(e.description.chars().count() <= entry::MAX_DESCRIPTION);
    // What the queue stores must read back.
    let json = serde_json::to_string(e).unwrap();
    assert_eq!(&serde_json::from_str::<ExternalEntry>(&json).unwrap(), e);
}

fn check_item(item: &SourceItem) {
    if let SourceCommand::Upsert(e) = &item.command {
        check_entry(e);
    }
}

fn everything_mapped() -> Mappings {
    let mut m = Mappings::default();
    for k in MapKind::ALL {
        m.insert(k, MatchOn::Id, "201998877", "prj_1");
    }
    m.insert(MapKind::User, MatchOn::Id, "9120344", "mem_1");
    m
}

fn all_toggl(bytes: &[u8]) {
    let secrets: [&[u8]; 2] = [b"secret", b""];
    let _ = toggl::verify(std::str::from_utf8(bytes).ok(), bytes, &secrets);
    match toggl::parse(bytes) {
        Ok(TogglEvent::Entry { event_id, item }) => {
            assert!(!event_id.is_empty() && event_id.len() <= toggl::MAX_EVENT_ID);
            check_item(&item);
            if let SourceCommand::Upsert(e) = &item.command {
                let _ = everything_mapped().resolve(e);
            }
        }
        Ok(_) => {}
        Err(e) => assert!(!e.errors.is_empty()),
    }
}

fn all_clockify(bytes: &[u8], event: &str) {
    let _ = clockify::verify(std::str::from_utf8(bytes).ok(), &[b"tok"]);
    let _ = clockify::delivery_id(event, bytes);
    match clockify::parse(Some(event), bytes, 0) {
        Ok(ClockifyEvent::Entry(item)) => check_item(&item),
        Ok(ClockifyEvent::Ignored(_)) => {}
        Err(e) => assert!(!e.errors.is_empty()),
    }
}

fn all_csv(text: &str) {
    let _ = csv::records(text, ',');
    let _ = csv::records(text, ';');
    let _ = csv::detect_delimiter(text);
    if let Ok(p) = csv::parse_export(text) {
        let mut ids = std::collections::HashSet::new();
        for r in &p.rows {
            check_entry(&r.entry);
            assert!(r.row >= 2);
            assert!(ids.insert(r.entry.external_id.clone()), "external ids are unique within a file");
        }
        for pr in &p.problems {
            assert!(pr.row >= 2 && !pr.message.is_empty());
        }
    }
}

fn all_api(bytes: &[u8]) {
    match clearhours::parse_delivery(bytes, 0) {
        Ok(items) => {
            assert!(!items.is_empty() && items.len() <= entry::MAX_BATCH);
            for i in items {
                if let EntryCommand::Upsert(d) = i.command {
                    assert!((1..=MAX_MINUTES).contains(&d.minutes));
                }
            }
        }
        Err(e) => assert!(!e.errors.is_empty()),
    }
    let _ = entry::parse_delivery(bytes);
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=100000 for a longer fuzzing run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn toggl_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        all_toggl(&bytes);
    }

    #[test]
    fn toggl_never_panics_on_mutations(edits in mutations(), ping in any::<bool>()) {
        all_toggl(&mutate(if ping { TOGGL_PING } else { TOGGL }, &edits));
    }

    #[test]
    fn clockify_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), event in "[A-Z_]{0,20}") {
        all_clockify(&bytes, &event);
    }

    #[test]
    fn clockify_never_panics_on_mutations(edits in mutations(), which in 0usize..4) {
        let event = ["NEW_TIME_ENTRY", "TIMER_STOPPED", "TIME_ENTRY_UPDATED", "TIME_ENTRY_DELETED"][which];
        all_clockify(&mutate(CLOCKIFY, &edits), event);
    }

    #[test]
    fn iso_durations_never_panic(s in "[PTDHMS0-9.,pt]{0,24}|\\PC{0,24}") {
        if let Some(secs) = clockify::parse_duration(&s) {
            prop_assert!(secs >= 0);
        }
    }

    #[test]
    fn csv_never_panics_on_strings(s in "\\PC{0,400}") {
        all_csv(&s);
    }

    #[test]
    fn csv_never_panics_on_mutations(edits in mutations(), which in 0usize..3) {
        let base = [HARVEST_CSV, TOGGL_CSV, CLOCKIFY_CSV][which];
        all_csv(&String::from_utf8_lossy(&mutate(base, &edits)));
    }

    #[test]
    fn csv_field_parsers_never_panic(s in "[0-9/.:, APMapm-]{0,20}|\\PC{0,20}", day_first in any::<bool>()) {
        let _ = csv::parse_date(&s, day_first);
        let _ = csv::parse_time(&s);
        if let Some(secs) = csv::parse_duration_seconds(&s) {
            prop_assert!(secs >= 0);
        }
        let _ = csv::parse_bool(&s);
    }

    #[test]
    fn csv_rows_round_trip(rows in prop::collection::vec(prop::collection::vec("[^\"]{0,8}|\"?[a-z,\\n]{0,6}\"?", 1..5), 1..6)) {
        // Writing fields the RFC 4180 way and reading them back gives the fields.
        let width = rows[0].len();
        let rows: Vec<Vec<String>> = rows.into_iter().map(|mut r| { r.resize(width, String::new()); r }).collect();
        let text: String = rows
            .iter()
            .map(|r| r.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("\r\n");
        prop_assert_eq!(csv::records(&text, ',').unwrap(), rows);
    }

    #[test]
    fn api_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        all_api(&bytes);
    }

    #[test]
    fn api_never_panics_on_mutations(edits in mutations()) {
        all_api(&mutate(API, &edits));
    }

    #[test]
    fn signatures_never_panic(id in "\\PC{0,20}", ts in "\\PC{0,12}", sig in "\\PC{0,120}", body in prop::collection::vec(any::<u8>(), 0..200)) {
        let secret = WebhookSecret::from_bytes(vec![7; 32]);
        let h = SignedHeaders { id: Some(&id), timestamp: Some(&ts), signature: Some(&sig) };
        let _ = webhook::verify(h, &body, &[secret], 1_700_000_000);
        let _ = WebhookSecret::parse(&sig);
        let _ = toggl::verify(Some(&sig), &body, &[id.as_bytes()]);
        let _ = clockify::verify(Some(&sig), &[ts.as_bytes()]);
    }

    #[test]
    fn toggl_signatures_verify_exactly_their_body(secret in prop::collection::vec(any::<u8>(), 1..40), body in prop::collection::vec(any::<u8>(), 0..200), flip in any::<prop::sample::Index>()) {
        let sig = toggl::sign(&secret, &body);
        prop_assert!(toggl::verify(Some(&sig), &body, &[&secret]).is_ok());
        if !body.is_empty() {
            let mut other = body.clone();
            let i = flip.index(other.len());
            other[i] ^= 1;
            prop_assert!(toggl::verify(Some(&sig), &other, &[&secret]).is_err());
        }
    }
}
