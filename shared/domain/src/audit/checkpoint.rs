//! Signed checkpoints of a provider's access-log chain, in the C2SP *signed note* format
//! (<https://c2sp.org/signed-note>) with a body laid out like a C2SP *tlog-checkpoint*:
//!
//! ```text
//! clearhours/audit/prv_acme          ← origin: the chain (one per provider)
//! 1234                               ← size: rows sealed (positions 1..=size)
//! q0n6Q0lK…=                         ← base64 of the 32-byte hash of row `size` (zeros if 0)
//! 2026-11-25T10:00:00Z               ← when it was signed (UTC, RFC 3339)
//!
//! — clearhours-audit-1 AbCdEf…==     ← base64(4-byte key id ‖ 64-byte Ed25519 signature)
//! ```
//!
//! The signature covers the body (every line above the blank one, with its final newline). The
//! key id is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), and the verifier key
//! is published as `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>` — the format Go's
//! `golang.org/x/mod/sumdb/note` reads, so a provider can check a checkpoint without us.
//!
//! The hash is the head of an HMAC chain (see [`super`]), not a Merkle root: a checkpoint proves
//! what the chain's head was at a time, so a later chain that is shorter (truncated) or holds a
//! different row at that position (tail rewritten) contradicts it.

use super::{parse_key_list, valid_kid, Head, KeyError};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The checkpoint's statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// `clearhours/audit/<provider id>`.
    pub origin: String,
    pub head: Head,
    /// RFC 3339 UTC.
    pub time: String,
}

/// The origin line of a provider's chain.
pub fn origin(provider_id: &str) -> String {
    format!("clearhours/audit/{provider_id}")
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the checkpoint is not a signed note (body, blank line, signature lines)")]
    Format,
    #[error("the checkpoint's body is malformed: {0}")]
    Body(&'static str),
    #[error("no signature on the checkpoint is by a key this log holds")]
    UnknownSigner,
    #[error("the checkpoint's signature does not verify (it was altered)")]
    BadSignature,
    #[error("the checkpoint is for another log ({0})")]
    OtherLog(String),
}

fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fn bytes_to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Checkpoint {
    /// The signed body text.
    pub fn body(&self) -> String {
        let hash = if self.head.size == 0 { vec![0u8; 32] } else { hex_to_bytes(&self.head.hash).unwrap_or_default() };
        format!("{}\n{}\n{}\n{}\n", self.origin, self.head.size, B64.encode(hash), self.time)
    }

    fn parse_body(body: &str) -> Result<Self, NoteError> {
        let lines: Vec<&str> = body.strip_suffix('\n').ok_or(NoteError::Body("no final newline"))?.split('\n').collect();
        let [origin, size, hash, time] = lines.as_slice() else { return Err(NoteError::Body("expected 4 lines")) };
        if origin.is_empty() || origin.contains(char::is_whitespace) {
            return Err(NoteError::Body("origin"));
        }
        let size: i64 = size.parse().map_err(|_| NoteError::Body("size"))?;
        if size < 0 || size.to_string() != lines[1] {
            return Err(NoteError::Body("size"));
        }
        let raw = B64.decode(hash).map_err(|_| NoteError::Body("hash"))?;
        if raw.len() != 32 {
            return Err(NoteError::Body("hash"));
        }
        let hash = if size == 0 { String::new() } else { bytes_to_hex(&raw) };
        if chrono::DateTime::parse_from_rfc3339(time).is_err() {
            return Err(NoteError::Body("time"));
        }
        Ok(Self { origin: (*origin).to_string(), head: Head { size, hash }, time: (*time).to_string() })
    }
}

/// The keys that sign checkpoints, newest first: `"<name>:<base64 32-byte seed>[,…]"`
/// (`AUDIT_SIGNING_KEYS`). The newest signs; all verify.
#[derive(Clone)]
pub struct NoteKeys {
    keys: Vec<(String, SigningKey)>,
}

impl std::fmt::Debug for NoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        write!(f, "NoteKeys({names:?})")
    }
}

fn key_id(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x01");
    h.update(public.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl NoteKeys {
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (name, seed) in parse_key_list(s, 32)? {
            let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| KeyError::Malformed)?;
            if !valid_kid(&name) {
                return Err(KeyError::Malformed);
            }
            keys.push((name, SigningKey::from_bytes(&seed)));
        }
        Ok(Self { keys })
    }

    /// The verifier keys, newest first, as `<name>+<hex key id>+<base64(0x01 ‖ key)>`.
    pub fn verifier_keys(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|(name, k)| {
                let public = k.verifying_key();
                let mut enc = vec![1u8];
                enc.extend_from_slice(public.as_bytes());
                format!("{name}+{}+{}", bytes_to_hex(&key_id(name, &public)), B64.encode(enc))
            })
            .collect()
    }

    /// The signed note for `cp`, signed with the newest key.
    pub fn sign(&self, cp: &Checkpoint) -> String {
        let body = cp.body();
        let Some((name, key)) = self.keys.first() else { return body };
        let sig = key.sign(body.as_bytes());
        let mut raw = key_id(name, &key.verifying_key()).to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{body}\n\u{2014} {name} {}\n", B64.encode(raw))
    }

    /// Parses a signed note and checks that one of its signatures is by one of these keys.
    pub fn open(&self, note: &str) -> Result<Checkpoint, NoteError> {
        let note = note.replace("\r\n", "\n");
        let note = note.trim_start();
        let (body, sigs) = note.split_once("\n\n").ok_or(NoteError::Format)?;
        let body = format!("{body}\n");
        let cp = Checkpoint::parse_body(&body)?;
        let mut saw_ours = false;
        for line in sigs.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let rest = line.strip_prefix('\u{2014}').ok_or(NoteError::Format)?.trim_start();
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::Format)?;
            let raw = B64.decode(b64.trim()).map_err(|_| NoteError::Format)?;
            let Some((_, key)) = self.keys.iter().find(|(n, _)| n == name) else { continue };
            let public = key.verifying_key();
            if raw.len() != 68 || raw[..4] != key_id(name, &public) {
                continue;
            }
            saw_ours = true;
            let sig: [u8; 64] = raw[4..].try_into().map_err(|_| NoteError::Format)?;
            if public.verify(body.as_bytes(), &Signature::from_bytes(&sig)).is_ok() {
                return Ok(cp);
            }
        }
        Err(if saw_ours { NoteError::BadSignature } else { NoteError::UnknownSigner })
    }

    /// [`Self::open`], then checks that the checkpoint is for `provider_id`'s chain.
    pub fn open_for(&self, note: &str, provider_id: &str) -> Result<Checkpoint, NoteError> {
        let cp = self.open(note)?;
        if cp.origin != origin(provider_id) {
            return Err(NoteError::OtherLog(cp.origin));
        }
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED1: &str = "ck1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    const SEED2: &str = "ck2:CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg=";

    fn cp(size: i64) -> Checkpoint {
        Checkpoint { origin: origin("prv_a"), head: Head { size, hash: "ab".repeat(32) }, time: "2026-11-25T10:00:00Z".into() }
    }

    #[test]
    fn signs_and_opens_a_checkpoint() {
        let keys = NoteKeys::parse(SEED1).unwrap();
        let note = keys.sign(&cp(42));
        assert!(note.starts_with("clearhours/audit/prv_a\n42\n"));
        assert!(note.contains("\n\n\u{2014} ck1 "));
        assert_eq!(keys.open(&note).unwrap(), cp(42));
        assert_eq!(keys.open_for(&note, "prv_a").unwrap().head.size, 42);
        assert_eq!(keys.open_for(&note, "prv_b"), Err(NoteError::OtherLog("clearhours/audit/prv_a".into())));
        // Windows line endings from a download-and-upload round trip still open.
        assert!(keys.open(&note.replace('\n', "\r\n")).is_ok());
    }

    #[test]
    fn an_altered_checkpoint_does_not_open() {
        let keys = NoteKeys::parse(SEED1).unwrap();
        let note = keys.sign(&cp(42));
        assert_eq!(keys.open(&note.replacen("\n42\n", "\n41\n", 1)), Err(NoteError::BadSignature));
        let other = NoteKeys::parse(SEED2).unwrap();
        assert_eq!(other.open(&note), Err(NoteError::UnknownSigner));
        assert_eq!(keys.open("nonsense"), Err(NoteError::Format));
    }

    #[test]
    fn rotated_keys_still_open_old_checkpoints() {
        let old = NoteKeys::parse(SEED1).unwrap();
        let note = old.sign(&cp(3));
        let rotated = NoteKeys::parse(&format!("{SEED2},{SEED1}")).unwrap();
        assert!(rotated.open(&note).is_ok());
        assert!(rotated.sign(&cp(3)).contains("\u{2014} ck2 "));
    }

    #[test]
    fn the_empty_chain_has_a_checkpoint_too() {
        let keys = NoteKeys::parse(SEED1).unwrap();
        let empty = Checkpoint { origin: origin("p"), head: Head::default(), time: "2026-11-25T10:00:00Z".into() };
        assert_eq!(keys.open(&keys.sign(&empty)).unwrap(), empty);
    }

    #[test]
    fn verifier_key_matches_the_note_format() {
        // RFC 8032 test vector 1: this seed's public key is d75a98…511a.
        let seed = B64.encode([
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b,
            0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
        ]);
        let keys = NoteKeys::parse(&format!("test:{seed}")).unwrap();
        let vkey = &keys.verifier_keys()[0];
        let parts: Vec<&str> = vkey.splitn(3, '+').collect();
        assert_eq!(parts[0], "test");
        assert_eq!(parts[1].len(), 8);
        let raw = B64.decode(parts[2]).unwrap();
        assert_eq!(raw[0], 1);
        assert_eq!(bytes_to_hex(&raw[1..]), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    }
}
