//! The access log's chains: one per provider, sealed after the fact by a single writer.
//!
//! Requests only *insert* rows, each with the next position (`pseq`) in its provider's chain.
//! A sealer later links them in position order: each row's hash is HMAC-SHA256, under a key
//! held as a Worker secret (`AUDIT_KEYS`, rotatable; the key id is stored on the row), over the
//! previous row's hash, the row's position and its fields, length-prefixed so no two different
//! rows serialise alike. The first row's previous hash is "". Without the key nobody can forge
//! a row that verifies; with it, an insider still cannot rewrite or cut the tail without
//! contradicting a signed checkpoint a provider already holds ([`checkpoint`]).
//!
//! Everything here is pure: [`seal`] turns unsealed rows into seals, [`verify`] walks stored rows
//! from a trusted [`Head`] and names the first break, [`compare_checkpoint`] checks a held
//! checkpoint against the chain as it stands.

pub mod checkpoint;
pub mod words;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// The fields of one access-log row that the chain covers (with its position).
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

/// The keys that MAC the chains, newest first: `"<kid>:<base64 key>[,<kid>:<base64 key>…]"`.
/// The newest seals; every listed key still verifies rows sealed under it.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        write!(f, "Keyring({kids:?})")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no key given")]
    Empty,
    #[error("a key must be written <kid>:<base64 of at least 32 bytes>, with a kid of letters, digits, '-' or '_'")]
    Malformed,
    #[error("key id {0} is listed twice")]
    DuplicateKid(String),
}

/// A key id: 1–32 letters, digits, `-`, `_`.
pub(crate) fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 32 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits `"<kid>:<base64>[,…]"` into kids and key bytes of at least `min_len` bytes.
pub(crate) fn parse_key_list(s: &str, min_len: usize) -> Result<Vec<(String, Vec<u8>)>, KeyError> {
    let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kid, b64) = part.split_once(':').ok_or(KeyError::Malformed)?;
        let bytes = B64.decode(b64.trim()).map_err(|_| KeyError::Malformed)?;
        if !valid_kid(kid) || bytes.len() < min_len {
            return Err(KeyError::Malformed);
        }
        if keys.iter().any(|(k, _)| k == kid) {
            return Err(KeyError::DuplicateKid(kid.to_string()));
        }
        keys.push((kid.to_string(), bytes));
    }
    if keys.is_empty() {
        return Err(KeyError::Empty);
    }
    Ok(keys)
}

impl Keyring {
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        Ok(Self { keys: parse_key_list(s, 32)? })
    }

    /// The id of the key that seals new rows.
    pub fn current_kid(&self) -> &str {
        self.keys.first().map_or("", |(k, _)| k.as_str())
    }

    fn key(&self, kid: &str) -> Option<&[u8]> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, v)| v.as_slice())
    }
}

/// Hex HMAC-SHA256 under `key` of the previous hash, the position and the fields.
pub fn row_hash(key: &[u8], prev_hash: &str, pseq: i64, f: &AuditFields) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    let pos = pseq.to_string();
    mac.update(b"clearhours-audit-v2");
    for part in
        [prev_hash, &pos, f.at, f.provider_id, f.client_id, f.actor_kind, f.actor_id, f.action, f.target, f.outcome, f.ip, f.user_agent]
    {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// How a sign-in attempt for an unknown e-mail is recorded: never the address itself, but a
/// keyed tag (`email:` + 16 hex digits of HMAC under the newest key), so repeated attempts on
/// one address can be told apart without the log holding what was typed.
pub fn email_tag(keys: &Keyring, email: &str) -> String {
    let key = keys.key(keys.current_kid()).unwrap_or_default();
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    mac.update(b"clearhours-audit-email\0");
    mac.update(email.trim().to_lowercase().as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("email:{hex}")
}

/// The sealed end of one chain: its size (the last sealed position; 0 = nothing sealed) and
/// that row's hash ("" when empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Head {
    pub size: i64,
    pub hash: String,
}

/// A row waiting to be sealed: its global id, its position in the chain and its fields.
pub struct Unsealed<'a> {
    pub seq: i64,
    pub pseq: i64,
    pub fields: AuditFields<'a>,
}

/// What the sealer writes onto one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seal {
    pub seq: i64,
    pub pseq: i64,
    pub kid: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Rows must come after the head, in increasing position order.
    #[error("row at position {0} is not after the chain's head")]
    OutOfOrder(i64),
}

/// Seals `rows` (in increasing `pseq` order, all after `head`) under the newest key. Returns the
/// seals and the new head. A position skipped by the rows (a row deleted before it was sealed)
/// stays a gap that [`verify`] reports; sealing does not hide it.
pub fn seal<'a>(keys: &Keyring, head: &Head, rows: impl IntoIterator<Item = Unsealed<'a>>) -> Result<(Vec<Seal>, Head), SealError> {
    let kid = keys.current_kid();
    let key = keys.key(kid).unwrap_or_default();
    let mut head = head.clone();
    let mut out = Vec::new();
    for r in rows {
        if r.pseq <= head.size {
            return Err(SealError::OutOfOrder(r.pseq));
        }
        let hash = row_hash(key, &head.hash, r.pseq, &r.fields);
        out.push(Seal { seq: r.seq, pseq: r.pseq, kid: kid.to_string(), prev_hash: head.hash.clone(), hash: hash.clone() });
        head = Head { size: r.pseq, hash };
    }
    Ok((out, head))
}

/// One sealed row as verification sees it.
pub struct StoredRow<'a> {
    pub pseq: i64,
    pub kid: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub fields: AuditFields<'a>,
}

/// Where a chain breaks, by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// No row holds this position (a row was deleted).
    Missing { pseq: i64 },
    /// A second row claims a position already passed (a row was inserted).
    Inserted { pseq: i64 },
    /// The row does not point at the previous row's hash.
    Link { pseq: i64 },
    /// The row's hash does not match its fields (it was edited, or forged without the key).
    Content { pseq: i64 },
    /// The row names a key id this worker does not hold.
    UnknownKey { pseq: i64 },
    /// The chain is shorter than a checkpoint that was signed for it (rows were cut off).
    Truncated { pseq: i64 },
    /// The row at a checkpoint's position is not the one the checkpoint signed (the tail was
    /// rewritten).
    Forked { pseq: i64 },
}

impl Break {
    pub fn pseq(&self) -> i64 {
        match *self {
            Break::Missing { pseq }
            | Break::Inserted { pseq }
            | Break::Link { pseq }
            | Break::Content { pseq }
            | Break::UnknownKey { pseq }
            | Break::Truncated { pseq }
            | Break::Forked { pseq } => pseq,
        }
    }

    /// In words, for the verification report.
    pub fn describe(&self) -> &'static str {
        match self {
            Break::Missing { .. } => "this row is missing (it was deleted)",
            Break::Inserted { .. } => "a row was inserted at a position already taken",
            Break::Link { .. } => "the row does not follow the previous one (a row was deleted or inserted)",
            Break::Content { .. } => "the row's content does not match its hash (it was edited or forged)",
            Break::UnknownKey { .. } => "the row was sealed with a key this worker does not hold",
            Break::Truncated { .. } => "the log ends before this position, which a signed checkpoint covers (rows were cut off)",
            Break::Forked { .. } => "the row at this position differs from the one a signed checkpoint covers (the tail was rewritten)",
        }
    }

    /// A short code for JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Break::Missing { .. } => "missing",
            Break::Inserted { .. } => "inserted",
            Break::Link { .. } => "link",
            Break::Content { .. } => "content",
            Break::UnknownKey { .. } => "unknown_key",
            Break::Truncated { .. } => "truncated",
            Break::Forked { .. } => "forked",
        }
    }
}

/// Checks rows in position order, continuing from `start` (a trusted head: the empty chain or a
/// signed checkpoint). Returns the new head, or the first break.
pub fn verify<'a>(keys: &Keyring, start: &Head, rows: impl IntoIterator<Item = StoredRow<'a>>) -> Result<Head, Break> {
    let mut head = start.clone();
    for r in rows {
        let expected = head.size + 1;
        if r.pseq < expected {
            return Err(Break::Inserted { pseq: r.pseq });
        }
        if r.pseq > expected {
            return Err(Break::Missing { pseq: expected });
        }
        if r.prev_hash != head.hash {
            return Err(Break::Link { pseq: r.pseq });
        }
        let Some(key) = keys.key(r.kid) else { return Err(Break::UnknownKey { pseq: r.pseq }) };
        let computed = row_hash(key, &head.hash, r.pseq, &r.fields);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), r.hash.as_bytes())) {
            return Err(Break::Content { pseq: r.pseq });
        }
        head = Head { size: r.pseq, hash: computed };
    }
    Ok(head)
}

/// Checks a held checkpoint (`held`, whose signature was already checked) against the chain as
/// it stands: `size` is the chain's sealed size now, `hash_at_held` the stored hash of the row at
/// the checkpoint's position (None when there is no such sealed row). The rows up to there must
/// verify separately; this only catches what a valid-looking chain can hide: a cut or a
/// rewritten tail.
pub fn compare_checkpoint(held: &Head, size: i64, hash_at_held: Option<&str>) -> Result<(), Break> {
    if held.size == 0 {
        return Ok(());
    }
    if size < held.size {
        return Err(Break::Truncated { pseq: size + 1 });
    }
    match hash_at_held {
        Some(h) if h == held.hash => Ok(()),
        Some(_) => Err(Break::Forked { pseq: held.size }),
        None => Err(Break::Truncated { pseq: held.size }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

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

    #[derive(Clone)]
    struct Row {
        pseq: i64,
        kid: String,
        prev: String,
        hash: String,
        action: &'static str,
    }

    fn sealed(keys: &Keyring, actions: &[&'static str]) -> Vec<Row> {
        let unsealed = actions.iter().enumerate().map(|(i, a)| Unsealed { seq: 100 + i as i64, pseq: i as i64 + 1, fields: fields(a) });
        let (seals, head) = seal(keys, &Head::default(), unsealed).unwrap();
        assert_eq!(head.size, actions.len() as i64);
        seals.into_iter().zip(actions).map(|(s, a)| Row { pseq: s.pseq, kid: s.kid, prev: s.prev_hash, hash: s.hash, action: a }).collect()
    }

    fn check(keys: &Keyring, start: &Head, rows: &[Row]) -> Result<Head, Break> {
        verify(
            keys,
            start,
            rows.iter().map(|r| StoredRow { pseq: r.pseq, kid: &r.kid, prev_hash: &r.prev, hash: &r.hash, fields: fields(r.action) }),
        )
    }

    fn ring() -> Keyring {
        Keyring::parse(K1).unwrap()
    }

    #[test]
    fn sealed_rows_verify_and_link() {
        let rows = sealed(&ring(), &["login", "view", "logout"]);
        assert_eq!(rows[0].prev, "");
        assert_eq!(rows[1].prev, rows[0].hash);
        let head = check(&ring(), &Head::default(), &rows).unwrap();
        assert_eq!(head, Head { size: 3, hash: rows[2].hash.clone() });
    }

    #[test]
    fn sealing_continues_from_a_head_and_is_deterministic() {
        let all = sealed(&ring(), &["a", "b", "c", "d"]);
        let first = sealed(&ring(), &["a", "b"]);
        let head = Head { size: 2, hash: first[1].hash.clone() };
        let rest = [Unsealed { seq: 7, pseq: 3, fields: fields("c") }, Unsealed { seq: 8, pseq: 4, fields: fields("d") }];
        let (seals, end) = seal(&ring(), &head, rest).unwrap();
        assert_eq!(seals[1].hash, all[3].hash);
        assert_eq!(end.hash, all[3].hash);
        // Incremental verification from a trusted head.
        assert_eq!(check(&ring(), &head, &all[2..]).unwrap().size, 4);
    }

    #[test]
    fn sealing_refuses_rows_at_or_before_the_head() {
        let head = Head { size: 2, hash: "x".into() };
        let r = seal(&ring(), &head, [Unsealed { seq: 1, pseq: 2, fields: fields("a") }]);
        assert_eq!(r, Err(SealError::OutOfOrder(2)));
    }

    #[test]
    fn detects_edits_deletions_and_insertions() {
        let keys = ring();
        let rows = sealed(&keys, &["login", "view", "export", "logout"]);
        let mut edited = rows.clone();
        edited[1].action = "export";
        assert_eq!(check(&keys, &Head::default(), &edited), Err(Break::Content { pseq: 2 }));
        let mut deleted = rows.clone();
        deleted.remove(1);
        assert_eq!(check(&keys, &Head::default(), &deleted), Err(Break::Missing { pseq: 2 }));
        // Inserted with a position already used.
        let mut inserted = rows.clone();
        let mut dup = rows[1].clone();
        dup.action = "view";
        inserted.insert(2, dup);
        assert_eq!(check(&keys, &Head::default(), &inserted), Err(Break::Inserted { pseq: 2 }));
        // Inserted by renumbering the rest: the forger cannot compute the MAC without the key.
        let other = Keyring::parse(K2).unwrap();
        let mut renumbered = rows.clone();
        for r in renumbered.iter_mut().skip(1) {
            r.pseq += 1;
        }
        let forged_hash = row_hash(&[9u8; 32], &rows[0].hash, 2, &fields("view"));
        renumbered.insert(1, Row { pseq: 2, kid: "k1".into(), prev: rows[0].hash.clone(), hash: forged_hash, action: "view" });
        assert_eq!(check(&keys, &Head::default(), &renumbered), Err(Break::Content { pseq: 2 }));
        // A row claiming a key the worker does not hold.
        let mut unknown = rows.clone();
        unknown[0].kid = "k9".into();
        assert_eq!(check(&keys, &Head::default(), &unknown), Err(Break::UnknownKey { pseq: 1 }));
        // Rows sealed under another key do not verify under this one.
        assert_eq!(check(&other, &Head::default(), &rows), Err(Break::UnknownKey { pseq: 1 }));
    }

    #[test]
    fn a_relinked_row_is_a_broken_link() {
        let keys = ring();
        let mut rows = sealed(&keys, &["a", "b", "c"]);
        rows[2].prev = "0".repeat(64);
        assert_eq!(check(&keys, &Head::default(), &rows), Err(Break::Link { pseq: 3 }));
    }

    #[test]
    fn rotation_keeps_old_rows_verifiable() {
        let old = ring();
        let rows = sealed(&old, &["a", "b"]);
        let rotated = Keyring::parse(&format!("{K2},{K1}")).unwrap();
        assert_eq!(rotated.current_kid(), "k2");
        let head = check(&rotated, &Head::default(), &rows).unwrap();
        let (seals, _) = seal(&rotated, &head, [Unsealed { seq: 3, pseq: 3, fields: fields("c") }]).unwrap();
        assert_eq!(seals[0].kid, "k2");
        let mut all = rows.clone();
        all.push(Row { pseq: 3, kid: "k2".into(), prev: seals[0].prev_hash.clone(), hash: seals[0].hash.clone(), action: "c" });
        assert!(check(&rotated, &Head::default(), &all).is_ok());
        // Dropping the old key from the ring makes its rows unverifiable, and says so.
        assert_eq!(check(&Keyring::parse(K2).unwrap(), &Head::default(), &all), Err(Break::UnknownKey { pseq: 1 }));
    }

    #[test]
    fn a_gap_left_before_sealing_is_reported() {
        let keys = ring();
        let (seals, _) = seal(
            &keys,
            &Head::default(),
            [Unsealed { seq: 1, pseq: 1, fields: fields("a") }, Unsealed { seq: 3, pseq: 3, fields: fields("c") }],
        )
        .unwrap();
        let rows: Vec<Row> = seals
            .iter()
            .zip(["a", "c"])
            .map(|(s, a)| Row { pseq: s.pseq, kid: s.kid.clone(), prev: s.prev_hash.clone(), hash: s.hash.clone(), action: a })
            .collect();
        assert_eq!(check(&keys, &Head::default(), &rows), Err(Break::Missing { pseq: 2 }));
    }

    #[test]
    fn checkpoints_catch_truncation_and_a_rewritten_tail() {
        let held = Head { size: 5, hash: "h5".into() };
        assert_eq!(compare_checkpoint(&held, 7, Some("h5")), Ok(()));
        assert_eq!(compare_checkpoint(&held, 3, None), Err(Break::Truncated { pseq: 4 }));
        assert_eq!(compare_checkpoint(&held, 5, Some("other")), Err(Break::Forked { pseq: 5 }));
        assert_eq!(compare_checkpoint(&held, 6, None), Err(Break::Truncated { pseq: 5 }));
        assert_eq!(compare_checkpoint(&Head::default(), 0, None), Ok(()));
    }

    #[test]
    fn fields_cannot_be_shifted_between_columns_or_positions() {
        let k = [1u8; 32];
        let a = AuditFields { target: "ab", outcome: "c", ..fields("x") };
        let b = AuditFields { target: "a", outcome: "bc", ..fields("x") };
        assert_ne!(row_hash(&k, "", 1, &a), row_hash(&k, "", 1, &b));
        assert_ne!(row_hash(&k, "", 1, &a), row_hash(&k, "", 2, &a));
    }

    #[test]
    fn email_tags_hide_the_address_but_match_repeats() {
        let t = email_tag(&ring(), "Someone@Example.test ");
        assert_eq!(t, email_tag(&ring(), "someone@example.test"));
        assert!(t.starts_with("email:") && t.len() == 22 && !t.contains("example"));
        assert_ne!(t, email_tag(&Keyring::parse(K2).unwrap(), "someone@example.test"));
    }

    #[test]
    fn keyrings_parse_strictly() {
        assert_eq!(Keyring::parse("").unwrap_err(), KeyError::Empty);
        assert_eq!(Keyring::parse("k1:c2hvcnQ=").unwrap_err(), KeyError::Malformed);
        assert_eq!(Keyring::parse("no-colon").unwrap_err(), KeyError::Malformed);
        assert_eq!(Keyring::parse(&format!("{K1},{K1}")).unwrap_err(), KeyError::DuplicateKid("k1".into()));
        assert!(!format!("{:?}", ring()).contains("AQEB"));
    }
}
