//! The compatibility suite: the official Better Auth JS client (pinned in
//! compat/package-lock.json, from the npm registry) drives its whole flow
//! against the real server binary on a fresh SQLite database.

use std::path::Path;

use crate::process::run_status;
use crate::server::Server;
use crate::tools::Tools;

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let compat = root.join("compat");
    run_status(tools.command("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&compat))?;
    let (server, _data) = Server::start_debug(root, "compat-run", &[])?;
    run_status(tools.command("node").arg(compat.join("client-flow.mjs")).env("AUTH_BASE_URL", server.base_url()))
}
