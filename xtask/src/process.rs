//! Running steps and commands: timing lines, exit codes as errors, the
//! cargo that runs xtask.

use std::env;
use std::process::Command;
use std::time::Instant;

/// Runs `f` as a named step, printing how long it took.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    println!("==> {name}");
    let started = Instant::now();
    let result = f();
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("    done: {name} ({secs:.1}s)"),
        Err(_) => println!("    FAILED: {name} ({secs:.1}s)"),
    }
    result
}

/// Runs a command to completion, inheriting stdio; non-zero exit is an error.
pub fn run_status(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

pub fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}
