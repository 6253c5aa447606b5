//! Server-Sent Events framing (the WHATWG `text/event-stream` rules the
//! server's stream follows): bytes in, whole events out.
//!
//! Hand-written rather than a crate: the SSE crates for wasm bring a futures
//! stack or an `EventSource` wrapper (which cannot send the bearer header),
//! and this is forty lines of the spec's line rules.

/// One dispatched event: `event:` (default `message`), `id:`, `data:` lines
/// joined with `\n`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SseEvent {
    pub(crate) event: String,
    pub(crate) id: Option<String>,
    pub(crate) data: String,
}

/// Collects chunks (split anywhere, even inside a UTF-8 character) and
/// yields each event once its blank line has arrived.
#[derive(Default)]
pub(crate) struct SseParser {
    /// Bytes after the last complete line.
    partial: Vec<u8>,
    event: String,
    data: Option<String>,
    /// The last `id:` seen; kept across events as the spec says.
    id: Option<String>,
}

impl SseParser {
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.partial.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n' || *b == b'\r') {
            // A CR might be the first half of CRLF: wait for the next byte.
            if self.partial[end] == b'\r' && end + 1 == self.partial.len() {
                break;
            }
            let skip = if self.partial[end] == b'\r' && self.partial[end + 1] == b'\n' { 2 } else { 1 };
            let line: Vec<u8> = self.partial.drain(..end + skip).take(end).collect();
            if let Some(event) = self.line(&String::from_utf8_lossy(&line)) {
                out.push(event);
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            // The event name is reset by every blank line, dispatched or not.
            let event = std::mem::take(&mut self.event);
            let data = self.data.take()?;
            let event = if event.is_empty() { "message".to_owned() } else { event };
            return Some(SseEvent { event, id: self.id.clone(), data });
        }
        if line.starts_with(':') {
            return None; // a comment: the heartbeat
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = value.to_owned(),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    pub(crate) fn event(event: &str, id: Option<&str>, data: &str) -> SseEvent {
        SseEvent { event: event.into(), id: id.map(Into::into), data: data.into() }
    }

    #[test]
    fn events_come_out_whole_however_the_bytes_are_split() {
        let stream =
            ":\n\nevent: task.created\nid: 7\ndata: {\"title\":\"Café\"}\n\nevent: resync\r\nid: 9\r\ndata: {}\r\n\r\n";
        let expected = vec![event("task.created", Some("7"), "{\"title\":\"Café\"}"), event("resync", Some("9"), "{}")];
        for size in 1..stream.len() {
            let mut parser = SseParser::default();
            let got: Vec<_> = stream.as_bytes().chunks(size).flat_map(|c| parser.push(c)).collect();
            assert_eq!(got, expected, "chunks of {size} bytes");
        }
    }

    #[test]
    fn the_spec_line_rules() {
        let mut parser = SseParser::default();
        let got = parser.push(b"data:a\ndata:  b\nfoo: ignored\n\nid: 3\n\ndata\n\r\r: comment only\n\n");
        assert_eq!(
            got,
            vec![event("message", None, "a\n b"), event("message", Some("3"), "")],
            "data lines join; one space dropped; an id-only block dispatches nothing; a lone CR ends a line"
        );
        assert_eq!(parser.push(b"data: no blank line yet\n"), vec![], "not dispatched until the blank line");
        let mut parser = SseParser::default();
        assert_eq!(parser.push(b"event: stale\n\ndata: x\n\n"), vec![event("message", None, "x")], "names reset");
    }
}
