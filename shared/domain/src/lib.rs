//! Clearhours' pure domain.
//!
//! Everything here is deterministic: no I/O, no clock, no `worker` dependency. Functions that
//! need "now" or "today" take it as a parameter, so tests pin the clock. The storage crate and
//! the workers are shells around this crate.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

pub mod alert;
pub mod audit;
pub mod calendar;
pub mod client_view;
pub mod conversation;
pub mod email;
pub mod entry;
pub mod error;
pub mod figures;
pub mod fixture;
pub mod ids;
pub mod invoice;
pub mod locale;
pub mod money;
pub mod network;
pub mod notice;
pub mod notify;
pub mod password;
pub mod payment_webhook;
pub mod project;
pub mod provider_note;
pub mod roles;
pub mod rollup;
pub mod sealed;
pub mod settings;
pub mod sign_in;
pub mod sources;
pub mod text;
pub mod throttle;
pub mod totp;
pub mod webhook;

pub use error::{FieldError, ValidationError};
