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
    let ok = |id: &str| Ok(Unsubscribe { contact_id: id.to_string(), shard: None });
    let t = sign_unsubscribe(&key(), "con_a.b:1", None, now());
    assert_eq!(verify_unsubscribe(&key(), &t, now()), ok("con_a.b:1"));
    assert_eq!(verify_unsubscribe(&key(), &t, now() + chrono::Duration::days(UNSUBSCRIBE_DAYS - 1)), ok("con_a.b:1"));
    assert_eq!(verify_unsubscribe(&key(), &t, now() + chrono::Duration::days(UNSUBSCRIBE_DAYS + 1)), Err(TokenError::Expired));
    // Another contact's id with this signature, a later expiry, another key: refused.
    let parts: Vec<&str> = t.split('.').collect();
    let other = format!("{}.{}.{}", B64URL.encode("con_b"), parts[1], parts[2]);
    assert_eq!(verify_unsubscribe(&key(), &other, now()), Err(TokenError::BadSignature));
    let later = format!("{}.{}.{}", parts[0], parts[1].parse::<i64>().unwrap() + 86_400, parts[2]);
    assert_eq!(verify_unsubscribe(&key(), &later, now()), Err(TokenError::BadSignature));
    let k2 = unsubscribe_key(&B64.encode([12u8; 32])).unwrap();
    assert_eq!(verify_unsubscribe(&k2, &t, now()), Err(TokenError::BadSignature));
    for bad in ["", "x", "a.b", "a.b.c.d.e", "!!.1.AA", &format!("{}.soon.{}", parts[0], parts[2]), &format!("{t}.db-2"), &format!("{t}.")]
    {
        assert_eq!(verify_unsubscribe(&key(), bad, now()), Err(TokenError::Malformed), "{bad}");
    }
    assert!(unsubscribe_key("short").is_none());
}

#[test]
fn unsubscribe_tokens_carry_their_shard_under_the_signature() {
    let t = sign_unsubscribe(&key(), "con_x", Some("DB_2"), now());
    assert!(t.ends_with(".DB_2"), "{t}");
    assert_eq!(verify_unsubscribe(&key(), &t, now()), Ok(Unsubscribe { contact_id: "con_x".into(), shard: Some("DB_2".into()) }));
    // Another shard's name, or none, fails the signature (the lookup never reaches a shard).
    let base = t.trim_end_matches(".DB_2");
    assert_eq!(verify_unsubscribe(&key(), &format!("{base}.DB"), now()), Err(TokenError::BadSignature));
    assert_eq!(verify_unsubscribe(&key(), &format!("{base}.DB_3"), now()), Err(TokenError::BadSignature));
    assert_eq!(verify_unsubscribe(&key(), base, now()), Err(TokenError::BadSignature));
    // A legacy three-part token stays on the directory database, and cannot be given a shard.
    let legacy = sign_unsubscribe(&key(), "con_x", None, now());
    assert_eq!(verify_unsubscribe(&key(), &format!("{legacy}.DB_2"), now()), Err(TokenError::BadSignature));
    // An invalid shard name is never signed.
    assert_eq!(sign_unsubscribe(&key(), "con_x", Some("db 2"), now()), legacy);
}

#[test]
fn shared_thresholds_parse() {
    assert_eq!(parse_shared_thresholds(" 100, 90,90 "), Ok(vec![90, 100]));
    assert_eq!(parse_shared_thresholds(""), Ok(vec![]));
    assert!(parse_shared_thresholds("0").is_err());
    assert!(parse_shared_thresholds("ninety").is_err());
}
