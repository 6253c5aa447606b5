//! `cargo xtask run`: install what is missing, build the SPA, start the app.
//! `cargo xtask test`: install test tools, then every suite, with a summary.

mod bench;
mod bench_events;
mod compat;
mod cycles;
mod fuzz;
mod process;
mod server;
mod size;
mod soak;
mod tools;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use process::{cargo, run_status, step};
use tools::Tools;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run     install missing tools, build the SPA (release) and start the app on http://localhost:8000
  test    install missing test tools and run every test suite (SQLite, PostgreSQL, wasm, browser)
  bench   benchmark the release build with oha (--postgres, --duration N); see README
  lint    only the lint suite: rustfmt, clippy -D warnings (native and wasm), no import cycles
  fuzz    only the contract-fuzzing suite (schemathesis against /api/openapi.json)
  soak    a minute of mixed load at concurrency 128: no 5xx, no cross-user data, flat memory
  size    what the SPA's wasm is made of: bytes by crate and the largest items (twiggy); --bin signin
          for the sign-in bundle
  setup   only install the tools `run` and `test` need";

fn main() -> ExitCode {
    let root = project_root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let command = env::args().nth(1);
    let result = match command.as_deref() {
        Some("run") => run(&root),
        Some("test") => return test(&root),
        Some("bench") => {
            let args: Vec<String> = env::args().skip(2).collect();
            bench::Options::parse(&args).and_then(|o| setup(&root, false).and_then(|t| bench::run(&root, &t, &o)))
        }
        Some("soak") => {
            let args: Vec<String> = env::args().skip(2).collect();
            soak::Options::parse(&args).and_then(|o| setup(&root, false).and_then(|t| soak::run(&root, &t, &o)))
        }
        Some("fuzz") => setup(&root, false).and_then(|t| fuzz::run(&root, &t)),
        Some("size") => {
            let args: Vec<String> = env::args().skip(2).collect();
            size::parse(&args).and_then(|bin| setup(&root, false).and_then(|t| size::run(&root, &t, bin)))
        }
        Some("lint") => setup(&root, false).and_then(|t| lint(&root, &t)),
        Some("setup") => setup(&root, true).and_then(|t| ensure_smtp_server(&root, &t)),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Whether we run under CI (`CI=true`): there, a missing suite is a failure.
fn in_ci() -> bool {
    env::var("CI").map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false)
}

fn setup(root: &Path, with_browser: bool) -> Result<Tools, String> {
    println!(
        "Checking tools. On a fresh machine this compiles trunk and wasm-bindgen and installs \
         wasm-opt: about 15-20 minutes on 2 cores, once. Later runs skip this."
    );
    let mut tools = Tools::new(root);
    step("wasm32-unknown-unknown target", || tools.ensure_wasm_target())?;
    step("wasm-bindgen CLI (version from Cargo.lock)", || tools.ensure_wasm_bindgen())?;
    step("trunk", || tools.ensure_trunk())?;
    step("wasm-opt (npm binaryen, project-local)", || tools.ensure_wasm_opt())?;

    // Trunk builds with --offline (Trunk.toml), so crates must be here first.
    step("fetch crates (cargo fetch)", || run_status(cargo().arg("fetch")))?;
    if with_browser {
        step("Chromium + chromedriver", || tools.ensure_browser())?;
    }
    Ok(tools)
}

/// The SMTP server the test suites send real mail to.
fn ensure_smtp_server(root: &Path, tools: &Tools) -> Result<(), String> {
    step("SMTP test server (aiosmtpd from PyPI into .tools/smtp)", || {
        tools.ensure_python_venv(".tools/smtp", &root.join("backend/tests/smtp/requirements.txt")).map(|_| ())
    })
}

fn run(root: &Path) -> Result<(), String> {
    let tools = setup(root, false)?;
    tools.build_spa()?;
    step("build the backend (release)", || run_status(cargo().args(["build", "--release", "-p", "backend"])))?;
    tools.precompress_spa(&root.join("target/release/backend"))?;
    let mut app = Command::new(root.join("target/release/backend"));
    if env::var_os("BETTER_AUTH_SECRET").is_none() && env::var_os("BETTER_AUTH_SECRET_FILE").is_none() {
        // The release binary refuses to start without a secret; for a local
        // run it keeps one in data/ (the file debug builds use), creating it once.
        println!("Using the local secret in data/.better-auth-secret (set BETTER_AUTH_SECRET in production).");
        app.env("BETTER_AUTH_SECRET_FILE", root.join("data/.better-auth-secret"));
    }
    if env::var_os("MAIL_TRANSPORT").is_none() && env::var_os("SMTP_URL").is_none() {
        // No mail server locally: password-reset and verification mails,
        // with their links, go to this terminal instead.
        println!("Mail (password reset, email verification) is written to this log: set SMTP_URL to send it.");
        app.env("MAIL_TRANSPORT", "log");
    }
    println!("\nStarting the app on http://localhost:8000 (SQLite at data/todo.db unless DATABASE_URL says otherwise). Ctrl-C stops it.\n");
    run_status(&mut app)
}

/// Formatting, clippy with warnings as errors (native, and the SPA for
/// wasm32), and no import cycle between the files of any crate.
fn lint(root: &Path, tools: &Tools) -> Result<(), String> {
    step("rustfmt --check", || run_status(cargo().args(["fmt", "--all", "--check"])))?;
    step("clippy (native)", || {
        run_status(cargo().args([
            "clippy",
            "--workspace",
            "--exclude",
            "frontend",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (frontend, wasm32)", || {
        run_status(tools.command(tools.cargo_path()).args([
            "clippy",
            "-p",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("no import cycles between files", || {
        let mut found = Vec::new();
        for crate_root in cycles::CRATE_ROOTS {
            for cycle in cycles::cycles_in(&root.join(crate_root))? {
                found.push(format!("{crate_root}: {}", cycle.join(" <-> ")));
            }
        }
        if found.is_empty() {
            println!("    {} crate roots, no cycles", cycles::CRATE_ROOTS.len());
            Ok(())
        } else {
            Err(format!("import cycles between files:\n  {}", found.join("\n  ")))
        }
    })
}

/// One suite's outcome for the summary.
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

fn test(root: &Path) -> ExitCode {
    let ci = in_ci();
    let mut results: Vec<(&str, Outcome, f64)> = Vec::new();
    let tools = match setup(root, false) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = ensure_smtp_server(root, &tools) {
        eprintln!("\nxtask: {e}");
        return ExitCode::FAILURE;
    }
    let browser = step("Chromium + chromedriver", || tools.ensure_browser());
    let postgres = step("PostgreSQL on 127.0.0.1:5432", tools::ensure_postgres);

    let mut suite = |name: &'static str, run: &mut dyn FnMut() -> Outcome| {
        println!("\n==> suite: {name}");
        let started = Instant::now();
        let outcome = run();
        results.push((name, outcome, started.elapsed().as_secs_f64()));
    };
    let to_outcome = |r: Result<(), String>| match r {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    };

    suite("lint: rustfmt, clippy (native + wasm), import cycles", &mut || to_outcome(lint(root, &tools)));
    suite("native: shared + backend on SQLite", &mut || {
        to_outcome(run_status(
            cargo().args(["test", "-p", "shared", "-p", "backend", "-p", "xtask"]).env_remove("TEST_DATABASE_URL"),
        ))
    });
    suite("backend on PostgreSQL", &mut || match &postgres {
        Ok(url) => {
            to_outcome(run_status(cargo().args(["test", "-p", "backend", "--test", "*"]).env("TEST_DATABASE_URL", url)))
        }
        Err(e) => Outcome::Skipped(e.clone()),
    });
    suite("frontend: wasm-bindgen-test in headless Chromium", &mut || match &browser {
        Ok(b) => to_outcome(run_status(
            tools
                .command(tools.cargo_path())
                .args(["test", "-p", "frontend", "--target", "wasm32-unknown-unknown"])
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
                .env("CHROMEDRIVER", &b.chromedriver)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
        )),
        Err(e) => Outcome::Skipped(e.clone()),
    });
    suite("compat: the official Better Auth JS client against the server", &mut || match tools.version_of_npm() {
        Some(_) => to_outcome(compat::run(root, &tools)),
        None => Outcome::Skipped("npm is not installed (Debian: apt-get install nodejs npm)".into()),
    });
    suite("contract fuzz: schemathesis from /api/openapi.json", &mut || match tools
        .command("python3")
        .arg("--version")
        .output()
    {
        Ok(out) if out.status.success() => to_outcome(fuzz::run(root, &tools)),
        _ => Outcome::Skipped("Python 3 is not installed (Debian: apt-get install python3 python3-venv)".into()),
    });
    suite("end-to-end: Chromium against Rocket serving dist/", &mut || match &browser {
        Ok(b) => to_outcome(tools.build_spa().and_then(|()| {
            step("build the backend", || run_status(cargo().args(["build", "-p", "backend"])))?;
            tools.precompress_spa(&root.join("target/debug/backend"))?;
            run_status(
                cargo()
                    .args(["test", "-p", "e2e"])
                    .env("CHROMEDRIVER", &b.chromedriver)
                    .env("CHROMIUM", &b.chromium)
                    .env("E2E_DIST", root.join("dist")),
            )?;
            // The wire figure the browser test measured (README, "Benchmarks").
            if let Ok(figure) = std::fs::read_to_string(root.join("target/e2e-wire.json")) {
                let bytes: serde_json::Value = serde_json::from_str(&figure).unwrap_or_default();
                println!("    first visit of /login: {} bytes on the wire", bytes["first_visit_login_bytes"]);
            }
            Ok(())
        })),
        Err(e) => Outcome::Skipped(e.clone()),
    });

    println!("\n==> summary");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, outcome, secs) in &results {
        match outcome {
            Outcome::Passed => {
                passed += 1;
                println!("  PASSED   {name} ({secs:.0}s)");
            }
            Outcome::Failed(why) => {
                failed += 1;
                println!("  FAILED   {name} ({secs:.0}s): {why}");
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                println!("  SKIPPED  {name}: {why}");
                println!("  !!!!!!!  this suite did NOT run; install what it needs (above) to run it");
            }
        }
    }
    if ci && skipped > 0 {
        println!("  CI=true: a skipped suite counts as a failure");
        failed += skipped;
        skipped = 0;
    }
    println!("suites: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
