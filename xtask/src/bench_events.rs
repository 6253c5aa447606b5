//! `cargo xtask bench`'s live-updates scenario (issue #16): 1,000 open event
//! streams (100 users, 10 each) while oha creates at c=16 for one of them,
//! and a probe that creates tasks for the others one at a time and times
//! each from its acknowledgement to its `task.created` event on a stream. With a
//! second replica (PostgreSQL) the streams are on it and the writes go to the
//! first, so the figure includes the trip through `LISTEN/NOTIFY`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::server::{request, User};

/// Users with open streams; user 0 takes the background creates.
pub const USERS: usize = 100;
/// Streams per user (the server's default `EVENTS_MAX_STREAMS_PER_USER`).
pub const STREAMS_PER_USER: usize = 10;
/// How long the probe waits for one event before counting it lost.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// When each (user, task id) first arrived as a `task.created` event.
type Arrivals = Arc<(Mutex<HashMap<(usize, i64), Instant>>, Condvar)>;

/// The open streams: the reader threads and a handle to close each socket.
pub struct Streams {
    sockets: Vec<TcpStream>,
    readers: Vec<thread::JoinHandle<()>>,
    arrivals: Arrivals,
}

/// What the probe measured.
pub struct Latency {
    pub probes: usize,
    pub lost: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Streams {
    pub fn new() -> Self {
        Streams { sockets: Vec::new(), readers: Vec::new(), arrivals: Arc::default() }
    }

    /// Opens `STREAMS_PER_USER` streams on `port` for each of `users`, the
    /// first of them `users[first]` of the probe's list; returns once every
    /// stream has answered 200.
    pub fn open(&mut self, port: u16, users: &[User], first: usize) -> Result<(), String> {
        let arrivals = self.arrivals.clone();
        for (index, user) in users.iter().enumerate() {
            let index = first + index;
            for _ in 0..STREAMS_PER_USER {
                let reader = open_stream(port, user)?;
                self.sockets.push(reader.get_ref().try_clone().map_err(|e| e.to_string())?);
                let arrivals = arrivals.clone();
                // The background user's events are read but not recorded.
                let record = (index != 0).then_some(index);
                let handle = thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || follow(reader, record, &arrivals))
                    .map_err(|e| format!("cannot start a stream reader: {e}"))?;
                self.readers.push(handle);
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Creates tasks (`body`) for users 1.. in turn through `port` for `duration`,
    /// timing each from its 201 to its event.
    pub fn probe(&self, port: u16, users: &[User], body: &str, duration: Duration) -> Result<Latency, String> {
        let (map, arrived) = &*self.arrivals;
        let (mut latencies, mut lost) = (Vec::new(), 0);
        let end = Instant::now() + duration;
        let mut i = 0;
        while Instant::now() < end {
            let index = 1 + i % (users.len() - 1);
            i += 1;
            let user = &users[index];
            let auth = format!("Bearer {}", user.jwt);
            let path = format!("/api/{}/tasks", user.id);
            let reply = request(port, "POST", &path, &[("Authorization", &auth)], Some(body))?;
            let acked = Instant::now();
            let id = reply.json()?["id"].as_i64().ok_or_else(|| format!("create: {} {}", reply.status, reply.body))?;
            let guard = map.lock().map_err(|_| "a stream reader panicked")?;
            let (guard, _) = arrived
                .wait_timeout_while(guard, EVENT_TIMEOUT, |seen| !seen.contains_key(&(index, id)))
                .map_err(|_| "a stream reader panicked")?;
            match guard.get(&(index, id)) {
                // An event may arrive before the reply has been read: 0.
                Some(at) => latencies.push(at.saturating_duration_since(acked).as_secs_f64() * 1000.0),
                None => lost += 1,
            }
        }
        latencies.sort_by(f64::total_cmp);
        let at = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied();
        Ok(Latency {
            probes: latencies.len() + lost,
            lost,
            p50_ms: at(0.5).unwrap_or(f64::NAN),
            p99_ms: at(0.99).unwrap_or(f64::NAN),
        })
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        for socket in &self.sockets {
            let _ = socket.shutdown(Shutdown::Both);
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

/// `n` keep-alive HTTP/1.1 connections to `port` that have each had one
/// answer (`/api/health`) and now sit idle: what any open connection costs
/// the server, to set a stream's memory against. (Rocket closes them after
/// its 5 s keep-alive; measure at once.)
pub fn idle_connections(port: u16, n: usize) -> Result<Vec<TcpStream>, String> {
    let open = || -> std::io::Result<TcpStream> {
        let mut socket = TcpStream::connect(("127.0.0.1", port))?;
        socket.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
        let mut reader = BufReader::new(socket.try_clone()?);
        let (mut line, mut length) = (String::new(), 0);
        while reader.read_line(&mut line)? > 2 {
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            line.clear();
        }
        std::io::Read::read_exact(&mut reader, &mut vec![0; length])?;
        Ok(socket)
    };
    (0..n).map(|_| open().map_err(|e| format!("an idle connection to :{port}: {e}"))).collect()
}

/// A stream over HTTP/1.0 (no chunked framing: the body is the stream), read
/// past its head.
fn open_stream(port: u16, user: &User) -> Result<BufReader<TcpStream>, String> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to :{port}: {e}"))?;
    let head = format!(
        "GET /api/{}/events HTTP/1.0\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\nAuthorization: Bearer {}\r\n\r\n",
        user.id, user.jwt
    );
    socket.write_all(head.as_bytes()).map_err(|e| format!("open a stream: {e}"))?;
    let mut reader = BufReader::new(socket);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| format!("open a stream: {e}"))?;
    if line.split_whitespace().nth(1) != Some("200") {
        return Err(format!("the events stream answered {line:?}"));
    }
    while line != "\r\n" && !line.is_empty() {
        line.clear();
        reader.read_line(&mut line).map_err(|e| format!("open a stream: {e}"))?;
    }
    Ok(reader)
}

/// Reads one stream to its end, recording each `created` task's arrival.
fn follow(mut reader: BufReader<TcpStream>, record: Option<usize>, arrivals: &Arrivals) {
    let (mut line, mut created) = (String::new(), false);
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("event:") {
            created = name.trim() == "task.created";
        } else if let (Some(data), Some(index), true) = (line.strip_prefix("data:"), record, created) {
            let id = serde_json::from_str::<serde_json::Value>(data.trim()).ok().and_then(|v| v["id"].as_i64());
            if let (Some(id), Ok(mut seen)) = (id, arrivals.0.lock()) {
                seen.entry((index, id)).or_insert_with(Instant::now);
                arrivals.1.notify_all();
            }
        } else if line.is_empty() {
            created = false;
        }
    }
}
