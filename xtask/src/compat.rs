//! The compatibility suite: the official Better Auth JS client (pinned in
//! compat/package-lock.json, from the npm registry) drives its whole flow
//! against the real server binary on a fresh SQLite database.

use std::path::Path;

use crate::server::Server;
use crate::tools::Tools;
use crate::{cargo, run_status};

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let compat = root.join("compat");
    run_status(tools.command("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&compat))?;
    run_status(cargo().args(["build", "-p", "backend"]))?;

    let data = root.join("target/compat-run");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let database_url = format!("sqlite://{}/todo.db?mode=rwc", data.display());
    let no_dist = data.join("no-dist");
    let server = Server::start(
        &root.join("target/debug/backend"),
        root,
        &database_url,
        &[("DIST_DIR", no_dist.to_str().unwrap_or("no-dist"))],
    )?;
    run_status(tools.command("node").arg(compat.join("client-flow.mjs")).env("AUTH_BASE_URL", server.base_url()))
}
