//! Native tests of the rules that decide what is written. Each runs the production statements
//! (built as [`crate::stmt::Stmt`] values by the same functions the D1 adapter uses) against
//! SQLite with the real migrations ([`crate::sqlite_tests::Native`]).

use crate::delivery::{self, Batch, Outcome, Queued, VersionedWrite};
use crate::ingest::Write;
use crate::sqlite_tests::{Native, Ran};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clearhours_domain::calendar::Bucket;
use clearhours_domain::entry::{EntryDraft, ResolvedEntry, When};
use clearhours_domain::ids::{ClientId, ExternalId, MemberId, ProjectId};
use clearhours_domain::money::{Currency, Money};
use proptest::prelude::*;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// One provider with a client, a project, a member, an integration and an issued invoice.
fn agency() -> Native {
    let db = Native::new();
    db.exec(
        "INSERT INTO providers (id, name, created_at) VALUES ('prv_1', 'Agency', '2026-01-01T00:00:00Z');
         INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, created_at)
              VALUES ('cli_1', 'prv_1', 'Client', 'UTC', 'EUR', 'monday', '2026-01-01T00:00:00Z');
         INSERT INTO projects (id, provider_id, client_id, name, starts_on, created_at)
              VALUES ('prj_1', 'prv_1', 'cli_1', 'Site', '2026-01-01', '2026-01-01T00:00:00Z');
         INSERT INTO members (id, provider_id, name, created_at) VALUES ('mem_1', 'prv_1', 'Ann', '2026-01-01T00:00:00Z');
         INSERT INTO integrations (id, provider_id, kind, name, created_at)
              VALUES ('int_1', 'prv_1', 'clearhours', 'API', '2026-01-01T00:00:00Z');
         INSERT INTO invoices (id, provider_id, client_id, number, currency, created_at)
              VALUES ('inv_1', 'prv_1', 'cli_1', 'INV-1', 'EUR', '2026-01-01T00:00:00Z');",
    );
    db
}

// -------------------------------------------------------------------------------------------
// Delivery: ordering by version, tombstones, invoiced entries

fn upsert(x: &str, version: i64, minutes: i64) -> VersionedWrite {
    let d = NaiveDate::from_ymd_opt(2026, 2, 24).unwrap();
    let draft = EntryDraft {
        external_id: ExternalId::parse(x).unwrap(),
        project_id: ProjectId::parse("prj_1").unwrap(),
        member_id: MemberId::parse("mem_1").unwrap(),
        task_id: None,
        phase_id: None,
        when: When::LocalDate(d),
        minutes,
        billable: minutes % 3 != 0,
        description: format!("work {minutes}"),
        internal_note: String::new(),
        rate: None,
    };
    let entry = ResolvedEntry {
        draft,
        client_id: ClientId::parse("cli_1").unwrap(),
        local_date: d,
        started_at: None,
        bucket: Bucket { week_start: NaiveDate::from_ymd_opt(2026, 2, 23).unwrap(), month: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap() },
        rate: None,
        amount: Money::new(0, Currency::parse("EUR").unwrap()),
    };
    VersionedWrite { version, write: Write::Upsert(entry) }
}

fn delete(x: &str, version: i64) -> VersionedWrite {
    VersionedWrite { version, write: Write::Delete(x.to_string()) }
}

fn returned(ran: &[Ran]) -> Vec<HashSet<String>> {
    ran.iter()
        .map(|r| r.rows.iter().filter_map(|row| row.get("external_id").and_then(Json::as_str).map(str::to_string)).collect())
        .collect()
}

/// Applies one delivery the way `delivery::apply_versioned` does, natively.
fn deliver(db: &mut Native, id: &str, writes: &[VersionedWrite], queued: &[Queued]) -> Outcome {
    let b = Batch { delivery_id: id, writes, queued, extra: vec![], dequeue: true };
    let plan = delivery::plan("prv_1", "int_1", &b, now()).unwrap();
    let ran = db.batch(&plan.statements).unwrap();
    plan.outcome(&returned(&ran))
}

/// The stored entries: external id → (minutes, version).
fn stored(db: &Native) -> HashMap<String, (i64, i64)> {
    db.query("SELECT external_id, minutes, source_version FROM time_entries")
        .into_iter()
        .map(|r| (r["external_id"].as_str().unwrap().to_string(), (r["minutes"].as_i64().unwrap(), r["source_version"].as_i64().unwrap())))
        .collect()
}

/// The rollups the triggers keep equal `rollup::recompute` over the stored entries (the Rust
/// reference definition), week rows and totals alike.
fn rollups_match_recompute(db: &Native) {
    use clearhours_domain::rollup::{recompute, Dim, EntryFacts, Sums};
    let date = |v: &Json| NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap();
    let text = |v: &Json| v.as_str().map(str::to_string);
    let facts: Vec<EntryFacts> = db
        .query("SELECT week_start, month, member_id, task_id, phase_id, billable, minutes, amount_minor FROM time_entries")
        .iter()
        .map(|r| EntryFacts {
            bucket: Bucket { week_start: date(&r["week_start"]), month: date(&r["month"]) },
            member_id: text(&r["member_id"]).unwrap(),
            task_id: text(&r["task_id"]),
            phase_id: text(&r["phase_id"]),
            billable: r["billable"] == 1,
            minutes: r["minutes"].as_i64().unwrap(),
            amount_minor: r["amount_minor"].as_i64().unwrap(),
        })
        .collect();
    let (weeks, totals) = recompute(&facts);
    let sums = |r: &serde_json::Map<String, Json>| Sums {
        minutes: r["minutes"].as_i64().unwrap(),
        amount_minor: r["amount_minor"].as_i64().unwrap(),
        entries: r["entries"].as_i64().unwrap(),
    };
    let dim = |r: &serde_json::Map<String, Json>| Dim::parse(r["dim"].as_str().unwrap()).unwrap();
    let stored_weeks: std::collections::BTreeMap<_, _> = db
        .query("SELECT week_start, month, dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_week WHERE entries <> 0")
        .iter()
        .map(|r| {
            let b = Bucket { week_start: date(&r["week_start"]), month: date(&r["month"]) };
            ((b, dim(r), text(&r["dim_id"]).unwrap(), r["billable"] == 1), sums(r))
        })
        .collect();
    let stored_totals: std::collections::BTreeMap<_, _> = db
        .query("SELECT dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_total WHERE entries <> 0")
        .iter()
        .map(|r| ((dim(r), text(&r["dim_id"]).unwrap(), r["billable"] == 1), sums(r)))
        .collect();
    assert_eq!(stored_weeks, weeks, "rollup_week against rollup::recompute");
    assert_eq!(stored_totals, totals, "rollup_total against rollup::recompute");
}

fn rollup_minutes(db: &Native) -> i64 {
    db.query("SELECT COALESCE(SUM(minutes), 0) AS m FROM rollup_week WHERE dim = 'all'")[0]["m"].as_i64().unwrap()
}

#[test]
fn an_older_update_changes_nothing_and_a_newer_one_wins() {
    let mut db = agency();
    assert_eq!(deliver(&mut db, "d1", &[upsert("e1", 10, 60)], &[]).upserts, 1);
    let o = deliver(&mut db, "d2", &[upsert("e1", 5, 30)], &[]);
    assert_eq!((o.upserts, o.stale), (0, 1));
    assert_eq!(stored(&db)["e1"], (60, 10));
    assert_eq!(deliver(&mut db, "d3", &[upsert("e1", 11, 45)], &[]).upserts, 1);
    assert_eq!(stored(&db)["e1"], (45, 11));
    assert_eq!(rollup_minutes(&db), 45, "the triggers moved the rollups with the write");
}

#[test]
fn a_tombstone_wins_over_an_older_update_and_a_stale_delete_leaves_none() {
    let mut db = agency();
    deliver(&mut db, "d1", &[upsert("e1", 10, 60)], &[]);
    assert_eq!(deliver(&mut db, "d2", &[delete("e1", 12)], &[]).deletes, 1);
    // The late update (version 11, sent before the delete) must not resurrect the entry.
    let o = deliver(&mut db, "d3", &[upsert("e1", 11, 60)], &[]);
    assert_eq!((o.upserts, o.stale), (0, 1));
    assert!(stored(&db).is_empty());
    assert_eq!(rollup_minutes(&db), 0);
    // A delete older than what is stored changes nothing and leaves no tombstone.
    deliver(&mut db, "d4", &[upsert("e2", 20, 15)], &[]);
    let o = deliver(&mut db, "d5", &[delete("e2", 19)], &[]);
    assert_eq!((o.deletes, o.stale), (0, 1));
    assert_eq!(stored(&db)["e2"], (15, 20));
    assert!(db.query("SELECT 1 FROM ingest_tombstones WHERE external_id = 'e2'").is_empty());
}

#[test]
fn a_duplicate_delivery_fails_whole() {
    let mut db = agency();
    deliver(&mut db, "d1", &[upsert("e1", 1, 60)], &[]);
    let b = Batch { delivery_id: "d1", writes: &[upsert("e9", 2, 30)], queued: &[], extra: vec![], dequeue: true };
    let plan = delivery::plan("prv_1", "int_1", &b, now()).unwrap();
    let e = db.batch(&plan.statements).unwrap_err();
    assert!(e.to_string().contains("UNIQUE constraint failed: ingest_deliveries"), "{e}");
    assert!(!stored(&db).contains_key("e9"), "nothing of a refused batch is written");
}

#[test]
fn invoiced_entries_are_flagged_never_changed() {
    let mut db = agency();
    deliver(&mut db, "d1", &[upsert("e1", 1, 60), upsert("e2", 1, 30)], &[]);
    db.exec("UPDATE time_entries SET invoice_id = 'inv_1'");
    let o = deliver(&mut db, "d2", &[upsert("e1", 2, 90), delete("e2", 2)], &[]);
    assert_eq!((o.flagged, o.upserts, o.deletes), (2, 0, 0));
    assert_eq!(stored(&db)["e1"], (60, 1));
    assert_eq!(stored(&db)["e2"], (30, 1));
    let flags = db.query("SELECT external_id, change, invoice_id FROM ingest_flags ORDER BY external_id");
    assert_eq!(flags.len(), 2);
    assert_eq!((flags[0]["change"].as_str(), flags[1]["change"].as_str()), (Some("update"), Some("delete")));
    // The same state again is no change, so no flag; an older version is stale, no flag either.
    let o = deliver(&mut db, "d3", &[upsert("e1", 3, 60), upsert("e2", 0, 5)], &[]);
    assert_eq!(o.flagged, 0);
    assert_eq!(db.query("SELECT 1 FROM ingest_flags").len(), 2);
}

#[derive(Clone, Debug)]
enum Op {
    Up(i64),
    Del,
}

/// Versions 1..=n in a random order, each with a random operation, for a few entries.
fn ops() -> impl Strategy<Value = Vec<(usize, i64, Op)>> {
    let per_entry = (2usize..8).prop_flat_map(|n| {
        (
            Just((1..=n as i64).collect::<Vec<_>>()).prop_shuffle(),
            proptest::collection::vec(prop_oneof![(1i64..600).prop_map(Op::Up), Just(Op::Del)], n),
        )
    });
    proptest::collection::vec(per_entry, 1..4).prop_flat_map(|entries| {
        let all: Vec<(usize, i64, Op)> =
            entries.into_iter().enumerate().flat_map(|(e, (vs, ops))| vs.into_iter().zip(ops).map(move |(v, o)| (e, v, o))).collect();
        Just(all).prop_shuffle()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever order deliveries arrive in, each entry ends as its highest version says: out-of-order
    /// versions never overwrite newer data, tombstones win over older updates. The rollups follow.
    #[test]
    fn arrival_order_never_matters(ops in ops(), invoiced_after in 0usize..12) {
        let mut db = agency();
        let mut best: HashMap<usize, (i64, Op)> = HashMap::new();
        let mut frozen: Option<HashMap<String, (i64, i64)>> = None;
        for (n, (e, v, op)) in ops.iter().enumerate() {
            if n == invoiced_after {
                db.exec("UPDATE time_entries SET invoice_id = 'inv_1'");
                frozen = Some(stored(&db));
            }
            let x = format!("e{e}");
            let w = match op { Op::Up(m) => upsert(&x, *v, *m), Op::Del => delete(&x, *v) };
            deliver(&mut db, &format!("d{n}"), &[w], &[]);
            if best.get(e).is_none_or(|(bv, _)| v > bv) {
                best.insert(*e, (*v, op.clone()));
            }
            // Invoiced entries never change, whatever arrives.
            if let Some(f) = &frozen {
                let now = stored(&db);
                for (x, s) in f {
                    prop_assert_eq!(now.get(x), Some(s));
                }
            }
        }
        if frozen.is_none() {
            let expected: HashMap<String, (i64, i64)> = best
                .iter()
                .filter_map(|(e, (v, op))| match op { Op::Up(m) => Some((format!("e{e}"), (*m, *v))), Op::Del => None })
                .collect();
            prop_assert_eq!(stored(&db), expected);
        }
        let total: i64 = stored(&db).values().map(|(m, _)| m).sum();
        prop_assert_eq!(rollup_minutes(&db), total);
        rollups_match_recompute(&db);
    }
}

// -------------------------------------------------------------------------------------------
// Throttle reservations

mod throttle {
    use super::*;
    use crate::throttle::{reserve_statements, Attempt};
    use clearhours_domain::throttle::{admits, Attempt as Counted, Purpose};

    fn reserve(db: &mut Native, purpose: Purpose, account: &str, prefix: &str, at: DateTime<Utc>) -> bool {
        let a = Attempt { purpose, account, prefix };
        let ran = db.batch(&reserve_statements(&a, at)).unwrap();
        !ran[0].rows.is_empty()
    }

    #[test]
    fn at_most_max_of_a_burst_are_reserved() {
        let mut db = Native::new();
        let max = Purpose::Password.rules()[0].max as usize;
        let got = (0..3 * max).filter(|_| reserve(&mut db, Purpose::Password, "acct", "10.0.0", now())).count();
        assert_eq!(got, max);
        // The window ages out: 16 minutes later the account may try again.
        assert!(reserve(&mut db, Purpose::Password, "acct", "10.0.0", now() + Duration::minutes(16)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Interleaved requests (D1 runs one statement at a time, so any interleaving is some order
        /// of the reserving statements): a request is reserved exactly when the domain's reference
        /// `throttle::admits` says so, so no rule's window ever holds more than its `max`.
        #[test]
        fn reservations_follow_the_reference_and_never_exceed_max(
            steps in proptest::collection::vec((0usize..4, 0usize..2, 0usize..2, 0i64..3), 1..160)
        ) {
            let mut db = Native::new();
            let mut t = now();
            let mut history: HashMap<&'static str, Vec<Counted>> = HashMap::new();
            for (p, acct, pfx, dt) in steps {
                t += Duration::minutes(dt);
                let purpose = Purpose::ALL[p];
                let (account, prefix) = (["a", "b"][acct], ["10.0.0", "10.0.1"][pfx]);
                let h = history.entry(purpose.as_str()).or_default();
                let expected = admits(purpose.rules(), h, account, prefix, t);
                let got = reserve(&mut db, purpose, account, prefix, t);
                prop_assert_eq!(got, expected);
                if got {
                    h.push(Counted { account: account.into(), prefix: prefix.into(), at: t });
                }
                for rule in purpose.rules() {
                    let since = rule.since(t);
                    let n = h.iter().filter(|a| a.at > since && rule.covers(a, account, prefix)).count();
                    prop_assert!(n <= rule.max as usize);
                }
            }
        }
    }
}

// -------------------------------------------------------------------------------------------
// The access log's sealing compare-and-set

mod sealing {
    use super::*;
    use crate::access_log::{
        append_statement, chain_page_statement, seal_reads, seal_start, seal_writes, AccessEvent, ChainRow, HeadRow, OwnedEvent,
        UnsealedRow,
    };
    use clearhours_domain::audit::{self, Head, Keyring};

    fn keys() -> Keyring {
        Keyring::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap()
    }

    fn append(db: &mut Native, n: usize) {
        let at = now();
        let e = AccessEvent {
            at,
            provider_id: Some("prv_1"),
            client_id: Some("cli_1"),
            actor_kind: "contact",
            actor_id: "con_1",
            action: "view",
            target: "dashboard",
            outcome: "ok",
            ip: "10.0.0.1",
            user_agent: "test",
        };
        for _ in 0..n {
            db.batch(&[append_statement(&OwnedEvent::from(&e))]).unwrap();
        }
    }

    /// A sealer that has read the chain and computed its seals, not yet written.
    struct Pending {
        head: Head,
        new_head: Head,
        seals: Vec<audit::Seal>,
    }

    fn read(db: &mut Native) -> Option<Pending> {
        let ran = db.batch(&seal_reads("prv_1")).unwrap();
        let head = seal_start("prv_1", ran[0].rows::<HeadRow>().into_iter().next(), ran[1].rows::<HeadRow>().into_iter().next()).unwrap();
        let pending: Vec<UnsealedRow> = ran[2].rows();
        if pending.is_empty() {
            return None;
        }
        let (seals, new_head) = audit::seal(&keys(), &head, pending.iter().map(|r| r.unsealed())).unwrap();
        Some(Pending { head, new_head, seals })
    }

    /// Writes the sealer's batch; whether its compare-and-set won.
    fn write(db: &mut Native, p: &Pending) -> bool {
        let ran = db.batch(&seal_writes("prv_1", keys().current_kid(), &p.head, &p.new_head, &p.seals, "2026-03-02T09:01:00Z")).unwrap();
        let won = ran[0].changes == 1;
        assert_eq!(ran[1].changes, if won { p.seals.len() } else { 0 }, "seals are written only by the winner");
        won
    }

    /// The sealed chain verifies from the start, and the recorded head is its last row.
    fn chain_is_linear(db: &mut Native) -> i64 {
        let ran = db.batch(&[chain_page_statement("prv_1", 1)]).unwrap();
        let rows: Vec<ChainRow> = ran[0].rows();
        let head = audit::verify(&keys(), &Head::default(), rows.iter().map(ChainRow::stored)).unwrap();
        let recorded = db.query("SELECT pseq, hash FROM access_log_heads WHERE provider_id = 'prv_1'");
        let recorded = recorded.first().map(|r| (r["pseq"].as_i64().unwrap(), r["hash"].as_str().unwrap().to_string()));
        assert_eq!(recorded.unwrap_or_default(), (head.size, head.hash.clone()));
        head.size
    }

    #[test]
    fn an_event_without_a_client_is_stored_with_none() {
        let mut db = Native::new();
        let e = AccessEvent {
            at: now(),
            provider_id: Some("prv_1"),
            client_id: None,
            actor_kind: "staff",
            actor_id: "stf_1",
            action: "login",
            target: "",
            outcome: "success",
            ip: "",
            user_agent: "",
        };
        db.batch(&[append_statement(&OwnedEvent::from(&e))]).unwrap();
        append(&mut db, 1);
        let rows = db.query("SELECT pseq, client_id FROM access_log ORDER BY pseq");
        assert!(rows[0]["client_id"].is_null());
        assert_eq!(rows[1]["client_id"], "cli_1");
        assert_eq!(rows[1]["pseq"], 2);
    }

    #[test]
    fn two_sealers_from_one_head_one_wins_and_the_chain_does_not_fork() {
        let mut db = Native::new();
        append(&mut db, 5);
        let a = read(&mut db).unwrap();
        let b = read(&mut db).unwrap();
        assert!(write(&mut db, &a));
        assert!(!write(&mut db, &b), "the second sealer's head moved: its batch changes nothing");
        assert_eq!(chain_is_linear(&mut db), 5);
        // A sealed row's seal is written once: the triggers refuse rewriting it.
        let e = db.batch(&seal_writes("prv_1", "k1", &Head::default(), &a.new_head, &a.seals, "x")).map(|r| r[1].changes);
        assert!(matches!(e, Ok(0)), "{e:?}");
        assert!(db.conn.execute("UPDATE access_log SET hash = 'x' WHERE pseq = 1", []).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Appends and up to three sealers interleaved in any order (each read or write is one D1
        /// batch): whatever the order, the sealed chain is one line from the start and its head
        /// is recorded; every appended row is sealed once all sealers have run to the end.
        #[test]
        fn interleaved_sealers_never_fork(steps in proptest::collection::vec((0usize..4, 0usize..3), 1..40)) {
            let mut db = Native::new();
            let mut sealers: [Option<Pending>; 3] = [None, None, None];
            let mut appended = 0;
            for (what, who) in steps {
                match what {
                    0 => { append(&mut db, 1 + who); appended += 1 + who; }
                    1 | 2 => if let Some(p) = sealers[who].take() { write(&mut db, &p); } else { sealers[who] = read(&mut db); },
                    _ => { sealers[who] = read(&mut db); }
                }
                chain_is_linear(&mut db);
            }
            while let Some(p) = read(&mut db) {
                prop_assert!(write(&mut db, &p));
            }
            prop_assert_eq!(chain_is_linear(&mut db), appended as i64);
        }
    }
}

// -------------------------------------------------------------------------------------------
// Mapping resolution: mapped → writes, unmapped → the queue (and out again), dates refused

mod mapping {
    use super::*;
    use crate::dashboard::ProjectRow;
    use crate::ingest::{check_commands, lookup_statements, Catalogue, IdRow, PhaseRow};
    use crate::mapping::{assemble, split_items, Resolved};
    use clearhours_domain::sources::mapping::{MapKind, Mappings, MatchOn};
    use clearhours_domain::sources::{ExtRef, ExternalEntry, SourceCommand, SourceItem};

    /// `mapping::resolve_inner`, natively: the same pure steps around the same lookups.
    fn resolve(db: &mut Native, m: &Mappings, items: Vec<SourceItem>, refuse_dates: bool) -> Resolved {
        let mut split = split_items(m, items, refuse_dates);
        let commands = std::mem::take(&mut split.commands);
        let [p, mem, t, ph] = lookup_statements("prv_1", &commands).unwrap();
        let mut run = |s: Option<crate::stmt::Stmt>| s.map(|s| db.batch(&[s]).unwrap().remove(0)).unwrap_or_default();
        let (p, mem, t, ph) = (run(p), run(mem), run(t), run(ph));
        let cat = Catalogue::from_rows(p.rows::<ProjectRow>(), mem.rows::<IdRow>(), t.rows::<IdRow>(), ph.rows::<PhaseRow>()).unwrap();
        assemble(split, check_commands(commands, &cat), refuse_dates)
    }

    fn item(x: &str, version: i64, project: ExtRef, user: ExtRef, year: i32) -> SourceItem {
        SourceItem {
            version,
            command: SourceCommand::Upsert(ExternalEntry {
                external_id: ExternalId::parse(x).unwrap(),
                workspace: None,
                project: Some(project),
                user: Some(user),
                task: None,
                started_at: None,
                date: NaiveDate::from_ymd_opt(year, 2, 24),
                minutes: 30,
                billable: true,
                description: String::new(),
            }),
        }
    }

    fn named(n: &str) -> ExtRef {
        ExtRef { id: None, names: vec![n.to_string()] }
    }

    #[test]
    fn by_id_then_by_name_unmapped_waits_and_flows_in_once_mapped() {
        let mut db = agency();
        let mut m = Mappings::default();
        m.insert(MapKind::Project, MatchOn::Id, "tp-1", "prj_1");
        m.insert(MapKind::User, MatchOn::Name, "  Ann   LEE ", "mem_1");
        m.insert(MapKind::Project, MatchOn::Name, "gone", "prj_deleted");
        let items = vec![
            item("a", 1, ExtRef::id("tp-1"), named("ann lee"), 2026),
            item("b", 1, named("Unknown"), named("ann lee"), 2026),
            item("c", 1, named("gone"), named("ann lee"), 2026),
            item("d", 1, ExtRef::id("tp-1"), named("ann lee"), 1990),
        ];
        let r = resolve(&mut db, &m, items, true);
        assert_eq!(r.writes.len(), 1, "only a maps to existing targets");
        let reasons: HashMap<String, String> = r.queued.iter().map(|q| (q.entry.external_id.to_string(), q.reason.clone())).collect();
        assert!(reasons["b"].contains("project") && reasons["b"].contains("not mapped"), "{reasons:?}");
        assert!(reasons["c"].contains("the mapped project does not exist any more"), "{reasons:?}");
        assert_eq!(r.refused.errors.len(), 1);
        assert_eq!(r.refused.errors[0].field, "entries[3].date");
        // Written and queued in one delivery; nothing is dropped.
        let o = deliver(&mut db, "d1", &r.writes, &r.queued);
        assert_eq!((o.upserts, o.unmapped), (1, 2));
        assert_eq!(db.query("SELECT external_id FROM unmapped_entries ORDER BY external_id").len(), 2);
        // Mapping "Unknown" lets b flow in, and the write takes it off the queue in the same batch.
        m.insert(MapKind::Project, MatchOn::Name, "unknown", "prj_1");
        let r = resolve(&mut db, &m, vec![item("b", 1, named("Unknown"), named("ann lee"), 2026)], false);
        assert_eq!(deliver(&mut db, "d2", &r.writes, &r.queued).upserts, 1);
        let left: Vec<String> =
            db.query("SELECT external_id FROM unmapped_entries").iter().map(|r| r["external_id"].as_str().unwrap().to_string()).collect();
        assert_eq!(left, vec!["c".to_string()]);
        // An older queued version never replaces a newer one.
        let r = resolve(&mut db, &Mappings::default(), vec![item("c", 0, named("x"), named("y"), 2026)], true);
        assert_eq!(deliver(&mut db, "d3", &[], &r.queued).stale, 1);
    }

    #[test]
    fn requeued_entries_with_dates_out_of_reason_stay_queued() {
        let mut db = agency();
        let mut m = Mappings::default();
        m.insert(MapKind::Project, MatchOn::Id, "tp-1", "prj_1");
        m.insert(MapKind::User, MatchOn::Id, "u1", "mem_1");
        let r = resolve(&mut db, &m, vec![item("old", 1, ExtRef::id("tp-1"), ExtRef::id("u1"), 1990)], false);
        assert!(r.writes.is_empty() && r.refused.errors.is_empty());
        assert_eq!(r.queued.len(), 1);
    }
}

#[test]
fn fixtures_write_through_the_delivery_upsert_without_version_or_integration() {
    let mut db = agency();
    let VersionedWrite { write: Write::Upsert(e), .. } = upsert("fx-1", 0, 42) else { unreachable!() };
    db.batch(&delivery::fixture_upserts("prv_1", std::slice::from_ref(&e), now()).unwrap()).unwrap();
    let rows = db.query("SELECT source, integration_id, source_version, minutes FROM time_entries");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["source"].as_str(), rows[0]["integration_id"].is_null(), rows[0]["source_version"].is_null()),
        (Some("fixture"), true, true)
    );
    // Loading again replaces it (no version to compare).
    db.batch(&delivery::fixture_upserts("prv_1", &[e], now()).unwrap()).unwrap();
    assert_eq!(db.query("SELECT COUNT(*) AS n FROM time_entries")[0]["n"], 1);
    assert_eq!(rollup_minutes(&db), 42);
}

#[test]
fn one_login_candidate_query_for_both_kinds_by_email_or_id() {
    use crate::auth::{candidate_sql, FoundBy, LoginCandidate, SubjectKind};
    let mut db = agency();
    db.exec(
        "INSERT INTO contacts (id, client_id, email, name, created_at) VALUES ('con_1', 'cli_1', 'c@example.com', 'C', '2026-01-01T00:00:00Z');
         INSERT INTO staff_users (id, provider_id, email, name, created_at) VALUES ('stf_1', 'prv_1', 's@example.com', 'S', '2026-01-01T00:00:00Z');",
    );
    for (kind, by, key, id, client) in [
        (SubjectKind::Contact, FoundBy::Email, "c@example.com", "con_1", Some("cli_1")),
        (SubjectKind::Contact, FoundBy::Id, "con_1", "con_1", Some("cli_1")),
        (SubjectKind::Staff, FoundBy::Email, "s@example.com", "stf_1", None),
        (SubjectKind::Staff, FoundBy::Id, "stf_1", "stf_1", None),
    ] {
        let ran = db.batch(&[crate::stmt::Stmt::new(candidate_sql(kind, by), crate::args![key])]).unwrap();
        let c: Vec<LoginCandidate> = ran[0].rows();
        assert_eq!(c.len(), 1, "{key}");
        assert_eq!((c[0].id.as_str(), c[0].provider_id.as_str(), c[0].client_id.as_deref()), (id, "prv_1", client));
    }
}

/// Only unrevoked sessions of enabled contacts whose second step is done build a client scope,
/// and the scope carries the client's stored settings (the one constructor, natively).
#[test]
fn only_complete_sessions_of_enabled_contacts_reach_a_scope() {
    use crate::auth::{contact_scope, contact_session_statement, ContactSessionRow};
    let mut db = agency();
    db.exec(
        "UPDATE clients SET show_rates = 'shown', locale = 'de-DE', ip_allowlist = '203.0.113.0/24' WHERE id = 'cli_1';
         INSERT INTO contacts (id, client_id, email, name, role, created_at) VALUES ('con_1', 'cli_1', 'c@example.com', 'C', 'billing', '2026-01-01T00:00:00Z');
         INSERT INTO contacts (id, client_id, email, name, disabled_at, created_at) VALUES ('con_2', 'cli_1', 'd@example.com', 'D', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z');",
    );
    for (sid, contact, state, revoked) in [
        ("ses_ok", "con_1", "none", "NULL"),
        ("ses_verified", "con_1", "verified", "NULL"),
        ("ses_pending", "con_1", "pending", "NULL"),
        ("ses_enroll", "con_1", "enroll", "NULL"),
        ("ses_revoked", "con_1", "none", "'2026-03-01T00:00:00Z'"),
        ("ses_disabled", "con_2", "none", "NULL"),
    ] {
        db.exec(&format!(
            "INSERT INTO sessions (id, subject_kind, subject_id, provider_id, client_id, created_at, last_seen_at, idle_timeout_minutes, expires_at, revoked_at, mfa_state)
             VALUES ('{sid}', 'contact', '{contact}', 'prv_1', 'cli_1', '2026-03-02T08:00:00Z', '2026-03-02T08:59:00Z', 30, '2026-03-02T20:00:00Z', {revoked}, '{state}')"
        ));
    }
    let found = |db: &mut Native, sid: &str| db.batch(&[contact_session_statement(sid)]).unwrap().remove(0).rows::<ContactSessionRow>();
    for sid in ["ses_pending", "ses_enroll", "ses_revoked", "ses_disabled"] {
        assert!(found(&mut db, sid).is_empty(), "{sid} must not reach the portal");
    }
    assert_eq!(found(&mut db, "ses_verified").len(), 1);
    let (session, scope) = contact_scope(found(&mut db, "ses_ok").remove(0)).unwrap();
    assert_eq!(session.id, "ses_ok");
    assert_eq!((scope.client_id().as_str(), scope.contact_id().as_str(), scope.provider_id().as_str()), ("cli_1", "con_1", "prv_1"));
    assert_eq!(scope.role().as_str(), "billing");
    let settings = scope.settings();
    assert_eq!(settings.currency.to_string(), "EUR");
    assert_eq!(settings.visibility.rates.as_str(), "shown");
    assert!(settings.ip_allowlist.allows("203.0.113.7") && !settings.ip_allowlist.allows("198.51.100.1"));
}
