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
    pub token: String,
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
