//! The PostgreSQL side of fan-out: one `LISTEN task_events` connection per
//! replica, publishing each committed change to this process's hub. After
//! the connection drops (a database restart, a killed backend) it
//! reconnects, and every stream gets `resync`: what was sent meanwhile is
//! lost with the connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use shared::Task;
use sqlx::postgres::{PgListener, PgPool};

use super::hub::{Event, Hub};

/// The `NOTIFY` channel of task changes (migration 8).
pub const CHANNEL: &str = "task_events";

/// A `NOTIFY` payload (migration 8's trigger, or `close_streams`).
#[derive(Debug, Deserialize)]
struct Note {
    /// The user.
    u: String,
    /// `c`reated, `u`pdated, `d`eleted, or `x`: end the user's streams.
    k: String,
    /// The user's version after the change.
    #[serde(default)]
    v: i64,
    #[serde(default)]
    id: i64,
    /// The task as the API shows it, unless it would not fit in a payload.
    #[serde(default)]
    task: Option<Task>,
}

/// Waits before connecting again after a failure: 0.1 s doubling to 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(6)).min(5_000))
}

pub async fn run(pool: PgPool, hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut failures = 0;
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: cannot listen on the database; retrying");
                    failures += 1;
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(failures)) => continue,
                        _ = &mut shutdown => return,
                    }
                }
            },
            _ = &mut shutdown => return,
        };
        hub.set_listening(true);
        if failures > 0 {
            tracing::info!("live updates: listening on the database again");
        }
        // Streams that were open while nobody listened may have missed
        // changes (none are open at the first start).
        hub.resync_all();
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                _ = &mut shutdown => return,
            };
            match received {
                Ok(Some(note)) => deliver(&pool, &hub, note.payload()).await,
                // The connection dropped (whatever was sent meanwhile is
                // gone): new streams wait, and every stream resyncs once a
                // new connection listens.
                Ok(None) | Err(_) => {
                    tracing::warn!("live updates: the database connection dropped; reconnecting");
                    hub.set_listening(false);
                    failures = 1;
                    break;
                }
            }
        }
    }
}

/// Publishes one payload to this process's streams of its user, if any.
async fn deliver(pool: &PgPool, hub: &Hub, payload: &str) {
    let note: Note = match serde_json::from_str(payload) {
        Ok(note) => note,
        Err(e) => return tracing::warn!(error = %e, "live updates: unreadable notification"),
    };
    if !hub.is_streamed(&note.u) {
        return;
    }
    let event = match note.k.as_str() {
        "x" => return hub.close(&note.u),
        "d" => Event::deleted(note.v, note.id),
        kind => {
            // Too big for a payload: read the row (gone means a deletion follows).
            let task = match note.task {
                Some(task) => Some(task),
                None => crate::tasks::store::get(&crate::db::Db::Postgres(pool.clone()), &note.u, note.id)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "live updates: cannot read a changed task");
                        None
                    }),
            };
            let Some(task) = task else { return };
            if kind == "c" {
                Event::created(note.v, &task)
            } else {
                Event::updated(note.v, &task)
            }
        }
    };
    hub.publish(&note.u, event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_five_seconds() {
        let waits: Vec<u64> = (1..=8).map(|f| backoff(f).as_millis() as u64).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }

    #[test]
    fn notes_read_with_or_without_the_task() {
        let note: Note = serde_json::from_str(r#"{"u":"a","k":"d","v":3,"id":9}"#).unwrap();
        assert_eq!((note.u.as_str(), note.k.as_str(), note.v, note.id, note.task.is_none()), ("a", "d", 3, 9, true));
        let note: Note = serde_json::from_str(r#"{"u":"a","k":"x"}"#).unwrap();
        assert_eq!(note.k, "x");
    }
}
