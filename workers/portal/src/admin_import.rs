//! (stub) Routes under this admin area; the request's path is matched inside.
use clearhours_http::{ApiError, ApiResult};
use worker::{Env, Request, Response};

pub async fn route(_req: Request, _env: &Env) -> ApiResult<Response> {
    Err(ApiError::not_found())
}
