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
        Self::start_with(db, &[])
    }

    /// With extra environment variables (settings).
    pub fn start_with(db: &TestDb, env: &[(&str, &str)]) -> Self {
        Self::start_inner(db, env, Stdio::null())
    }

    /// With extra settings, its log (stdout) written to `log`.
    pub fn start_logged(db: &TestDb, env: &[(&str, &str)], log: &std::path::Path) -> Self {
        Self::start_inner(db, env, std::fs::File::create(log).expect("log file").into())
    }

    fn start_inner(db: &TestDb, env: &[(&str, &str)], stdout: Stdio) -> Self {
        let dist = TempDir::new("process-dist");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_backend"))
            .env("DATABASE_URL", &db.url)
            .env("ROCKET_PORT", port.to_string())
            .env("BETTER_AUTH_SECRET", TEST_SECRET)
            .env("AUTH_RATE_LIMIT_MAX", "0")
            .env("DIST_DIR", dist.path())
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(stdout)
            .spawn()
            .expect("server starts");
        let mut server = ServerProcess { child, port, _dist: dist };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(http(port, "GET", "/api/health", ""), Ok((200, _))) {
            if let Some(status) = server.child.try_wait().expect("wait") {
                panic!("the server exited before it was healthy ({status}); its error is above");
            }
            assert!(Instant::now() < deadline, "server did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// SIGKILL: the process dies at once, mid-whatever-it-was-doing.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
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

/// A user signed up through the real server: id, session cookie, a JWT.
pub struct ProcessUser {
    pub id: String,
    pub cookie: String,
    pub jwt: String,
}

/// Signs up `email` (password `PASSWORD`) on the server at `port` and fetches
/// a JWT with the session cookie.
pub fn sign_up(port: u16, email: &str) -> ProcessUser {
    let body = serde_json::json!({"name": "Process Test", "email": email, "password": super::PASSWORD}).to_string();
    let reply = http_with(port, "POST", "/api/auth/sign-up/email", &[], &body).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id = reply.json()["user"]["id"].as_str().unwrap().to_owned();
    let cookie = reply.cookie().expect("session cookie");
    let jwt = token(port, &cookie);
    ProcessUser { id, cookie, jwt }
}

/// A JWT from `/api/auth/token` for the session `cookie`.
pub fn token(port: u16, cookie: &str) -> String {
    let reply = http_with(port, "GET", "/api/auth/token", &[("Cookie", cookie)], "").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["token"].as_str().unwrap().to_owned()
}

/// One HTTP/1.1 request over a fresh connection: (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    http_with(port, method, path, &[], body).map(|r| (r.status, r.body))
}

/// A response: status, raw head (for headers) and body.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawReply {
    /// The first `name=value` of the first `Set-Cookie`.
    pub fn cookie(&self) -> Option<String> {
        let line = self.head.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))?;
        Some(line.split_once(':')?.1.trim().split(';').next()?.to_owned())
    }

    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request with extra headers over a fresh connection.
pub fn http_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<RawReply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    send_with(&mut stream, method, path, headers, body)?;
    read_raw(stream)
}

/// Writes a request (`Connection: close`) without waiting for the answer.
pub fn send(stream: &mut TcpStream, method: &str, path: &str, body: &str) -> std::io::Result<()> {
    send_with(stream, method, path, &[], body)
}

fn send_with(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads a response to the end of the connection: (status, body).
pub fn read_reply(stream: TcpStream) -> std::io::Result<(u16, String)> {
    read_raw(stream).map(|r| (r.status, r.body))
}

fn read_raw(mut stream: TcpStream) -> std::io::Result<RawReply> {
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response.as_str(), ""));
    Ok(RawReply { status, head: head.to_owned(), body: body.to_owned() })
}
