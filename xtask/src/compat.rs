//! The compatibility suite: the official Better Auth JS client (pinned in
//! compat/package-lock.json, from the npm registry) drives its whole flow
//! against the real server binary on a fresh SQLite database.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::tools::Tools;
use crate::{cargo, run_status};

/// Kills the server when the suite ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let compat = root.join("compat");
    run_status(tools.command("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&compat))?;
    run_status(cargo().args(["build", "-p", "backend"]))?;

    let data = root.join("target/compat-run");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let base = format!("http://localhost:{port}");
    let child = Command::new(root.join("target/debug/backend"))
        .current_dir(root)
        .env("DATABASE_URL", format!("sqlite://{}/todo.db?mode=rwc", data.display()))
        .env("ROCKET_PORT", port.to_string())
        .env("BETTER_AUTH_URL", &base)
        .env("BETTER_AUTH_SECRET", "compat-suite-secret-0123456789abcdefgh")
        .env("AUTH_RATE_LIMIT_MAX", "0")
        .env("DIST_DIR", data.join("no-dist"))
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| format!("cannot start the backend: {e}"))?;
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy(port) {
        if Instant::now() > deadline {
            return Err("the backend did not become healthy within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    run_status(tools.command("node").arg(compat.join("client-flow.mjs")).env("AUTH_BASE_URL", &base))
}
