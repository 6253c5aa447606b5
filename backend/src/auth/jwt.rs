//! Minting the EdDSA JWTs the task API (and anything reading `/jwks`) accepts.

use shared::auth::Claims;

use super::crypto::b64;
use super::keys::Signer;

/// Token lifetime (Better Auth's JWT plugin default).
pub const TOKEN_TTL_SECS: i64 = 15 * 60;

/// `header.payload.signature` with `{alg:"EdDSA", kid, typ:"JWT"}`.
pub fn mint(signer: &Signer, claims: &Claims) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "kid": signer.kid, "typ": "JWT"});
    let signing_input =
        format!("{}.{}", b64(header.to_string()), b64(serde_json::to_vec(claims).expect("claims serialise")));
    let signature = signer.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(signature))
}
