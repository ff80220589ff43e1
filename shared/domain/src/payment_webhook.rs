//! Stripe-compatible payment webhooks: the `Stripe-Signature` check and the two event shapes
//! that pay an invoice.
//!
//! **Signature.** `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]`; the HMAC is
//! over `"{t}.{raw body}"`, keyed with the endpoint's signing secret string as bytes (as Stripe
//! does with `whsec_…`). Any `v1` matching passes (secret rotation sends two); other schemes
//! (`v0`) are ignored. A `t` more than [`TOLERANCE_SECS`] from now, either way, is refused, so a
//! captured delivery cannot be replayed later; within the window, the event id dedupes it.
//! The signature is checked before the body is parsed; the comparison is constant-time.
//!
//! **Events.** `invoice.paid` (amount `data.object.amount_paid`) and `payment_intent.succeeded`
//! (`amount_received`, else `amount`), each with our invoice number in
//! `data.object.metadata.invoice_number` and a lower-case ISO currency. Amounts are in the
//! currency's minor units (yen for JPY), as ours are. Other event types are acknowledged and
//! ignored.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "stripe-signature";
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Largest amount accepted from a payment event, in minor units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header Stripe-Signature")]
    Missing,
    #[error("Stripe-Signature must hold t=<unix seconds> and at least one v1=<hex>")]
    Malformed,
    #[error("Stripe-Signature timestamp is more than 5 minutes away from now")]
    Stale,
    #[error("no valid signature")]
    NoMatch,
}

/// `"t=…,v1=…"` for `body` at `t` (for tests and for senders).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex(&mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let Ok(mut m) = HmacSha256::new_from_slice(secret.as_bytes()) else { return Vec::new() };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// Checks a delivery against any of `secrets` at `now` (Unix seconds).
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[&str], now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else { return Err(SignatureError::Malformed) };
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => sigs.push(unhex(v).ok_or(SignatureError::Malformed)?),
            _ => {}
        }
    }
    let (Some(t), false) = (t, sigs.is_empty()) else { return Err(SignatureError::Malformed) };
    // Checked: a timestamp at i64's ends must be refused, not overflow.
    if now.checked_sub(t).and_then(i64::checked_abs).is_none_or(|d| d > TOLERANCE_SECS) {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        let expected = mac(secret, t, body);
        if sigs.iter().any(|s| bool::from(s.as_slice().ct_eq(&expected))) {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: RawObject,
}

#[derive(Deserialize, Default)]
struct RawObject {
    #[serde(default)]
    metadata: std::collections::HashMap<String, serde_json::Value>,
    #[serde(default)]
    amount_paid: Option<i64>,
    #[serde(default)]
    amount_received: Option<i64>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

/// A payment for one of our invoices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentEvent {
    pub event_id: String,
    pub kind: String,
    pub invoice_number: String,
    /// Minor units; `None` when the event carries no amount (then the balance is paid).
    pub amount_minor: Option<i64>,
    /// Upper-case ISO code, when given.
    pub currency: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Payment(PaymentEvent),
    /// A valid event of another type (or without our invoice number): acknowledged, not used.
    Ignored {
        event_id: String,
        reason: String,
    },
}

/// Parses a verified body. Errors name what is wrong (400).
pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let e: RawEvent = serde_json::from_slice(body).map_err(|e| format!("body is not a payment event: {e}"))?;
    if e.id.is_empty() || e.id.len() > 200 || e.id.chars().any(char::is_control) {
        return Err("id must be 1 to 200 characters, without control characters".into());
    }
    let amount = match e.kind.as_str() {
        "invoice.paid" => e.data.object.amount_paid,
        "payment_intent.succeeded" => e.data.object.amount_received.or(e.data.object.amount),
        other => return Ok(Parsed::Ignored { event_id: e.id, reason: format!("event type {other} is not a payment") }),
    };
    let number = e.data.object.metadata.get("invoice_number").and_then(|v| v.as_str()).map(str::trim).unwrap_or_default();
    if number.is_empty() {
        return Ok(Parsed::Ignored { event_id: e.id, reason: "no metadata.invoice_number".into() });
    }
    if crate::invoice::check_number(number).is_err() {
        return Err("data.object.metadata.invoice_number is not an invoice number".into());
    }
    // Positive, and far below 2^53 (amounts cross into JavaScript as doubles).
    if amount.is_some_and(|a| a <= 0 || a > MAX_AMOUNT) {
        return Err("the amount must be positive and below 10^15 minor units".into());
    }
    Ok(Parsed::Payment(PaymentEvent {
        event_id: e.id,
        kind: e.kind,
        invoice_number: number.to_string(),
        amount_minor: amount,
        currency: e.data.object.currency.map(|c| c.to_ascii_uppercase()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn signatures() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign(SECRET, 1_000_000, body);
        assert_eq!(verify(Some(&h), body, &[SECRET], 1_000_000), Ok(()));
        assert_eq!(verify(Some(&h), body, &["other", SECRET], 1_000_000 + 300), Ok(()));
        assert_eq!(verify(Some(&h), body, &[SECRET], 1_000_000 + 301), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&h), body, &[SECRET], 1_000_000 - 301), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&h), b"{\"id\":\"evt_2\"}", &[SECRET], 1_000_000), Err(SignatureError::NoMatch));
        assert_eq!(verify(Some(&h), body, &["whsec_other"], 1_000_000), Err(SignatureError::NoMatch));
        assert_eq!(verify(None, body, &[SECRET], 0), Err(SignatureError::Missing));
        assert_eq!(verify(Some("t=1"), body, &[SECRET], 1), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("v1=00"), body, &[SECRET], 1), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("t=x,v1=00"), body, &[SECRET], 1), Err(SignatureError::Malformed));
        // A v0 next to a good v1 is ignored; a second, wrong v1 does not spoil a good one.
        let both = format!("{h},v1={},v0=abcd", "00".repeat(32));
        assert_eq!(verify(Some(&both), body, &[SECRET], 1_000_000), Ok(()));
        // Timestamps at i64's ends are stale, never an overflow.
        for t in [i64::MIN, i64::MAX] {
            let h = sign(SECRET, t, body);
            assert_eq!(verify(Some(&h), body, &[SECRET], 1_000_000), Err(SignatureError::Stale));
            assert_eq!(verify(Some(&h), body, &[SECRET], -1_000_000), Err(SignatureError::Stale));
        }
        // Known vector: HMAC-SHA256(key "whsec_test_secret", "1000000.{\"id\":\"evt_1\"}").
        assert_eq!(h.len(), "t=1000000,v1=".len() + 64);
    }

    #[test]
    fn events() {
        let paid = br#"{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount_paid":12345,"currency":"usd","metadata":{"invoice_number":"INV-0001"}}}}"#;
        assert_eq!(
            parse(paid),
            Ok(Parsed::Payment(PaymentEvent {
                event_id: "evt_1".into(),
                kind: "invoice.paid".into(),
                invoice_number: "INV-0001".into(),
                amount_minor: Some(12345),
                currency: Some("USD".into())
            }))
        );
        let pi = br#"{"id":"evt_2","type":"payment_intent.succeeded","data":{"object":{"amount":500,"currency":"jpy","metadata":{"invoice_number":"INV-2"}}}}"#;
        let Ok(Parsed::Payment(p)) = parse(pi) else { panic!() };
        assert_eq!((p.amount_minor, p.currency.as_deref()), (Some(500), Some("JPY")));
        assert!(matches!(parse(br#"{"id":"evt_3","type":"customer.created","data":{"object":{}}}"#), Ok(Parsed::Ignored { .. })));
        assert!(matches!(parse(br#"{"id":"evt_4","type":"invoice.paid","data":{"object":{}}}"#), Ok(Parsed::Ignored { .. })));
        assert!(parse(b"nope").is_err());
        assert!(parse(br#"{"id":"evt\u0000","type":"invoice.paid","data":{"object":{}}}"#).is_err());
        assert!(parse(br#"{"id":"evt_5","type":"invoice.paid","data":{"object":{"amount_paid":-1,"metadata":{"invoice_number":"A"}}}}"#)
            .is_err());
        assert!(parse(br#"{"id":"evt_6","type":"invoice.paid","data":{"object":{"metadata":{"invoice_number":"../x"}}}}"#).is_err());
    }
}
