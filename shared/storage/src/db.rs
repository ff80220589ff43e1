//! A thin wrapper over D1 that binds typed arguments, decodes rows, and keeps every statement
//! within D1's production limits — which local workerd does not enforce:
//!
//! - at most [`MAX_BOUND_PARAMS`] bound parameters per statement, [`MAX_SQL_BYTES`] of SQL and
//!   [`MAX_VALUE_BYTES`] per bound value: refused here, always, with an error naming the limit
//!   (bind id lists as one JSON array with `json_each(?)`, see [`Arg::json`]);
//! - at most 50 statements per Worker invocation on the free plan (1,000 paid): every `all`,
//!   `first`, `run` and every statement of a `batch` is counted on the invocation's [`Meter`];
//!   with a limit set (dev and test builds set [`FREE_PLAN_STATEMENTS`]) the statement that
//!   would exceed it is refused.
//!
//! The meter also counts rows read (the figure D1 bills and the dashboard benchmark reports).

use clearhours_domain::sealed::SealKey;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::d1::D1DatabaseSession;
use worker::{D1Database, D1PreparedStatement, D1Result};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    D1(String),
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A statement or an invocation over one of D1's limits: a bug to fix, never user input.
    #[error("over a D1 limit: {0}")]
    Limit(String),
}

/// Most bound parameters D1 accepts in one statement.
pub const MAX_BOUND_PARAMS: usize = 100;
/// Longest SQL text D1 accepts (bytes).
pub const MAX_SQL_BYTES: usize = 100_000;
/// Largest string or blob D1 accepts as a value (bytes).
pub const MAX_VALUE_BYTES: usize = 2_000_000;
/// Statements per Worker invocation on the free plan (the paid plan allows 1,000).
pub const FREE_PLAN_STATEMENTS: usize = 50;

impl From<worker::Error> for StorageError {
    fn from(e: worker::Error) -> Self {
        let s = e.to_string();
        if s.contains("UNIQUE constraint failed") {
            StorageError::Conflict(s)
        } else {
            StorageError::D1(s)
        }
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A bound SQL argument. Integers cross into JS as f64: exact up to 2^53, which minutes and
/// minor units stay far below.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}
impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Arg::Int(i64::from(b))
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(o: Option<T>) -> Self {
        o.map_or(Arg::Null, Into::into)
    }
}

impl Arg {
    /// A list (of ids, or of rows to write) as one JSON text, for `json_each(?)`: one bound
    /// parameter however long the list.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Arg> {
        serde_json::to_string(value).map(Arg::Text).map_err(|e| StorageError::Corrupt(format!("cannot encode a list: {e}")))
    }

    fn to_js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            #[allow(clippy::cast_precision_loss)]
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

/// Builds an argument list: `args![a, b, c]`.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($crate::db::Arg::from($a)),*] };
}

/// What one Worker invocation has spent: statements run and rows read. Every [`Db`] handle made
/// for the invocation shares one meter; with a limit, the statement that would go over it is
/// refused (the way D1 refuses it in production).
#[derive(Debug, Default)]
pub struct Meter {
    statements: Cell<usize>,
    rows_read: Cell<usize>,
    limit: Cell<Option<usize>>,
}

impl Meter {
    pub fn new(limit: Option<usize>) -> Rc<Self> {
        Rc::new(Self { limit: Cell::new(limit), ..Self::default() })
    }

    pub fn statements(&self) -> usize {
        self.statements.get()
    }

    pub fn rows_read(&self) -> usize {
        self.rows_read.get()
    }

    pub fn limit(&self) -> Option<usize> {
        self.limit.get()
    }

    /// Counts `n` statements about to run, or refuses them if they would pass the limit.
    fn spend(&self, n: usize) -> Result<()> {
        let total = self.statements.get() + n;
        if let Some(limit) = self.limit.get() {
            if total > limit {
                return Err(StorageError::Limit(format!(
                    "{total} D1 statements in one invocation; at most {limit} are allowed (every statement of a batch counts)"
                )));
            }
        }
        self.statements.set(total);
        Ok(())
    }
}

/// Where statements go: the database itself (the primary), or a D1 Sessions API session
/// (`withSession`), which may read from a replica but is sequentially consistent: it never
/// reads older data than it has already seen, and a session started from a bookmark sees at
/// least everything up to that bookmark — so a client who wrote in one request and carries
/// the bookmark into the next reads their own write. (`worker` 0.8.7 has the binding:
/// `D1Database::with_session`, `D1DatabaseSession::{prepare, batch, get_bookmark}`.)
enum Conn {
    Primary(D1Database),
    Session(D1DatabaseSession),
}

impl Conn {
    fn prepare(&self, sql: &str) -> D1PreparedStatement {
        match self {
            Conn::Primary(d) => d.prepare(sql),
            Conn::Session(s) => s.prepare(sql),
        }
    }

    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        match self {
            Conn::Primary(d) => d.batch(statements).await,
            Conn::Session(s) => s.batch(statements).await,
        }
    }
}

/// The database handle plus the invocation's [`Meter`], and the key that seals secrets at rest
/// (TOTP secrets, integration secrets) — held as a Worker secret, never in D1.
pub struct Db {
    d1: Conn,
    meter: Rc<Meter>,
    seal_key: Option<SealKey>,
    /// The Worker binding this handle is on (its shard; see `shards`).
    binding: Option<String>,
}

impl Db {
    /// A handle with its own meter and no statement limit.
    pub fn new(d1: D1Database) -> Self {
        Self { d1: Conn::Primary(d1), meter: Meter::new(None), seal_key: None, binding: None }
    }

    /// A handle whose statements run in a D1 session (see [`Conn`]).
    pub fn in_session(session: D1DatabaseSession) -> Self {
        Self { d1: Conn::Session(session), meter: Meter::new(None), seal_key: None, binding: None }
    }

    /// A handle that counts on `meter` (shared by the invocation's handles).
    pub fn with_meter(mut self, meter: Rc<Meter>) -> Self {
        self.meter = meter;
        self
    }

    /// Names the binding (shard) this handle is on.
    pub fn with_binding(mut self, binding: &str) -> Self {
        self.binding = Some(binding.to_string());
        self
    }

    /// The binding (shard) this handle is on: the directory database unless told otherwise.
    pub fn binding(&self) -> &str {
        self.binding.as_deref().unwrap_or(crate::shards::DIRECTORY)
    }

    pub fn with_seal_key(mut self, key: SealKey) -> Self {
        self.seal_key = Some(key);
        self
    }

    pub fn meter(&self) -> &Rc<Meter> {
        &self.meter
    }

    /// Seals a secret for storage under `context`. Without a key this is an error: secrets are
    /// never written in clear.
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String> {
        let key = self.seal_key.as_ref().ok_or_else(|| StorageError::D1("DATA_KEY is not configured; secrets cannot be stored".into()))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
        key.seal(context, plaintext, nonce).map_err(|e| StorageError::D1(e.to_string()))
    }

    /// Opens a stored secret (values stored before sealing existed pass through).
    pub fn open(&self, context: &str, stored: &str) -> Result<String> {
        if !clearhours_domain::sealed::is_sealed(stored) {
            return Ok(stored.to_string());
        }
        let key = self.seal_key.as_ref().ok_or_else(|| StorageError::D1("DATA_KEY is not configured; secrets cannot be read".into()))?;
        key.open(context, stored).map_err(|e| StorageError::Corrupt(e.to_string()))
    }

    /// Rows D1 reports as read in this invocation.
    pub fn rows_read(&self) -> usize {
        self.meter.rows_read()
    }

    /// Statements run in this invocation.
    pub fn statements(&self) -> usize {
        self.meter.statements()
    }

    /// Counts `n` statements this invocation will run after its response (work handed to
    /// `ctx.wait_until`, which D1 counts against the invocation too), or refuses them past the
    /// limit. The later work runs on a handle of its own, so nothing is counted twice.
    pub fn reserve(&self, n: usize) -> Result<()> {
        self.meter.spend(n)
    }

    /// Prepares one statement; refuses one that D1 would refuse in production.
    pub fn stmt(&self, sql: &str, args: &[Arg]) -> Result<D1PreparedStatement> {
        check_statement(sql, args)?;
        let js: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
        Ok(self.d1.prepare(sql).bind(&js)?)
    }

    fn count(&self, r: &D1Result) {
        if let Ok(Some(meta)) = r.meta() {
            self.meter.rows_read.set(self.meter.rows_read.get() + meta.rows_read.unwrap_or(0));
        }
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg]) -> Result<Vec<T>> {
        let s = self.stmt(sql, args)?;
        self.meter.spend(1)?;
        let r = s.all().await?;
        self.count(&r);
        Ok(r.results::<T>()?)
    }

    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg]) -> Result<Option<T>> {
        Ok(self.all::<T>(sql, args).await?.into_iter().next())
    }

    /// Runs one statement; returns the number of rows changed.
    pub async fn run(&self, sql: &str, args: &[Arg]) -> Result<usize> {
        let s = self.stmt(sql, args)?;
        self.meter.spend(1)?;
        let r = s.run().await?;
        self.count(&r);
        Ok(r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0))
    }

    /// Runs statements as one transaction: all or nothing. Each statement counts.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        self.meter.spend(statements.len())?;
        let results = self.d1.batch(statements).await?;
        for r in &results {
            self.count(r);
        }
        Ok(results)
    }
}

/// D1's per-statement limits: bound parameters, SQL length, value size.
pub fn check_statement(sql: &str, args: &[Arg]) -> Result<()> {
    if args.len() > MAX_BOUND_PARAMS {
        return Err(StorageError::Limit(format!(
            "a statement binds {} parameters; D1 allows at most {MAX_BOUND_PARAMS} (bind a list as one JSON array with json_each(?))",
            args.len()
        )));
    }
    if sql.len() > MAX_SQL_BYTES {
        return Err(StorageError::Limit(format!("a statement has {} bytes of SQL; D1 allows at most {MAX_SQL_BYTES}", sql.len())));
    }
    if let Some(n) = args.iter().filter_map(|a| if let Arg::Text(t) = a { Some(t.len()) } else { None }).find(|n| *n > MAX_VALUE_BYTES) {
        return Err(StorageError::Limit(format!("a bound value has {n} bytes; D1 allows at most {MAX_VALUE_BYTES}")));
    }
    Ok(())
}

/// Decodes the rows of one result of a batch.
pub fn rows<T: DeserializeOwned>(r: &D1Result) -> Result<Vec<T>> {
    Ok(r.results::<T>()?)
}

/// A random id with a prefix: `prefix_` + 22 base64url characters (128 bits).
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", random_token(16)?))
}

/// `n` random bytes as base64url without padding.
pub fn random_token(n: usize) -> Result<String> {
    use base64::Engine;
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// 16 random bytes for a password salt.
pub fn random_salt() -> Result<[u8; 16]> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(n: i64) -> Vec<Arg> {
        (0..n).map(Arg::Int).collect()
    }

    #[test]
    fn a_statement_binds_at_most_100_parameters() {
        assert!(check_statement("SELECT 1", &ints(100)).is_ok());
        let e = check_statement("SELECT 1", &ints(101)).unwrap_err();
        assert!(matches!(&e, StorageError::Limit(m) if m.contains("binds 101 parameters") && m.contains("json_each")), "{e}");
    }

    #[test]
    fn sql_text_and_values_within_d1_sizes() {
        assert!(check_statement(&"x".repeat(MAX_SQL_BYTES), &[]).is_ok());
        assert!(matches!(check_statement(&"x".repeat(MAX_SQL_BYTES + 1), &[]), Err(StorageError::Limit(_))));
        assert!(check_statement("SELECT ?", &[Arg::Text("v".repeat(MAX_VALUE_BYTES))]).is_ok());
        assert!(matches!(check_statement("SELECT ?", &[Arg::Text("v".repeat(MAX_VALUE_BYTES + 1))]), Err(StorageError::Limit(_))));
    }

    #[test]
    fn a_list_is_one_parameter() {
        let ids: Vec<String> = (0..500).map(|i| format!("mem_{i}")).collect();
        let a = Arg::json(&ids).unwrap();
        assert!(matches!(&a, Arg::Text(t) if t.starts_with("[\"mem_0\",") && t.ends_with("\"mem_499\"]")));
        assert!(check_statement("SELECT value FROM json_each(?)", &[a]).is_ok());
    }

    #[test]
    fn the_meter_refuses_the_statement_over_its_limit_and_counts_batches_whole() {
        let m = Meter::new(Some(FREE_PLAN_STATEMENTS));
        m.spend(45).unwrap();
        // A batch that would cross the limit is refused as a whole, and not counted.
        assert!(matches!(m.spend(6), Err(StorageError::Limit(msg)) if msg.starts_with("51 D1 statements")));
        assert_eq!(m.statements(), 45);
        m.spend(5).unwrap();
        assert_eq!(m.statements(), 50);
        assert!(m.spend(1).is_err());
        // Without a limit (production) it only counts.
        let free = Meter::new(None);
        free.spend(1000).unwrap();
        assert_eq!(free.statements(), 1000);
    }
}
