//! `cargo xtask soak`: the release server under a minute of mixed load at
//! concurrency 128 from many users (oha drives it), while a checker keeps
//! asking every user for their list and for someone else's. It fails on any
//! 5xx or other unexpected status, on any task of another user in a list,
//! and on resident memory that keeps growing.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bench::{create_task_body, fresh_database, seed_tasks, Amount, Load, LoadOptions, Measured};
use crate::process::{cargo, run_status, step};
use crate::server::{request, sign_up, Server, User};
use crate::tools::Tools;

pub const USAGE: &str = "usage: cargo xtask soak [--postgres] [--duration SECONDS]

  --postgres        run against a fresh PostgreSQL database on 127.0.0.1:5432 (default: SQLite)
  --duration N      seconds of load (default 60)";

const READERS: usize = 8;
const WRITERS: usize = 4;
const TOGGLERS: usize = 4;
/// 16 load generators × 8 connections.
const PER_LOAD: u32 = 8;
/// Growth allowed from the RSS after warm-up to the end (allocator slack).
const RSS_GROWTH_ALLOWED: f64 = 1.25;

pub struct Options {
    load: LoadOptions,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        // Under 10 s there is no warm-up to compare memory against.
        Ok(Options { load: LoadOptions::parse(args, 60, 10, USAGE, |_, _| Ok(false))? })
    }
}

/// Lists `user`'s tasks and someone else's: every task must be the user's,
/// and the other list must be refused.
fn check_isolation(port: u16, user: &User, other: &User) -> Result<(), String> {
    let auth = format!("Bearer {}", user.jwt);
    let own = request(port, "GET", &format!("/api/{}/tasks?limit=500", user.id), &[("Authorization", &auth)], None)?;
    if own.status != 200 {
        return Err(format!("{}'s list: status {}", user.id, own.status));
    }
    let tasks = own.json()?;
    let tasks = tasks.as_array().ok_or("a list that is not an array")?;
    if let Some(stranger) = tasks.iter().find(|t| t["user_id"].as_str() != Some(user.id.as_str())) {
        return Err(format!("{}'s list holds another user's task: {stranger}", user.id));
    }
    let theirs = request(port, "GET", &format!("/api/{}/tasks", other.id), &[("Authorization", &auth)], None)?;
    if theirs.status != 403 {
        return Err(format!("{} read {}'s list: status {}", user.id, other.id, theirs.status));
    }
    Ok(())
}

pub fn run(root: &Path, tools: &Tools, options: &Options) -> Result<(), String> {
    let oha = step("oha (load generator)", || tools.ensure_oha())?;
    step("build the backend (release)", || run_status(cargo().args(["build", "--release", "-p", "backend"])))?;
    let (_pg, database_url, engine) = fresh_database(&root.join("target/soak"), options.load.postgres, "soak")?;
    let env = [("RUST_LOG", "error"), ("TASKS_MAX_PER_USER", crate::bench::TASK_QUOTA)];
    let server = Server::start(&root.join("target/release/backend"), root, &database_url, &env)?;
    let (port, base) = (server.port, server.base_url());

    let users: Vec<User> = step("sign up users, 20 tasks each", || {
        let users = (0..READERS + WRITERS + TOGGLERS)
            .map(|n| sign_up(port, &format!("soak{n}")))
            .collect::<Result<Vec<_>, _>>()?;
        for u in &users {
            seed_tasks(&oha, &base, u, 20)?;
        }
        Ok(users)
    })?;
    let first_task = |u: &User| -> Result<i64, String> {
        let reply = request(
            port,
            "GET",
            &format!("/api/{}/tasks?limit=1", u.id),
            &[("Authorization", &format!("Bearer {}", u.jwt))],
            None,
        )?;
        reply.json()?[0]["id"].as_i64().ok_or_else(|| format!("no task for {}", u.id))
    };

    let mut loads = Vec::new();
    for (n, u) in users.iter().enumerate() {
        let load = if n < READERS {
            Load {
                method: "GET",
                url: format!("{base}/api/{}/tasks", u.id),
                token: Some(&u.jwt),
                body: None,
                expect: 200,
                refusable: false,
                args: Vec::new(),
            }
        } else if n < READERS + WRITERS {
            Load {
                method: "POST",
                url: format!("{base}/api/{}/tasks", u.id),
                token: Some(&u.jwt),
                body: Some(create_task_body("soak")),
                expect: 201,
                refusable: false,
                args: Vec::new(),
            }
        } else {
            let id = first_task(u)?;
            Load {
                method: "PATCH",
                url: format!("{base}/api/{}/tasks/{id}/complete", u.id),
                token: Some(&u.jwt),
                body: None,
                expect: 200,
                refusable: false,
                args: Vec::new(),
            }
        };
        loads.push(load);
    }

    println!(
        "==> {} s of load at concurrency {} ({engine})",
        options.load.duration_secs,
        PER_LOAD as usize * loads.len()
    );
    let started = Instant::now();
    let children = loads
        .iter()
        .map(|l| l.spawn(&oha, PER_LOAD, Amount::Seconds(options.load.duration_secs)))
        .collect::<Result<Vec<_>, _>>()?;
    let done = AtomicBool::new(false);
    let checks = AtomicU64::new(0);
    let (rss_samples, isolation) = std::thread::scope(|scope| {
        let checker = scope.spawn(|| -> Result<(), String> {
            while !done.load(Ordering::Relaxed) {
                for (n, u) in users.iter().enumerate() {
                    check_isolation(port, u, &users[(n + 1) % users.len()])?;
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(())
        });
        let sampler = scope.spawn(|| {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push((started.elapsed().as_secs_f64(), server.rss_kib().unwrap_or(0)));
                std::thread::sleep(Duration::from_secs(1)); // one RSS sample a second
            }
            samples
        });
        let measured: Vec<Result<Measured, String>> =
            children.into_iter().zip(&loads).map(|(child, load)| load.collect(child, "soak", PER_LOAD)).collect();
        done.store(true, Ordering::Relaxed);
        let isolation = checker.join().unwrap_or_else(|_| Err("the checker panicked".into()));
        (sampler.join().unwrap_or_default(), isolation.and(Ok(measured)))
    });
    let measured = isolation?;
    let measured: Vec<Measured> = measured.into_iter().collect::<Result<_, _>>()?;
    drop(server);

    let requests: u64 = measured.iter().map(|m| m.requests).sum();
    let errors: u64 = measured.iter().map(|m| m.errors).sum();
    let rps: f64 = measured.iter().map(|m| m.rps).sum();
    // Memory: after the first tenth of the run (caches and pools warm) vs the end.
    let warm =
        rss_samples.iter().find(|(t, _)| *t >= options.load.duration_secs as f64 / 10.0).map(|s| s.1).unwrap_or(0);
    let end = rss_samples.last().map(|s| s.1).unwrap_or(0);
    let peak = rss_samples.iter().map(|s| s.1).max().unwrap_or(0);
    println!("\n==> soak results ({engine})");
    println!("  requests: {requests} ({rps:.0}/s), unexpected statuses or failures: {errors}");
    println!(
        "  isolation checks: {} lists read and foreign lists refused, 0 violations",
        checks.load(Ordering::Relaxed)
    );
    println!(
        "  server RSS: {:.1} MiB warm, {:.1} MiB at the end, {:.1} MiB peak",
        warm as f64 / 1024.0,
        end as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    if errors > 0 {
        return Err(format!("{errors} requests got an unexpected status or failed"));
    }
    if warm == 0 || end as f64 > warm as f64 * RSS_GROWTH_ALLOWED {
        return Err(format!("resident memory grew from {warm} KiB to {end} KiB"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let o = Options::parse(&["--postgres".into(), "--duration".into(), "20".into()]).unwrap();
        assert!(o.load.postgres && o.load.duration_secs == 20);
        assert!(Options::parse(&["--duration".into(), "5".into()]).is_err(), "too short to say anything");
        assert!(Options::parse(&["--nope".into()]).is_err());
    }
}
