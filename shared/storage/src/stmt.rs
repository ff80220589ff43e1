//! Statements as data: the SQL text and its bound arguments, built by plain functions.
//!
//! The rules that decide what is written (delivery ordering by version, tombstones,
//! invoiced-entry flags, throttle reservations, the access log's sealing compare-and-set) are
//! built as [`Stmt`] values. The D1 adapter only prepares and runs them ([`Stmt::prepare`]); the
//! native tests run the very same values against SQLite with the real `migrations/*.sql`
//! applied (`crate::sqlite_tests`, tests only), so the production SQL is what is tested.

use crate::db::{Arg, Db, Result};
use std::borrow::Cow;

/// One SQL statement with its arguments.
#[derive(Clone, Debug)]
pub struct Stmt {
    pub sql: Cow<'static, str>,
    pub args: Vec<Arg>,
}

impl Stmt {
    pub fn new(sql: impl Into<Cow<'static, str>>, args: Vec<Arg>) -> Self {
        Self { sql: sql.into(), args }
    }

    /// Prepares it on D1 (refused there if over one of D1's limits; see [`Db::stmt`]).
    pub fn prepare(&self, db: &Db) -> Result<worker::D1PreparedStatement> {
        db.stmt(&self.sql, &self.args)
    }
}

/// Prepares every statement, in order.
pub fn prepare_all(db: &Db, statements: &[Stmt]) -> Result<Vec<worker::D1PreparedStatement>> {
    statements.iter().map(|s| s.prepare(db)).collect()
}
