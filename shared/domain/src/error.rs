//! Validation errors that name the offending field, so every 4xx can say what is wrong.

use serde::Serialize;

/// One problem with one input field. `field` is a path such as `entries[3].minutes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// All the problems found in one input, in the order found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {}", .errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationError {
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { errors: vec![FieldError::new(field, message)] }
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Prefixes every field path, e.g. `minutes` → `entries[2].minutes`.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for e in &mut self.errors {
            e.field = if e.field.is_empty() { prefix.to_string() } else { format!("{prefix}.{}", e.field) };
        }
        self
    }
}
