//! Standard Webhooks signatures (our own signed API).
//!
//! `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//! entries; any match with any of the integration's current secrets is accepted (key rotation).
//! Timestamps more than [`TOLERANCE_SECS`] from now, either way, are refused. The signature is
//! checked before the body is parsed; comparisons are constant-time.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Why a delivery's signature was refused. The messages are safe to return to the sender.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp must be Unix seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is more than 5 minutes away from now")]
    StaleTimestamp,
    #[error("no valid signature")]
    NoMatch,
}

/// A signing secret: the bytes after `whsec_`, base64-decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>` (the decoded key must be 24–64 bytes).
    pub fn parse(s: &str) -> Result<Self, String> {
        let b64 = s.strip_prefix("whsec_").ok_or("secret must start with whsec_")?;
        let bytes = B64.decode(b64).map_err(|_| "secret is not valid base64")?;
        if !(24..=64).contains(&bytes.len()) {
            return Err("secret must decode to 24–64 bytes".into());
        }
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// `whsec_<base64>`.
    pub fn encode(&self) -> String {
        format!("whsec_{}", B64.encode(&self.0))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; new_from_slice cannot fail for HMAC.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        }
    }
}

#[cold]
fn unreachable_hmac() -> HmacSha256 {
    // Never reached: HMAC takes keys of any length. Kept total so no panic path exists.
    <HmacSha256 as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable_hmac())
}

/// The three headers, as received.
#[derive(Clone, Copy, Debug)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// `v1,<base64>` for a message.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = secret.mac();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Verifies a delivery; returns the `webhook-id` (the idempotency key) on success.
pub fn verify<'a>(headers: SignedHeaders<'a>, body: &[u8], secrets: &[WebhookSecret], now_unix: i64) -> Result<&'a str, SignatureError> {
    let id = headers.id.filter(|s| !s.is_empty()).ok_or(SignatureError::MissingHeader("webhook-id"))?;
    let ts_raw = headers.timestamp.ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
    let sigs = headers.signature.ok_or(SignatureError::MissingHeader("webhook-signature"))?;
    let ts: i64 = ts_raw.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    // Checked: `now - ts` overflows for timestamps near i64::MIN/MAX (and `abs` of MIN panics).
    if now_unix.checked_sub(ts).is_none_or(|d| d.unsigned_abs() > TOLERANCE_SECS.unsigned_abs()) {
        return Err(SignatureError::StaleTimestamp);
    }
    let candidates: Vec<Vec<u8>> =
        sigs.split_whitespace().filter_map(|s| s.strip_prefix("v1,")).filter_map(|b| B64.decode(b).ok()).collect();
    for secret in secrets {
        let mut mac = secret.mac();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(ts_raw.trim().as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        for c in &candidates {
            if subtle::ConstantTimeEq::ct_eq(expected.as_slice(), c.as_slice()).into() {
                return Ok(id);
            }
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(b: u8) -> WebhookSecret {
        WebhookSecret::from_bytes(vec![b; 32])
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders { id: Some(id), timestamp: Some(ts), signature: Some(sig) }
    }

    #[test]
    fn round_trip_and_rotation() {
        let body = br#"{"entries":[]}"#;
        let old = secret(1);
        let new = secret(2);
        let sig = sign(&old, "msg_1", 1_700_000_000, body);
        assert_eq!(verify(headers("msg_1", "1700000000", &sig), body, &[new.clone(), old.clone()], 1_700_000_100), Ok("msg_1"));
        // Several signatures in one header: one valid is enough.
        let both = format!("v1,AAAA {}", sign(&new, "msg_1", 1_700_000_000, body));
        assert_eq!(verify(headers("msg_1", "1700000000", &both), body, &[new], 1_700_000_000), Ok("msg_1"));
    }

    #[test]
    fn refusals() {
        let body = b"{}";
        let s = secret(1);
        let sig = sign(&s, "m", 1000, body);
        assert_eq!(verify(headers("m", "1000", &sig), b"{ }", std::slice::from_ref(&s), 1000), Err(SignatureError::NoMatch));
        assert_eq!(verify(headers("x", "1000", &sig), body, std::slice::from_ref(&s), 1000), Err(SignatureError::NoMatch));
        assert_eq!(verify(headers("m", "1000", &sig), body, &[secret(9)], 1000), Err(SignatureError::NoMatch));
        assert_eq!(verify(headers("m", "1000", &sig), body, std::slice::from_ref(&s), 1000 + 301), Err(SignatureError::StaleTimestamp));
        assert_eq!(verify(headers("m", "1000", &sig), body, std::slice::from_ref(&s), 1000 - 301), Err(SignatureError::StaleTimestamp));
        assert_eq!(verify(headers("m", "soon", &sig), body, std::slice::from_ref(&s), 1000), Err(SignatureError::BadTimestamp));
        let none = SignedHeaders { id: None, timestamp: Some("1000"), signature: Some(&sig) };
        assert_eq!(verify(none, body, &[s], 1000), Err(SignatureError::MissingHeader("webhook-id")));
    }

    #[test]
    fn extreme_timestamps_are_refused_not_an_overflow() {
        let body = b"{}";
        let s = secret(1);
        for (ts, now) in [(i64::MIN, 1_700_000_000), (i64::MAX, 1_700_000_000), (i64::MIN, i64::MAX), (i64::MAX, i64::MIN), (0, i64::MIN)] {
            let sig = sign(&s, "m", ts, body);
            let t = ts.to_string();
            assert_eq!(
                verify(headers("m", &t, &sig), body, std::slice::from_ref(&s), now),
                Err(SignatureError::StaleTimestamp),
                "{ts} at {now}"
            );
        }
        let sig = sign(&s, "m", i64::MAX, body);
        assert_eq!(verify(headers("m", &i64::MAX.to_string(), &sig), body, std::slice::from_ref(&s), i64::MAX), Ok("m"));
        assert_eq!(verify(headers("m", "99999999999999999999", &sig), body, &[s], 0), Err(SignatureError::BadTimestamp));
    }

    proptest::proptest! {
        /// Any header values and clock: an answer, never a panic.
        #[test]
        fn verify_never_panics(ts in proptest::prelude::any::<i64>(), now in proptest::prelude::any::<i64>(), raw in "\\PC{0,30}", sig in "\\PC{0,60}") {
            let s = secret(3);
            let t = ts.to_string();
            let _ = verify(headers("m", &t, &sig), b"{}", std::slice::from_ref(&s), now);
            let _ = verify(headers("m", &raw, &sig), b"{}", &[s], now);
        }
    }

    #[test]
    fn secret_format() {
        let s = secret(7);
        assert_eq!(WebhookSecret::parse(&s.encode()), Ok(s));
        assert!(WebhookSecret::parse("abc").is_err());
        assert!(WebhookSecret::parse("whsec_AAAA").is_err());
        assert!(!format!("{:?}", secret(1)).contains('1'));
    }
}
