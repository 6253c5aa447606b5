//! What sign-in and sign-up share: plain words for the server's errors.

use shared::auth::codes;
use shared::limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

use crate::api::error::ApiError;

/// Plain words for what the auth server said.
pub(crate) fn auth_error_message(error: &ApiError) -> String {
    match (error.status(), error.code()) {
        (_, Some(codes::INVALID_EMAIL_OR_PASSWORD)) => "Wrong email or password.".into(),
        (_, Some(codes::USER_ALREADY_EXISTS)) => "An account with this email already exists. Sign in instead?".into(),
        (_, Some(codes::INVALID_EMAIL)) => "That does not look like an email address.".into(),
        (_, Some(codes::PASSWORD_TOO_SHORT)) => format!("The password needs at least {PASSWORD_MIN_CHARS} characters."),
        (_, Some(codes::PASSWORD_TOO_LONG)) => {
            format!("The password can have at most {PASSWORD_MAX_CHARS} characters.")
        }
        (Some(429), _) => match error.retry_after() {
            Some(secs) => format!(
                "Too many attempts. Please wait {secs} second{} and try again.",
                if secs == 1 { "" } else { "s" }
            ),
            None => "Too many attempts. Please wait a few seconds and try again.".into(),
        },
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::error::codes::TOO_MANY_REQUESTS;
    use shared::ErrorBody;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn http(status: u16, code: &str) -> ApiError {
        ApiError::Http { status, body: Some(ErrorBody::new(code, "raw")), retry_after: None }
    }

    #[test]
    fn server_codes_become_plain_words() {
        assert_eq!(auth_error_message(&http(401, codes::INVALID_EMAIL_OR_PASSWORD)), "Wrong email or password.");
        assert!(auth_error_message(&http(422, codes::USER_ALREADY_EXISTS)).contains("already exists"));
        assert_eq!(
            auth_error_message(&http(400, codes::PASSWORD_TOO_SHORT)),
            "The password needs at least 8 characters."
        );
        assert_eq!(
            auth_error_message(&http(400, codes::PASSWORD_TOO_LONG)),
            "The password can have at most 128 characters."
        );
        assert!(auth_error_message(&http(429, TOO_MANY_REQUESTS)).contains("Too many attempts"));
        let limited = ApiError::Http { status: 429, body: None, retry_after: Some(7) };
        assert!(auth_error_message(&limited).contains("wait 7 seconds"));
        assert_eq!(auth_error_message(&http(500, "OTHER")), "raw", "anything else: the server's message");
    }
}
