//! Clearhours' storage adapter: every SQL statement and every KV key format lives here.
//!
//! Tenancy is enforced by type: client-owned data is reached only through a [`scope::ClientScope`],
//! which only the session check in [`auth`] can construct, and every query it runs filters by
//! the scope's client id. Provider-wide work (ingest, alerts, admin) goes through a
//! [`scope::ProviderScope`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]
// `args![…]` builds a Vec so lists can be extended; where a slice would do, clippy flags it.
#![allow(clippy::useless_vec)]

pub mod access_log;
pub mod account;
pub mod account_links;
pub mod admin;
pub mod alerts;
pub mod auth;
pub mod budget;
pub mod catalog;
pub mod dashboard;
pub mod db;
pub mod delivery;
pub mod entries;
pub mod fixtures;
pub mod ingest;
pub mod invoices;
pub mod kv;
pub mod mapping;
pub mod mfa;
#[cfg(test)]
mod native_tests;
pub mod notes;
pub mod notices;
pub mod provider;
pub mod questions;
pub mod scope;
pub mod shards;
pub mod signoff;
#[cfg(test)]
mod sqlite_tests;
pub mod stmt;
pub mod throttle;

pub use db::{Db, StorageError};
