//! What the user sees when a call fails: the status → UX decision, a pure
//! function so it is tested without a browser.

use super::ApiError;

pub const SESSION_EXPIRED: &str = "Your session has expired — please sign in again";
pub const FORBIDDEN: &str = "You don't have permission to do that";
pub const NOT_FOUND: &str = "Task not found";

/// The reaction to a failed call (after the one retry with a fresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ux {
    /// 401: forget the session, go to `/login?redirect=…`, toast.
    SessionExpired,
    /// 403: toast.
    Forbidden,
    /// 404: toast and drop the item.
    NotFound,
    /// Network error or 5xx: keep what the user typed, offer Retry.
    Retry(String),
    /// Any other 4xx: the server's message next to what was submitted.
    Rejected(String),
}

pub fn ux_for(error: &ApiError) -> Ux {
    match error {
        ApiError::Http { status: 401, .. } => Ux::SessionExpired,
        ApiError::Http { status: 403, .. } => Ux::Forbidden,
        ApiError::Http { status: 404, .. } => Ux::NotFound,
        ApiError::Http { status, .. } if *status >= 500 => Ux::Retry(error.to_string()),
        ApiError::Network(_) | ApiError::Decode(_) | ApiError::Config(_) => Ux::Retry(error.to_string()),
        ApiError::Http { .. } => Ux::Rejected(error.to_string()),
    }
}

/// Whether a 401 is worth one retry with a fresh token.
pub fn retry_with_fresh_token(error: &ApiError) -> bool {
    error.status() == Some(401)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorBody;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn http(status: u16, message: &str) -> ApiError {
        ApiError::Http { status, body: Some(ErrorBody::new("X", message)), retry_after: None }
    }

    #[test]
    fn statuses_map_to_the_designed_ux() {
        assert_eq!(ux_for(&http(401, "Unauthorized")), Ux::SessionExpired);
        assert_eq!(ux_for(&http(403, "Forbidden")), Ux::Forbidden);
        assert_eq!(ux_for(&http(404, "Task not found")), Ux::NotFound);
        assert!(matches!(ux_for(&http(503, "down")), Ux::Retry(_)));
        assert!(matches!(ux_for(&ApiError::Network("offline".into())), Ux::Retry(_)));
        assert_eq!(ux_for(&http(422, "title must not be empty")), Ux::Rejected("title must not be empty".into()));
    }

    #[test]
    fn only_401_triggers_the_token_refresh_retry() {
        assert!(retry_with_fresh_token(&http(401, "")));
        assert!(!retry_with_fresh_token(&http(403, "")));
        assert!(!retry_with_fresh_token(&ApiError::Network("x".into())));
    }
}
