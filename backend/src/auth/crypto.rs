//! Small cryptographic building blocks of the auth server: random tokens and
//! ids, token hashing, cookie signatures, and encryption of private keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// 32 random bytes, URL-safe: a session token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    b64(bytes)
}

/// A 32-character alphanumeric id (Better Auth's id shape).
pub fn random_id() -> String {
    rand::rngs::OsRng.sample_iter(&Alphanumeric).take(32).map(char::from).collect()
}

/// What the database stores instead of a session token.
pub fn hash_token(token: &str) -> String {
    b64(Sha256::digest(token.as_bytes()))
}

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length.
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}

/// `token.signature`: the session cookie's value.
pub fn sign_cookie(secret: &str, token: &str) -> String {
    let mut m = mac(secret);
    m.update(token.as_bytes());
    format!("{token}.{}", b64(m.finalize().into_bytes()))
}

/// The token in a signed cookie value, if any of `secrets` signed it
/// (constant-time comparison).
pub fn verify_cookie<'a>(secrets: impl IntoIterator<Item = &'a str>, value: &str) -> Option<String> {
    let (token, signature) = value.rsplit_once('.')?;
    let signature = unb64(signature)?;
    secrets
        .into_iter()
        .any(|secret| {
            let mut m = mac(secret);
            m.update(token.as_bytes());
            m.verify_slice(&signature).is_ok()
        })
        .then(|| token.to_owned())
}

/// A 256-bit key for private-key encryption, derived from an auth secret.
fn encryption_key(secret: &str) -> chacha20poly1305::Key {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"todo-jwks-v1"), secret.as_bytes());
    let mut key = chacha20poly1305::Key::default();
    hk.expand(b"private-key-encryption", &mut key).expect("32 bytes is a valid HKDF length");
    key
}

/// `v1.<nonce||ciphertext>`, authenticated (XChaCha20-Poly1305).
pub fn encrypt(secret: &str, plaintext: &[u8]) -> String {
    let cipher = XChaCha20Poly1305::new(&encryption_key(secret));
    let mut nonce = XNonce::default();
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher.encrypt(&nonce, plaintext).expect("encryption of a small buffer cannot fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    format!("v1.{}", b64(out))
}

/// The plaintext, if `secret` is the one that encrypted it.
pub fn decrypt(secret: &str, stored: &str) -> Option<Vec<u8>> {
    let data = unb64(stored.strip_prefix("v1.")?)?;
    if data.len() < 24 {
        return None;
    }
    let (nonce, ciphertext) = data.split_at(24);
    XChaCha20Poly1305::new(&encryption_key(secret)).decrypt(XNonce::from_slice(nonce), ciphertext).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a-secret-that-is-long-enough-for-tests";
    const B: &str = "another-secret-that-is-long-enough-too";

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (t1, t2) = (random_token(), random_token());
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 43);
        assert!(t1.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(random_id().len(), 32);
    }

    #[test]
    fn cookie_signatures_verify_with_any_configured_secret_only() {
        let cookie = sign_cookie(A, "tok");
        assert_eq!(verify_cookie([A], &cookie).as_deref(), Some("tok"));
        assert_eq!(verify_cookie([B, A], &cookie).as_deref(), Some("tok"), "an old secret still verifies");
        assert_eq!(verify_cookie([B], &cookie), None);
        assert_eq!(verify_cookie([A], "tok.forged"), None);
        assert_eq!(verify_cookie([A], &cookie.replace("tok.", "tol.")), None);
        assert_eq!(verify_cookie([A], "no-dot"), None);
    }

    #[test]
    fn encryption_round_trips_and_needs_the_right_secret() {
        let stored = encrypt(A, b"private key bytes");
        assert_eq!(decrypt(A, &stored).as_deref(), Some(&b"private key bytes"[..]));
        assert_eq!(decrypt(B, &stored), None);
        assert_eq!(decrypt(A, "v1.garbage"), None);
        assert_ne!(encrypt(A, b"x"), encrypt(A, b"x"), "fresh nonce each time");
    }

    #[test]
    fn token_hash_is_stable_and_not_the_token() {
        assert_eq!(hash_token("abc"), hash_token("abc"));
        assert_ne!(hash_token("abc"), "abc");
    }
}
