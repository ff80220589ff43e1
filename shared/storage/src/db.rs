//! A thin wrapper over D1 that binds typed arguments, decodes rows, and counts rows read (the
//! figure D1 bills and the dashboard benchmark reports).

use clearhours_domain::sealed::SealKey;
use serde::de::DeserializeOwned;
use std::cell::Cell;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    D1(String),
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

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

/// The database handle plus a running count of rows read, and the key that seals secrets at
/// rest (TOTP secrets, integration secrets) — held as a Worker secret, never in D1.
pub struct Db {
    d1: D1Database,
    rows_read: Cell<usize>,
    seal_key: Option<SealKey>,
}

impl Db {
    pub fn new(d1: D1Database) -> Self {
        Self { d1, rows_read: Cell::new(0), seal_key: None }
    }

    pub fn with_seal_key(mut self, key: SealKey) -> Self {
        self.seal_key = Some(key);
        self
    }

    /// Seals a secret for storage under `context`. Without a key this is an error: secrets are
    /// never written in clear.
    pub fn seal(&self, context: &str, plaintext: &str) -> Result<String> {
        let key = self.seal_key.as_ref().ok_or_else(|| StorageError::D1("DATA_KEY is not configured; secrets cannot be stored".into()))?;
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
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

    /// Rows D1 reports as read since this handle was made.
    pub fn rows_read(&self) -> usize {
        self.rows_read.get()
    }

    pub fn stmt(&self, sql: &str, args: &[Arg]) -> Result<D1PreparedStatement> {
        let js: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
        Ok(self.d1.prepare(sql).bind(&js)?)
    }

    fn count(&self, r: &D1Result) {
        if let Ok(Some(meta)) = r.meta() {
            self.rows_read.set(self.rows_read.get() + meta.rows_read.unwrap_or(0));
        }
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg]) -> Result<Vec<T>> {
        let r = self.stmt(sql, args)?.all().await?;
        self.count(&r);
        Ok(r.results::<T>()?)
    }

    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg]) -> Result<Option<T>> {
        Ok(self.all::<T>(sql, args).await?.into_iter().next())
    }

    /// Runs one statement; returns the number of rows changed.
    pub async fn run(&self, sql: &str, args: &[Arg]) -> Result<usize> {
        let r = self.stmt(sql, args)?.run().await?;
        self.count(&r);
        Ok(r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0))
    }

    /// Runs statements as one transaction: all or nothing.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        let results = self.d1.batch(statements).await?;
        for r in &results {
            self.count(r);
        }
        Ok(results)
    }
}

/// Decodes the rows of one result of a batch.
pub fn rows<T: DeserializeOwned>(r: &D1Result) -> Result<Vec<T>> {
    Ok(r.results::<T>()?)
}

/// `?, ?, ?` for an IN list of `n` items.
pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A random id with a prefix: `prefix_` + 22 base64url characters (128 bits).
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", random_token(16)?))
}

/// `n` random bytes as base64url without padding.
pub fn random_token(n: usize) -> Result<String> {
    use base64::Engine;
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// 16 random bytes for a password salt.
pub fn random_salt() -> Result<[u8; 16]> {
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf).map_err(|e| StorageError::D1(format!("no randomness: {e}")))?;
    Ok(buf)
}
