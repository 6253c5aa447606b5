//! `ApiError`: why a request failed, with its cause kept.

use shared::ErrorBody;

/// Why a request failed, with its cause kept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
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
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's machine-readable code (`shared::error::codes`, `shared::auth::codes`).
    pub(crate) fn code(&self) -> Option<&str> {
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
