//! The compatibility suite: the official Better Auth JS client (pinned in
//! compat/package-lock.json, from the npm registry) drives its whole flow
//! against the real server binary on a fresh SQLite database, sending its
//! mail to a real SMTP server (the backend tests' aiosmtpd catcher), whose
//! saved messages the flow reads from `MAIL_DIR`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::process::run_status;
use crate::server::Server;
use crate::tools::Tools;

/// The SMTP catcher process; killed when dropped.
struct Catcher(Child);

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the catcher saving into `dir`; its port once it listens.
fn start_catcher(root: &Path, dir: &Path) -> Result<(Catcher, u16), String> {
    let mut child = Command::new(root.join(".tools/smtp/bin/python"))
        .arg(root.join("backend/tests/smtp/catcher.py"))
        .arg("0")
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the SMTP catcher (cargo xtask setup installs it): {e}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no catcher output")?;
    let catcher = Catcher(child);
    BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("SMTP catcher: {e}"))?;
    let port = line.trim().strip_prefix("listening ").and_then(|p| p.parse().ok());
    port.map(|p| (catcher, p)).ok_or_else(|| format!("the SMTP catcher did not start: {line:?}"))
}

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let compat = root.join("compat");
    run_status(tools.command("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&compat))?;
    let mail_dir = root.join("target/compat-mail");
    let _ = std::fs::remove_dir_all(&mail_dir);
    let (_catcher, smtp_port) = start_catcher(root, &mail_dir)?;
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let (server, _data) = Server::start_debug(root, "compat-run", &[("SMTP_URL", &smtp_url)])?;
    run_status(
        tools
            .command("node")
            .arg(compat.join("client-flow.mjs"))
            .env("AUTH_BASE_URL", server.base_url())
            .env("MAIL_DIR", &mail_dir),
    )
}
