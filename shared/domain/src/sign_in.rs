//! The sign-in policy (first factor), pure: what a password sign-in answers and records, and
//! where a proven first factor leads. The portal's `auth` only reads the form, does the I/O in
//! the order this module names (look up, reserve, verify, network check) and renders.
//!
//! - Every failed first factor — unknown account, wrong password, no password set, disabled
//!   account, throttled, or outside the account's network allowlist — gets the same answer
//!   ([`BAD_LOGIN`]), so none of them can be told apart.
//! - A throttled attempt verifies nothing (no Argon2 under a flood) and waits about as long as a
//!   verification instead ([`THROTTLED_DELAY_MS`]).
//! - The network is checked only after a right password, and a refusal keeps the reservation:
//!   from outside the allowlist nobody can confirm a password or reset the counter.
//! - After the first factor: a second step if the account has one, enrolment if it is required.

/// The one answer to every failed first factor.
pub const BAD_LOGIN: &str =
    "E-mail or password is incorrect. After repeated failures, sign-in from your network pauses for up to 15 minutes.";
/// How long a throttled sign-in waits before answering: about one Argon2id verification
/// (m = 19 MiB, t = 2) in wasm, so it is not told apart by a much faster answer.
pub const THROTTLED_DELAY_MS: u64 = 80;
/// What an account that proved its first factor from outside its allowlist is told (e-mailed
/// links and invitations, where the account is already known to the caller).
pub const NETWORK_DENIED: &str = "Access from your network is not allowed for this account. Ask your agency to allow it.";

/// Longest e-mail address and password the form accepts (longer is a failed sign-in).
pub const MAX_EMAIL: usize = 254;
pub const MAX_PASSWORD: usize = 1024;

/// Whether the typed e-mail and password are worth looking up at all.
pub fn plausible(email: &str, password: &str) -> bool {
    let email = email.trim();
    !email.is_empty() && email.len() <= MAX_EMAIL && !password.is_empty() && password.len() <= MAX_PASSWORD
}

/// The account found for the typed e-mail, as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub has_password: bool,
    pub disabled: bool,
}

/// Whether the password proves the account: it exists, has a password, is enabled, and the
/// password verified (against the dummy hash for unknown accounts, so the time is the same).
pub fn proves(account: Option<Account>, verified: bool) -> bool {
    matches!(account, Some(a) if verified && a.has_password && !a.disabled)
}

/// Whether `ip` passes an account's stored allowlist (empty = anywhere); a stored list that does
/// not parse lets nobody through.
pub fn network_allows(stored_list: &str, ip: &str) -> bool {
    crate::network::IpAllowlist::parse(stored_list).is_ok_and(|l| l.allows(ip))
}

/// What a password sign-in comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Sign in; forget the counted failures the throttle says a success forgets.
    Admit,
    /// Answer [`BAD_LOGIN`]. `log_failure`: record a failed sign-in (not for a network refusal,
    /// which is recorded as such when it is checked); `log_lockout`: this attempt filled the
    /// lockout rule.
    Refuse { log_failure: bool, log_lockout: bool },
}

/// The verdict after verification: `proven` from [`proves`], `network_allows` the allowlist
/// check (asked only of a proven account), `fills_lockout` from the attempt's reservation.
pub fn verdict(proven: bool, network_allows: bool, fills_lockout: bool) -> Verdict {
    match (proven, network_allows) {
        (true, true) => Verdict::Admit,
        (true, false) => Verdict::Refuse { log_failure: false, log_lockout: fills_lockout },
        (false, _) => Verdict::Refuse { log_failure: true, log_lockout: fills_lockout },
    }
}

/// The session's second step after a proven first factor (the stored `mfa_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// No second step: the session is complete.
    None,
    /// The account has a second factor: ask for it.
    Pending,
    /// A second factor is required but not set up: set it up first.
    Enroll,
}

impl SecondStep {
    pub fn of(enrolled: bool, required: bool) -> Self {
        if enrolled {
            SecondStep::Pending
        } else if required {
            SecondStep::Enroll
        } else {
            SecondStep::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecondStep::None => "none",
            SecondStep::Pending => "pending",
            SecondStep::Enroll => "enroll",
        }
    }

    /// Where the browser goes next (`staff`: the admin area, else the client's projects).
    pub fn next_page(self, staff: bool) -> &'static str {
        match (self, staff) {
            (SecondStep::Pending, _) => "/mfa",
            (SecondStep::Enroll, _) => "/mfa/setup",
            (SecondStep::None, false) => "/projects",
            (SecondStep::None, true) => "/admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Account = Account { has_password: true, disabled: false };

    #[test]
    fn only_an_enabled_account_with_a_verified_password_is_proven() {
        assert!(proves(Some(OK), true));
        assert!(!proves(Some(OK), false));
        assert!(!proves(None, true), "an unknown account never signs in, even if the dummy hash verified");
        assert!(!proves(Some(Account { has_password: false, ..OK }), true));
        assert!(!proves(Some(Account { disabled: true, ..OK }), true));
    }

    #[test]
    fn every_refusal_is_the_same_answer_and_only_true_failures_are_logged_as_such() {
        assert_eq!(verdict(true, true, false), Verdict::Admit);
        assert_eq!(verdict(true, true, true), Verdict::Admit, "a right password from an allowed network is never locked out here");
        assert_eq!(verdict(true, false, false), Verdict::Refuse { log_failure: false, log_lockout: false });
        assert_eq!(verdict(true, false, true), Verdict::Refuse { log_failure: false, log_lockout: true });
        assert_eq!(verdict(false, true, true), Verdict::Refuse { log_failure: true, log_lockout: true });
        assert_eq!(verdict(false, false, false), Verdict::Refuse { log_failure: true, log_lockout: false });
    }

    #[test]
    fn a_broken_allowlist_admits_nobody() {
        assert!(network_allows("", "203.0.113.9"));
        assert!(network_allows("203.0.113.0/24", "203.0.113.9"));
        assert!(!network_allows("203.0.113.0/24", "198.51.100.1"));
        assert!(!network_allows("not a network", "203.0.113.9"));
    }

    #[test]
    fn implausible_forms_are_failed_sign_ins() {
        assert!(plausible(" a@b.example ", "pw"));
        assert!(!plausible("  ", "pw"));
        assert!(!plausible("a@b.example", ""));
        assert!(!plausible(&"a".repeat(MAX_EMAIL + 1), "pw"));
        assert!(!plausible("a@b.example", &"p".repeat(MAX_PASSWORD + 1)));
    }

    #[test]
    fn the_second_step_and_the_next_page() {
        assert_eq!(SecondStep::of(true, true), SecondStep::Pending);
        assert_eq!(SecondStep::of(true, false), SecondStep::Pending);
        assert_eq!(SecondStep::of(false, true), SecondStep::Enroll);
        assert_eq!(SecondStep::of(false, false), SecondStep::None);
        assert_eq!(SecondStep::Pending.next_page(false), "/mfa");
        assert_eq!(SecondStep::Enroll.next_page(true), "/mfa/setup");
        assert_eq!(SecondStep::None.next_page(false), "/projects");
        assert_eq!(SecondStep::None.next_page(true), "/admin");
        assert_eq!(SecondStep::Enroll.as_str(), "enroll");
    }
}
