//! Throttling rules for password sign-in, two-step codes and e-mailed links: what is counted,
//! per what, how many and over which window. Pure: `clearhours_storage::throttle` turns a
//! purpose's [`Rule`]s into ONE conditional `INSERT … SELECT … WHERE count < max RETURNING`, so
//! an attempt is *reserved* atomically before anything is verified, and a request that gets no
//! row back is refused without checking its password or code. [`admits`] is the reference
//! definition of that statement's condition (the property tests hold it to its promise).
//!
//! Keys: the account is a hash of what was typed (never the raw e-mail), the network is the
//! IPv4 address or the IPv6 /64 ([`ip_prefix`]); a client's devices on one home or office
//! network share a /64, so a /64 is what one attacker controls. Password lockout is per
//! (account, prefix): a stranger on another network cannot lock a client out, only themselves.
//! Counted attempts age out of the window, so every lockout ends by itself.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::str::FromStr;

/// What is being attempted; each purpose has its own counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A password at the sign-in form (the first factor).
    Password,
    /// A TOTP or recovery code at `POST /mfa` (the second factor).
    Mfa,
    /// A password-reset e-mail request.
    ResetLink,
    /// A sign-in-link e-mail request.
    SignInLink,
}

/// Which attempts a rule counts together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The same account from the same network prefix.
    AccountPrefix,
    /// The same account from anywhere.
    Account,
    /// Every account from the same network prefix.
    Prefix,
}

/// At most `max` attempts in any `window_minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub scope: Scope,
    pub max: u32,
    pub window_minutes: i64,
}

const fn rule(scope: Scope, max: u32, window_minutes: i64) -> Rule {
    Rule { scope, max, window_minutes }
}

/// Passwords: 10 failures per account and network per 15 minutes (the lockout), 50 per network.
/// No account-wide limit: it would let anyone lock any client out from everywhere.
const PASSWORD: [Rule; 2] = [rule(Scope::AccountPrefix, 10, 15), rule(Scope::Prefix, 50, 15)];
/// Codes: only someone who knows the password gets here, so the limit is per account from
/// anywhere (a guesser must not gain by spreading over networks): 10 per 15 minutes and 30 per
/// day, which puts a 1-in-333,333 guess (3 valid codes with ±1 step) years away.
const MFA: [Rule; 3] = [rule(Scope::Account, 10, 15), rule(Scope::Account, 30, 24 * 60), rule(Scope::Prefix, 50, 15)];
/// Links: 5 e-mails per address and network per 15 minutes, 20 per address per hour from
/// anywhere (no mailbox is flooded), 20 per network per 15 minutes.
const LINK: [Rule; 3] = [rule(Scope::AccountPrefix, 5, 15), rule(Scope::Account, 20, 60), rule(Scope::Prefix, 20, 15)];

/// Rows older than this count in no rule and may be deleted.
pub const RETENTION_MINUTES: i64 = 24 * 60;

impl Purpose {
    pub const ALL: [Purpose; 4] = [Purpose::Password, Purpose::Mfa, Purpose::ResetLink, Purpose::SignInLink];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Password => "password",
            Purpose::Mfa => "mfa",
            Purpose::ResetLink => "reset_link",
            Purpose::SignInLink => "signin_link",
        }
    }

    /// The rules, all of which must admit an attempt. The first is the lockout rule.
    pub fn rules(self) -> &'static [Rule] {
        match self {
            Purpose::Password => &PASSWORD,
            Purpose::Mfa => &MFA,
            Purpose::ResetLink | Purpose::SignInLink => &LINK,
        }
    }

    /// Which of the account's counted attempts a success forgets: a right password forgets the
    /// failures from its own network only (never an outsider's), a right code all the account's
    /// code failures. A link request is a rate, not a failure: nothing is forgotten.
    pub fn clears_on_success(self) -> Option<Scope> {
        match self {
            Purpose::Password => Some(Scope::AccountPrefix),
            Purpose::Mfa => Some(Scope::Account),
            Purpose::ResetLink | Purpose::SignInLink => None,
        }
    }
}

/// The network an address counts under: an IPv4 address as itself, an IPv6 address by its /64
/// (an IPv4-mapped IPv6 address as its IPv4 address). A missing or unparsable address counts as
/// one network, `"unknown"`, so it cannot escape the limits.
pub fn ip_prefix(ip: &str) -> String {
    match IpAddr::from_str(ip.trim()) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_string(),
    }
}

/// The account an attempt is counted under: a SHA-256 of the namespace and what was typed
/// (trimmed, lower-cased), so the table never holds a typed e-mail — which is sometimes a
/// password typed in the wrong field.
pub fn account_key(namespace: &str, typed: &str) -> String {
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update(b"\n");
    h.update(typed.trim().to_lowercase().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One counted attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub account: String,
    pub prefix: String,
    pub at: DateTime<Utc>,
}

impl Rule {
    /// Whether a counted attempt falls under this rule for an attempt on `account` from `prefix`.
    pub fn covers(&self, a: &Attempt, account: &str, prefix: &str) -> bool {
        match self.scope {
            Scope::AccountPrefix => a.account == account && a.prefix == prefix,
            Scope::Account => a.account == account,
            Scope::Prefix => a.prefix == prefix,
        }
    }

    /// The start of the window (exclusive) at `now`.
    pub fn since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::minutes(self.window_minutes)
    }

    fn counted<'a>(&self, history: &'a [Attempt], account: &str, prefix: &str, now: DateTime<Utc>) -> impl Iterator<Item = &'a Attempt> {
        let since = self.since(now);
        let (rule, account, prefix) = (*self, account.to_string(), prefix.to_string());
        history.iter().filter(move |a| a.at > since && rule.covers(a, &account, &prefix))
    }
}

/// The reference definition of the reserving statement: an attempt is admitted when every rule
/// counts fewer than `max` earlier attempts in its window.
pub fn admits(rules: &[Rule], history: &[Attempt], account: &str, prefix: &str, now: DateTime<Utc>) -> bool {
    rules.iter().all(|r| r.counted(history, account, prefix, now).count() < r.max as usize)
}

/// What one rule saw when an attempt was refused: its count and oldest attempt in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
}

/// Whole minutes (at least 1) until every rule admits one more attempt: a full rule frees a slot
/// when its oldest counted attempt leaves the window. 0 if nothing blocks.
pub fn retry_minutes(rules: &[Rule], seen: &[Seen], now: DateTime<Utc>) -> i64 {
    rules
        .iter()
        .zip(seen)
        .filter(|(r, s)| s.count >= r.max)
        .map(|(r, s)| {
            let free_at = s.oldest.unwrap_or(now) + Duration::minutes(r.window_minutes);
            ((free_at - now).num_seconds() + 59).div_euclid(60).max(1)
        })
        .max()
        .unwrap_or(0)
}

/// What the reserving statement answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Go ahead and verify.
    Reserved(Reservation),
    /// Refused without verifying; a slot frees in this many minutes.
    Throttled { retry_minutes: i64 },
}

/// A reserved attempt: the row to release on success, and how many attempts the lockout rule
/// counted before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub id: i64,
    pub seen: u32,
}

impl Reservation {
    /// Whether this attempt, if it fails, is the one that fills the lockout rule (log a lockout).
    pub fn fills_lockout(&self, purpose: Purpose) -> bool {
        purpose.rules().first().is_some_and(|r| self.seen + 1 >= r.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z").unwrap().with_timezone(&Utc) + Duration::minutes(min)
    }

    #[test]
    fn prefixes() {
        assert_eq!(ip_prefix("192.0.2.10"), "192.0.2.10");
        assert_eq!(ip_prefix(" 192.0.2.10 "), "192.0.2.10");
        assert_eq!(ip_prefix("2001:db8:1:2::a"), "2001:db8:1:2::/64");
        assert_eq!(ip_prefix("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(ip_prefix("2001:0DB8:0001:0002:0:0:0:1"), "2001:db8:1:2::/64");
        assert_ne!(ip_prefix("2001:db8:1:3::a"), ip_prefix("2001:db8:1:2::a"));
        assert_eq!(ip_prefix("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(ip_prefix(""), "unknown");
        assert_eq!(ip_prefix("not an ip"), "unknown");
    }

    #[test]
    fn account_keys_hash_the_normalised_input_per_namespace() {
        let k = account_key("contact", " Ada@Client-A.test ");
        assert_eq!(k, account_key("contact", "ada@client-a.test"));
        assert_ne!(k, account_key("staff", "ada@client-a.test"));
        assert_eq!(k.len(), 64);
        assert!(!k.contains("ada"));
    }

    #[test]
    fn purposes_have_their_own_rules_and_every_window_is_retained() {
        for p in Purpose::ALL {
            assert!(!p.rules().is_empty());
            assert!(p.rules().iter().all(|r| r.max > 0 && r.window_minutes > 0 && r.window_minutes <= RETENTION_MINUTES));
        }
        assert_eq!(Purpose::Password.rules()[0], Rule { scope: Scope::AccountPrefix, max: 10, window_minutes: 15 });
        assert!(Purpose::Password.rules().iter().all(|r| r.scope != Scope::Account), "no one locks a client out from everywhere");
        let names: std::collections::HashSet<_> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn password_lockout_is_per_account_and_network_and_ends() {
        let rules = Purpose::Password.rules();
        let (acct, x, y) = ("a", "192.0.2.1", "198.51.100.7");
        let history: Vec<_> = (0..10).map(|i| Attempt { account: acct.into(), prefix: x.into(), at: t(i / 5) }).collect();
        assert!(!admits(rules, &history, acct, x, t(2)), "the attacker's network is locked");
        assert!(admits(rules, &history, acct, y, t(2)), "the client elsewhere is not");
        assert!(admits(rules, &history, "b", x, t(2)), "other accounts from X still may (until the network limit)");
        assert!(admits(rules, &history, acct, x, t(15)), "the oldest five aged out");
        let seen = [Seen { count: 10, oldest: Some(t(0)) }, Seen { count: 10, oldest: Some(t(0)) }];
        assert_eq!(retry_minutes(rules, &seen, t(1)), 14);
        assert_eq!(retry_minutes(rules, &[Seen { count: 3, oldest: Some(t(0)) }, Seen { count: 3, oldest: None }], t(1)), 0);
    }

    #[test]
    fn the_reservation_that_fills_the_lockout_rule() {
        assert!(!Reservation { id: 1, seen: 8 }.fills_lockout(Purpose::Password));
        assert!(Reservation { id: 1, seen: 9 }.fills_lockout(Purpose::Password));
        assert!(Reservation { id: 1, seen: 4 }.fills_lockout(Purpose::ResetLink));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Admitting attempts one at a time by `admits` never lets any rule's window hold more
        /// than `max` attempts, whatever the order of accounts, networks and times.
        #[test]
        fn no_window_ever_holds_more_than_max(
            purpose in prop::sample::select(Purpose::ALL.to_vec()),
            steps in prop::collection::vec((0usize..2, 0usize..3, 0i64..2), 1..200),
        ) {
            let rules = purpose.rules();
            let mut history: Vec<Attempt> = Vec::new();
            let mut now = t(0);
            for (a, p, dt) in steps {
                now += Duration::minutes(dt);
                let (account, prefix) = (format!("acct{a}"), format!("net{p}"));
                if admits(rules, &history, &account, &prefix, now) {
                    history.push(Attempt { account: account.clone(), prefix: prefix.clone(), at: now });
                }
                // Only windows holding the new attempt can have grown.
                for r in rules {
                    let n = r.counted(&history, &account, &prefix, now).count();
                    prop_assert!(n <= r.max as usize, "{r:?} holds {n}");
                }
            }
        }

        /// Attempts from another network never change whether an account's password lockout
        /// admits: a stranger cannot lock the client out.
        #[test]
        fn strangers_do_not_lock_out_the_client(n in 0usize..200, mins in 0i64..30) {
            let rules = Purpose::Password.rules();
            let history: Vec<_> = (0..n).map(|_| Attempt { account: "a".into(), prefix: "x".into(), at: t(0) }).collect();
            prop_assert!(admits(rules, &history, "a", "y", t(mins)));
        }
    }
}
