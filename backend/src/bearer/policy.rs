//! The algorithm policy: an allow-list, and each key only with the
//! algorithm its JWK declares (never `none`, never HMAC).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::Algorithm;

/// The only algorithms accepted, and only when the key declares them.
pub(crate) const ALLOWED_ALGORITHMS: [Algorithm; 4] =
    [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256, Algorithm::PS256];

/// Which allowed algorithms a JWK may be used with: its `alg` if it names
/// one, else what its key type implies (Better Auth's keys carry `alg`).
pub(crate) fn algorithms_for(jwk: &Jwk) -> Vec<Algorithm> {
    let declared = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::EdDSA) => Some(Algorithm::EdDSA),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
        Some(_) => return Vec::new(), // HMAC, ES384, RS512, ...: not allowed
        None => None,
    };
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => vec![Algorithm::ES256],
        AlgorithmParameters::RSA(_) => vec![Algorithm::RS256, Algorithm::PS256],
        _ => Vec::new(), // symmetric or unsupported curves never verify
    };
    match declared {
        Some(alg) if by_type.contains(&alg) => vec![alg],
        Some(_) => Vec::new(), // `alg` that does not fit the key type
        None => by_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_algorithms_follow_alg_and_key_type() {
        let jwk = |v: serde_json::Value| serde_json::from_value::<Jwk>(v).unwrap();
        let ed = jwk(
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}),
        );
        assert_eq!(algorithms_for(&ed), [Algorithm::EdDSA]);
        let hmac = jwk(serde_json::json!({"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"}));
        assert!(algorithms_for(&hmac).is_empty());
        let lying = jwk(
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"l","alg":"RS256"}),
        );
        assert!(algorithms_for(&lying).is_empty(), "an alg that does not fit the key type is refused");
    }
}
