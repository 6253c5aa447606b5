//! Verification keys by `kid` and the token check itself: signature,
//! algorithm, `exp`/`nbf`, `iss`, `aud`, `sub`.

use std::collections::HashMap;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::policy::{algorithms_for, ALLOWED_ALGORITHMS};
use super::rejection::Rejection;

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

    /// The usable keys of `jwks`: those with a `kid` and an allowed algorithm.
    pub fn from_keys<'a>(jwks: impl IntoIterator<Item = &'a Jwk>) -> Self {
        let mut keys = HashMap::new();
        for jwk in jwks {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
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
