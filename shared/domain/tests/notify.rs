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

/// Whether `n` (e.g. `140.00`) stands as a number of its own in `text` (not inside `3140.00`).
fn has_number(text: &str, n: &str) -> bool {
    text.match_indices(n).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + n.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.') && !after.is_some_and(|c| c.is_ascii_digit())
    })
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

/// Canary, under all 96 visibility combinations of every demo client: no member e-mail, phone,
/// personal note or entry's internal note ever reaches a client e-mail; real names only with
/// `team = names`; no money at all unless budget money is shown as amounts; never a rate.
#[test]
fn client_emails_show_nothing_hidden() {
    use clearhours_domain::settings::{DescriptionMode, NonBillable, ViewMode};
    let base: Fixture = serde_json::from_str(DEMO).unwrap();
    let mut always: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut rates: Vec<String> = Vec::new();
    for m in &base.members {
        always.extend([m.email.clone(), m.phone.clone(), m.personal_notes.clone()].into_iter().filter(|s| s.len() > 3));
        names.push(m.name.clone());
        rates.extend([m.cost_rate.clone(), m.default_rate.clone()].into_iter().flatten());
    }
    for c in &base.clients {
        for p in &c.projects {
            always.extend(p.entries.iter().map(|e| e.internal_note.clone()).filter(|s| s.len() > 3));
            rates.extend(p.rate.clone());
        }
    }
    let l = links();
    let mut checked = 0;
    for &rates_v in RatesVisibility::ALL {
        for &descriptions in DescriptionMode::ALL {
            for &team in TeamDisplay::ALL {
                for &view in ViewMode::ALL {
                    for &non_billable in NonBillable::ALL {
                        for &budget_money in BudgetMoney::ALL {
                            let v = Visibility { rates: rates_v, descriptions, team, view, non_billable, budget_money };
                            for client in &base.clients {
                                let mut client = client.clone();
                                client.visibility = v;
                                let dashboards: Vec<_> =
                                    client.projects.iter().map(|p| demo_dashboard(&base, &client, p, today())).collect();
                                let Some(first) = dashboards.first() else { continue };
                                let mut out = Vec::new();
                                for d in &dashboards {
                                    out.push(
                                        ClientThreshold { client_name: &client.name, dashboard: d, threshold: 75, links: &l }
                                            .render()
                                            .unwrap(),
                                    );
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
                                    let at = format!("client {} under {v:?}", client.id);
                                    for s in &always {
                                        assert!(!all.contains(s.as_str()), "{at}: {s:?} leaked into an e-mail");
                                    }
                                    if team != TeamDisplay::Names {
                                        for s in &names {
                                            assert!(!all.contains(s.as_str()), "{at}: the name {s:?} is hidden but was e-mailed");
                                        }
                                    }
                                    assert!(!e.text.contains("/h") && !all.contains("per hour"), "{at}: a rate in an e-mail");
                                    // A rate would show as money ("$140.00", "140,00 €"); hour
                                    // figures may share its digits ("40.00 h").
                                    for r in &rates {
                                        let comma = r.replace('.', ",");
                                        for form in [
                                            format!("${r}"),
                                            format!("€{r}"),
                                            format!("£{r}"),
                                            format!("{comma}\u{a0}€"),
                                            format!("{comma} €"),
                                        ] {
                                            assert!(!has_number(&all, &form), "{at}: rate {form} in an e-mail");
                                        }
                                    }
                                    if budget_money != BudgetMoney::Amounts {
                                        for sym in ["$", "€", "£", "AUD", "USD", "EUR", "GBP"] {
                                            assert!(!all.contains(sym), "{at}: money ({sym}) with amounts hidden:\n{all}");
                                        }
                                    }
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked >= 96, "{checked}");
}
