//! The one request function every HTTP call goes through, its error type,
//! the status → UX decision (`ux`), and thin typed calls per resource.

pub mod auth;
pub mod hook;
pub mod json;
pub mod tasks;
pub mod ux;

use gloo_net::http::{Headers, Method, RequestBuilder};
use serde::de::DeserializeOwned;
use shared::ErrorBody;
use web_sys::RequestCredentials;

use crate::config::endpoints;

/// Why a request failed, with its cause kept.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The build's API_URL/AUTH_URL is unusable.
    Config(String),
    /// No HTTP response (offline, DNS, CORS, server down).
    Network(String),
    /// An HTTP error status, with the server's `{message, code}` when it sent
    /// one and, for 429, how many seconds to wait (`Retry-After`).
    Http { status: u16, body: Option<ErrorBody>, retry_after: Option<u64> },
    /// A 2xx whose body was not what the contract says.
    Decode(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Http { body: Some(body), .. } => Some(&body.code),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Config(e) => write!(f, "The app is misconfigured: {e}"),
            ApiError::Network(_) => f.write_str("Cannot reach the server. Check your connection and retry."),
            ApiError::Http { body: Some(body), .. } => f.write_str(&body.message),
            ApiError::Http { status, body: None, .. } => write!(f, "The server answered with status {status}"),
            ApiError::Decode(_) => f.write_str("The server sent an unexpected response"),
        }
    }
}

/// A decoded answer and its headers.
pub struct Reply<T> {
    pub body: T,
    pub headers: Headers,
}

/// Where `/api/...` paths go.
pub fn api_url(path: &str) -> Result<String, ApiError> {
    Ok(format!("{}{path}", endpoints().map_err(ApiError::Config)?.api_base))
}

/// Where `/api/auth/...` endpoints go (`path` like `/sign-in/email`).
pub fn auth_url(path: &str) -> Result<String, ApiError> {
    Ok(format!("{}{path}", endpoints().map_err(ApiError::Config)?.auth_base))
}

/// Sends a request (JSON body and bearer token optional, cookies included so
/// a cross-origin auth server works) and decodes the JSON answer; an empty
/// body (204) decodes as JSON `null`.
pub async fn request<T: DeserializeOwned>(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    json: Option<String>,
) -> Result<Reply<T>, ApiError> {
    let (text, headers) = exchange(method, url, bearer, json).await?;
    let body = json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(Reply { body, headers })
}

/// The request itself and the error mapping: one copy in the wasm, not one
/// per answer type (only the JSON decoding in `request` is generic).
async fn exchange(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    json: Option<String>,
) -> Result<(String, Headers), ApiError> {
    let mut builder = RequestBuilder::new(url)
        .method(method)
        .header("Accept", "application/json")
        .credentials(RequestCredentials::Include);
    if let Some(token) = bearer {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match json {
        Some(body) => {
            builder
                .header("Content-Type", "application/json")
                .body(body)
                .map_err(|e| ApiError::Network(e.to_string()))?
                .send()
                .await
        }
        None => builder.send().await,
    };
    let response = sent.map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let headers = response.headers();
    let text = response.text().await.map_err(|e| ApiError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        let retry_after = headers.get("retry-after").and_then(|v| v.trim().parse().ok());
        return Err(ApiError::Http { status, body: json::from_str::<ErrorBody>(&text).ok(), retry_after });
    }
    Ok((text, headers))
}

/// `GET /api/health`.
pub async fn health() -> Result<shared::Health, ApiError> {
    Ok(request(Method::GET, &api_url("/api/health")?, None, None).await?.body)
}
