//! The one request function every HTTP call goes through, its error type,
//! and thin typed calls per resource on top.

use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use shared::{ErrorBody, Health};

use crate::config::endpoints;

/// Why a request failed, with its cause kept.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The build's API_URL/AUTH_URL is unusable.
    Config(String),
    /// No HTTP response (offline, DNS, CORS, server down).
    Network(String),
    /// An HTTP error status, with the server's `{message, code}` when it sent one.
    Http { status: u16, body: Option<ErrorBody> },
    /// A 2xx whose body was not what the contract says.
    Decode(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Config(e) => write!(f, "The app is misconfigured: {e}"),
            ApiError::Network(_) => f.write_str("Cannot reach the server. Check your connection and retry."),
            ApiError::Http { body: Some(body), .. } => f.write_str(&body.message),
            ApiError::Http { status, body: None } => write!(f, "The server answered with status {status}"),
            ApiError::Decode(_) => f.write_str("The server sent an unexpected response"),
        }
    }
}

/// Sends `method path` (path starting with `/api/`) and decodes a JSON answer.
pub async fn request<T: DeserializeOwned>(method: Method, path: &str) -> Result<T, ApiError> {
    let base = endpoints().map_err(ApiError::Config)?.api_base;
    let response = RequestBuilder::new(&format!("{base}{path}"))
        .method(method)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    if !(200..300).contains(&status) {
        let body = response.json::<ErrorBody>().await.ok();
        return Err(ApiError::Http { status, body });
    }
    response.json::<T>().await.map_err(|e| ApiError::Decode(e.to_string()))
}

/// `GET /api/health`.
pub async fn health() -> Result<Health, ApiError> {
    request(Method::GET, "/api/health").await
}
