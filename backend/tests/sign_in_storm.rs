//! The real server binary under a sign-in storm: 100 concurrent sign-ins all
//! succeed, and the process's peak memory stays within a stated bound because
//! argon2 (19 MiB per hash) runs on a fixed set of worker threads.

mod common;

use std::time::Instant;

use common::process::{http, sign_up, ServerProcess};
use common::{TestDb, PASSWORD};

/// The bound this test pins for the whole server process (peak RSS): a
/// baseline allowance plus one 19 MiB argon2 buffer per hashing thread (one
/// per core but one). Without the fixed buffers the same storm peaked at 253 MiB.
fn peak_rss_bound_mib() -> u64 {
    let workers = std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(2).saturating_sub(1).max(1);
    64 + 19 * workers
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .expect("VmHWM in /proc")
}

#[test]
fn a_hundred_concurrent_sign_ins_succeed_within_the_memory_bound() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let server = ServerProcess::start(&db);
    let (pid, port) = (server.pid(), server.port);
    sign_up(port, "storm@example.com");

    let baseline_mib = peak_rss_kib(pid) / 1024;
    let sign_in = format!(r#"{{"email":"storm@example.com","password":"{PASSWORD}"}}"#);
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| scope.spawn(|| http(port, "POST", "/api/auth/sign-in/email", &sign_in).map(|r| r.0).unwrap_or(0)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let elapsed = started.elapsed();
    let peak_mib = peak_rss_kib(pid) / 1024;

    println!(
        "100 concurrent sign-ins in {elapsed:?}; server peak RSS {peak_mib} MiB (before the storm: {baseline_mib} MiB; engine: {})",
        db.engine
    );
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let bound = peak_rss_bound_mib();
    assert!(peak_mib <= bound, "peak RSS {peak_mib} MiB > {bound} MiB");
}
