//! The per-account sign-in throttle (DESIGN §10), in the database so it
//! holds across client IPs and replicas.
//!
//! A failure is counted after its password check; concurrent guesses for
//! one account cannot outrun the count because each process checks one
//! account's attempts one at a time ([`AccountLocks`]): the lock earned by
//! the fifth failure is in place before a sixth guess is looked at. (Across
//! replicas at most one guess per replica is in flight.) Unknown emails go
//! through exactly the same statements, so the throttle answers and times
//! them like known ones.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use tokio::sync::{Mutex, MutexGuard};

use crate::db::Db;
use crate::{on_db, write_db};

use super::crypto::hash_token;

/// The longest lock, whatever the doubling reached.
pub const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;

/// Unchanged rows older than this are forgotten (housekeeping).
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// `AUTH_ACCOUNT_MAX_FAILURES` and `AUTH_ACCOUNT_BACKOFF`.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Consecutive failures before the first lock; 0 turns the throttle off.
    pub max_failures: u32,
    /// The first lock; each further failure doubles it, up to 15 minutes.
    pub backoff_ms: i64,
}

/// Whether an attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Allowed,
    /// Locked for this many more milliseconds; the password is not checked.
    Locked {
        retry_after_ms: i64,
    },
}

fn key(email: &str) -> String {
    hash_token(email)
}

/// Serialises the sign-ins of one account within this process: a fixed set
/// of locks, the account's picked by its email (memory does not grow with
/// the emails tried; two emails sharing a lock only wait for each other).
/// The hash is keyed per process, so nobody can pick emails that share a
/// lock with someone else's.
pub struct AccountLocks {
    locks: Vec<Mutex<()>>,
    pick: RandomState,
}

const ACCOUNT_LOCKS: usize = 256;

impl Default for AccountLocks {
    fn default() -> Self {
        Self { locks: (0..ACCOUNT_LOCKS).map(|_| Mutex::new(())).collect(), pick: RandomState::new() }
    }
}

impl AccountLocks {
    /// Held from the throttle check until the failure is recorded.
    pub async fn lock(&self, email: &str) -> MutexGuard<'_, ()> {
        let i = self.pick.hash_one(email) % ACCOUNT_LOCKS as u64;
        self.locks[i as usize].lock().await
    }
}

/// Whether `email` may check a password now.
pub async fn check(db: &Db, policy: ThrottlePolicy, email: &str, now: i64) -> Result<Attempt, sqlx::Error> {
    if policy.max_failures == 0 {
        return Ok(Attempt::Allowed);
    }
    let key = key(email);
    let locked: Option<(i64,)> =
        on_db!(db, |pool| sqlx::query_as("SELECT locked_until FROM sign_in_throttle WHERE email_hash = $1")
            .bind(&key)
            .fetch_optional(pool)
            .await)?;
    Ok(match locked {
        Some((until,)) if until > now => Attempt::Locked { retry_after_ms: until - now },
        _ => Attempt::Allowed,
    })
}

/// Counts a failed sign-in for `email`; the one that reaches the limit, and
/// each after it, locks the email for the next backoff.
pub async fn record_failure(db: &Db, policy: ThrottlePolicy, email: &str, now: i64) -> Result<(), sqlx::Error> {
    if policy.max_failures == 0 {
        return Ok(());
    }
    let base = policy.backoff_ms.clamp(1, MAX_BACKOFF_MS);
    let first = if policy.max_failures <= 1 { base } else { 0 };
    // The lock this failure earns: none below the limit, `base` at it, then
    // double the last one, at most MAX_BACKOFF_MS. Every SET sees the old row.
    let backoff = "CASE WHEN sign_in_throttle.failures + 1 < $5 THEN 0 \
                   WHEN sign_in_throttle.backoff_ms * 2 >= $7 THEN $7 \
                   WHEN sign_in_throttle.backoff_ms * 2 <= $6 THEN $6 \
                   ELSE sign_in_throttle.backoff_ms * 2 END";
    let sql = format!(
        "INSERT INTO sign_in_throttle (email_hash, failures, backoff_ms, locked_until, updated_at) \
         VALUES ($1, 1, $2, $3, $4) \
         ON CONFLICT (email_hash) DO UPDATE SET failures = sign_in_throttle.failures + 1, \
         backoff_ms = {backoff}, locked_until = $4 + {backoff}, updated_at = $4"
    );
    let (key, max_failures) = (key(email), i64::from(policy.max_failures));
    write_db!(db, |exec| sqlx::query(&sql)
        .bind(&key)
        .bind(first)
        .bind(now + first)
        .bind(now)
        .bind(max_failures)
        .bind(base)
        .bind(MAX_BACKOFF_MS)
        .execute(exec)
        .await
        .map(|_| ()))
}

/// A successful sign-in (or a password reset): the count starts over.
pub async fn forgive(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    let key = key(email);
    write_db!(db, |exec| sqlx::query("DELETE FROM sign_in_throttle WHERE email_hash = $1")
        .bind(&key)
        .execute(exec)
        .await
        .map(|_| ()))
}

/// Housekeeping: rows untouched for a day, and no longer locked.
pub async fn forget_stale(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    write_db!(db, |exec| Ok(sqlx::query("DELETE FROM sign_in_throttle WHERE updated_at < $1 AND locked_until <= $2")
        .bind(now - FORGET_AFTER_MS)
        .bind(now)
        .execute(exec)
        .await?
        .rows_affected()))
}
