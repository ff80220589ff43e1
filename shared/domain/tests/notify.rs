//! Client e-mails (issue 14) locked by snapshots, over the demo agency's dashboards, and the
//! canary check: nothing a client may not see reaches their e-mail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::NaiveDate;
use clearhours_domain::fixture::Fixture;
use clearhours_domain::notify::{ClientThreshold, Links, WeeklyDigest};
use clearhours_domain::settings::{BudgetMoney, RatesVisibility, TeamDisplay, Visibility};
use support::demo_dashboard;

const DEMO: &str = include_str!("../../../fixtures/demo.json");

fn snapshot(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
    assert_eq!(got, want, "snapshot {name} changed; review and rerun with UPDATE_SNAPSHOTS=1");
}

fn links() -> Links {
    Links { portal_url: "https://portal.example".into(), unsubscribe_url: "https://portal.example/unsubscribe?t=TOKEN".into() }
}

// A Wednesday: the demo loaded then, the digest of the week before.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

#[test]
fn client_emails_snapshots() {
    let fx: Fixture = serde_json::from_str(DEMO).unwrap();
    let client = &fx.clients[0];
    let dashboards: Vec<_> = client.projects.iter().map(|p| demo_dashboard(&fx, client, p, today())).collect();
    let l = links();
    let t = ClientThreshold { client_name: &client.name, dashboard: &dashboards[0], threshold: 75, links: &l }.render().unwrap();
    snapshot("client_threshold.subject.txt", &t.subject);
    snapshot("client_threshold.txt", &t.text);
    snapshot("client_threshold.html", &t.html);
    assert_eq!(t.list_unsubscribe.as_deref(), Some("https://portal.example/unsubscribe?t=TOKEN"));
    let week = &dashboards[0].last_week;
    let d = WeeklyDigest { client_name: &client.name, week_start: week.start, week_end: week.end, dashboards: &dashboards, links: &l }
        .render()
        .unwrap();
    snapshot("weekly_digest.subject.txt", &d.subject);
    snapshot("weekly_digest.txt", &d.text);
    snapshot("weekly_digest.html", &d.html);
    assert!(d.text.contains("By person:") && d.text.contains("By task:"), "{}", d.text);
}

/// Canary: with rates hidden, anonymous team labels and amounts off, no member name, e-mail,
/// internal note, personal note or money reaches a client e-mail, whatever the demo holds.
#[test]
fn client_emails_show_nothing_hidden() {
    let mut fx: Fixture = serde_json::from_str(DEMO).unwrap();
    let mut secrets: Vec<String> = Vec::new();
    for m in &fx.members {
        secrets.extend([m.name.clone(), m.email.clone(), m.personal_notes.clone()].into_iter().filter(|s| s.len() > 3));
    }
    for c in &mut fx.clients {
        c.visibility = Visibility {
            rates: RatesVisibility::Hidden,
            team: TeamDisplay::Anonymous,
            budget_money: BudgetMoney::Percentages,
            ..c.visibility
        };
        for p in &c.projects {
            secrets.extend(p.entries.iter().map(|e| e.internal_note.clone()).filter(|s| s.len() > 3));
        }
    }
    let l = links();
    for client in &fx.clients {
        let dashboards: Vec<_> = client.projects.iter().map(|p| demo_dashboard(&fx, client, p, today())).collect();
        let Some(first) = dashboards.first() else { continue };
        let mut out = Vec::new();
        for d in &dashboards {
            out.push(ClientThreshold { client_name: &client.name, dashboard: d, threshold: 75, links: &l }.render().unwrap());
        }
        out.push(
            WeeklyDigest {
                client_name: &client.name,
                week_start: first.last_week.start,
                week_end: first.last_week.end,
                dashboards: &dashboards,
                links: &l,
            }
            .render()
            .unwrap(),
        );
        for e in &out {
            let all = format!("{}\n{}\n{}", e.subject, e.text, e.html);
            for s in &secrets {
                assert!(!all.contains(s.as_str()), "client {}: {s:?} leaked into an e-mail", client.id);
            }
            for sym in ["$", "€", "£", "AUD", "USD", "EUR", "GBP"] {
                assert!(!all.contains(sym), "client {}: money ({sym}) in an e-mail with amounts hidden:\n{all}", client.id);
            }
        }
    }
}
