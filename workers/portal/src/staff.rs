//! What every staff (admin-area) handler needs: the signed-in staff context or a redirect to
//! sign-in, a form read with its CSRF token checked, the access-log line for an admin action,
//! and the page header.

use crate::auth::{self, StaffCtx};
use crate::pages::Nav;
use crate::redirect;
use clearhours_http::{client_ip, user_agent, ApiError, ApiResult};
use clearhours_storage::access_log::{self, AccessEvent};
use clearhours_storage::provider::provider_name;
use worker::{Env, Request, Response};

pub(crate) use crate::field;

/// The staff context, or the redirect to the staff sign-in page.
pub async fn staff_or_login(req: &Request, env: &Env) -> ApiResult<Result<StaffCtx, Response>> {
    Ok(match auth::staff(req, env).await? {
        Some(ctx) => Ok(ctx),
        None => Err(redirect("/admin/login")?),
    })
}

/// Reads a staff form and checks its CSRF token.
pub async fn staff_form(req: &mut Request, ctx: &StaffCtx) -> ApiResult<worker::FormData> {
    let form = req.form_data().await.map_err(|_| ApiError::bad_request("send the form"))?;
    let given = field(&form, "csrf");
    if given.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), ctx.csrf.as_bytes())) {
        return Err(ApiError::forbidden("CSRF token missing or wrong"));
    }
    Ok(form)
}

/// Appends a successful admin action to the access log.
pub async fn log(ctx: &StaffCtx, req: &Request, client: Option<&str>, action: &str, target: &str) -> ApiResult<()> {
    access_log::append(
        &ctx.db,
        &AccessEvent {
            at: ctx.now,
            provider_id: Some(ctx.scope.provider_id().as_str()),
            client_id: client,
            actor_kind: "staff",
            actor_id: ctx.scope.staff_id().map(|s| s.as_str()).unwrap_or_default(),
            action,
            target,
            outcome: "success",
            ip: &client_ip(req),
            user_agent: &user_agent(req),
        },
    )
    .await?;
    Ok(())
}

/// The header of a staff page.
pub async fn nav(ctx: &StaffCtx) -> ApiResult<Nav> {
    Ok(Nav::Staff { provider_name: provider_name(&ctx.db, &ctx.scope).await?, csrf: ctx.csrf.clone() })
}
