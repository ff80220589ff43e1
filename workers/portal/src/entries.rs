//! Client time entries page and API (filled in by the entries task).
use clearhours_http::{ApiError, ApiResult};
use worker::{Env, Request, Response};

pub async fn entries_page(_req: &Request, _env: &Env, _id: &str) -> ApiResult<Response> {
    Err(ApiError::not_found())
}

pub async fn entries_api(_req: &Request, _env: &Env, _id: &str) -> ApiResult<Response> {
    Err(ApiError::not_found())
}
