//! In-process fan-out: one broadcast channel per user with open streams,
//! each with a short memory of recent events for `Last-Event-ID` replays.
//! Users nobody streams cost nothing: their events are dropped here.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use shared::Task;
use tokio::sync::broadcast;

/// Events a stream may fall behind by before it gets `resync` instead.
pub const STREAM_BUFFER: usize = 64;
/// Recent events kept per streamed user, for replays after a reconnect.
pub const REPLAY: usize = 64;

/// One change of a user's tasks, serialised once for every stream.
#[derive(Debug, PartialEq)]
pub struct Event {
    /// The user's change version after it (the SSE `id`).
    pub version: i64,
    /// `task.created`, `task.updated` or `task.deleted`.
    pub name: &'static str,
    /// The JSON `data`: the task, or `{"id": N}`.
    pub data: String,
}

impl Event {
    pub fn created(version: i64, task: &Task) -> Self {
        Self::with_task(version, "task.created", task)
    }

    pub fn updated(version: i64, task: &Task) -> Self {
        Self::with_task(version, "task.updated", task)
    }

    pub fn deleted(version: i64, id: i64) -> Self {
        Event { version, name: "task.deleted", data: format!("{{\"id\":{id}}}") }
    }

    fn with_task(version: i64, name: &'static str, task: &Task) -> Self {
        let data = serde_json::to_string(task).unwrap_or_else(|_| "{}".into());
        Event { version, name, data }
    }
}

/// What a stream receives.
#[derive(Clone, Debug)]
pub enum Message {
    Event(Arc<Event>),
    /// Events may have been missed (the database listener reconnected):
    /// the client must re-read the list.
    Resync,
    /// The user's streams end (the account was deleted or signed out
    /// everywhere).
    Close,
}

struct Channel {
    sender: broadcast::Sender<Message>,
    recent: VecDeque<Arc<Event>>,
    streams: usize,
}

/// The per-user channels of this process.
pub struct Hub {
    users: Mutex<HashMap<String, Channel>>,
    max_streams_per_user: usize,
    /// Whether changes reach this hub: always on SQLite; on PostgreSQL
    /// while the listener is listening (a stream opened without it would
    /// miss events unnoticed).
    listening: tokio::sync::watch::Sender<bool>,
}

/// An open stream's registration: its receiver and what happened just
/// before it subscribed. Dropping it frees the stream's slot.
pub struct Subscription {
    pub receiver: broadcast::Receiver<Message>,
    /// The user's recent events at the moment of subscribing, oldest first;
    /// everything later arrives through `receiver`.
    pub recent: Vec<Arc<Event>>,
    hub: Arc<Hub>,
    user_id: String,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.hub.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = users.get_mut(&self.user_id) {
            channel.streams -= 1;
            if channel.streams == 0 {
                users.remove(&self.user_id);
            }
        }
    }
}

/// The user already has the most streams a process allows.
#[derive(Debug, PartialEq)]
pub struct TooManyStreams;

impl Hub {
    pub fn new(max_streams_per_user: usize, listening: bool) -> Self {
        let listening = tokio::sync::watch::channel(listening).0;
        Hub { users: Mutex::new(HashMap::new()), max_streams_per_user, listening }
    }

    pub fn set_listening(&self, on: bool) {
        self.listening.send_replace(on);
    }

    /// Waits (at most `limit`) until changes reach this hub.
    pub async fn until_listening(&self, limit: std::time::Duration) -> bool {
        let mut on = self.listening.subscribe();
        let listening = matches!(tokio::time::timeout(limit, on.wait_for(|on| *on)).await, Ok(Ok(_)));
        listening
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a stream of `user_id`'s events.
    pub fn subscribe(self: &Arc<Self>, user_id: &str) -> Result<Subscription, TooManyStreams> {
        let mut users = self.users();
        let channel = users.entry(user_id.to_owned()).or_insert_with(|| Channel {
            sender: broadcast::channel(STREAM_BUFFER).0,
            recent: VecDeque::with_capacity(REPLAY),
            streams: 0,
        });
        if channel.streams >= self.max_streams_per_user {
            return Err(TooManyStreams);
        }
        channel.streams += 1;
        Ok(Subscription {
            receiver: channel.sender.subscribe(),
            recent: channel.recent.iter().cloned().collect(),
            hub: self.clone(),
            user_id: user_id.to_owned(),
        })
    }

    /// Whether anyone streams `user_id`'s events here (else publishing is a
    /// no-op, and the PostgreSQL listener need not read the task).
    pub fn is_streamed(&self, user_id: &str) -> bool {
        self.users().contains_key(user_id)
    }

    /// Sends `event` to every stream of `user_id` and remembers it.
    pub fn publish(&self, user_id: &str, event: Event) {
        let mut users = self.users();
        let Some(channel) = users.get_mut(user_id) else { return };
        let event = Arc::new(event);
        if channel.recent.len() == REPLAY {
            channel.recent.pop_front();
        }
        channel.recent.push_back(event.clone());
        let _ = channel.sender.send(Message::Event(event));
    }

    /// Ends every stream of `user_id` in this process.
    pub fn close(&self, user_id: &str) {
        if let Some(channel) = self.users().get_mut(user_id) {
            channel.recent.clear();
            let _ = channel.sender.send(Message::Close);
        }
    }

    /// Tells every stream to re-read (events may have been lost) and forgets
    /// what could have been replayed.
    pub fn resync_all(&self) {
        for channel in self.users().values_mut() {
            channel.recent.clear();
            let _ = channel.sender.send(Message::Resync);
        }
    }

    /// Open streams in this process.
    #[cfg(test)]
    pub fn stream_count(&self) -> usize {
        self.users().values().map(|c| c.streams).sum()
    }
}

/// Where a stream that asked to resume after `last_id` starts, given the
/// user's version now and the events remembered when it subscribed.
#[derive(Debug, PartialEq)]
pub enum Start {
    /// Send these (oldest first), then go on live.
    Replay(Vec<Arc<Event>>),
    /// Send `resync`: the gap cannot be replayed.
    Resync,
}

/// Replays exactly the versions in `(last_id, current]` if every one of
/// them is remembered; otherwise (or if `last_id` is ahead) `resync`.
pub fn start(last_id: Option<i64>, current: i64, recent: &[Arc<Event>]) -> Start {
    let Some(last) = last_id else { return Start::Replay(Vec::new()) };
    if last > current {
        return Start::Resync;
    }
    let mut missed: Vec<Arc<Event>> =
        recent.iter().filter(|e| e.version > last && e.version <= current).cloned().collect();
    missed.sort_by_key(|e| e.version);
    missed.dedup_by_key(|e| e.version);
    if missed.len() as i64 == current - last {
        Start::Replay(missed)
    } else {
        Start::Resync
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(version: i64) -> Arc<Event> {
        Arc::new(Event::deleted(version, version))
    }

    #[test]
    fn replays_only_a_complete_gap() {
        let recent: Vec<_> = [3, 5, 4, 6].into_iter().map(event).collect();
        let versions = |s: Start| match s {
            Start::Replay(v) => Some(v.iter().map(|e| e.version).collect::<Vec<_>>()),
            Start::Resync => None,
        };
        assert_eq!(versions(start(None, 6, &recent)), Some(vec![]), "no Last-Event-ID: live from now");
        assert_eq!(versions(start(Some(6), 6, &recent)), Some(vec![]));
        assert_eq!(versions(start(Some(3), 6, &recent)), Some(vec![4, 5, 6]), "in version order");
        assert_eq!(versions(start(Some(2), 6, &recent)), Some(vec![3, 4, 5, 6]));
        assert_eq!(versions(start(Some(1), 6, &recent)), None, "2 was not kept");
        assert_eq!(versions(start(Some(7), 6, &recent)), None, "ahead of the database");
        assert_eq!(versions(start(Some(3), 7, &recent)), None, "7 not seen yet");
    }

    #[test]
    fn streams_are_counted_per_user_and_freed_on_drop() {
        let hub = Arc::new(Hub::new(2, true));
        let a = hub.subscribe("u1").unwrap();
        let b = hub.subscribe("u1").unwrap();
        assert_eq!(hub.subscribe("u1").err(), Some(TooManyStreams));
        let other = hub.subscribe("u2").unwrap();
        drop(a);
        let c = hub.subscribe("u1").unwrap();
        assert_eq!(hub.stream_count(), 3);
        drop((b, c, other));
        assert_eq!(hub.stream_count(), 0);
        assert!(!hub.is_streamed("u1"), "a user with no stream leaves no channel behind");
    }

    #[test]
    fn events_reach_only_their_users_streams_and_are_remembered() {
        let hub = Arc::new(Hub::new(10, true));
        let mut mine = hub.subscribe("u1").unwrap();
        let mut theirs = hub.subscribe("u2").unwrap();
        hub.publish("u1", Event::deleted(1, 7));
        hub.publish("nobody", Event::deleted(1, 8));
        match mine.receiver.try_recv() {
            Ok(Message::Event(e)) => assert_eq!((e.name, e.data.as_str()), ("task.deleted", r#"{"id":7}"#)),
            other => panic!("{other:?}"),
        }
        assert!(theirs.receiver.try_recv().is_err(), "another user's event");
        let later = hub.subscribe("u1").unwrap();
        assert_eq!(later.recent.len(), 1);
    }

    #[test]
    fn a_slow_stream_lags_instead_of_growing() {
        let hub = Arc::new(Hub::new(10, true));
        let mut slow = hub.subscribe("u1").unwrap();
        for v in 1..=(STREAM_BUFFER as i64 * 3) {
            hub.publish("u1", Event::deleted(v, v));
        }
        assert!(matches!(slow.receiver.try_recv(), Err(broadcast::error::TryRecvError::Lagged(_))));
        assert_eq!(hub.subscribe("u1").unwrap().recent.len(), REPLAY, "the replay memory is bounded");
    }
}
