//! The one error body every `/api` response uses.

use serde::{Deserialize, Serialize};

/// `{"message": "...", "code": "..."}` — Better Auth's error shape, used by
/// the auth server and the task API alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Human-readable, safe to show to a user; never contains secrets.
    pub message: String,
    /// Stable, machine-readable, SCREAMING_SNAKE_CASE.
    pub code: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { message: message.into(), code: code.into() }
    }
}

/// The error codes the API emits, so neither side spells them by hand.
pub mod codes {
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";
    pub const TOO_MANY_REQUESTS: &str = "TOO_MANY_REQUESTS";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    pub const TASK_NOT_FOUND: &str = "TASK_NOT_FOUND";
    pub const TASK_LIMIT_REACHED: &str = "TASK_LIMIT_REACHED";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_better_auth_field_names() {
        let body = ErrorBody::new(codes::TASK_NOT_FOUND, "Task not found");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json, serde_json::json!({"message": "Task not found", "code": "TASK_NOT_FOUND"}));
    }
}
