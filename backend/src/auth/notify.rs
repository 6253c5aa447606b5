//! Issuing a reset or verification token and queueing its mail: the links
//! in Better Auth's form, one transaction per request whether the email is
//! known or not (so both answer alike), and a wake-up for the worker.

use super::crypto::{hash_token, random_token};
use super::mail;
use super::outbox;
use super::state::AuthState;
use super::store::{self, NewToken, Purpose, UserRow};
use crate::clock::now_millis;
use crate::db::Db;

/// `base` with `key=value` added to its query (before any fragment).
pub fn with_query(base: &str, key: &str, value: &str) -> String {
    let (head, fragment) = match base.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (base, None),
    };
    let sep = if head.contains('?') { '&' } else { '?' };
    let mut out = format!("{head}{sep}{key}={}", encode(value));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Queues a password-reset mail for `user`, or the row that sends nothing
/// when the email is unknown. `callback` is where the link lands (checked).
pub async fn reset_password(
    auth: &AuthState,
    db: &Db,
    user: Option<&UserRow>,
    callback: &str,
) -> Result<(), sqlx::Error> {
    let lifetime = auth.reset_token_secs;
    queue(auth, db, user, Purpose::ResetPassword, lifetime, |user, token| {
        let link = with_query(&format!("{}/api/auth/reset-password/{token}", auth.base_url), "callbackURL", callback);
        mail::reset_password(&user.email, &user.name, &link, lifetime)
    })
    .await
}

/// Queues an email-verification mail for `user` (or nothing, alike).
pub async fn verify_email(
    auth: &AuthState,
    db: &Db,
    user: Option<&UserRow>,
    callback: &str,
) -> Result<(), sqlx::Error> {
    let lifetime = auth.verification_token_secs;
    queue(auth, db, user, Purpose::VerifyEmail, lifetime, |user, token| {
        let link = with_query(
            &with_query(&format!("{}/api/auth/verify-email", auth.base_url), "token", token),
            "callbackURL",
            callback,
        );
        mail::verify_email(&user.email, &user.name, &link, lifetime)
    })
    .await
}

async fn queue(
    auth: &AuthState,
    db: &Db,
    user: Option<&UserRow>,
    purpose: Purpose,
    lifetime_secs: i64,
    compose: impl FnOnce(&UserRow, &str) -> mail::Mail,
) -> Result<(), sqlx::Error> {
    let now = now_millis();
    let expires_at = now + lifetime_secs.saturating_mul(1000);
    // Made for unknown emails too: the same work either way.
    let token = random_token();
    let token_hash = hash_token(&token);
    let issued = user.map(|u| {
        let new = NewToken { user_id: &u.id, purpose, token_hash: token_hash.clone(), expires_at };
        (new, outbox::seal(&auth.secrets, &compose(u, &token)))
    });
    let (new, sealed) = match &issued {
        Some((new, sealed)) => (Some(new), Some(sealed.clone())),
        None => (None, None),
    };
    store::queue_mail(db, new, sealed, now, expires_at).await?;
    auth.outbox.queued();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_added_before_the_fragment_and_encoded() {
        assert_eq!(with_query("/reset-password", "token", "a b&c"), "/reset-password?token=a%20b%26c");
        assert_eq!(with_query("/r?x=1#top", "error", "INVALID_TOKEN"), "/r?x=1&error=INVALID_TOKEN#top");
        assert_eq!(
            with_query("http://h/api/auth/reset-password/t", "callbackURL", "http://h/reset-password"),
            "http://h/api/auth/reset-password/t?callbackURL=http%3A%2F%2Fh%2Freset-password"
        );
    }
}
