//! TOTP (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits, ±1 step of clock drift. Each code
//! is usable once: verification returns the matched step, and callers store the last used step
//! and refuse any step at or before it.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps of drift accepted on either side.
pub const SKEW: i64 = 1;

/// The HOTP value (RFC 4226) of `counter`, with `digits` digits, for an HMAC-SHA1 key.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(key) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin =
        (u32::from(h[offset] & 0x7f) << 24) | (u32::from(h[offset + 1]) << 16) | (u32::from(h[offset + 2]) << 8) | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The time step containing Unix time `t`.
pub fn step_at(t: i64) -> i64 {
    t.div_euclid(STEP_SECS)
}

/// The 6-digit code for Unix time `t`, zero-padded.
pub fn code_at(key: &[u8], t: i64) -> String {
    format!("{:0width$}", hotp(key, u64::try_from(step_at(t)).unwrap_or(0), DIGITS), width = DIGITS as usize)
}

/// The step a code matches within ±[`SKEW`] of `now`, if any and if it is after `last_used_step`.
pub fn verify(key: &[u8], code: &str, now: i64, last_used_step: Option<i64>) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut matched = None;
    for step in (current - SKEW)..=(current + SKEW) {
        let Ok(counter) = u64::try_from(step) else { continue };
        let expected = format!("{:0width$}", hotp(key, counter, DIGITS), width = DIGITS as usize);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && matched.is_none() {
            matched = Some(step);
        }
    }
    matched.filter(|s| last_used_step.is_none_or(|last| *s > last))
}

/// RFC 4648 base32 without padding (authenticator apps' secret format).
pub fn base32_encode(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// Reads base32 as people copy it: any case, spaces, trailing padding.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let clean: String = s.trim_end_matches('=').chars().filter(|c| !c.is_ascii_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    use crate::text::encode_component as enc;
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits.
        let key = b"12345678901234567890";
        for (t, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(key, u64::try_from(step_at(t)).unwrap(), 8), expected, "t = {t}");
        }
        assert_eq!(code_at(key, 59), "287082");
    }

    #[test]
    fn drift_and_replay() {
        let key = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = code_at(key, now);
        let step = verify(key, &code, now, None).unwrap();
        assert_eq!(step, step_at(now));
        // The same code again is refused.
        assert_eq!(verify(key, &code, now, Some(step)), None);
        // One step either side is accepted, two are not.
        assert!(verify(key, &code_at(key, now - 30), now, None).is_some());
        assert!(verify(key, &code_at(key, now + 30), now, None).is_some());
        assert!(verify(key, &code_at(key, now - 60), now, None).is_none());
        assert!(verify(key, "12345", now, None).is_none());
        assert!(verify(key, "abcdef", now, None).is_none());
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(base32_encode(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(), b"12345678901234567890");
        assert_eq!(base32_decode("gezd gnbv").unwrap(), base32_decode("GEZDGNBV").unwrap());
        assert!(base32_decode("1!").is_none());
        assert!(otpauth_uri("Clearhours", "ada@a.test", "ABC")
            .starts_with("otpauth://totp/Clearhours:ada%40a.test?secret=ABC&issuer=Clearhours"));
    }
}
