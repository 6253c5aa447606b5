//! The live stream's pure parts: its status as shown, how long to wait
//! before reconnecting, and the messages the tab holding the stream sends
//! the other tabs (`hooks::tabs`).

use crate::api::sse::SseEvent;

/// What the indicator on `/tasks` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

impl LiveStatus {
    pub(crate) fn label(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "Connecting…",
            LiveStatus::Live => "Live",
            LiveStatus::Reconnecting => "Reconnecting…",
        }
    }

    fn code(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Live => "live",
            LiveStatus::Reconnecting => "reconnecting",
        }
    }
}

/// The wait before reconnect attempt `failures` (1 after the first failure):
/// doubling from 1 s to at most 30 s; `jitter` in [0, 1) takes up to a
/// quarter off, so browsers cut off together do not come back together.
/// A server's `Retry-After` (429 `TOO_MANY_STREAMS`, 503) is waited out in
/// full when it asks for longer (at most five minutes).
pub(crate) fn backoff_ms(failures: u32, retry_after_secs: Option<u64>, jitter: f64) -> u32 {
    let wait = (1000u32 << failures.saturating_sub(1).min(5)).min(30_000);
    let backoff = wait - (f64::from(wait) * 0.25 * jitter.clamp(0.0, 1.0)) as u32;
    let asked = retry_after_secs.map_or(0, |s| s.min(300) as u32 * 1000);
    backoff.max(asked)
}

/// What goes over the tabs' `BroadcastChannel`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Relay {
    /// An event from the stream, as received.
    Event(SseEvent),
    /// The stream holder's status changed.
    Status(LiveStatus),
    /// A tab joined and asks the holder for its status.
    Hello,
}

impl Relay {
    pub(crate) fn encode(&self) -> String {
        match self {
            Relay::Event(e) => format!("e\n{}\n{}\n{}", e.event, e.id.as_deref().unwrap_or(""), e.data),
            Relay::Status(s) => format!("s\n{}", s.code()),
            Relay::Hello => "h".to_owned(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Relay> {
        let mut parts = text.splitn(4, '\n');
        match (parts.next()?, parts.next(), parts.next(), parts.next()) {
            ("e", Some(event), Some(id), Some(data)) => Some(Relay::Event(SseEvent {
                event: event.to_owned(),
                id: (!id.is_empty()).then(|| id.to_owned()),
                data: data.to_owned(),
            })),
            ("s", Some(code), None, None) => [LiveStatus::Connecting, LiveStatus::Live, LiveStatus::Reconnecting]
                .into_iter()
                .find(|s| s.code() == code)
                .map(Relay::Status),
            ("h", None, None, None) => Some(Relay::Hello),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_backoff_doubles_to_thirty_seconds_and_honours_retry_after() {
        let waits: Vec<_> = (1..=8).map(|n| backoff_ms(n, None, 0.0)).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        assert_eq!(backoff_ms(2, None, 0.5), 1750, "jitter takes up to a quarter off");
        assert!(backoff_ms(40, None, 0.999_999) > 22_500);
        assert_eq!(backoff_ms(1, Some(30), 0.0), 30_000, "TOO_MANY_STREAMS asked for 30 s");
        assert_eq!(backoff_ms(6, Some(2), 0.0), 30_000, "a shorter Retry-After does not cut the backoff");
        assert_eq!(backoff_ms(1, Some(u64::MAX), 0.0), 300_000, "never more than five minutes");
    }

    #[test]
    fn relay_messages_round_trip() {
        let event =
            SseEvent { event: "task.updated".into(), id: Some("8".into()), data: "{\"a\":\"x\\ny\"}\nz".into() };
        let no_id = SseEvent { id: None, ..event.clone() };
        for relay in [
            Relay::Event(event),
            Relay::Event(no_id),
            Relay::Status(LiveStatus::Live),
            Relay::Status(LiveStatus::Reconnecting),
            Relay::Status(LiveStatus::Connecting),
            Relay::Hello,
        ] {
            assert_eq!(Relay::decode(&relay.encode()), Some(relay.clone()), "{relay:?}");
        }
        assert_eq!(Relay::decode("s\nasleep"), None);
        assert_eq!(Relay::decode("x"), None);
    }
}
