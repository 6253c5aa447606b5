//! Reading `text/event-stream` bodies: from the in-process client
//! (`LocalResponse` is `AsyncRead`), or from a server process over raw
//! HTTP/1.0 (no chunked framing, so the body is the stream itself).

use std::time::Duration;

use rocket::tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, Lines};
use rocket::tokio::net::TcpStream;

/// One event: its `event:` name (`message` if none), `id:` and `data:`.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub id: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.data))
    }

    pub fn version(&self) -> i64 {
        self.id.parse().unwrap_or_else(|_| panic!("id is not a version: {self:?}"))
    }
}

pub struct SseReader<R> {
    lines: Lines<BufReader<R>>,
    /// Comment lines (heartbeats) seen so far.
    pub comments: usize,
}

impl<R: AsyncRead + Unpin> SseReader<R> {
    pub fn new(body: R) -> Self {
        SseReader { lines: BufReader::new(body).lines(), comments: 0 }
    }

    /// The next event; `None` when the stream ended.
    pub async fn next(&mut self) -> Option<SseEvent> {
        let (mut event, mut id, mut data) = (None, String::new(), Vec::new());
        loop {
            let line = self.lines.next_line().await.ok()??;
            if line.is_empty() {
                if event.is_some() || !data.is_empty() {
                    return Some(SseEvent {
                        event: event.unwrap_or_else(|| "message".into()),
                        id,
                        data: data.join("\n"),
                    });
                }
                continue;
            }
            if line.starts_with(':') {
                self.comments += 1;
                continue;
            }
            let (field, value) =
                line.split_once(':').map(|(f, v)| (f, v.strip_prefix(' ').unwrap_or(v))).unwrap_or((&line, ""));
            match field {
                "event" => event = Some(value.to_owned()),
                "id" => id = value.to_owned(),
                "data" => data.push(value.to_owned()),
                _ => {}
            }
        }
    }

    /// The next event within `limit` (panics if none came, or the stream ended).
    pub async fn expect(&mut self, limit: Duration) -> SseEvent {
        match rocket::tokio::time::timeout(limit, self.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the stream ended"),
            Err(_) => panic!("no event within {limit:?}"),
        }
    }

    /// Whether the stream ends within `limit` (reading what is left).
    pub async fn ends_within(&mut self, limit: Duration) -> bool {
        rocket::tokio::time::timeout(limit, async { while self.next().await.is_some() {} }).await.is_ok()
    }

    /// Whether an event arrives within `limit` (`false`: silence).
    pub async fn nothing_within(&mut self, limit: Duration) -> bool {
        rocket::tokio::time::timeout(limit, self.next()).await.is_err()
    }
}

/// `GET path` on a server process with a bearer token: the status, the
/// headers as lines, and the body as a stream.
pub async fn open(
    port: u16,
    path: &str,
    jwt: &str,
    last_event_id: Option<i64>,
) -> (u16, Vec<String>, SseReader<TcpStream>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let last = last_event_id.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {jwt}\r\n{last}\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut reader = SseReader::new(stream);
    let status_line = reader.lines.next_line().await.expect("read").expect("a status line");
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    let mut headers = Vec::new();
    while let Some(line) = reader.lines.next_line().await.expect("read") {
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    (status, headers, reader)
}
