//! What the user sees when a call fails: the status → UX decision, made once
//! here (a pure function, tested without a browser) and acted on by
//! `hooks::api::ApiHandle::run`, which hands the decision to its caller.

use crate::api::error::ApiError;

pub(crate) const SESSION_EXPIRED: &str = "Your session has expired — please sign in again";
pub(crate) const FORBIDDEN: &str = "You don't have permission to do that";
pub(crate) const NOT_FOUND: &str = "Task not found";

/// The reaction to a failed call (after the one retry with a fresh token).
///
/// The first three are shown by `use_api` itself (a toast, and for a 401 the
/// trip to `/login`); a caller only undoes what it showed early. `Inline` has
/// not been shown anywhere: the caller says it where the user acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ux {
    /// 401: the session is forgotten, the user sent to `/login?redirect=…`.
    SessionExpired,
    /// 403.
    Forbidden,
    /// 404: the task is gone; drop it from the list.
    NotFound,
    /// A network error, a 5xx or a refused request (422, 429, …): this
    /// message, next to what the user did, with what they typed kept and a
    /// way to retry.
    Inline(String),
}

pub(crate) fn ux_for(error: &ApiError) -> Ux {
    match error.status() {
        Some(401) => Ux::SessionExpired,
        Some(403) => Ux::Forbidden,
        Some(404) => Ux::NotFound,
        _ => Ux::Inline(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::error::codes;
    use shared::ErrorBody;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn http(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::Http { status, body: Some(ErrorBody::new(code, message)), retry_after: None }
    }

    #[test]
    fn statuses_map_to_the_designed_ux() {
        assert_eq!(ux_for(&http(401, codes::UNAUTHORIZED, "Unauthorized")), Ux::SessionExpired);
        assert_eq!(ux_for(&http(403, codes::FORBIDDEN, "Forbidden")), Ux::Forbidden);
        assert_eq!(ux_for(&http(404, codes::TASK_NOT_FOUND, "Task not found")), Ux::NotFound);
        assert_eq!(ux_for(&http(503, codes::SERVICE_UNAVAILABLE, "down")), Ux::Inline("down".into()));
        assert_eq!(
            ux_for(&http(422, codes::VALIDATION_ERROR, "title must not be empty")),
            Ux::Inline("title must not be empty".into())
        );
        let offline = ApiError::Network("TypeError: Failed to fetch".into());
        assert_eq!(
            ux_for(&offline),
            Ux::Inline("Cannot reach the server. Check your connection and retry.".into()),
            "plain words, not the browser's cause"
        );
    }
}
