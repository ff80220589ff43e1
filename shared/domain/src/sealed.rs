//! Secrets at rest: AES-256-GCM with a key held as a Worker secret (`DATA_KEY`), never in D1.
//! A sealed value is `v1:<base64 of nonce ‖ ciphertext>`; the *context* (for example
//! `integration:int_abc` or `mfa:contact:con_x`) is bound as associated data, so a sealed value
//! copied into another row does not open. The nonce is passed in (no randomness here).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct SealKey(Aes256Gcm);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("DATA_KEY must be base64 of 32 bytes")]
    BadKey,
    #[error("a sealed value does not open with this key and context")]
    Open,
    #[error("sealing failed")]
    Seal,
}

impl SealKey {
    /// From base64 of 32 bytes.
    pub fn parse(b64: &str) -> Result<Self, SealError> {
        let bytes = B64.decode(b64.trim()).map_err(|_| SealError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        Aes256Gcm::new_from_slice(&bytes).map(Self).map_err(|_| SealError::BadKey)
    }

    pub fn seal(&self, context: &str, plaintext: &str, nonce: [u8; 12]) -> Result<String, SealError> {
        let ct = self
            .0
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| SealError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// Opens a sealed value. A value without the `v1:` prefix was stored before sealing existed
    /// and is returned as it is.
    pub fn open(&self, context: &str, stored: &str) -> Result<String, SealError> {
        let Some(b64) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let raw = B64.decode(b64).map_err(|_| SealError::Open)?;
        if raw.len() < 12 + 16 {
            return Err(SealError::Open);
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Open)?;
        let pt = self.0.decrypt(&nonce, Payload { msg: ct, aad: context.as_bytes() }).map_err(|_| SealError::Open)?;
        String::from_utf8(pt).map_err(|_| SealError::Open)
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SealKey {
        SealKey::parse(&B64.encode([b; 32])).unwrap()
    }

    #[test]
    fn round_trip_bound_to_context_and_key() {
        let k = key(1);
        let s = k.seal("mfa:contact:con_a", "JBSWY3DPEHPK3PXP", [7; 12]).unwrap();
        assert!(is_sealed(&s) && !s.contains("JBSWY3DP"));
        assert_eq!(k.open("mfa:contact:con_a", &s).unwrap(), "JBSWY3DPEHPK3PXP");
        assert_eq!(k.open("mfa:contact:con_b", &s), Err(SealError::Open));
        assert_eq!(key(2).open("mfa:contact:con_a", &s), Err(SealError::Open));
        assert_eq!(k.open("x", "v1:AAAA"), Err(SealError::Open));
        assert_eq!(k.open("x", "legacy-plaintext"), Ok("legacy-plaintext".to_string()));
        assert_eq!(SealKey::parse("short").err(), Some(SealError::BadKey));
    }
}
