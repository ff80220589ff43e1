//! The access log's hash chain. Each row's hash is SHA-256 over the previous row's hash and the
//! row's fields, length-prefixed so no two different rows serialise alike. The first row's
//! previous hash is the empty string. Verification recomputes the chain in order and reports
//! the first row whose `prev_hash` or `hash` does not match.

use sha2::{Digest, Sha256};

/// The fields of one access-log row that the chain covers (everything but `seq`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub at: &'a str,
    pub provider_id: &'a str,
    pub client_id: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// Hex SHA-256 of `prev_hash` and the fields.
pub fn row_hash(prev_hash: &str, f: &AuditFields) -> String {
    let mut h = Sha256::new();
    for part in [prev_hash, f.at, f.provider_id, f.client_id, f.actor_kind, f.actor_id, f.action, f.target, f.outcome, f.ip, f.user_agent] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One stored row as verification sees it.
pub struct StoredRow<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub fields: AuditFields<'a>,
}

/// Where a chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The row does not point at the previous row's hash (a row before it was deleted, or one
    /// was inserted).
    Link { seq: i64 },
    /// The row's own hash does not match its fields (it was edited).
    Content { seq: i64 },
}

/// Checks rows in `seq` order, continuing from `prev_hash` (the hash of the row before the
/// first one, or "" at the start). Returns the last hash, or the first break.
pub fn verify<'a>(prev_hash: &str, rows: impl IntoIterator<Item = StoredRow<'a>>) -> Result<String, Break> {
    let mut prev = prev_hash.to_string();
    for r in rows {
        if r.prev_hash != prev {
            return Err(Break::Link { seq: r.seq });
        }
        let expected = row_hash(&prev, &r.fields);
        if expected != r.hash {
            return Err(Break::Content { seq: r.seq });
        }
        prev = expected;
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(action: &str) -> AuditFields<'_> {
        AuditFields {
            at: "2026-11-25T10:00:00Z",
            provider_id: "p",
            client_id: "c",
            actor_kind: "contact",
            actor_id: "a",
            action,
            target: "",
            outcome: "success",
            ip: "",
            user_agent: "",
        }
    }

    fn chain(actions: &[&'static str]) -> Vec<(i64, String, String, &'static str)> {
        let mut prev = String::new();
        let mut out = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let h = row_hash(&prev, &fields(a));
            out.push((i as i64 + 1, prev.clone(), h.clone(), *a));
            prev = h;
        }
        out
    }

    fn check(rows: &[(i64, String, String, &str)]) -> Result<String, Break> {
        verify("", rows.iter().map(|(seq, p, h, a)| StoredRow { seq: *seq, prev_hash: p, hash: h, fields: fields(a) }))
    }

    #[test]
    fn detects_edits_deletions_and_insertions() {
        let rows = chain(&["login", "view", "logout"]);
        assert!(check(&rows).is_ok());
        let mut edited = rows.clone();
        edited[1].3 = "export";
        assert_eq!(check(&edited), Err(Break::Content { seq: 2 }));
        let mut deleted = rows.clone();
        deleted.remove(1);
        assert_eq!(check(&deleted), Err(Break::Link { seq: 3 }));
        let mut inserted = rows.clone();
        let fake = row_hash(&rows[0].2, &fields("view"));
        inserted.insert(1, (9, rows[0].2.clone(), fake, "view"));
        assert_eq!(check(&inserted), Err(Break::Link { seq: 2 }));
    }

    #[test]
    fn fields_cannot_be_shifted_between_columns() {
        let a = AuditFields { target: "ab", outcome: "c", ..fields("x") };
        let b = AuditFields { target: "a", outcome: "bc", ..fields("x") };
        assert_ne!(row_hash("", &a), row_hash("", &b));
    }
}
