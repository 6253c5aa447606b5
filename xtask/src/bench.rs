//! `cargo xtask bench`: the release backend on a fresh database, seeded over
//! HTTP, driven by oha (a maintained load generator from crates.io) through
//! the scenarios of issue #6, plus the gzipped weight of what each page of
//! the release SPA loads.
//!
//! Figures are compared as ratios within one run: absolute numbers on a
//! shared 2-core machine move from run to run, ratios much less.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::bench_events;
use crate::process::{cargo, run_status, step};
use crate::server::{request, sign_up, Server, User, PASSWORD};
use crate::tools::{self, Tools};

const CONCURRENCY: [u32; 3] = [1, 16, 64];
const STORM_SIGN_INS: u32 = 32;
const STORM_READERS: u32 = 16;
/// Concurrency of the user flooding distinct list queries (scenario 9).
const FLOODERS: u32 = 4;
/// The plain list runs on either side of scenarios 8 and 9 (A-B-A).
const PLAIN_8: &str = "8 list 50, plain (A-B-A)";
const CALM_9: &str = "9 list 50, calm (A-B-A)";
/// Issue #6's budget for the SPA's first load, gzipped.
const SPA_BUDGET_BYTES: u64 = 140 * 1000;
/// Tasks per user on the bench and soak servers: their create loads make
/// far more than the default quota of 10,000.
pub(crate) const TASK_QUOTA: &str = "100000000";

/// Scenario 10's figures: the probe's latency, server memory per open stream
/// and the creates running beside it.
struct EventFigures {
    streams: usize,
    latency: bench_events::Latency,
    per_stream_kib: Option<f64>,
    /// The same for an idle keep-alive connection, for comparison.
    idle_kib: Option<f64>,
    background: Measured,
}

pub const USAGE: &str = "usage: cargo xtask bench [--postgres] [--duration SECONDS] [--server PATH]

  --postgres        run against a fresh PostgreSQL database on 127.0.0.1:5432 (default: SQLite)
  --duration N      seconds per scenario and concurrency (default 10)
  --server PATH     benchmark this server binary (e.g. a release build of an older commit)
                    instead of building target/release/backend";

pub struct Options {
    load: LoadOptions,
    server: Option<PathBuf>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut server = None;
        let load = LoadOptions::parse(args, 10, 1, USAGE, |flag, value| match flag {
            "--server" => {
                server = Some(value().ok_or("--server needs a path")?.into());
                Ok(true)
            }
            _ => Ok(false),
        })?;
        Ok(Options { load, server })
    }
}

/// `--postgres` and `--duration N`, which bench and soak share.
pub(crate) struct LoadOptions {
    pub(crate) postgres: bool,
    pub(crate) duration_secs: u64,
}

impl LoadOptions {
    /// `extra(flag, next_value)` takes a command's own flags: `Ok(true)` if
    /// it knew the flag.
    pub(crate) fn parse<'a>(
        args: &'a [String],
        default_secs: u64,
        min_secs: u64,
        usage: &str,
        mut extra: impl FnMut(&str, &mut dyn FnMut() -> Option<&'a String>) -> Result<bool, String>,
    ) -> Result<Self, String> {
        let mut options = LoadOptions { postgres: false, duration_secs: default_secs };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--postgres" => options.postgres = true,
                "--duration" => {
                    options.duration_secs =
                        args.next().and_then(|d| d.parse().ok()).filter(|d| *d >= min_secs).ok_or_else(|| {
                            format!("--duration needs a whole number of seconds, at least {min_secs}")
                        })?;
                }
                other => {
                    if !extra(other, &mut || args.next())? {
                        return Err(format!("unknown argument `{other}`\n\n{usage}"));
                    }
                }
            }
        }
        Ok(options)
    }
}

/// What one oha run measured.
pub(crate) struct Measured {
    pub(crate) scenario: &'static str,
    pub(crate) concurrency: u32,
    pub(crate) requests: u64,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Responses with another status than expected, plus transport errors.
    pub(crate) errors: u64,
    /// 429s where the scenario expects the server to refuse some.
    pub(crate) refused: u64,
    /// On SQLite, for the write scenarios: writes per group commit during
    /// the run, and the largest batch-size bucket seen (`/api/ready`).
    pub(crate) batches: Option<(f64, &'static str)>,
}

impl Measured {
    fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario, "concurrency": self.concurrency, "requests": self.requests,
            "rps": round(self.rps), "p50_ms": round(self.p50_ms), "p99_ms": round(self.p99_ms), "errors": self.errors,
            "writes_per_batch": self.batches.map(|(mean, _)| round(mean)),
            "largest_batches": self.batches.map(|(_, largest)| largest),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One load-generator run: a request shape and the status it must get.
#[derive(Clone)]
pub(crate) struct Load<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: String,
    pub(crate) token: Option<&'a str>,
    pub(crate) body: Option<String>,
    pub(crate) expect: u16,
    /// Whether 429s are part of the scenario (counted as refused, not errors).
    pub(crate) refusable: bool,
    /// More oha arguments (`-H "Name: value"`, `--rand-regex-url`).
    pub(crate) args: Vec<String>,
}

impl Load<'_> {
    fn command(&self, oha: &Path, concurrency: u32, amount: Amount) -> Command {
        let mut cmd = Command::new(oha);
        cmd.args(["--no-tui", "--output-format", "json", "-c", &concurrency.to_string(), "-m", self.method]);
        match amount {
            Amount::Seconds(s) => cmd.args(["-z", &format!("{s}s"), "-w"]),
            Amount::Requests(n) => cmd.args(["-n", &n.to_string()]),
        };
        if let Some(t) = self.token {
            cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        cmd.args(&self.args);
        if let Some(b) = &self.body {
            cmd.args(["-T", "application/json", "-d", b]);
        }
        cmd.arg(&self.url).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    pub(crate) fn spawn(&self, oha: &Path, concurrency: u32, amount: Amount) -> Result<Child, String> {
        self.command(oha, concurrency, amount).spawn().map_err(|e| format!("cannot run oha: {e}"))
    }

    pub(crate) fn collect(&self, child: Child, scenario: &'static str, concurrency: u32) -> Result<Measured, String> {
        let out = child.wait_with_output().map_err(|e| format!("oha: {e}"))?;
        if !out.status.success() {
            return Err(format!("oha failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)));
        }
        let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("oha's JSON report: {e}"))?;
        parse_report(&report, scenario, concurrency, self.expect, self.refusable)
    }

    fn run(&self, oha: &Path, scenario: &'static str, concurrency: u32, amount: Amount) -> Result<Measured, String> {
        let child = self.spawn(oha, concurrency, amount)?;
        self.collect(child, scenario, concurrency)
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Amount {
    Seconds(u64),
    Requests(u64),
}

/// Reads the parts of oha's JSON report the table needs (latencies in s).
fn parse_report(
    report: &Value,
    scenario: &'static str,
    concurrency: u32,
    expect: u16,
    refusable: bool,
) -> Result<Measured, String> {
    let number = |path: &str| report.pointer(path).and_then(Value::as_f64);
    let mut requests = 0;
    let mut errors = 0;
    let mut refused = 0;
    for (status, count) in report["statusCodeDistribution"].as_object().into_iter().flatten() {
        let count = count.as_u64().unwrap_or(0);
        requests += count;
        match status.parse::<u16>().ok() {
            Some(s) if s == expect => {}
            Some(429) if refusable => refused += count,
            _ => errors += count,
        }
    }
    for (_, count) in report["errorDistribution"].as_object().into_iter().flatten() {
        errors += count.as_u64().unwrap_or(0);
    }
    Ok(Measured {
        scenario,
        concurrency,
        requests,
        rps: number("/summary/requestsPerSec").ok_or("oha's report has no summary.requestsPerSec")?,
        p50_ms: number("/latencyPercentiles/p50").unwrap_or(f64::NAN) * 1000.0,
        p99_ms: number("/latencyPercentiles/p99").unwrap_or(f64::NAN) * 1000.0,
        errors,
        refused,
        batches: None,
    })
}

/// The server's group-commit counters (`/api/ready`'s `writes`; SQLite only).
fn batching(port: u16) -> Option<Value> {
    request(port, "GET", "/api/ready", &[], None).ok()?.json().ok()?.get("writes").cloned()
}

/// Writes per batch between two snapshots of `batching`, and the largest
/// size bucket that grew.
fn batches_between(before: &Option<Value>, after: &Option<Value>) -> Option<(f64, &'static str)> {
    const BUCKETS: [&str; 8] = ["1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128+"];
    let (before, after) = (before.as_ref()?, after.as_ref()?);
    let delta = |field: &str| after[field].as_u64()?.checked_sub(before[field].as_u64()?);
    let (writes, batches) = (delta("writes")?, delta("batches")?);
    let grew = |i: usize| after["by_size"][i].as_u64() > before["by_size"][i].as_u64();
    let largest = (0..BUCKETS.len()).rev().find(|&i| grew(i)).map(|i| BUCKETS[i])?;
    (batches > 0).then(|| (writes as f64 / batches as f64, largest))
}

pub(crate) fn create_task_body(title: &str) -> String {
    json!({"title": title, "description": "seeded by cargo xtask bench"}).to_string()
}

/// Creates `n` tasks for `user` through the API, using oha for the volume.
pub(crate) fn seed_tasks(oha: &Path, base: &str, user: &User, n: u64) -> Result<(), String> {
    let load = Load {
        method: "POST",
        url: format!("{base}/api/{}/tasks", user.id),
        token: Some(&user.jwt),
        body: Some(create_task_body("A seeded task with a realistic title")),
        expect: 201,
        refusable: false,
        args: Vec::new(),
    };
    let m = load.run(oha, "seed", 16, Amount::Requests(n))?;
    if m.errors > 0 || m.requests != n {
        return Err(format!("seeding {n} tasks: {} answered, {} not 201", m.requests, m.errors));
    }
    Ok(())
}

/// What one page of the release SPA loads, gzipped, by kind of file.
type PageWeight = (String, Vec<(String, u64)>);

/// Gzipped bytes of what each page of the release SPA loads (`index.html`,
/// the whole app; `signin.html`, the sign-in bundle): the page itself and
/// every file of `dist/` its HTML names, by kind. (Summing all of `dist/`
/// would add the two bundles up, which no visit downloads.)
fn spa_weight(dist: &Path) -> Result<Vec<PageWeight>, String> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let kind = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_owned();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_owned();
        if ["wasm", "js", "css", "html"].contains(&kind.as_str()) {
            let gz = Command::new("gzip").args(["-9", "-c"]).arg(&path).output().map_err(|e| format!("gzip: {e}"))?;
            files.push((name, kind, gz.stdout.len() as u64));
        }
    }
    files.sort();
    let mut pages = Vec::new();
    for (page, _, _) in files.iter().filter(|(_, kind, _)| kind == "html") {
        let html = fs::read_to_string(dist.join(page)).map_err(|e| format!("{page}: {e}"))?;
        let mut by_kind: Vec<(String, u64)> =
            ["wasm", "js", "css", "html"].iter().map(|k| (k.to_string(), 0)).collect();
        for (name, kind, bytes) in &files {
            if name == page || (kind != "html" && html.contains(&format!("/{name}"))) {
                if let Some(slot) = by_kind.iter_mut().find(|(k, _)| k == kind) {
                    slot.1 += bytes;
                }
            }
        }
        pages.push((page.clone(), by_kind));
    }
    Ok(pages)
}

/// A fresh database for a run: a new SQLite file `<name>.db` in `dir`, or a
/// throw-away PostgreSQL database (dropped when the first value is dropped).
/// Returns (that guard, `DATABASE_URL`, engine name).
pub(crate) fn fresh_database(
    dir: &Path,
    postgres: bool,
    name: &str,
) -> Result<(Option<PgDatabase>, String, &'static str), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if postgres {
        let admin = tools::ensure_postgres()?;
        let db = PgDatabase::create(&admin)?;
        let url = db.url();
        return Ok((Some(db), url, "postgres"));
    }
    let file = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(PathBuf::from(format!("{}{suffix}", file.display())));
    }
    Ok((None, format!("sqlite://{}?mode=rwc", file.display()), "sqlite"))
}

/// A throw-away PostgreSQL database, dropped afterwards.
pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    fn create(admin_url: &str) -> Result<Self, String> {
        let name = format!("todo_bench_{}", std::process::id());
        run_status(Command::new("psql").args([admin_url, "-q", "-c", &format!("CREATE DATABASE {name}")]))
            .map_err(|e| format!("{e}\n  (psql, PostgreSQL's client, creates the bench database)"))?;
        Ok(PgDatabase { admin_url: admin_url.to_owned(), name })
    }

    fn url(&self) -> String {
        match self.admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{}", self.name),
            None => self.admin_url.clone(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([&self.admin_url, "-q", "-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .status();
    }
}

pub fn run(root: &Path, tools: &Tools, options: &Options) -> Result<(), String> {
    let oha = step("oha (load generator)", || tools.ensure_oha())?;
    tools.build_spa()?;
    let weight = spa_weight(&root.join("dist"))?;
    let binary = match &options.server {
        Some(path) => path.clone(),
        None => {
            step("build the backend (release)", || run_status(cargo().args(["build", "--release", "-p", "backend"])))?;
            let binary = root.join("target/release/backend");
            // (An older `--server` may not know the command: it compresses at start-up.)
            tools.precompress_spa(&binary)?;
            binary
        }
    };

    let out_dir = root.join("target/bench");
    let (_pg, database_url, engine) = fresh_database(&out_dir, options.load.postgres, "bench")?;
    let dist = root.join("dist");
    let server = Server::start(
        &binary,
        root,
        &database_url,
        &[("DIST_DIR", dist.to_str().unwrap_or("dist")), ("RUST_LOG", "error"), ("TASKS_MAX_PER_USER", TASK_QUOTA)],
    )?;
    let base = server.base_url();
    let port = server.port;

    let (small, large, writer, storm, flooder) = step("seed users and tasks (50 and 10,000)", || {
        let small = sign_up(port, "fifty")?;
        let large = sign_up(port, "tenthousand")?;
        let writer = sign_up(port, "writer")?;
        let storm = sign_up(port, "storm")?;
        let flooder = sign_up(port, "flooder")?;
        seed_tasks(&oha, &base, &small, 50)?;
        seed_tasks(&oha, &base, &flooder, 50)?;
        seed_tasks(&oha, &base, &large, 10_000)?;
        Ok((small, large, writer, storm, flooder))
    })?;
    let toggled = {
        let body = create_task_body("Toggled again and again");
        let reply = request(
            port,
            "POST",
            &format!("/api/{}/tasks", writer.id),
            &[("Authorization", &format!("Bearer {}", writer.jwt))],
            Some(&body),
        )?;
        reply.json()?["id"].as_i64().ok_or_else(|| format!("create: {} {}", reply.status, reply.body))?
    };
    let rss_before = server.rss_kib();

    let list_small = Load {
        method: "GET",
        url: format!("{base}/api/{}/tasks", small.id),
        token: Some(&small.jwt),
        body: None,
        expect: 200,
        refusable: false,
        args: Vec::new(),
    };
    let scenarios: Vec<(&'static str, Load)> = vec![
        ("1 list 50 tasks", list_small.clone()),
        (
            "2 list 50 of 10,000",
            Load {
                method: "GET",
                url: format!("{base}/api/{}/tasks?limit=50", large.id),
                token: Some(&large.jwt),
                body: None,
                expect: 200,
                refusable: false,
                args: Vec::new(),
            },
        ),
        (
            "3 create",
            Load {
                method: "POST",
                url: format!("{base}/api/{}/tasks", writer.id),
                token: Some(&writer.jwt),
                body: Some(create_task_body("Benchmark task")),
                expect: 201,
                refusable: false,
                args: Vec::new(),
            },
        ),
        (
            "4 toggle complete",
            Load {
                method: "PATCH",
                url: format!("{base}/api/{}/tasks/{toggled}/complete", writer.id),
                token: Some(&writer.jwt),
                body: None,
                expect: 200,
                refusable: false,
                args: Vec::new(),
            },
        ),
        (
            "5 invalid token",
            Load {
                method: "GET",
                url: list_small.url.clone(),
                token: Some("eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ.e30.c2ln"),
                body: None,
                expect: 401,
                refusable: false,
                args: Vec::new(),
            },
        ),
        (
            "6 bare route",
            Load {
                method: "GET",
                url: format!("{base}/api/health"),
                token: None,
                body: None,
                expect: 200,
                refusable: false,
                args: Vec::new(),
            },
        ),
    ];
    let amount = Amount::Seconds(options.load.duration_secs);
    let mut results = Vec::new();
    for (name, load) in &scenarios {
        for c in CONCURRENCY {
            let before = batching(port);
            let mut m = step(&format!("scenario {name}, concurrency {c}"), || load.run(&oha, name, c, amount))?;
            if load.method != "GET" {
                m.batches = batches_between(&before, &batching(port));
            }
            results.push(m);
        }
    }
    // Scenarios 8 and 9 are compared with the plain list run right before
    // and right after them (A-B-A), so drift between runs minutes apart
    // (CPU frequency, the other tenant) does not decide their ratios.
    let plain = |label: &'static str, c: u32| {
        step(&format!("scenario {label}, concurrency {c}"), || list_small.run(&oha, label, c, amount))
    };

    // 8: scenario 1 with `Accept-Encoding: br, gzip`.
    let compressed = Load { args: vec!["-H".into(), "Accept-Encoding: br, gzip".into()], ..list_small.clone() };
    for c in CONCURRENCY {
        results.push(plain(PLAIN_8, c)?);
        let name = "8 list 50, br+gzip";
        results.push(step(&format!("scenario {name}, concurrency {c}"), || compressed.run(&oha, name, c, amount))?);
        results.push(plain(PLAIN_8, c)?);
    }

    // 7: a sign-in storm beside scenario 1 at concurrency 16.
    let sign_in = Load {
        method: "POST",
        url: format!("{base}/api/auth/sign-in/email"),
        token: None,
        body: Some(json!({"email": storm.email, "password": PASSWORD}).to_string()),
        expect: 200,
        refusable: false,
        args: Vec::new(),
    };
    let (storm_reads, storm_sign_ins) = step("scenario 7 sign-in storm beside scenario 1", || {
        let signing = sign_in.spawn(&oha, STORM_SIGN_INS, amount)?;
        let reading = list_small.spawn(&oha, STORM_READERS, amount)?;
        let reads = list_small.collect(reading, "7 list 50 during storm", STORM_READERS)?;
        let sign_ins = sign_in.collect(signing, "7 sign-ins (storm)", STORM_SIGN_INS)?;
        Ok((reads, sign_ins))
    })?;
    results.push(storm_reads);
    results.push(storm_sign_ins);

    // 9: scenario 1 at concurrency 16 while another user asks for one
    // distinct page after another (every one a cache miss and a new entry).
    let flood = Load {
        method: "GET",
        url: format!("{}/api/{}/tasks\\?limit=[1-9][0-9]&offset=[0-9]{{7}}", base.replace('.', "\\."), flooder.id),
        token: Some(&flooder.jwt),
        body: None,
        expect: 200,
        // Past the first hundred, the flooder's new queries are over its
        // budget (TASKS_LIST_QUERIES_MAX): 429 before any query runs.
        refusable: true,
        args: vec!["--rand-regex-url".into()],
    };
    results.push(plain(CALM_9, STORM_READERS)?);
    let (flood_reads, flooding) = step("scenario 9 list beside a flood of distinct list queries", || {
        let flooding = flood.spawn(&oha, FLOODERS, amount)?;
        let reading = list_small.spawn(&oha, STORM_READERS, amount)?;
        let reads = list_small.collect(reading, "9 list 50 during flood", STORM_READERS)?;
        let flooding = flood.collect(flooding, "9 distinct queries (flood)", FLOODERS)?;
        Ok((reads, flooding))
    })?;
    results.push(flood_reads);
    results.push(flooding);
    results.push(plain(CALM_9, STORM_READERS)?);
    let rss_after = server.rss_kib();

    // 10: event latency with 1,000 open streams beside creates at c=16; on
    // PostgreSQL the streams are on a second replica.
    let replica = match engine {
        // Same public URL as the first: tokens name it as issuer and audience.
        "postgres" => Some(Server::start(
            &binary,
            root,
            &database_url,
            &[("RUST_LOG", "error"), ("TASKS_MAX_PER_USER", TASK_QUOTA), ("BETTER_AUTH_URL", &base)],
        )?),
        _ => None,
    };
    let events = step("scenario 10 event latency with 1,000 open streams", || {
        let users =
            (0..bench_events::USERS).map(|i| sign_up(port, &format!("streamer{i}"))).collect::<Result<Vec<_>, _>>()?;
        let stream_server = replica.as_ref().unwrap_or(&server);
        // Memory per stream is the slope from 500 to 1,000 open streams:
        // what one more costs, not the first stream's one-time allocations.
        let half = users.len() / 2;
        let idle = {
            let first = bench_events::idle_connections(stream_server.port, 500)?;
            let before = stream_server.rss_kib();
            let second = bench_events::idle_connections(stream_server.port, 500)?;
            let after = stream_server.rss_kib();
            drop((first, second));
            before.zip(after).map(|(a, b)| b.saturating_sub(a) as f64 / 500.0)
        };
        let mut streams = bench_events::Streams::new();
        streams.open(stream_server.port, &users[..half], 0)?;
        let (rss_half, streams_half) = (stream_server.rss_kib(), streams.len());
        streams.open(stream_server.port, &users[half..], half)?;
        let rss_open = stream_server.rss_kib();
        let creates = Load {
            method: "POST",
            url: format!("{base}/api/{}/tasks", users[0].id),
            token: Some(&users[0].jwt),
            body: Some(create_task_body("Created beside the streams")),
            expect: 201,
            refusable: false,
            args: Vec::new(),
        };
        let creating = creates.spawn(&oha, STORM_READERS, amount)?;
        let latency = streams.probe(
            port,
            &users,
            &create_task_body("Probe task"),
            Duration::from_secs(options.load.duration_secs),
        );
        let background = creates.collect(creating, "10 creates beside streams", STORM_READERS)?;
        let per_stream = match (rss_half, rss_open) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / (streams.len() - streams_half) as f64),
            _ => None,
        };
        Ok(EventFigures {
            streams: streams.len(),
            latency: latency?,
            per_stream_kib: per_stream,
            idle_kib: idle,
            background,
        })
    })?;
    drop(replica);
    drop(server);

    report(&out_dir, engine, options, &results, &weight, (rss_before, rss_after), &events)
}

fn find<'a>(results: &'a [Measured], prefix: &str, c: u32) -> Option<&'a Measured> {
    results.iter().find(|m| m.scenario.starts_with(prefix) && m.concurrency == c)
}

/// The mean of `value` over the runs named `prefix` at concurrency `c`
/// (the plain runs on either side of an A-B-A comparison).
fn mean_of(results: &[Measured], prefix: &str, c: u32, value: fn(&Measured) -> f64) -> Option<f64> {
    let runs: Vec<f64> =
        results.iter().filter(|m| m.scenario.starts_with(prefix) && m.concurrency == c).map(value).collect();
    (!runs.is_empty()).then(|| runs.iter().sum::<f64>() / runs.len() as f64)
}

/// The plain list's req/s on either side of scenario 8.
fn plain_around(results: &[Measured], c: u32) -> Option<f64> {
    mean_of(results, PLAIN_8, c, |m| m.rps)
}

/// The calm list on either side of scenario 9.
fn calm_around(results: &[Measured], value: fn(&Measured) -> f64) -> Option<f64> {
    mean_of(results, CALM_9, STORM_READERS, value)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn report(
    out_dir: &Path,
    engine: &str,
    options: &Options,
    results: &[Measured],
    weight: &[PageWeight],
    (rss_before, rss_after): (Option<u64>, Option<u64>),
    events: &EventFigures,
) -> Result<(), String> {
    println!("\n==> results ({engine}, {} s per run, oha on the same machine)\n", options.load.duration_secs);
    println!(
        "{:<26} {:>4} {:>10} {:>9} {:>9} {:>7}  writes/batch (largest), or refusals",
        "scenario", "c", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for m in results {
        let batches = match (m.batches, m.refused) {
            (Some((mean, largest)), _) => format!("{mean:.1} ({largest})"),
            (None, 0) => String::new(),
            (None, refused) => format!("{} answered, {refused} refused (429)", m.requests - refused - m.errors),
        };
        println!(
            "{:<26} {:>4} {:>10.0} {:>9.2} {:>9.2} {:>7}  {batches}",
            m.scenario, m.concurrency, m.rps, m.p50_ms, m.p99_ms, m.errors
        );
    }

    let rps = |p: &str, c| find(results, p, c).map(|m| m.rps);
    let p50 = |p: &str, c| find(results, p, c).map(|m| m.p50_ms);
    let p99 = |p: &str, c| find(results, p, c).map(|m| m.p99_ms);
    // Issue #16: one process on SQLite, across two replicas on PostgreSQL.
    let event_target = if engine == "postgres" { 100.0 } else { 50.0 };
    // (name, value, target, whether higher is better)
    let checks: Vec<(&str, Option<f64>, f64, bool)> = vec![
        ("list 50 / bare route, req/s, c64", ratio(rps("1 ", 64), rps("6 ", 64)), 0.5, true),
        ("list 50 p99 at c64, ms", p99("1 ", 64), 10.0, false),
        ("list 50 of 10,000 / list 50, p50, c16", ratio(p50("2 ", 16), p50("1 ", 16)), 2.0, false),
        ("list 50 of 10,000 / list 50, p50, c64", ratio(p50("2 ", 64), p50("1 ", 64)), 2.0, false),
        ("storm / calm list p99, c16", ratio(p99("7 list", STORM_READERS), p99("1 ", STORM_READERS)), 2.0, false),
        (
            "list br+gzip / plain list, req/s, c16",
            ratio(rps("8 list 50, br", 16), plain_around(results, 16)),
            0.9,
            true,
        ),
        (
            "list br+gzip / plain list, req/s, c64",
            ratio(rps("8 list 50, br", 64), plain_around(results, 64)),
            0.9,
            true,
        ),
        (
            "flood / calm list p50, c16",
            ratio(p50("9 list 50 during", STORM_READERS), calm_around(results, |m| m.p50_ms)),
            1.5,
            false,
        ),
        (
            "flood / calm list p99, c16",
            ratio(p99("9 list 50 during", STORM_READERS), calm_around(results, |m| m.p99_ms)),
            1.5,
            false,
        ),
        ("event latency p99, 1,000 streams, ms", Some(events.latency.p99_ms), event_target, false),
        ("server RSS per open stream, KiB", events.per_stream_kib, 20.0, false),
    ];
    println!("\n{:<42} {:>9} {:>8}  verdict", "ratio / figure", "value", "target");
    for (name, value, target, higher) in &checks {
        let verdict = match value {
            Some(v) if (*higher && v >= target) || (!*higher && v <= target) => "met",
            Some(_) => "MISSED",
            None => "n/a",
        };
        let shown = value.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        println!("{name:<42} {shown:>9} {:>8}  {verdict}", format!("{}{target}", if *higher { ">=" } else { "<=" }));
    }
    println!("\nSPA (release dist/, gzip -9), what each page loads:");
    for (page, by_kind) in weight {
        let kinds: Vec<String> = by_kind.iter().map(|(kind, b)| format!("{kind} {:.1}", *b as f64 / 1000.0)).collect();
        let total: u64 = by_kind.iter().filter(|(k, _)| k != "html").map(|(_, b)| b).sum();
        println!("  {page:<12} {} KB; wasm + js + css {:.1} KB", kinds.join(", "), total as f64 / 1000.0);
    }
    // Browsers that send `br` get the brotli variants; what Chromium really
    // transfers is measured by the e2e suite (target/e2e-wire.json).
    if let Ok(figure) = fs::read_to_string(out_dir.join("../e2e-wire.json")) {
        let wire: Value = serde_json::from_str(&figure).unwrap_or_default();
        let bytes = wire["first_visit_login_bytes"].as_f64().unwrap_or(f64::NAN);
        let verdict = if bytes <= SPA_BUDGET_BYTES as f64 { "met" } else { "MISSED" };
        println!(
            "  Chromium, first visit of /login (last e2e run): {:.1} KB, target <= {} KB: {verdict}",
            bytes / 1000.0,
            SPA_BUDGET_BYTES / 1000
        );
    }
    let l = &events.latency;
    println!(
        "\nevents: {} streams; {} probes ({} lost), p50 {:.2} ms, p99 {:.2} ms; beside {:.0} creates/s (c{}); \
         an idle keep-alive connection: {} KiB of server RSS",
        events.streams,
        l.probes,
        l.lost,
        l.p50_ms,
        l.p99_ms,
        events.background.rps,
        events.background.concurrency,
        events.idle_kib.map(|k| format!("{k:.1}")).unwrap_or_else(|| "?".into())
    );
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        println!("server RSS: {:.1} MiB after seeding, {:.1} MiB at the end", a as f64 / 1024.0, b as f64 / 1024.0);
    }

    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let doc = json!({
        "engine": engine,
        "unix_time": stamp,
        "duration_secs": options.load.duration_secs,
        "results": results.iter().map(Measured::to_json).collect::<Vec<_>>(),
        "ratios": checks.iter().map(|(n, v, t, _)| json!({"name": n, "value": v.map(round), "target": t})).collect::<Vec<_>>(),
        "spa_gzip_bytes": weight
            .iter()
            .map(|(page, by_kind)| (page.clone(), by_kind.iter().map(|(k, b)| (k.clone(), json!(b))).collect()))
            .collect::<serde_json::Map<_, _>>(),
        "server_rss_kib": {"after_seeding": rss_before, "end": rss_after},
        "events": {
            "streams": events.streams, "probes": l.probes, "lost": l.lost,
            "p50_ms": round(l.p50_ms), "p99_ms": round(l.p99_ms),
            "rss_kib_per_stream": events.per_stream_kib.map(round),
            "rss_kib_per_idle_connection": events.idle_kib.map(round), "beside": events.background.to_json(),
        },
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    for name in [format!("{engine}-{stamp}.json"), format!("{engine}-latest.json")] {
        let path = out_dir.join(name);
        fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("\nwritten: target/bench/{engine}-{stamp}.json (and {engine}-latest.json)");

    let errors: u64 = results.iter().chain([&events.background]).map(|m| m.errors).sum::<u64>() + l.lost as u64;
    if errors > 0 {
        return Err(format!("{errors} responses had an unexpected status or failed (see the errors column)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_unexpected_statuses_and_transport_errors_as_errors() {
        let report = json!({
            "summary": {"requestsPerSec": 1234.5},
            "latencyPercentiles": {"p50": 0.002, "p99": 0.010},
            "statusCodeDistribution": {"200": 90, "500": 7, "401": 3},
            "errorDistribution": {"connection reset": 2},
        });
        let m = parse_report(&report, "x", 16, 200, false).unwrap();
        assert_eq!(m.requests, 100);
        assert_eq!(m.errors, 12);
        assert_eq!(m.p50_ms, 2.0);
        assert_eq!(m.p99_ms, 10.0);
        let rejected = parse_report(&report, "x", 16, 401, false).unwrap();
        assert_eq!(rejected.errors, 97 + 2);
    }

    #[test]
    fn a_refusable_scenario_counts_429s_apart() {
        let report = json!({
            "summary": {"requestsPerSec": 10.0},
            "statusCodeDistribution": {"200": 5, "429": 90, "500": 1},
        });
        let m = parse_report(&report, "x", 4, 200, true).unwrap();
        assert_eq!((m.requests, m.refused, m.errors), (96, 90, 1));
        assert_eq!(parse_report(&report, "x", 4, 200, false).unwrap().errors, 91);
    }

    #[test]
    fn a_report_without_throughput_is_an_error() {
        assert!(parse_report(&json!({}), "x", 1, 200, false).is_err());
    }

    #[test]
    fn each_page_weighs_what_it_names_not_the_other_bundle() {
        let dist = std::env::temp_dir().join(format!("xtask-spa-weight-{}", std::process::id()));
        fs::create_dir_all(&dist).unwrap();
        let write = |name: &str, text: String| fs::write(dist.join(name), text).unwrap();
        write("index.html", "<script src='/app-1.js'></script><link href='/style-9.css'>".into());
        write("signin.html", "<script src='/signin-2.js'></script><link href='/style-9.css'>".into());
        // Digits that do not repeat, so gzip keeps each file's size apart.
        let noise = |n: usize| {
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut digit = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'0' + (x % 10) as u8)
            };
            (0..n).map(|_| digit()).collect::<String>()
        };
        write("app-1.js", noise(20_000));
        write("signin-2.js", noise(2_000));
        write("style-9.css", "c".repeat(50));
        write("app-1.js.gz", "not a page's file".into());
        let pages = spa_weight(&dist).unwrap();
        fs::remove_dir_all(&dist).unwrap();
        let weight = |page: &str, kind: &str| {
            let (_, by_kind) = pages.iter().find(|(p, _)| p == page).unwrap();
            by_kind.iter().find(|(k, _)| k == kind).unwrap().1
        };
        assert_eq!(pages.len(), 2);
        assert!(weight("index.html", "js") > 5 * weight("signin.html", "js"), "{pages:?}");
        assert!(weight("signin.html", "js") > 0 && weight("signin.html", "css") == weight("index.html", "css"));
        assert!(weight("index.html", "html") > 0, "the page itself counts");
    }

    #[test]
    fn parses_options() {
        let o = Options::parse(&["--postgres".into(), "--duration".into(), "3".into()]).unwrap();
        assert!(o.load.postgres);
        assert_eq!(o.load.duration_secs, 3);
        assert!(Options::parse(&["--duration".into(), "0".into()]).is_err());
        assert!(Options::parse(&["--fast".into()]).is_err());
    }
}
