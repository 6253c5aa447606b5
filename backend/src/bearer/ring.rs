//! Verification keys by `kid` and the token check itself: signature,
//! algorithm, `exp`/`nbf`, `iss`, `aud`, `sub`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::policy::{algorithms_for, ALLOWED_ALGORITHMS};
use super::rejection::Rejection;

/// RSA keys with a shorter modulus are ignored (DESIGN §10).
const MIN_RSA_BITS: usize = 2048;

/// The bit length of a JWK's base64url modulus (0 if it does not decode).
fn rsa_modulus_bits(n: &str) -> usize {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')) else { return 0 };
    match bytes.iter().position(|b| *b != 0) {
        Some(first) => (bytes.len() - first) * 8 - bytes[first].leading_zeros() as usize,
        None => 0,
    }
}

/// A verification key with the algorithm(s) its JWK allows.
struct VerifyKey {
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

/// Keys by `kid`, parsed once per key set.
#[derive(Default)]
pub struct KeyRing {
    keys: HashMap<String, VerifyKey>,
}

impl KeyRing {
    pub fn from_jwks(set: &JwkSet) -> Self {
        Self::from_keys(&set.keys)
    }

    /// The usable keys of `jwks`: those with a `kid`, an allowed algorithm
    /// and, for RSA, a modulus of at least 2048 bits.
    pub fn from_keys<'a>(jwks: impl IntoIterator<Item = &'a Jwk>) -> Self {
        let mut keys = HashMap::new();
        for jwk in jwks {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            if let AlgorithmParameters::RSA(rsa) = &jwk.algorithm {
                let bits = rsa_modulus_bits(&rsa.n);
                if bits < MIN_RSA_BITS {
                    tracing::warn!(kid = %kid, bits, "ignoring an RSA key under {MIN_RSA_BITS} bits");
                    continue;
                }
            }
            let algorithms = algorithms_for(jwk);
            if algorithms.is_empty() {
                tracing::debug!(kid = %kid, "ignoring a JWKS key with no allowed algorithm");
                continue;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, VerifyKey { algorithms, key });
                }
                Err(e) => tracing::warn!(kid = %kid, "ignoring an unusable JWKS key: {e}"),
            }
        }
        Self { keys }
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What a valid token must say.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub issuer: String,
    pub audience: String,
    pub leeway_secs: u64,
}

#[derive(Deserialize)]
struct Subject {
    sub: String,
    /// A JSON number: some issuers write it with a fraction.
    exp: f64,
}

/// A token that passed [`verify`]: who it names and until when.
#[derive(Clone)]
pub struct Verified {
    pub sub: String,
    pub exp: i64,
}

/// The `kid` a token's header names.
pub(crate) fn token_kid(token: &str) -> Result<String, Rejection> {
    decode_header(token).map_err(|_| Rejection::Malformed)?.kid.ok_or(Rejection::NoKid)
}

/// Verifies signature, algorithm, `exp`/`nbf`, `iss`, `aud` and `sub`;
/// returns the subject (the user id) and expiry.
pub fn verify(token: &str, ring: &KeyRing, expect: &Expectations) -> Result<Verified, Rejection> {
    let header = decode_header(token).map_err(|_| Rejection::Malformed)?;
    let kid = header.kid.ok_or(Rejection::NoKid)?;
    let key = ring.keys.get(&kid).ok_or(Rejection::UnknownKid)?;
    if !ALLOWED_ALGORITHMS.contains(&header.alg) || !key.algorithms.contains(&header.alg) {
        return Err(Rejection::AlgorithmNotAllowed);
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = expect.leeway_secs;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.audience]);
    let data = decode::<Subject>(token, &key.key, &validation).map_err(|e| Rejection::Invalid(e.to_string()))?;
    if data.claims.sub.trim().is_empty() {
        return Err(Rejection::EmptySubject);
    }
    Ok(Verified { sub: data.claims.sub, exp: data.claims.exp as i64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_jwk(kid: &str, modulus_bytes: usize) -> Jwk {
        let mut n = vec![0xC5u8; modulus_bytes];
        n[modulus_bytes - 1] = 0x01;
        serde_json::from_value(serde_json::json!({
            "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"
        }))
        .unwrap()
    }

    #[test]
    fn rsa_keys_under_2048_bits_are_ignored() {
        let ring = KeyRing::from_keys(&[rsa_jwk("small", 128), rsa_jwk("edge", 255), rsa_jwk("ok", 256)]);
        assert!(!ring.contains("small"), "1024 bits");
        assert!(!ring.contains("edge"), "2040 bits");
        assert!(ring.contains("ok"), "2048 bits");
    }

    #[test]
    fn modulus_bits_ignore_leading_zeros() {
        assert_eq!(rsa_modulus_bits(&URL_SAFE_NO_PAD.encode([0, 0x01, 0xFF])), 9);
        assert_eq!(rsa_modulus_bits(&URL_SAFE_NO_PAD.encode([0x80; 256])), 2048);
        assert_eq!(rsa_modulus_bits("not base64!"), 0);
    }
}
