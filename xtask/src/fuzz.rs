//! The contract-fuzzing suite: schemathesis (from PyPI, pinned in
//! fuzz/requirements.txt, installed into .tools/venv) generates requests from
//! `/api/openapi.json` and sends them to the server binary with a valid token
//! and that user's id in the paths. Every response must be documented: no
//! 5xx, and status, headers, content type and body as the contract says.

use std::path::Path;

use crate::process::run_status;
use crate::server::{sign_up, Server};
use crate::tools::Tools;

/// Examples per API operation (15 operations: a few thousand requests).
const EXAMPLES: &str = "300";
/// Fixed, so a failure can be reproduced with the same command.
const SEED: &str = "1";

fn ensure_schemathesis(root: &Path, tools: &Tools) -> Result<std::path::PathBuf, String> {
    let venv = tools.ensure_python_venv(".tools/venv", &root.join("fuzz/requirements.txt"))?;
    Ok(venv.join("bin/schemathesis"))
}

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let schemathesis = ensure_schemathesis(root, tools)?;
    // Generated requests make Rocket warn about every refused guard.
    let (server, data) =
        Server::start_debug(root, "fuzz-run", &[("RUST_LOG", "error"), ("TASKS_LIST_QUERIES_MAX", "0")])?;
    let user = sign_up(server.port, "fuzz")?;

    let base = server.base_url();
    run_status(
        tools
            .command(&schemathesis)
            .current_dir(&data)
            .args(["run", &format!("{base}/api/openapi.json"), "--base-url", &base])
            .args(["--experimental=openapi-3.1", "--checks", "all"])
            .args(["-H", &format!("Authorization: Bearer {}", user.jwt), "--set-path", &format!("user_id={}", user.id)])
            // An authorised event stream stays open until the token expires;
            // its guard and answers are tested in backend/tests/events.rs.
            .args(["--exclude-path", "/api/{user_id}/events"])
            .args(["--hypothesis-max-examples", EXAMPLES, "--hypothesis-seed", SEED, "--hypothesis-database", "none"])
            .env("SCHEMATHESIS_TELEMETRY", "false"),
    )
}
