//! The live-updates stream, `GET /api/<user_id>/events`, read through `fetch`
//! (an `EventSource` cannot send the bearer header): opened, read chunk by
//! chunk into SSE events, and each event typed as the change it announces.

use js_sys::{Reflect, Uint8Array};
use serde::Deserialize;
use shared::Task;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader};

use crate::api::error::ApiError;
use crate::api::json;
use crate::api::request::{api_url, open};
use crate::api::sse::{SseEvent, SseParser};

/// What one event says changed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Change {
    Created(Task),
    Updated(Task),
    Deleted(i64),
    /// The server could not replay what was missed: re-read the list.
    Resync,
}

/// A change and the user's change version after it (the event's `id`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Announced {
    pub(crate) version: Option<i64>,
    pub(crate) change: Change,
}

#[derive(Deserialize)]
struct Deleted {
    id: i64,
}

impl Announced {
    /// `None` for an event this app does not know (a newer server's) or
    /// whose data does not decode.
    pub(crate) fn parse(event: &SseEvent) -> Option<Announced> {
        let change = match event.event.as_str() {
            "task.created" => Change::Created(json::from_str(&event.data).ok()?),
            "task.updated" => Change::Updated(json::from_str(&event.data).ok()?),
            "task.deleted" => Change::Deleted(json::from_str::<Deleted>(&event.data).ok()?.id),
            "resync" => Change::Resync,
            _ => return None,
        };
        Some(Announced { version: event.id.as_deref().and_then(|id| id.trim().parse().ok()), change })
    }
}

/// An open stream.
pub(crate) struct EventStream {
    reader: ReadableStreamDefaultReader,
    parser: SseParser,
}

/// Opens the stream, resuming after `since` (the list's `X-Change-Version`,
/// or the last event's id); `signal` aborts it.
pub(crate) async fn connect(
    user_id: &str,
    token: &str,
    since: Option<i64>,
    signal: &AbortSignal,
) -> Result<EventStream, ApiError> {
    let url = api_url(&format!("/api/{user_id}/events"))?;
    let since = since.map(|v| v.to_string());
    let mut headers = vec![("Accept", "text/event-stream")];
    if let Some(since) = &since {
        headers.push(("Last-Event-ID", since));
    }
    let response = open(&url, token, &headers, signal).await?;
    let body = response.body().ok_or_else(|| ApiError::Decode("an event stream without a body".into()))?;
    Ok(EventStream { reader: body.get_reader().unchecked_into(), parser: SseParser::default() })
}

impl EventStream {
    /// The events in the next chunk (often none: a heartbeat, half an
    /// event); `Ok(None)` when the server ended the stream.
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<SseEvent>>, ApiError> {
        let read = JsFuture::from(self.reader.read()).await.map_err(|e| ApiError::Network(format!("{e:?}")))?;
        let done = Reflect::get(&read, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            return Ok(None);
        }
        let chunk = Reflect::get(&read, &"value".into()).map_err(|e| ApiError::Network(format!("{e:?}")))?;
        Ok(Some(self.parser.push(&chunk.unchecked_into::<Uint8Array>().to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::sse::tests::event;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn events_are_typed_by_name_and_unknown_ones_skipped() {
        let task =
            r#"{"id":4,"user_id":"u","title":"t","description":"","completed":true,"created_at":"a","updated_at":"b"}"#;
        let created = Announced::parse(&event("task.created", Some("12"), task)).expect("a task");
        assert_eq!(created.version, Some(12));
        assert!(matches!(created.change, Change::Created(ref t) if t.id == 4 && t.completed));
        assert!(matches!(Announced::parse(&event("task.updated", None, task)).unwrap().change, Change::Updated(_)));
        let deleted = Announced::parse(&event("task.deleted", Some("13"), r#"{"id": 4}"#)).unwrap();
        assert_eq!(deleted, Announced { version: Some(13), change: Change::Deleted(4) });
        assert_eq!(Announced::parse(&event("resync", Some("20"), "{}")).unwrap().change, Change::Resync);
        assert_eq!(Announced::parse(&event("task.archived", Some("21"), "{}")), None, "a newer server's event");
        assert_eq!(Announced::parse(&event("task.created", Some("22"), "{\"id\":")), None, "not JSON");
    }
}
