//! `GET /api/health`.

use gloo_net::http::Method;

use crate::api::error::ApiError;
use crate::api::request::{api_url, request};

/// The API's health (shown in the footer).
pub(crate) async fn health() -> Result<shared::Health, ApiError> {
    Ok(request(Method::GET, &api_url("/api/health")?, None, None).await?.body)
}
