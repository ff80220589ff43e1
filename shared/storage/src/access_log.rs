//! The access log: one append-only chain per provider.
//!
//! **Request path**: [`append`] is one plain `INSERT … SELECT MAX(pseq) + 1` — the next position
//! in the provider's chain is taken inside the statement, and D1 runs statements one at a time,
//! so appends never race, never retry and never read a hash. Views may [`defer`] their row; the
//! worker writes deferred rows after the response ([`take_deferred`] + [`append_all`] inside
//! `ctx.wait_until`).
//!
//! **Sealing** ([`seal`], [`seal_pending`]): a single writer — the alerts worker's cron each
//! minute, and verification on demand — links unsealed rows in position order with keyed hashes
//! (`clearhours_domain::audit`). Two sealers may run at once: the write is one batch that first
//! moves the provider's head in `access_log_heads` from the head it read (compare-and-set) and
//! only then stamps the rows, conditional on that move; the loser's batch changes nothing, so
//! the chain never forks. Triggers let a row's seal be written once and nothing else change.
//!
//! **Verification** ([`verify`]) is scoped to one provider, continues from the newest stored
//! signed checkpoint (or from the start when asked), and records a new checkpoint where it
//! ends. A checkpoint a provider keeps outside D1 ([`Held`]) is checked against the chain too:
//! a shorter chain or a different row at its position is reported.

use crate::args;
use crate::auth::ts;
use crate::db::{rows, Db, Result, StorageError};
use crate::scope::{ClientScope, ProviderScope};
use crate::stmt::{prepare_all, Stmt};
use chrono::{DateTime, Utc};
use clearhours_domain::audit::checkpoint::{self, Checkpoint, NoteKeys};
use clearhours_domain::audit::{self, AuditFields, Break, Head, Keyring, StoredRow, Unsealed};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// One thing that happened at the portal.
pub struct AccessEvent<'a> {
    pub at: DateTime<Utc>,
    pub provider_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub actor_kind: &'a str,
    pub actor_id: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// An [`AccessEvent`] that owns its text, for writing after the response (the row's hashed
/// fields; `client_id` "" is none).
#[derive(Clone, Debug)]
pub struct OwnedEvent(FieldsRow);

impl From<&AccessEvent<'_>> for OwnedEvent {
    fn from(e: &AccessEvent<'_>) -> Self {
        Self(FieldsRow {
            at: ts(e.at),
            provider_id: e.provider_id.unwrap_or_default().to_string(),
            client_id: e.client_id.unwrap_or_default().to_string(),
            actor_kind: e.actor_kind.to_string(),
            actor_id: e.actor_id.chars().take(100).collect(),
            action: e.action.chars().take(60).collect(),
            target: e.target.chars().take(300).collect(),
            outcome: e.outcome.chars().take(40).collect(),
            ip: e.ip.chars().take(64).collect(),
            user_agent: e.user_agent.chars().take(300).collect(),
        })
    }
}

/// Takes the provider's next position and inserts, in one statement. Rows with no provider
/// (sign-in attempts for unknown accounts) form their own chain under provider "".
const INSERT: &str =
    "INSERT INTO access_log (provider_id, pseq, at, client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent)
     SELECT ?1, COALESCE(MAX(pseq), 0) + 1, ?2, NULLIF(?3, ''), ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM access_log WHERE provider_id = ?1";

/// The append of one row as data: it takes the next position in the provider's chain.
pub(crate) fn append_statement(OwnedEvent(e): &OwnedEvent) -> Stmt {
    Stmt::new(
        INSERT,
        args![
            e.provider_id.as_str(),
            e.at.as_str(),
            e.client_id.as_str(),
            e.actor_kind.as_str(),
            e.actor_id.as_str(),
            e.action.as_str(),
            e.target.as_str(),
            e.outcome.as_str(),
            e.ip.as_str(),
            e.user_agent.as_str()
        ],
    )
}

/// Appends one row now (awaited: sign-ins, sign-outs, admin changes — whatever must be on record
/// before the answer).
pub async fn append(db: &Db, e: &AccessEvent<'_>) -> Result<()> {
    let s = append_statement(&OwnedEvent::from(e));
    db.run(&s.sql, &s.args).await?;
    Ok(())
}

/// Rows per [`append_all`] transaction.
pub const BATCH: usize = 40;

/// Appends rows, [`BATCH`] per transaction (each statement takes the next position). Given at
/// most `BATCH` rows it is all or nothing, so a caller may retry it.
pub async fn append_all(db: &Db, events: &[OwnedEvent]) -> Result<()> {
    for chunk in events.chunks(BATCH) {
        let stmts = chunk.iter().map(append_statement).collect::<Vec<_>>();
        db.batch(prepare_all(db, &stmts)?).await?;
    }
    Ok(())
}

thread_local! {
    static DEFERRED: RefCell<Vec<(String, OwnedEvent)>> = const { RefCell::new(Vec::new()) };
}

/// Queues a row to be written after the response (page views, API reads, exports): the view
/// neither waits for nor fails on the log. The worker's entry point must drain the queue with
/// [`take_deferred`] after every request. (A worker isolate runs one thread; requests that
/// interleave may drain each other's rows, which is harmless: every queued row is written by
/// whichever request drains it.)
pub fn defer(e: &AccessEvent<'_>) {
    defer_on(crate::shards::DIRECTORY, e);
}

/// [`defer`] for a provider on the shard bound as `binding` (its log is in its own database;
/// the row carries the binding, since interleaved requests may drain each other's rows).
pub fn defer_on(binding: &str, e: &AccessEvent<'_>) {
    DEFERRED.with(|q| q.borrow_mut().push((binding.to_string(), OwnedEvent::from(e))));
}

/// Everything queued by [`defer`] so far, with the binding of the database it belongs to.
pub fn take_deferred() -> Vec<(String, OwnedEvent)> {
    DEFERRED.with(|q| std::mem::take(&mut *q.borrow_mut()))
}

// ---------------------------------------------------------------------------------------------
// Sealing

#[derive(Deserialize)]
pub(crate) struct HeadRow {
    pseq: i64,
    hash: String,
}

/// The hashed fields of a log row, as [`FIELD_COLUMNS`] reads them.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct FieldsRow {
    at: String,
    provider_id: String,
    client_id: String,
    actor_kind: String,
    actor_id: String,
    action: String,
    target: String,
    outcome: String,
    ip: String,
    user_agent: String,
}

impl FieldsRow {
    fn fields(&self) -> AuditFields<'_> {
        AuditFields {
            at: &self.at,
            provider_id: &self.provider_id,
            client_id: &self.client_id,
            actor_kind: &self.actor_kind,
            actor_id: &self.actor_id,
            action: &self.action,
            target: &self.target,
            outcome: &self.outcome,
            ip: &self.ip,
            user_agent: &self.user_agent,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct UnsealedRow {
    seq: i64,
    pseq: i64,
    #[serde(flatten)]
    fields: FieldsRow,
}

impl UnsealedRow {
    pub(crate) fn unsealed(&self) -> Unsealed<'_> {
        Unsealed { seq: self.seq, pseq: self.pseq, fields: self.fields.fields() }
    }
}

const FIELD_COLUMNS: &str =
    "at, provider_id, COALESCE(client_id, '') AS client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent";

/// Rows sealed per write (one JSON parameter; about 150 bytes each).
const SEAL_BATCH: usize = 400;

/// What one [`seal`] call did for a provider.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SealReport {
    pub sealed: usize,
    pub head: Head,
    /// Another sealer moved the head first; nothing was written by this call.
    pub lost_race: bool,
    /// Rows are still waiting (the statement budget ran out).
    pub more: bool,
}

/// A sealing round's reads as data: the recorded head, the last sealed row, the next unsealed
/// rows in position order.
pub(crate) fn seal_reads(provider_id: &str) -> [Stmt; 3] {
    [
        Stmt::new("SELECT pseq, hash FROM access_log_heads WHERE provider_id = ?", args![provider_id]),
        Stmt::new("SELECT pseq, hash FROM access_log WHERE provider_id = ? AND hash <> '' ORDER BY pseq DESC LIMIT 1", args![provider_id]),
        Stmt::new(
            format!(
                "SELECT seq, pseq, {FIELD_COLUMNS} FROM access_log WHERE provider_id = ? AND hash = '' ORDER BY pseq LIMIT {SEAL_BATCH}"
            ),
            args![provider_id],
        ),
    ]
}

/// The head a sealer starts from (pure): the last sealed row, which must be the recorded head.
pub(crate) fn seal_start(provider_id: &str, recorded: Option<HeadRow>, last_sealed: Option<HeadRow>) -> Result<Head> {
    let head = Head { size: last_sealed.as_ref().map_or(0, |r| r.pseq), hash: last_sealed.map(|r| r.hash).unwrap_or_default() };
    let recorded_head = recorded.map(|r| Head { size: r.pseq, hash: r.hash }).unwrap_or_default();
    if recorded_head != head {
        return Err(StorageError::Corrupt(format!(
            "access log of {provider_id:?}: the recorded head ({}) is not the last sealed row ({}); verify the chain",
            recorded_head.size, head.size
        )));
    }
    Ok(head)
}

/// A sealing round's write as data: first the compare-and-set of the head (moves only from the
/// head this sealer read; the number of rows it changed says whether it won), then the seals,
/// written only if the head is now the one they lead to.
pub(crate) fn seal_writes(provider_id: &str, kid: &str, head: &Head, new_head: &Head, seals: &[audit::Seal], at: &str) -> [Stmt; 2] {
    let json = serde_json::Value::Array(seals.iter().map(|s| serde_json::json!({ "s": s.seq, "p": s.prev_hash, "h": s.hash })).collect())
        .to_string();
    [
        Stmt::new(
            "INSERT INTO access_log_heads (provider_id, pseq, hash, sealed_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (provider_id) DO UPDATE SET pseq = excluded.pseq, hash = excluded.hash, sealed_at = excluded.sealed_at
              WHERE access_log_heads.pseq = ?5 AND access_log_heads.hash = ?6",
            args![provider_id, new_head.size, new_head.hash.as_str(), at, head.size, head.hash.as_str()],
        ),
        Stmt::new(
            "UPDATE access_log SET kid = ?2, prev_hash = json_extract(j.value, '$.p'), hash = json_extract(j.value, '$.h')
               FROM json_each(?1) AS j
              WHERE access_log.seq = json_extract(j.value, '$.s') AND access_log.hash = ''
                AND EXISTS (SELECT 1 FROM access_log_heads h WHERE h.provider_id = ?3 AND h.pseq = ?4 AND h.hash = ?5)",
            args![json, kid, provider_id, new_head.size, new_head.hash.as_str()],
        ),
    ]
}

/// Seals the provider's unsealed rows in position order, at most `max_rounds` writes of
/// [`SEAL_BATCH`] rows (each round: one read batch of 3 statements, one write batch of 2).
pub async fn seal(db: &Db, keys: &Keyring, provider_id: &str, now: DateTime<Utc>, max_rounds: usize) -> Result<SealReport> {
    let mut report = SealReport::default();
    for _ in 0..max_rounds.max(1) {
        let reads = db.batch(prepare_all(db, &seal_reads(provider_id))?).await?;
        let recorded = reads.first().map(rows::<HeadRow>).transpose()?.and_then(|r| r.into_iter().next());
        let last_sealed = reads.get(1).map(rows::<HeadRow>).transpose()?.and_then(|r| r.into_iter().next());
        let pending: Vec<UnsealedRow> = reads.get(2).map(rows).transpose()?.unwrap_or_default();
        let head = seal_start(provider_id, recorded, last_sealed)?;
        report.head = head.clone();
        if pending.is_empty() {
            report.more = false;
            return Ok(report);
        }
        let full = pending.len() == SEAL_BATCH;
        let (seals, new_head) =
            audit::seal(keys, &head, pending.iter().map(UnsealedRow::unsealed)).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let writes = seal_writes(provider_id, keys.current_kid(), &head, &new_head, &seals, &ts(now));
        let results = db.batch(prepare_all(db, &writes)?).await?;
        let moved = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0);
        if moved == 0 {
            report.lost_race = true;
            return Ok(report);
        }
        report.sealed += seals.len();
        report.head = new_head;
        report.more = full;
        if !full {
            return Ok(report);
        }
    }
    Ok(report)
}

#[derive(Deserialize)]
struct ProviderRow {
    provider_id: String,
}

/// What the cron's sealing pass did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SealAllReport {
    pub providers: usize,
    pub sealed: usize,
    pub failed: usize,
    pub more: bool,
}

/// Seals every provider with waiting rows, longest-waiting first, within about `max_statements`
/// D1 statements (a round costs 5: one read batch of 3, one write batch of 2). Each provider
/// gets an even share of rounds (at least one); what is left waits for the next run (or for
/// verification, which seals its provider on demand). A provider whose chain is damaged is skipped and reported,
/// never blocking the others.
pub async fn seal_pending(db: &Db, keys: &Keyring, now: DateTime<Utc>, max_statements: usize) -> Result<(SealAllReport, Vec<String>)> {
    let providers: Vec<ProviderRow> =
        db.all("SELECT provider_id FROM access_log WHERE hash = '' GROUP BY provider_id ORDER BY MIN(seq) LIMIT 100", &[]).await?;
    let mut budget = max_statements.saturating_sub(1);
    let mut report = SealAllReport::default();
    let mut errors = Vec::new();
    // An even share of the budget per provider (at least one round each, in waiting order).
    let per = (budget / 5 / providers.len().max(1)).max(1);
    for p in providers {
        if budget < 5 {
            report.more = true;
            break;
        }
        let rounds = per.min(budget / 5);
        budget -= rounds * 5;
        report.providers += 1;
        match seal(db, keys, &p.provider_id, now, rounds).await {
            Ok(r) => {
                report.sealed += r.sealed;
                report.more |= r.more;
            }
            Err(e) => {
                report.failed += 1;
                errors.push(format!("{}: {e}", p.provider_id));
            }
        }
    }
    Ok((report, errors))
}

// ---------------------------------------------------------------------------------------------
// Verification and checkpoints

#[derive(Deserialize)]
pub(crate) struct ChainRow {
    pseq: i64,
    kid: String,
    prev_hash: String,
    hash: String,
    #[serde(flatten)]
    fields: FieldsRow,
}

impl ChainRow {
    pub(crate) fn stored(&self) -> StoredRow<'_> {
        StoredRow { pseq: self.pseq, kid: &self.kid, prev_hash: &self.prev_hash, hash: &self.hash, fields: self.fields.fields() }
    }
}

/// Where verification starts.
#[derive(Clone, Debug)]
pub enum Start {
    /// The newest stored checkpoint that opens (else the start of the chain).
    LastCheckpoint,
    /// Position 1.
    Beginning,
}

/// A checkpoint the provider holds, already opened (signature and origin checked).
pub struct Held(pub Checkpoint);

/// The verification report (JSON for `/admin/audit/verify`).
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub ok: bool,
    pub provider_id: String,
    /// Whether the walk reached the chain's sealed head (a long chain is verified in parts: each
    /// call continues from the checkpoint the previous one recorded).
    pub complete: bool,
    /// The position verification started after (a trusted checkpoint; 0 = the beginning).
    pub from: i64,
    /// Rows checked by this call.
    pub rows_checked: usize,
    /// Rows sealed by this call before verifying.
    pub sealed_now: usize,
    /// The chain's sealed size.
    pub size: i64,
    /// The first position that does not verify.
    pub first_broken: Option<i64>,
    pub problem_code: Option<&'static str>,
    pub problem: Option<&'static str>,
    /// A held checkpoint's size and whether the chain still contains it.
    pub held_size: Option<i64>,
    /// The signed checkpoint recorded at the point verification reached (signed note text).
    pub checkpoint: Option<String>,
}

#[derive(Deserialize)]
struct StoredCheckpoint {
    note: String,
}

/// Pages per verification call: with on-demand sealing (3 rounds) and the checkpoint reads, a
/// call stays within D1's 50 statements per invocation.
const MAX_PAGES: usize = 20;
const PAGE: usize = 1000;

async fn stored_checkpoint(db: &Db, notes: &NoteKeys, provider_id: &str, at_most: i64) -> Result<Option<Checkpoint>> {
    let found: Vec<StoredCheckpoint> = db
        .all(
            "SELECT note FROM access_log_checkpoints WHERE provider_id = ? AND size <= ? ORDER BY size DESC LIMIT 5",
            &args![provider_id, at_most],
        )
        .await?;
    Ok(found.iter().find_map(|c| notes.open_for(&c.note, provider_id).ok()))
}

#[derive(Deserialize)]
struct Size {
    size: i64,
}

async fn sealed_size(db: &Db, provider_id: &str) -> Result<i64> {
    Ok(db
        .first::<Size>("SELECT COALESCE(MAX(pseq), 0) AS size FROM access_log WHERE provider_id = ? AND hash <> ''", &args![provider_id])
        .await?
        .map_or(0, |s| s.size))
}

/// A page of the sealed chain from position `from`, as data.
pub(crate) fn chain_page_statement(provider_id: &str, from: i64) -> Stmt {
    Stmt::new(
        format!(
            "SELECT pseq, kid, prev_hash, hash, {FIELD_COLUMNS} FROM access_log
              WHERE provider_id = ? AND pseq >= ? AND hash <> '' ORDER BY pseq LIMIT {PAGE}"
        ),
        args![provider_id, from],
    )
}

async fn chain_page(db: &Db, provider_id: &str, from: i64) -> Result<Vec<ChainRow>> {
    let s = chain_page_statement(provider_id, from);
    db.all(&s.sql, &s.args).await
}

/// Seals what is waiting, then verifies the provider's chain from `start` (and against `held`,
/// if given); records a signed checkpoint where a clean walk ends.
pub async fn verify(
    db: &Db,
    keys: &Keyring,
    notes: &NoteKeys,
    scope: &ProviderScope,
    now: DateTime<Utc>,
    start: Start,
    held: Option<&Held>,
) -> Result<Verification> {
    let provider_id = scope.provider_id().as_str();
    let sealed_now = seal(db, keys, provider_id, now, 3).await.map(|r| r.sealed).unwrap_or(0);
    let size = sealed_size(db, provider_id).await?;
    let limit = match (&start, held) {
        (_, Some(h)) => h.0.head.size,
        (Start::LastCheckpoint, None) => i64::MAX,
        (Start::Beginning, None) => 0,
    };
    let cp = if limit > 0 { stored_checkpoint(db, notes, provider_id, limit).await? } else { None };
    let mut report = Verification {
        ok: true,
        provider_id: provider_id.to_string(),
        complete: false,
        from: 0,
        rows_checked: 0,
        sealed_now,
        size,
        first_broken: None,
        problem_code: None,
        problem: None,
        held_size: held.map(|h| h.0.head.size),
        checkpoint: None,
    };
    let fail = |mut r: Verification, b: Break| {
        r.ok = false;
        r.first_broken = Some(b.pseq());
        r.problem_code = Some(b.code());
        r.problem = Some(b.describe());
        r
    };
    // The trusted start: the stored checkpoint must still describe the chain.
    let mut head = Head::default();
    if let Some(cp) = &cp {
        let at: Option<HeadRow> = db
            .first("SELECT pseq, hash FROM access_log WHERE provider_id = ? AND pseq = ? AND hash <> ''", &args![provider_id, cp.head.size])
            .await?;
        if let Err(b) = audit::compare_checkpoint(&cp.head, size, at.as_ref().map(|r| r.hash.as_str())) {
            return Ok(fail(report, b));
        }
        head = cp.head.clone();
        report.from = head.size;
    }
    let mut first = true;
    let mut pages = 0;
    loop {
        if pages == MAX_PAGES {
            break;
        }
        pages += 1;
        // Re-read the start row of a checkpoint so its own content is checked too.
        let from = if first && head.size > 0 { head.size } else { head.size + 1 };
        let page = chain_page(db, provider_id, from).await?;
        let mut it = page.iter().peekable();
        if first && head.size > 0 {
            if let Some(r) = it.next_if(|r| r.pseq == head.size) {
                let before = Head { size: head.size - 1, hash: r.prev_hash.clone() };
                match audit::verify(keys, &before, [r.stored()]) {
                    Ok(h) if h.hash == head.hash => {}
                    Ok(_) => return Ok(fail(report, Break::Forked { pseq: head.size })),
                    Err(b) => return Ok(fail(report, b)),
                }
            }
        }
        first = false;
        let rest: Vec<&ChainRow> = it.collect();
        let n = rest.len();
        match audit::verify(keys, &head, rest.iter().map(|r| r.stored())) {
            Ok(h) => head = h,
            Err(b) => {
                report.rows_checked += rest.iter().take_while(|r| r.pseq < b.pseq()).count();
                return Ok(fail(report, b));
            }
        }
        report.rows_checked += n;
        if page.len() < PAGE {
            report.complete = true;
            break;
        }
    }
    if let Some(h) = held {
        let at: Option<HeadRow> = db
            .first(
                "SELECT pseq, hash FROM access_log WHERE provider_id = ? AND pseq = ? AND hash <> ''",
                &args![provider_id, h.0.head.size],
            )
            .await?;
        if let Err(b) = audit::compare_checkpoint(&h.0.head, size, at.as_ref().map(|r| r.hash.as_str())) {
            return Ok(fail(report, b));
        }
    }
    if head.size < size && report.complete {
        // Rows exist past the last one that linked: the walk stopped at a gap.
        return Ok(fail(report, Break::Missing { pseq: head.size + 1 }));
    }
    let note = record_checkpoint(db, notes, provider_id, &head, now).await?;
    report.checkpoint = Some(note);
    Ok(report)
}

/// Signs and stores a checkpoint of a verified head; returns the signed note.
async fn record_checkpoint(db: &Db, notes: &NoteKeys, provider_id: &str, head: &Head, now: DateTime<Utc>) -> Result<String> {
    let cp = Checkpoint { origin: checkpoint::origin(provider_id), head: head.clone(), time: ts(now) };
    let note = notes.sign(&cp);
    if head.size > 0 {
        db.run(
            "INSERT INTO access_log_checkpoints (provider_id, size, head, at, note) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &args![provider_id, head.size, head.hash.as_str(), cp.time.as_str(), note.as_str()],
        )
        .await?;
    }
    Ok(note)
}

// ---------------------------------------------------------------------------------------------
// Reading the log

/// A row as the log pages show it, with names looked up (no hashes).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogRow {
    pub seq: i64,
    pub at: String,
    pub client_id: String,
    pub client_name: String,
    /// The client's time zone ("" for rows with no client).
    pub time_zone: String,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    /// The name of the project, contact or client the target names, if it is one.
    pub target_name: String,
    /// Whether the target is a project the contact may see (client activity only).
    #[serde(default)]
    pub target_visible: i64,
    pub outcome: String,
    pub ip: String,
}

/// Filters for browsing the log; empty strings match everything.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub client_id: String,
    pub actor_id: String,
    pub action: String,
    pub from: String,
    pub to: String,
    /// Rows with `seq` below this (for paging backwards); 0 = newest.
    pub before: i64,
}

/// Columns of [`LogRow`] for `access_log l LEFT JOIN clients cl`; names are looked up within
/// the row's provider only.
const LOG_COLUMNS: &str = "l.seq, l.at, COALESCE(l.client_id, '') AS client_id, COALESCE(cl.name, '') AS client_name,
    COALESCE(cl.time_zone, '') AS time_zone, l.actor_kind, l.actor_id,
    COALESCE(CASE l.actor_kind
        WHEN 'contact' THEN (SELECT c.name FROM contacts c JOIN clients cc ON cc.id = c.client_id WHERE c.id = l.actor_id AND cc.provider_id = l.provider_id)
        WHEN 'staff' THEN (SELECT s.name FROM staff_users s WHERE s.id = l.actor_id AND s.provider_id = l.provider_id) END, '') AS actor_name,
    l.action, l.target,
    COALESCE((SELECT p.name FROM projects p WHERE p.id = l.target AND p.provider_id = l.provider_id),
             (SELECT c.name FROM contacts c JOIN clients cc ON cc.id = c.client_id WHERE c.id = l.target AND cc.provider_id = l.provider_id),
             (SELECT x.name FROM clients x WHERE x.id = l.target AND x.provider_id = l.provider_id), '') AS target_name,
    l.outcome";

/// The provider's log, newest first, at most 100 rows.
pub async fn browse(db: &Db, scope: &ProviderScope, f: &LogFilter) -> Result<Vec<LogRow>> {
    db.all(
        &format!(
            "SELECT {LOG_COLUMNS}, l.ip FROM access_log l LEFT JOIN clients cl ON cl.id = l.client_id
              WHERE l.provider_id = ?1 AND (?2 = '' OR l.client_id = ?2) AND (?3 = '' OR l.actor_id = ?3) AND (?4 = '' OR l.action = ?4)
                AND (?5 = '' OR l.at >= ?5) AND (?6 = '' OR l.at < ?6) AND (?7 = 0 OR l.seq < ?7)
              ORDER BY l.seq DESC LIMIT 100"
        ),
        &args![
            scope.provider_id.as_str(),
            f.client_id.as_str(),
            f.actor_id.as_str(),
            f.action.as_str(),
            f.from.as_str(),
            f.to.as_str(),
            f.before
        ],
    )
    .await
}

/// The time zone most of the provider's clients use (the admin log's local time), else UTC.
pub async fn provider_time_zone(db: &Db, scope: &ProviderScope) -> Result<String> {
    #[derive(Deserialize)]
    struct Tz {
        time_zone: String,
    }
    Ok(db
        .first::<Tz>(
            "SELECT time_zone FROM clients WHERE provider_id = ? GROUP BY time_zone ORDER BY COUNT(*) DESC, time_zone LIMIT 1",
            &args![scope.provider_id.as_str()],
        )
        .await?
        .map_or_else(|| "UTC".to_string(), |t| t.time_zone))
}

/// The portal access a contact may see, newest first, at most 100 rows: their own rows, and
/// colleagues' rows about projects the contact may see (for contacts who see every project,
/// also colleagues' sign-ins and overview visits). Only the contact's own rows carry an IP.
pub async fn client_activity(db: &Db, scope: &ClientScope, before: i64) -> Result<Vec<LogRow>> {
    db.all(
        &format!(
            "WITH visible AS (SELECT p.id FROM projects p WHERE p.client_id = ?1
                                 AND (?4 = 1 OR p.id IN (SELECT project_id FROM contact_projects WHERE contact_id = ?3 AND client_id = ?1)))
             SELECT {LOG_COLUMNS}, CASE WHEN l.actor_id = ?3 THEN l.ip ELSE '' END AS ip,
                    (l.target IN (SELECT id FROM visible)) AS target_visible
               FROM access_log l LEFT JOIN clients cl ON cl.id = l.client_id
              WHERE l.client_id = ?1 AND l.actor_kind = 'contact' AND (?2 = 0 OR l.seq < ?2)
                AND (l.actor_id = ?3
                     OR l.target IN (SELECT id FROM visible)
                     OR (?4 = 1 AND l.target = '' AND l.action IN ('login', 'logout', 'view_projects', 'api_projects', 'login_link', 'accept_invitation')))
              ORDER BY l.seq DESC LIMIT 100"
        ),
        &args![scope.client_id().as_str(), before, scope.contact_id().as_str(), i64::from(scope.all_projects)],
    )
    .await
}
