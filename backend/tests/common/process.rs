//! The real server binary as a child process, and raw HTTP/1.1 requests to
//! it: for what the in-process client cannot show (memory, signals).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{TempDir, TestDb, TEST_SECRET};

/// The server on a free port against `db`; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
    _dist: TempDir,
}

impl ServerProcess {
    pub fn start(db: &TestDb) -> Self {
        let dist = TempDir::new("process-dist");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_backend"))
            .env("DATABASE_URL", &db.url)
            .env("ROCKET_PORT", port.to_string())
            .env("BETTER_AUTH_SECRET", TEST_SECRET)
            .env("AUTH_RATE_LIMIT_MAX", "0")
            .env("DIST_DIR", dist.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("server starts");
        let server = ServerProcess { child, port, _dist: dist };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(http(port, "GET", "/api/health", ""), Ok((200, _))) {
            assert!(Instant::now() < deadline, "server did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (what orchestrators send to stop a process).
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill runs");
        assert!(status.success());
    }

    /// The exit status, if the process ends within `limit`.
    pub fn exited_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request over a fresh connection: (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    send(&mut stream, method, path, body)?;
    read_reply(stream)
}

/// Writes a request (`Connection: close`) without waiting for the answer.
pub fn send(stream: &mut TcpStream, method: &str, path: &str, body: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads a response to the end of the connection: (status, body).
pub fn read_reply(mut stream: TcpStream) -> std::io::Result<(u16, String)> {
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
