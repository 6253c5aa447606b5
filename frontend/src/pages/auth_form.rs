//! What the auth forms share: plain words for the server's errors, and the
//! new-password rules checked before sending.

use shared::auth::codes;
use shared::limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

use crate::api::error::ApiError;
use crate::auth::context::AuthHandle;

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
        (_, Some(codes::INVALID_PASSWORD)) => "That password is not right.".into(),
        (_, Some(codes::INVALID_TOKEN | codes::TOKEN_EXPIRED)) => {
            "This link is invalid or has expired. Ask for a new one.".into()
        }
        (_, Some(codes::RESET_PASSWORD_DISABLED | codes::VERIFICATION_EMAIL_NOT_ENABLED)) => {
            "This server cannot send mail, so this is not available. Ask whoever runs it.".into()
        }
        (_, Some(codes::EMAIL_NOT_VERIFIED)) => {
            "Please verify your email address first: we have just sent you a new link.".into()
        }
        (_, Some(codes::EMAIL_ALREADY_VERIFIED)) => "Your email address is already verified.".into(),
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

/// What a failed account call means to the user; a 401 (this session was
/// ended elsewhere) also signs this page out, which sends it to `/login`.
pub(crate) fn account_error(auth: &AuthHandle, error: &ApiError) -> String {
    if error.status() == Some(401) {
        auth.forget();
        return "You were signed out. Please sign in again.".into();
    }
    auth_error_message(error)
}

/// Why a new password (typed twice) would be refused, before sending it.
pub(crate) fn new_password_problem(password: &str, again: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        Some(format!("The new password needs at least {PASSWORD_MIN_CHARS} characters."))
    } else if chars > PASSWORD_MAX_CHARS {
        Some(format!("The new password can have at most {PASSWORD_MAX_CHARS} characters."))
    } else if password != again {
        Some("The two new passwords are not the same.".into())
    } else {
        None
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
        assert!(auth_error_message(&http(400, codes::INVALID_TOKEN)).contains("invalid or has expired"));
        assert!(auth_error_message(&http(403, codes::EMAIL_NOT_VERIFIED)).contains("verify your email"));
    }

    #[test]
    fn new_passwords_are_checked_before_sending() {
        assert!(new_password_problem("short", "short").unwrap().contains("at least 8"));
        assert!(new_password_problem(&"x".repeat(129), &"x".repeat(129)).unwrap().contains("at most 128"));
        assert!(new_password_problem("long enough", "long enougH").unwrap().contains("not the same"));
        assert_eq!(new_password_problem("long enough", "long enough"), None);
    }
}
