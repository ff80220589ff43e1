use super::*;
use chrono::TimeZone;

fn key() -> [u8; 32] {
    unsubscribe_key(&B64.encode([11u8; 32])).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap()
}

#[test]
fn unsubscribe_tokens_round_trip_and_refuse_tampering_and_age() {
    let t = sign_unsubscribe(&key(), "con_a.b:1", now());
    assert_eq!(verify_unsubscribe(&key(), &t, now()), Ok("con_a.b:1".to_string()));
    assert_eq!(verify_unsubscribe(&key(), &t, now() + chrono::Duration::days(UNSUBSCRIBE_DAYS - 1)), Ok("con_a.b:1".to_string()));
    assert_eq!(verify_unsubscribe(&key(), &t, now() + chrono::Duration::days(UNSUBSCRIBE_DAYS + 1)), Err(TokenError::Expired));
    // Another contact's id with this signature, a later expiry, another key: refused.
    let parts: Vec<&str> = t.split('.').collect();
    let other = format!("{}.{}.{}", B64URL.encode("con_b"), parts[1], parts[2]);
    assert_eq!(verify_unsubscribe(&key(), &other, now()), Err(TokenError::BadSignature));
    let later = format!("{}.{}.{}", parts[0], parts[1].parse::<i64>().unwrap() + 86_400, parts[2]);
    assert_eq!(verify_unsubscribe(&key(), &later, now()), Err(TokenError::BadSignature));
    let k2 = unsubscribe_key(&B64.encode([12u8; 32])).unwrap();
    assert_eq!(verify_unsubscribe(&k2, &t, now()), Err(TokenError::BadSignature));
    for bad in ["", "x", "a.b", "a.b.c.d", "!!.1.AA", &format!("{}.soon.{}", parts[0], parts[2])] {
        assert_eq!(verify_unsubscribe(&key(), bad, now()), Err(TokenError::Malformed), "{bad}");
    }
    assert!(unsubscribe_key("short").is_none());
}

#[test]
fn shared_thresholds_parse() {
    assert_eq!(parse_shared_thresholds(" 100, 90,90 "), Ok(vec![90, 100]));
    assert_eq!(parse_shared_thresholds(""), Ok(vec![]));
    assert!(parse_shared_thresholds("0").is_err());
    assert!(parse_shared_thresholds("ninety").is_err());
}
