//! Auth DTOs in Better Auth's wire format (camelCase); README, "The auth server".

use serde::{Deserialize, Serialize};

/// `POST /api/auth/sign-up/email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    pub name: String,
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, rename = "callbackURL", skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_me: Option<bool>,
}

/// `POST /api/auth/sign-in/email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_me: Option<bool>,
    #[serde(default, rename = "callbackURL", skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// A user as the auth server returns it. Timestamps RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A session as `get-session` returns it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Body of a successful sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpResponse {
    /// `null` when `REQUIRE_EMAIL_VERIFICATION` holds the session back.
    pub token: Option<String>,
    pub user: User,
}

/// Body of a successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInResponse {
    pub redirect: bool,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub user: User,
}

/// Body of `get-session` when signed in (signed out: JSON `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub session: Session,
    pub user: User,
}

/// Body of `GET /api/auth/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub token: String,
}

/// Body of `POST /api/auth/sign-out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignOutResponse {
    pub success: bool,
}

/// `POST /api/auth/change-password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub new_password: String,
    pub current_password: String,
    /// Sign every other device out, and replace this device's session too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_other_sessions: Option<bool>,
}

/// Body of a successful change-password: `token` is the new session's when
/// other sessions were revoked, else `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordResponse {
    pub token: Option<String>,
    pub user: User,
}

/// A session as `list-sessions` returns it. `token` is an opaque handle for
/// `revoke-session`, never the session's secret token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ListedSession {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// `POST /api/auth/revoke-session`: a handle from `list-sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeSessionRequest {
    pub token: String,
}

/// `POST /api/auth/delete-user`: the password confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteUserRequest {
    pub password: String,
}

/// Body of a successful delete-user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteUserResponse {
    pub success: bool,
    pub message: String,
}

/// `{"status": true}`: what Better Auth's account endpoints answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusResponse {
    pub status: bool,
}

/// `POST /api/auth/request-password-reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestPasswordResetRequest {
    pub email: String,
    /// Where the mail's link lands with `?token=`; checked like callbackURL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

/// Body of request-password-reset: the same whether the email is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusMessageResponse {
    pub status: bool,
    pub message: String,
}

/// `POST /api/auth/reset-password` (the token may come as `?token=` instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest {
    pub new_password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `POST /api/auth/send-verification-email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendVerificationEmailRequest {
    pub email: String,
    #[serde(default, rename = "callbackURL", skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// Body of verify-email without a callbackURL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyEmailResponse {
    pub status: bool,
    pub user: Option<User>,
}

/// Claims of the JWTs this server mints (README, "The auth server").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub email: String,
    pub name: String,
}

/// Auth error codes (Better Auth's).
pub mod codes {
    pub const USER_ALREADY_EXISTS: &str = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL";
    pub const INVALID_EMAIL_OR_PASSWORD: &str = "INVALID_EMAIL_OR_PASSWORD";
    pub const INVALID_EMAIL: &str = "INVALID_EMAIL";
    pub const PASSWORD_TOO_SHORT: &str = "PASSWORD_TOO_SHORT";
    pub const PASSWORD_TOO_LONG: &str = "PASSWORD_TOO_LONG";
    pub const INVALID_ORIGIN: &str = "INVALID_ORIGIN";
    pub const MISSING_OR_NULL_ORIGIN: &str = "MISSING_OR_NULL_ORIGIN";
    pub const INVALID_PASSWORD: &str = "INVALID_PASSWORD";
    pub const CREDENTIAL_ACCOUNT_NOT_FOUND: &str = "CREDENTIAL_ACCOUNT_NOT_FOUND";
    pub const EMAIL_CAN_NOT_BE_UPDATED: &str = "EMAIL_CAN_NOT_BE_UPDATED";
    pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
    pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
    pub const RESET_PASSWORD_DISABLED: &str = "RESET_PASSWORD_DISABLED";
    pub const VERIFICATION_EMAIL_NOT_ENABLED: &str = "VERIFICATION_EMAIL_NOT_ENABLED";
    pub const EMAIL_MISMATCH: &str = "EMAIL_MISMATCH";
    pub const EMAIL_ALREADY_VERIFIED: &str = "EMAIL_ALREADY_VERIFIED";
    pub const EMAIL_NOT_VERIFIED: &str = "EMAIL_NOT_VERIFIED";
    pub const INVALID_REDIRECT_URL: &str = "INVALID_REDIRECT_URL";
    pub const INVALID_CALLBACK_URL: &str = "INVALID_CALLBACK_URL";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_uses_better_auth_names() {
        let json =
            r#"{"name":"Ada","email":"a@x.io","password":"secret123","callbackURL":"/tasks","rememberMe":false}"#;
        let req: SignUpRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.callback_url.as_deref(), Some("/tasks"));
        assert_eq!(req.remember_me, Some(false));
    }

    #[test]
    fn user_serialises_camel_case() {
        let user = User {
            id: "u1".into(),
            name: "Ada".into(),
            email: "a@x.io".into(),
            email_verified: false,
            image: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        };
        let v = serde_json::to_value(&user).unwrap();
        assert_eq!(v["emailVerified"], false);
        assert!(v["image"].is_null());
        assert!(v.get("createdAt").is_some());
    }
}
