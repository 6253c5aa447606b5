//! Finding and installing the tools the two commands need: the wasm target,
//! the wasm-bindgen CLI matching Cargo.lock, trunk, wasm-opt, Chromium and
//! chromedriver, a reachable PostgreSQL, and oha and twiggy for bench and size.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{run_status, step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const OHA_VERSION: &str = "1.16.0";
pub const TWIGGY_VERSION: &str = "0.8.0";
pub const BINARYEN_NPM_VERSION: &str = "132.0.0";
pub const POSTGRES_ADDR: &str = "127.0.0.1:5432";
pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Paths of the browser pieces the browser suites use.
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Tool state: a PATH with the project-local tool folders in front.
pub struct Tools {
    root: PathBuf,
    path: OsString,
}

/// Copies the sign-in bundle's build from `staged` into `dist`: its page as
/// `signin.html` (whatever name Trunk gave it), its hashed files as they are.
fn add_sign_in_bundle(staged: &Path, dist: &Path) -> Result<(), String> {
    let entries = fs::read_dir(staged).map_err(|e| format!("cannot read {}: {e}", staged.display()))?;
    let mut page = false;
    for entry in entries.flatten().filter(|e| e.path().is_file()) {
        let name = entry.file_name();
        let is_page = Path::new(&name).extension().is_some_and(|e| e == "html");
        let target = dist.join(if is_page { "signin.html".as_ref() } else { name.as_os_str() });
        page |= is_page;
        fs::copy(entry.path(), &target).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    if page {
        Ok(())
    } else {
        Err(format!("no page in {}", staged.display()))
    }
}

impl Tools {
    /// `trunk build --release` into `dist/`: the whole app (`index.html`),
    /// then the sign-in bundle (`frontend/signin.html`, the signed-out pages
    /// only) built on its own and added as `dist/signin.html` with its files.
    /// Trunk empties its dist dir on every build, hence the second dir.
    pub fn build_spa(&self) -> Result<(), String> {
        step("build the SPA (trunk build --release -> dist/)", || {
            run_status(self.command("trunk").args(["build", "--release"]))
        })?;
        let staged = self.root.join("target/signin-dist");
        step("build the sign-in bundle (frontend/signin.html -> dist/signin.html)", || {
            run_status(
                self.command("trunk").args(["build", "--release", "--dist"]).arg(&staged).arg("frontend/signin.html"),
            )?;
            add_sign_in_bundle(&staged, &self.root.join("dist"))
        })
    }

    /// `backend precompress dist/`: brotli 11 and gzip 9 variants of the
    /// SPA written next to its files once, so the server need not make them
    /// at every start (4.4 s of brotli).
    pub fn precompress_spa(&self, backend: &Path) -> Result<(), String> {
        step("precompress the SPA (backend precompress dist/)", || {
            run_status(Command::new(backend).arg("precompress").arg(self.root.join("dist")))
        })
    }

    pub fn new(root: &Path) -> Self {
        let mut dirs = vec![root.join(".tools/binaryen/node_modules/.bin"), cargo_bin_dir()];
        dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        let path = env::join_paths(dirs).unwrap_or_default();
        Self { root: root.to_path_buf(), path }
    }

    /// A command that sees the project-local tools first on its PATH.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("PATH", &self.path);
        cmd
    }

    pub fn cargo_path(&self) -> OsString {
        env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
    }

    pub fn version_of_npm(&self) -> Option<String> {
        self.version_of("npm")
    }

    /// First line of `program --version`, if it runs.
    fn version_of(&self, program: &str) -> Option<String> {
        let out = self.command(program).arg("--version").stderr(Stdio::null()).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_owned())
    }

    pub fn ensure_wasm_target(&mut self) -> Result<(), String> {
        let out = self
            .command("rustup")
            .args(["target", "list", "--installed"])
            .output()
            .map_err(|e| format!("rustup is needed to add the wasm32 target ({e}); see https://rustup.rs"))?;
        if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
            println!("    already installed");
            return Ok(());
        }
        run_status(self.command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    }

    pub fn ensure_wasm_bindgen(&mut self) -> Result<(), String> {
        let wanted = locked_version(&self.root.join("Cargo.lock"), "wasm-bindgen")
            .ok_or("Cargo.lock has no wasm-bindgen entry")?;
        let expected = format!("wasm-bindgen {wanted}");
        if self.version_of("wasm-bindgen").as_deref() == Some(expected.as_str()) {
            println!("    {expected} already installed");
            return Ok(());
        }
        println!("    installing wasm-bindgen-cli {wanted} (compiles from crates.io, ~5 minutes)");
        // Not --locked: its locked dependency set is not all on crates.io any more.
        run_status(self.command(self.cargo_path()).args(["install", "wasm-bindgen-cli", "--version", &wanted]))
    }

    pub fn ensure_trunk(&mut self) -> Result<(), String> {
        let expected = format!("trunk {TRUNK_VERSION}");
        if self.version_of("trunk").as_deref() == Some(expected.as_str()) {
            println!("    {expected} already installed");
            return Ok(());
        }
        println!("    installing trunk {TRUNK_VERSION} (compiles from crates.io, ~9 minutes on 2 cores)");
        run_status(self.command(self.cargo_path()).args(["install", "trunk", "--locked", "--version", TRUNK_VERSION]))
    }

    /// Debian's binaryen is too old for current wasm; npm's is not.
    pub fn ensure_wasm_opt(&mut self) -> Result<(), String> {
        let local = self.root.join(".tools/binaryen/node_modules/.bin/wasm-opt");
        if local.exists() && self.version_of("wasm-opt").is_some() {
            println!("    {} already installed", self.version_of("wasm-opt").unwrap_or_default());
            return Ok(());
        }
        let prefix = self.root.join(".tools/binaryen");
        fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
        run_status(
            self.command("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(format!("binaryen@{BINARYEN_NPM_VERSION}")),
        )
        .map_err(|e| format!("{e}\n  wasm-opt comes from npm's binaryen package: install Node.js and npm (Debian: apt-get install nodejs npm)"))
    }

    /// The HTTP load generator `bench` drives the server with.
    /// A project-local Python venv (`dir` under the root) holding the pinned
    /// `requirements`; quick when everything is already installed.
    pub fn ensure_python_venv(&self, dir: &str, requirements: &Path) -> Result<PathBuf, String> {
        let venv = self.root.join(dir);
        let pip = venv.join("bin/pip");
        if !pip.exists() {
            run_status(self.command("python3").args(["-m", "venv"]).arg(&venv))
                .map_err(|e| format!("{e}\n  this needs Python 3 with venv (Debian: apt-get install python3-venv)"))?;
        }
        run_status(
            self.command(&pip).args(["install", "--quiet", "--disable-pip-version-check", "-r"]).arg(requirements),
        )?;
        Ok(venv)
    }

    pub fn ensure_oha(&self) -> Result<PathBuf, String> {
        self.ensure_cargo_install("oha", OHA_VERSION, &format!("oha {OHA_VERSION}"), 5)
    }

    /// twiggy, for `cargo xtask size` only (nothing else needs it).
    pub fn ensure_twiggy(&self) -> Result<PathBuf, String> {
        self.ensure_cargo_install("twiggy", TWIGGY_VERSION, &format!("twiggy-opt {TWIGGY_VERSION}"), 2)
    }

    /// `cargo install <name> --locked --version <version>` unless
    /// `<name> --version` already prints `expected`.
    fn ensure_cargo_install(&self, name: &str, version: &str, expected: &str, minutes: u32) -> Result<PathBuf, String> {
        if self.version_of(name).as_deref() != Some(expected) {
            println!("    installing {name} {version} (compiles from crates.io, ~{minutes} minutes on 2 cores)");
            run_status(self.command(self.cargo_path()).args(["install", name, "--locked", "--version", version]))?;
        }
        find_on_path(&self.path, &[name]).ok_or_else(|| format!("{name} was installed but is not on PATH"))
    }

    pub fn ensure_browser(&self) -> Result<Browser, String> {
        if let Some(b) = self.find_browser() {
            println!("    {} and {}", b.chromium.display(), b.chromedriver.display());
            return Ok(b);
        }
        if !is_root() {
            return Err(
                "Chromium and chromedriver are missing: run `sudo apt-get install chromium chromium-driver`".into()
            );
        }
        println!("    installing Debian's chromium and chromium-driver (apt-get)");
        run_status(self.command("apt-get").args(["update", "-qq"]))?;
        run_status(
            self.command("apt-get")
                .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
        self.find_browser().ok_or_else(|| "apt-get installed chromium but it is not on PATH".into())
    }

    fn find_browser(&self) -> Option<Browser> {
        let chromium = find_on_path(&self.path, &["chromium", "chromium-browser", "google-chrome"])?;
        let chromedriver = find_on_path(&self.path, &["chromedriver"])?;
        Some(Browser { chromium, chromedriver })
    }
}

/// Makes sure PostgreSQL answers on 127.0.0.1:5432, starting a local Debian
/// cluster if one is installed but stopped. Returns the admin URL tests use.
pub fn ensure_postgres() -> Result<String, String> {
    let url = env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.into());
    if postgres_reachable() {
        println!("    reachable; tests create a throw-away database per test from {url}");
        return Ok(url);
    }
    let versions: Vec<String> = fs::read_dir("/etc/postgresql")
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    if versions.is_empty() {
        return Err(format!(
            "PostgreSQL is not reachable on {POSTGRES_ADDR} and not installed here \
             (Debian: apt-get install postgresql; or set TEST_POSTGRES_URL)"
        ));
    }
    for v in &versions {
        println!("    starting the local PostgreSQL {v} cluster");
        let _ = run_status(Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", v, "main", "start"]));
    }
    // Wait for the server to accept connections: a bounded poll, not a fixed sleep.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if postgres_reachable() {
            return Ok(url);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("PostgreSQL still not reachable on {POSTGRES_ADDR} after starting it"))
}

fn postgres_reachable() -> bool {
    let addr: SocketAddr = POSTGRES_ADDR.parse().expect("constant address");
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

/// `~/.cargo/bin` (or `$CARGO_HOME/bin`), where `cargo install` puts tools.
fn cargo_bin_dir() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
}

fn find_on_path(path: &OsString, names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|name| env::split_paths(path).map(|dir| dir.join(name)).find(|p| p.is_file()))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false)
}

/// The version Cargo.lock resolves for a package (the first entry).
pub fn locked_version(lock: &Path, package: &str) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    parse_locked_version(&text, package)
}

fn parse_locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_locked_version_without_matching_prefixes() {
        let lock = "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(parse_locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(parse_locked_version(lock, "trunk"), None);
    }
}
