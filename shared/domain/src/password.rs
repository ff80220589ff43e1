//! Password hashing with Argon2id (OWASP parameters: 19 MiB, t = 2, p = 1), PHC strings.
//! The salt is passed in, so this module stays free of randomness and I/O.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Accepted password lengths (characters).
pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with a 16-byte salt into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str, salt: &[u8; 16]) -> Result<String, String> {
    hasher().hash_password_with_salt(password.as_bytes(), salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string. Malformed hashes never match.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Passwords too common to allow: the 2,000 most common of 8+ characters (see the data file).
const COMMON: &str = include_str!("../data/common-passwords.txt");

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON.lines().filter(|l| !l.starts_with('#')).any(|l| l == lower)
}

/// Checks a new password: 8–128 characters, not a well-known one. No composition rules.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("Use at least {MIN_LEN} characters."));
    }
    if n > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    if is_common(password) {
        return Err("That password is too common; choose another.".into());
    }
    Ok(())
}

/// A PHC string for a password nobody knows, to spend the same time on unknown accounts.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$V3LDH4nNuwVmG1rFhYqyYXO/zx7JIXbbh7J8PSL5+vE";

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes stored before the move to argon2 0.6 (made by argon2 0.5.3 with the same
    /// parameters) still verify, and the same salt gives the same string.
    #[test]
    fn hashes_from_argon2_0_5_still_verify() {
        const OLD: &str = "$argon2id$v=19$m=19456,t=2,p=1$BwcHBwcHBwcHBwcHBwcHBw$eZ8SueF3EIJEgtgpg1rLafWpNVv3dMTwc0KCOxG5CSg";
        assert!(verify("correct horse battery staple", OLD));
        assert!(!verify("correct horse battery stapler", OLD));
        assert_eq!(hash("correct horse battery staple", &[7u8; 16]).unwrap(), OLD);
    }

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery", &[7u8; 16]).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn new_password_rules() {
        assert!(check_new("short").is_err());
        assert!(check_new("Password123").is_err());
        assert!(check_new("sunshine").is_err());
        assert!(check_new("Trustno1").is_err());
        assert!(check_new("iloveyou2").is_err());
        assert!(check_new("baseball").is_err());
        assert!(check_new(&"x".repeat(129)).is_err());
        assert!(check_new("correct horse battery").is_ok());
        assert!(check_new("ünïcødé-pässwörd").is_ok());
    }
}
