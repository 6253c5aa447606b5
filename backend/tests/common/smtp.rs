//! A real SMTP server process for the tests: aiosmtpd (`tests/smtp/catcher.py`,
//! installed by `cargo xtask setup` into `.tools/smtp`), saving every message
//! it receives, decoded, as JSON in a directory of its own. The e2e crate
//! includes this file too (`#[path]`), with a `TempDir` of its own.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::TempDir;

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TEST_SMTP_PYTHON") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/smtp/bin/python");
    assert!(
        p.exists(),
        "the SMTP test server is not installed: run `cargo xtask setup` (it puts aiosmtpd into .tools/smtp), \
         or set TEST_SMTP_PYTHON to a Python with aiosmtpd"
    );
    p
}

/// A port nobody listens on right now (for a server started later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// On `port` (0: any free one); returns once it accepts connections.
    pub fn start_on(port: u16) -> Self {
        let dir = TempDir::new("smtp");
        // Also used by the e2e crate, hence the path through the workspace.
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/tests/smtp/catcher.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("SMTP server output");
        let port = line.trim().strip_prefix("listening ").and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            panic!("the SMTP test server did not start: {line:?}");
        };
        Self { child, port, dir }
    }

    /// `SMTP_URL` for this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn mails(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        names.sort();
        names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }

    /// The messages to `to`, once there are at least `n` (panics after 20 s).
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mails: Vec<_> = self
                .mails()
                .into_iter()
                .filter(|m| m["to"].as_array().is_some_and(|t| t.iter().any(|a| a == to)))
                .collect();
            if mails.len() >= n {
                return mails;
            }
            assert!(Instant::now() < deadline, "{n} mail(s) to {to} expected, {} arrived", mails.len());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The one URL in a mail's text part.
pub fn link_in(mail: &serde_json::Value) -> String {
    let text = mail["text"].as_str().expect("a text part");
    let urls: Vec<&str> = text.split_whitespace().filter(|w| w.contains("://")).collect();
    assert_eq!(urls.len(), 1, "one link in: {text}");
    urls[0].to_owned()
}
