//! Running the backend binary for the xtask suites that need a real server
//! (compat, bench), and plain HTTP/1.1 requests to it over loopback for
//! set-up steps (never for load: `bench` drives load with oha).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A backend process on a free loopback port; killed when dropped, however
/// the suite ends.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `binary` against `database_url` with the rate limiter off and a
    /// fixed test secret, plus `env`, and waits until `/api/health` answers.
    pub fn start(binary: &Path, root: &Path, database_url: &str, env: &[(&str, &str)]) -> Result<Self, String> {
        let port = free_port()?;
        let mut cmd = Command::new(binary);
        cmd.current_dir(root)
            .env("DATABASE_URL", database_url)
            .env("ROCKET_PORT", port.to_string())
            .env("BETTER_AUTH_URL", format!("http://localhost:{port}"))
            .env("BETTER_AUTH_SECRET", "xtask-suite-secret-0123456789abcdefgh")
            .env("AUTH_RATE_LIMIT_MAX", "0")
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.healthy() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the backend exited before it was ready ({status})"));
            }
            if Instant::now() > deadline {
                return Err("the backend did not become healthy within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// The debug build (built first) on a fresh SQLite file in
    /// `target/<name>/`, with no SPA: what the compat and fuzz suites run.
    /// Returns the server and that folder.
    pub fn start_debug(root: &Path, name: &str, env: &[(&str, &str)]) -> Result<(Self, PathBuf), String> {
        crate::process::run_status(crate::process::cargo().args(["build", "-p", "backend"]))?;
        let data = root.join("target").join(name);
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
        let no_dist = data.join("no-dist");
        let mut all_env = vec![("DIST_DIR", no_dist.to_str().unwrap_or("no-dist"))];
        all_env.extend_from_slice(env);
        let database_url = format!("sqlite://{}/todo.db?mode=rwc", data.display());
        let server = Server::start(&root.join("target/debug/backend"), root, &database_url, &all_env)?;
        Ok((server, data))
    }

    pub fn base_url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    fn healthy(&self) -> bool {
        request(self.port, "GET", "/api/health", &[], None).is_ok_and(|r| r.status == 200)
    }

    /// Resident memory of the server process in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The password every user these commands sign up gets.
pub const PASSWORD: &str = "xtask-password-1";

/// A signed-up user with a JWT for the task API.
pub struct User {
    pub id: String,
    pub jwt: String,
    pub email: String,
}

/// Signs up `<name>@xtask.example` and fetches a JWT with its session cookie.
pub fn sign_up(port: u16, name: &str) -> Result<User, String> {
    let email = format!("{name}@xtask.example");
    let body = serde_json::json!({"name": name, "email": email, "password": PASSWORD}).to_string();
    let reply = request(port, "POST", "/api/auth/sign-up/email", &[], Some(&body))?;
    if reply.status != 200 {
        return Err(format!("sign-up of {email}: {} {}", reply.status, reply.body));
    }
    let id = reply.json()?["user"]["id"].as_str().ok_or("sign-up reply has no user.id")?.to_owned();
    let cookie =
        reply.header("set-cookie").and_then(|c| c.split(';').next()).ok_or("sign-up set no cookie")?.to_owned();
    let token = request(port, "GET", "/api/auth/token", &[("Cookie", &cookie)], None)?;
    let jwt = token.json()?["token"].as_str().ok_or_else(|| format!("/api/auth/token: {}", token.body))?.to_owned();
    Ok(User { id, jwt, email })
}

/// A response read to the end of the connection.
pub struct Reply {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (the API answers JSON everywhere under `/api`).
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("not JSON ({e}): {}", self.body))
    }
}

/// One request with `Connection: close`; `body` is sent as JSON.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to :{port}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).map_err(|e| format!("{method} {path}: {e}"))?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(|e| format!("{method} {path}: {e}"))?;
    parse_reply(&raw).ok_or_else(|| format!("{method} {path}: malformed response: {raw:?}"))
}

fn parse_reply(raw: &str) -> Option<Reply> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    // Responses under /api have a known length; a chunked one would need decoding.
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        return None;
    }
    Some(Reply { status, headers, body: body.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_headers_and_body() {
        let r = parse_reply("HTTP/1.1 201 Created\r\nSet-Cookie: a=b; Path=/\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.header("set-cookie"), Some("a=b; Path=/"));
        assert_eq!(r.body, "{}");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(parse_reply("garbage").is_none());
        assert!(parse_reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").is_none());
    }
}
