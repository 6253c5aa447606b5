//! `GET /api/<user_id>/events` (README, "Live updates"): guarded like every
//! task route (bearer JWT for the path's user), one `text/event-stream`
//! until the token expires.

use std::sync::Arc;
use std::time::Duration;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::response::stream::{Event as Sse, EventStream};
use rocket::tokio::sync::broadcast::error::RecvError;
use rocket::{get, routes, Request, Route, Shutdown, State};

use super::hub::{self, Event, Hub, Message, Start};
use crate::bearer::Owner;
use crate::clock::now_millis;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiError, AppResult};
use crate::on_db;
use crate::tasks::versions::VERSION_SQL;

/// A comment line after at most this much silence, so proxies and the
/// browser see a live connection.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn routes() -> Vec<Route> {
    routes![events]
}

/// The `Last-Event-ID` request header: absent or empty → `None`; anything
/// that is not a version can only be resynced.
pub struct LastEventId(Option<i64>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LastEventId {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let id = req.headers().get_one("Last-Event-ID").map(str::trim).filter(|v| !v.is_empty());
        Outcome::Success(LastEventId(id.map(|v| v.parse().unwrap_or(i64::MAX))))
    }
}

/// The user's change version now (the database's, not a cache's).
async fn current_version(db: &Db, user_id: &str) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(VERSION_SQL).bind(user_id).fetch_one(pool).await)
}

fn sse(event: &Event) -> Sse {
    Sse::data(event.data.clone()).event(event.name).id(event.version.to_string())
}

fn resync(version: i64) -> Sse {
    Sse::data("{}").event("resync").id(version.to_string())
}

#[utoipa::path(get, path = "/api/{user_id}/events", tag = "events", security(("bearer" = [])),
    params(
        ("user_id" = String, Path, description = "Must equal the token's `sub`"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this version (the list's `X-Change-Version`)"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: `task.created`/`task.updated` (a Task), `task.deleted` (`{id}`), `resync` (`{}`), each with `id:` = the user's version; a comment every 15 s; ends when the token expires", content_type = "text/event-stream", body = String),
        (status = 401, description = "Missing, invalid or expired bearer token", body = shared::ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = shared::ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: this replica is reconnecting to the database's notifications", body = shared::ErrorBody, headers(("Retry-After" = String))),
        (status = 429, description = "TOO_MANY_STREAMS: EVENTS_MAX_STREAMS_PER_USER streams are open in this process", body = shared::ErrorBody, headers(("Retry-After" = String))),
    ))]
#[get("/<_user_id>/events")]
pub async fn events(
    owner: Owner,
    _user_id: &str,
    last_event_id: LastEventId,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
    settings: &State<Settings>,
    mut shutdown: Shutdown,
) -> AppResult<EventStream<impl rocket::futures::Stream<Item = Sse> + Send + 'static>> {
    if !hub.until_listening(Duration::from_secs(5)).await {
        return Err(ApiError::new(Status::ServiceUnavailable, "SERVICE_UNAVAILABLE", "Live updates are reconnecting")
            .with_header("Retry-After", "2"));
    }
    let mut subscription = hub.subscribe(&owner.user_id).map_err(|_| {
        ApiError::new(Status::TooManyRequests, "TOO_MANY_STREAMS", "Too many open event streams for this user")
            .with_header("Retry-After", "30")
    })?;
    // Subscribed first, then the version read: a change committed in
    // between is both at most `current` and in the receiver, never lost.
    let current = current_version(db, &owner.user_id).await?;
    let start = hub::start(last_event_id.0, current, &subscription.recent);
    let lives_for = (owner.expires_at + settings.jwt_leeway_secs as i64) * 1000 - now_millis();
    let ends = tokio::time::Instant::now() + Duration::from_millis(lives_for.max(0) as u64);
    let (db, user_id) = (db.inner().clone(), owner.user_id);
    let stream = EventStream! {
        // Events at or below `floor` are already reflected in what the
        // client has (replayed, or read after a resync).
        let mut floor = current;
        match start {
            Start::Replay(events) => for event in events { yield sse(&event); },
            Start::Resync => yield resync(current),
        }
        let expiry = tokio::time::sleep_until(ends);
        tokio::pin!(expiry);
        loop {
            let message = tokio::select! {
                message = subscription.receiver.recv() => message,
                _ = &mut expiry => break,
                _ = &mut shutdown => break,
            };
            match message {
                Ok(Message::Event(event)) => if event.version > floor { yield sse(&event); },
                Ok(Message::Resync) | Err(RecvError::Lagged(_)) => {
                    // Too slow, or events were lost: the client re-reads.
                    floor = current_version(&db, &user_id).await.unwrap_or(floor);
                    subscription.receiver = subscription.receiver.resubscribe();
                    yield resync(floor);
                }
                Ok(Message::Close) | Err(RecvError::Closed) => break,
            }
        }
    };
    Ok(stream.heartbeat(HEARTBEAT))
}
