//! Sessions: a JWT (HS256, `kid`-selected key, pinned algorithm) in a `__Host-` cookie that
//! names a session row in D1. The token proves who issued it; the row decides whether it still
//! counts (logout, disable and timeouts revoke at once). CSRF tokens are HMACs of the session id.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use clearhours_http::{cookie, ApiError, ApiResult};
use hmac::{Hmac, Mac};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use worker::{Env, Request};

pub const SESSION_COOKIE: &str = "__Host-ch_session";
pub const LOGIN_CSRF_COOKIE: &str = "__Host-ch_csrf";
const ISSUER: &str = "clearhours";
const AUDIENCE: &str = "clearhours-portal";

#[derive(Serialize, Deserialize)]
struct SessionClaims {
    iss: String,
    aud: String,
    sid: String,
    knd: String,
    /// The D1 binding (shard) of the account's provider; tokens from before sharding have none
    /// and mean the directory database.
    #[serde(default)]
    shd: String,
}

/// What a valid session token says.
pub struct Verified {
    pub sid: String,
    pub knd: String,
    /// The shard's binding (see `storage::shards`).
    pub shard: String,
}

/// Signing keys from the `SESSION_KEYS` secret: `kid:base64,kid:base64`, newest first.
pub struct Keys {
    keys: Vec<(String, Vec<u8>)>,
}

impl Keys {
    pub fn from_env(env: &Env) -> ApiResult<Self> {
        let raw = env
            .secret("SESSION_KEYS")
            .map(|s| s.to_string())
            .or_else(|_| env.var("SESSION_KEYS").map(|s| s.to_string()))
            .map_err(|_| ApiError::internal("SESSION_KEYS is not configured"))?;
        let mut keys = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kid, b64) = part.split_once(':').ok_or_else(|| ApiError::internal("SESSION_KEYS entry without kid"))?;
            let bytes = B64.decode(b64).map_err(|_| ApiError::internal("SESSION_KEYS entry is not base64"))?;
            if bytes.len() < 32 {
                return Err(ApiError::internal("SESSION_KEYS keys must be at least 32 bytes"));
            }
            keys.push((kid.to_string(), bytes));
        }
        if keys.is_empty() {
            return Err(ApiError::internal("SESSION_KEYS is empty"));
        }
        Ok(Self { keys })
    }

    fn signing(&self) -> Option<&(String, Vec<u8>)> {
        self.keys.first()
    }

    fn by_kid(&self, kid: &str) -> Option<&[u8]> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, v)| v.as_slice())
    }

    /// A token for session `sid` that expires with the session's absolute lifetime.
    pub fn issue(&self, sid: &str, kind: &str, shard: &str, now: DateTime<Utc>, lifetime: Duration) -> ApiResult<String> {
        let (kid, key) = self.signing().ok_or_else(|| ApiError::internal("no signing key"))?;
        let options = TimeOptions::new(Duration::seconds(30), move || now);
        let claims =
            Claims::new(SessionClaims { iss: ISSUER.into(), aud: AUDIENCE.into(), sid: sid.into(), knd: kind.into(), shd: shard.into() })
                .set_duration_and_issuance(&options, lifetime);
        Hs256
            .token(&Header::empty().with_key_id(kid.clone()), &claims, &Hs256Key::new(key))
            .map_err(|e| ApiError::internal(format!("token: {e}")))
    }

    /// The session id and kind in a valid token; `None` for anything forged, expired or foreign.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Verified> {
        let untrusted = UntrustedToken::new(token).ok()?;
        if untrusted.algorithm() != "HS256" {
            return None;
        }
        let key = self.by_kid(untrusted.header().key_id.as_deref()?)?;
        let token = Hs256.validator::<SessionClaims>(&Hs256Key::new(key)).validate(&untrusted).ok()?;
        let options = TimeOptions::new(Duration::seconds(30), move || now);
        let claims = token.claims();
        claims.validate_expiration(&options).ok()?;
        if claims.issued_at.is_none_or(|iat| iat > now + Duration::seconds(30)) {
            return None;
        }
        let c = &claims.custom;
        let shard = if c.shd.is_empty() { clearhours_storage::shards::DIRECTORY.to_string() } else { c.shd.clone() };
        (c.iss == ISSUER && c.aud == AUDIENCE && clearhours_storage::shards::valid_binding(&shard)).then(|| Verified {
            sid: c.sid.clone(),
            knd: c.knd.clone(),
            shard,
        })
    }

    /// The CSRF token of a session: HMAC-SHA256(key, "csrf:" + sid), base64url.
    pub fn csrf_token(&self, sid: &str) -> String {
        let key = self.signing().map(|(_, k)| k.as_slice()).unwrap_or_default();
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(b"csrf:");
        mac.update(sid.as_bytes());
        B64URL.encode(mac.finalize().into_bytes())
    }

    pub fn csrf_ok(&self, sid: &str, given: &str) -> bool {
        let expected = self.csrf_token(sid);
        !given.is_empty() && subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), given.as_bytes()).into()
    }
}

/// `Set-Cookie` for a session token.
pub fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

pub fn login_csrf_cookie(value: &str) -> String {
    format!("{LOGIN_CSRF_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600")
}

/// The double-submit check of a form served before any session (sign-in, invitation, links):
/// the form's hidden token must equal the `__Host-` cookie set with the form.
pub fn double_submit_ok(cookie_value: &str, form_value: &str) -> bool {
    !cookie_value.is_empty() && subtle::ConstantTimeEq::ct_eq(cookie_value.as_bytes(), form_value.as_bytes()).into()
}

pub fn session_token(req: &Request) -> Option<String> {
    cookie(req, SESSION_COOKIE).filter(|t| !t.is_empty())
}

pub fn random_token() -> ApiResult<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("randomness: {e}")))?;
    Ok(B64URL.encode(buf))
}
