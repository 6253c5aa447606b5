//! The contract-fuzzing suite: schemathesis (from PyPI, pinned in
//! fuzz/requirements.txt, installed into .tools/venv) generates requests from
//! `/api/openapi.json` and sends them to the server binary with a valid token
//! and that user's id in the paths. Every response must be documented: no
//! 5xx, and status, headers, content type and body as the contract says.

use std::path::Path;

use serde_json::json;

use crate::server::{request, Server};
use crate::tools::Tools;
use crate::{cargo, run_status};

/// Examples per API operation (15 operations: a few thousand requests).
const EXAMPLES: &str = "300";
/// Fixed, so a failure can be reproduced with the same command.
const SEED: &str = "1";

fn ensure_schemathesis(root: &Path, tools: &Tools) -> Result<std::path::PathBuf, String> {
    let venv = root.join(".tools/venv");
    let schemathesis = venv.join("bin/schemathesis");
    let pip = venv.join("bin/pip");
    if !pip.exists() {
        run_status(tools.command("python3").args(["-m", "venv"]).arg(&venv))
            .map_err(|e| format!("{e}\n  the fuzz suite needs Python 3 with venv (Debian: apt-get install python3-venv)"))?;
    }
    // Quick when everything is already installed at the pinned versions.
    run_status(
        tools
            .command(&pip)
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root.join("fuzz/requirements.txt")),
    )?;
    Ok(schemathesis)
}

pub fn run(root: &Path, tools: &Tools) -> Result<(), String> {
    let schemathesis = ensure_schemathesis(root, tools)?;
    run_status(cargo().args(["build", "-p", "backend"]))?;
    let data = root.join("target/fuzz-run");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let no_dist = data.join("no-dist");
    let server = Server::start(
        &root.join("target/debug/backend"),
        root,
        &format!("sqlite://{}/todo.db?mode=rwc", data.display()),
        // Generated requests make Rocket warn about every refused guard.
        &[("DIST_DIR", no_dist.to_str().unwrap_or("no-dist")), ("RUST_LOG", "error")],
    )?;
    let body = json!({"name": "Fuzz", "email": "fuzz@example.com", "password": "fuzz-password-1"}).to_string();
    let signed_up = request(server.port, "POST", "/api/auth/sign-up/email", &[], Some(&body))?;
    let user_id = signed_up.json()?["user"]["id"].as_str().ok_or("sign-up reply has no user.id")?.to_owned();
    let cookie = signed_up.header("set-cookie").and_then(|c| c.split(';').next()).ok_or("sign-up set no cookie")?.to_owned();
    let token = request(server.port, "GET", "/api/auth/token", &[("Cookie", &cookie)], None)?;
    let jwt = token.json()?["token"].as_str().ok_or("no token")?.to_owned();

    let base = server.base_url();
    run_status(
        tools
            .command(&schemathesis)
            .current_dir(&data)
            .args(["run", &format!("{base}/api/openapi.json"), "--base-url", &base])
            .args(["--experimental=openapi-3.1", "--checks", "all"])
            .args(["-H", &format!("Authorization: Bearer {jwt}"), "--set-path", &format!("user_id={user_id}")])
            .args(["--hypothesis-max-examples", EXAMPLES, "--hypothesis-seed", SEED, "--hypothesis-database", "none"])
            .env("SCHEMATHESIS_TELEMETRY", "false"),
    )
}
