//! Identifier newtypes. Ids are short ASCII strings (`prj_acme_web`, `mem_7f3a…`); a newtype per
//! kind keeps a project id from being passed where a client id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest id accepted from any input.
pub const MAX_ID_LEN: usize = 64;

/// Why a string is not an id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_ID_LEN} characters")]
    TooLong,
    #[error("may contain only letters, digits, '_', '-', '.' and ':'")]
    BadChar,
}

/// Checks the id alphabet shared by every id kind (also used for external ids).
pub fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong);
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')) {
        return Err(IdError::BadChar);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok(Self(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                check_id(&s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(/// The agency.
    ProviderId);
id_type!(/// One of the provider's clients (the tenant boundary).
    ClientId);
id_type!(ProjectId);
id_type!(/// A team member who tracks time (not a login).
    MemberId);
id_type!(/// An activity code, provider-wide.
    TaskId);
id_type!(PhaseId);
id_type!(/// A client's portal login.
    ContactId);
id_type!(/// A provider staff login.
    StaffId);
id_type!(EntryId);
id_type!(IntegrationId);
id_type!(InvoiceId);
id_type!(/// The sender's id of a time entry (Toggl id, Clockify id, or the API caller's own).
    ExternalId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_id_alphabet_and_rejects_the_rest() {
        assert!(ProjectId::parse("prj_acme-web.2:x").is_ok());
        assert_eq!(ProjectId::parse(""), Err(IdError::Empty));
        assert_eq!(ProjectId::parse("a b"), Err(IdError::BadChar));
        assert_eq!(ProjectId::parse("é"), Err(IdError::BadChar));
        assert_eq!(ProjectId::parse(&"x".repeat(65)), Err(IdError::TooLong));
        assert!(ProjectId::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn serde_validates() {
        let ok: Result<ClientId, _> = serde_json::from_str("\"cli_1\"");
        assert!(ok.is_ok());
        let bad: Result<ClientId, _> = serde_json::from_str("\"cli 1\"");
        assert!(bad.is_err());
    }
}
