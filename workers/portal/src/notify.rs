//! Conversation notices (issue 15): rendered here from `domain::notice` and handed to storage,
//! which writes them into the alerts outbox in the batch of the change they announce.

use clearhours_domain::notice::{ClientNotice, StaffNotice};
use clearhours_http::{ApiError, ApiResult};
use clearhours_storage::notices::StaffPayloads;
use worker::Env;

/// The portal's public base URL (links in notices), `PORTAL_BASE_URL`.
pub fn base_url(env: &Env) -> String {
    env.var("PORTAL_BASE_URL").map(|v| v.to_string()).unwrap_or_default().trim_end_matches('/').to_string()
}

/// The provider's Slack and e-mail payloads; `path` is the admin page (`/admin/…`).
#[allow(clippy::too_many_arguments)]
pub fn staff(
    env: &Env,
    headline: &str,
    client: &str,
    project: &str,
    who: &str,
    about: &str,
    text: &str,
    path: &str,
) -> ApiResult<StaffPayloads> {
    let n = StaffNotice::new(headline, client, project, who, about, text, &format!("{}{path}", base_url(env)));
    let email = n.email().map_err(ApiError::internal)?;
    Ok(StaffPayloads { slack: n.slack_message().to_string(), email: serde_json::to_string(&email).map_err(ApiError::internal)? })
}

/// A contact's e-mail payload.
pub fn client(n: &ClientNotice) -> ApiResult<String> {
    let email = n.email().map_err(ApiError::internal)?;
    serde_json::to_string(&email).map_err(ApiError::internal)
}
