//! Tests only: runs [`Stmt`]s — the same values the D1 adapter prepares — against an in-memory
//! SQLite (rusqlite, bundled) with every `migrations/*.sql` applied in order. A batch is one
//! transaction, as in D1: the first failing statement rolls the whole batch back.

use crate::db::Arg;
use crate::stmt::Stmt;
use rusqlite::types::{Value, ValueRef};
use serde_json::{Map, Value as Json};

/// What one statement of a batch gave: its rows (as JSON objects, the way D1 returns them) and
/// the rows it changed.
#[derive(Debug, Default)]
pub struct Ran {
    pub rows: Vec<Map<String, Json>>,
    pub changes: usize,
}

impl Ran {
    pub fn rows<T: serde::de::DeserializeOwned>(&self) -> Vec<T> {
        self.rows.iter().map(|r| serde_json::from_value(Json::Object(r.clone())).unwrap()).collect()
    }
}

pub struct Native {
    pub conn: rusqlite::Connection,
}

impl Native {
    /// A fresh database with the real schema.
    pub fn new() -> Self {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut files: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
        files.sort();
        assert!(files.len() > 10, "migrations not found in {dir}");
        for f in files {
            let sql = std::fs::read_to_string(&f).unwrap();
            conn.execute_batch(&sql).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
        Self { conn }
    }

    /// Plain SQL for setting up a test (not a production statement).
    pub fn exec(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }

    /// Rows of a plain query, for assertions.
    pub fn query(&self, sql: &str) -> Vec<Map<String, Json>> {
        Self::run_one(&self.conn, &Stmt::new(sql.to_string(), vec![])).unwrap().rows
    }

    /// Runs the statements as one transaction: all or nothing.
    pub fn batch(&mut self, statements: &[Stmt]) -> rusqlite::Result<Vec<Ran>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            out.push(Self::run_one(&tx, s)?);
        }
        tx.commit()?;
        Ok(out)
    }

    fn run_one(conn: &rusqlite::Connection, s: &Stmt) -> rusqlite::Result<Ran> {
        let mut st = conn.prepare(&s.sql)?;
        for (i, a) in s.args.iter().enumerate() {
            let v = match a {
                Arg::Text(t) => Value::Text(t.clone()),
                Arg::Int(n) => Value::Integer(*n),
                Arg::Null => Value::Null,
            };
            st.raw_bind_parameter(i + 1, v)?;
        }
        let names: Vec<String> = st.column_names().into_iter().map(str::to_string).collect();
        let readonly = st.readonly();
        let mut ran = Ran::default();
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            let mut m = Map::new();
            for (i, n) in names.iter().enumerate() {
                let v = match r.get_ref(i)? {
                    ValueRef::Null => Json::Null,
                    ValueRef::Integer(n) => Json::from(n),
                    ValueRef::Real(f) => Json::from(f),
                    ValueRef::Text(t) => Json::from(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Json::from(b.to_vec()),
                };
                m.insert(n.clone(), v);
            }
            ran.rows.push(m);
        }
        drop(rows);
        ran.changes = if readonly { 0 } else { usize::try_from(conn.changes()).unwrap_or(0) };
        Ok(ran)
    }
}
