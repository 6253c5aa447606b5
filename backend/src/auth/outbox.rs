//! The mail outbox (DESIGN §11): requests write their mail into
//! `mail_outbox` in the same transaction as its token; a worker per process
//! claims due rows, sends them, deletes what was sent and schedules retries
//! with backoff. With several replicas each row is claimed by one of them
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer anyway),
//! and a claim is a lease: a replica that dies mid-send leaves the row to be
//! retried when the lease runs out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::crypto::{decrypt, encrypt};
use super::mail::{Mail, Mailer};
use super::secrets::Secrets;
use crate::clock::now_millis;
use crate::db::Db;
use crate::on_db;

/// How long a claimed row is left to its claimer before others may retry it.
const LEASE_MS: i64 = 60_000;
/// Retries wait 1 s, 2 s, 4 s … up to this.
const MAX_BACKOFF_MS: i64 = 60_000;
/// Rows claimed per round.
const BATCH: i64 = 16;
/// Without a wake-up, the worker still looks this often (retries, other
/// replicas' rows, expired leases).
const IDLE_POLL: Duration = Duration::from_secs(5);

/// The statement that queues one mail; binds: message (encrypted, or NULL
/// for nothing to send), now, expires_at. Run by callers inside their own
/// transaction.
pub const INSERT: &str =
    "INSERT INTO mail_outbox (message, attempts, next_attempt_at, expires_at, created_at) VALUES ($1, 0, $2, $3, $2)";

/// A mail sealed for the outbox: only this server's secrets open it.
pub fn seal(secrets: &Secrets, mail: &Mail) -> String {
    let json = serde_json::to_vec(mail).unwrap_or_default();
    encrypt(secrets.current(), &json)
}

fn open(secrets: &Secrets, sealed: &str) -> Option<Mail> {
    secrets.all().find_map(|s| decrypt(s, sealed)).and_then(|json| serde_json::from_slice(&json).ok())
}

/// Wakes the worker when a request has queued mail.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn queued(&self) {
        self.wake.notify_one();
    }
}

struct Claimed {
    id: i64,
    message: Option<String>,
    attempts: i32,
    expires_at: i64,
}

fn backoff_ms(attempts: i32) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    (1000_i64 << exp).min(MAX_BACKOFF_MS)
}

async fn claim(db: &Db, now: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(..) => "",
    };
    let sql = format!(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id IN \
         (SELECT id FROM mail_outbox WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3{lock}) \
         RETURNING id, message, attempts, expires_at"
    );
    let rows: Vec<(i64, Option<String>, i32, i64)> =
        on_db!(db, |pool| sqlx::query_as(&sql).bind(now).bind(now + LEASE_MS).bind(BATCH).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, message, attempts, expires_at)| Claimed { id, message, attempts, expires_at })
        .collect())
}

async fn done(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("DELETE FROM mail_outbox WHERE id = $1").bind(id).execute(pool).await.map(|_| ()))
}

async fn retry_later(db: &Db, id: i64, at: i64, error: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query("UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3")
        .bind(at)
        .bind(error.chars().take(500).collect::<String>())
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// When the next row falls due, if any (a read: no write lock when idle).
async fn next_due(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let row: (Option<i64>,) =
        on_db!(db, |pool| sqlx::query_as("SELECT MIN(next_attempt_at) FROM mail_outbox").fetch_one(pool).await)?;
    Ok(row.0)
}

/// One row: send it, or schedule its retry, or give it up once its link
/// has expired anyway.
async fn deliver(db: &Db, mailer: &Mailer, secrets: &Secrets, row: Claimed) -> Result<(), sqlx::Error> {
    let Some(sealed) = row.message else { return done(db, row.id).await };
    let now = now_millis();
    if row.expires_at <= now {
        tracing::warn!(
            outbox_id = row.id,
            attempts = row.attempts,
            "mail given up: its link expired before it could be sent"
        );
        return done(db, row.id).await;
    }
    let Some(mail) = open(secrets, &sealed) else {
        tracing::error!(outbox_id = row.id, "mail dropped: sealed with a secret this server no longer has");
        return done(db, row.id).await;
    };
    match mailer.send(&mail).await {
        Ok(()) => {
            tracing::info!(outbox_id = row.id, attempts = row.attempts, "mail sent");
            done(db, row.id).await
        }
        Err(e) => {
            let wait = backoff_ms(row.attempts);
            tracing::warn!(outbox_id = row.id, attempts = row.attempts, retry_in_ms = wait, "mail not sent: {e}");
            retry_later(db, row.id, now_millis() + wait, &e).await
        }
    }
}

/// Runs until `shutdown` resolves: sends what is due, then waits for a
/// wake-up, the next due row or the idle poll, whichever comes first.
pub async fn run(
    db: Db,
    mailer: Arc<Mailer>,
    secrets: Secrets,
    outbox: Outbox,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let mut wait = IDLE_POLL;
        match claim(&db, now_millis()).await {
            Ok(rows) => {
                let full = rows.len() as i64 == BATCH;
                for row in rows {
                    if let Err(e) = deliver(&db, &mailer, &secrets, row).await {
                        tracing::warn!("outbox update failed: {e}");
                    }
                }
                if full {
                    continue;
                }
                if let Ok(Some(due)) = next_due(&db).await {
                    let ms = u64::try_from(due - now_millis()).unwrap_or(0);
                    wait = wait.min(Duration::from_millis(ms));
                }
            }
            Err(e) => tracing::warn!("outbox claim failed: {e}"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = outbox.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_minute() {
        let waits: Vec<i64> = (1..=9).map(backoff_ms).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
        assert_eq!(backoff_ms(i32::MAX), 60000);
    }

    #[test]
    fn sealed_mail_opens_only_with_the_servers_secrets() {
        let secrets = Secrets::new("s".repeat(40), vec![]);
        let mail = Mail {
            to: "a@b.co".into(),
            subject: "S".into(),
            text: "t http://x/?token=SECRET".into(),
            html: "h".into(),
        };
        let sealed = seal(&secrets, &mail);
        assert!(!sealed.contains("SECRET"));
        assert_eq!(open(&secrets, &sealed), Some(mail));
        assert_eq!(open(&Secrets::new("o".repeat(40), vec![]), &sealed), None);
    }
}
