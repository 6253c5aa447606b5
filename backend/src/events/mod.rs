//! Live updates: `GET /api/<user_id>/events`, a Server-Sent Events stream
//! of the user's task changes (README, "Live updates"). Layers: `routes` →
//! `hub` (in-process fan-out) ← `listen` (PostgreSQL `LISTEN`, one
//! connection per replica). On SQLite the task routes publish to the hub
//! after each write (`announce`); on PostgreSQL a trigger sends `NOTIFY` in
//! the write's transaction and every replica's listener publishes, so only
//! committed changes are announced, on every replica.

pub mod hub;
mod listen;
pub(crate) mod routes;

use std::sync::Arc;

use rocket::fairing::AdHoc;

use crate::db::Db;
use hub::{Event, Hub};
use listen::CHANNEL;

/// Mounts the route, manages the hub and, on PostgreSQL, starts the listener.
pub(crate) fn stage(max_streams_per_user: usize, postgres: bool) -> AdHoc {
    AdHoc::on_ignite("Live updates", move |rocket| async move {
        rocket.manage(Arc::new(Hub::new(max_streams_per_user, !postgres))).mount("/api", routes::routes()).attach(
            AdHoc::on_liftoff("Live updates listener", |rocket| {
                Box::pin(async move {
                    let (Some(Db::Postgres(pool)), Some(hub)) = (rocket.state::<Db>(), rocket.state::<Arc<Hub>>())
                    else {
                        return;
                    };
                    let shutdown = rocket.shutdown();
                    tokio::spawn(listen::run(pool.clone(), hub.clone(), shutdown));
                })
            }),
        )
    })
}

/// After a committed write on SQLite: tells this process's streams. On
/// PostgreSQL the trigger's `NOTIFY` does it (for every replica), so this
/// does nothing there.
pub fn announce(db: &Db, hub: &Hub, user_id: &str, event: impl FnOnce() -> Event) {
    if matches!(db, Db::Sqlite(..)) && hub.is_streamed(user_id) {
        hub.publish(user_id, event());
    }
}

/// Ends `user_id`'s streams everywhere (delete-user, revoke-sessions): in
/// this process, or through `NOTIFY` on every replica.
pub async fn close_streams(db: &Db, hub: &Hub, user_id: &str) {
    match db {
        Db::Sqlite(..) => hub.close(user_id),
        Db::Postgres(pool) => {
            let note = serde_json::json!({ "u": user_id, "k": "x" }).to_string();
            let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(note).execute(pool).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not announce the end of a user's event streams");
                hub.close(user_id);
            }
        }
    }
}
