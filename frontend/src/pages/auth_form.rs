//! What sign-in and sign-up share: plain words for the server's errors.

use crate::api::ApiError;

/// Plain words for what the auth server said.
pub fn auth_error_message(error: &ApiError) -> String {
    match (error.status(), error.code()) {
        (_, Some("INVALID_EMAIL_OR_PASSWORD")) => "Wrong email or password.".into(),
        (_, Some("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")) => {
            "An account with this email already exists. Sign in instead?".into()
        }
        (_, Some("INVALID_EMAIL")) => "That does not look like an email address.".into(),
        (_, Some("PASSWORD_TOO_SHORT")) => "The password needs at least 8 characters.".into(),
        (_, Some("PASSWORD_TOO_LONG")) => "The password can have at most 128 characters.".into(),
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
    use shared::ErrorBody;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn server_codes_become_plain_words() {
        let e = |status, code| ApiError::Http { status, body: Some(ErrorBody::new(code, "raw")), retry_after: None };
        assert_eq!(auth_error_message(&e(401, "INVALID_EMAIL_OR_PASSWORD")), "Wrong email or password.");
        assert!(auth_error_message(&e(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")).contains("already exists"));
        assert!(auth_error_message(&e(429, "TOO_MANY_REQUESTS")).contains("Too many attempts"));
        let limited = ApiError::Http { status: 429, body: None, retry_after: Some(7) };
        assert!(auth_error_message(&limited).contains("wait 7 seconds"));
    }
}
