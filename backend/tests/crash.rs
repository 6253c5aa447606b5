//! Crash safety: writers for several users run against the real binary, the
//! server is killed with SIGKILL mid-load and restarted on the same database,
//! and every write that was acknowledged (2xx) must be there, intact.
//! Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::process::{http_with, sign_up, ProcessUser, ServerProcess};
use common::TestDb;
use serde_json::json;

const USERS: usize = 6;
/// Acknowledged writes after which the server is killed (the writers are
/// still going).
const KILL_AFTER: usize = 240;

/// What a writer was told succeeded: task id → (title, last acknowledged
/// version of its title).
type Acked = HashMap<i64, (String, u32)>;

/// Creates tasks and renames each one once, until the server stops answering.
fn write_until_gone(port: u16, writer: &ProcessUser, n: usize, acked_total: &AtomicUsize, stop: &AtomicBool) -> Acked {
    let auth = format!("Bearer {}", writer.jwt);
    let headers = [("Authorization", auth.as_str())];
    let path = format!("/api/{}/tasks", writer.id);
    let mut acked = Acked::new();
    for i in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let title = format!("user {n} task {i}");
        let Ok(created) = http_with(port, "POST", &path, &headers, &json!({"title": title}).to_string()) else { break };
        if created.status != 201 {
            break;
        }
        let id = created.json()["id"].as_i64().unwrap();
        acked.insert(id, (title.clone(), 0));
        acked_total.fetch_add(1, Ordering::Relaxed);
        let renamed = format!("{title} v1");
        let Ok(updated) =
            http_with(port, "PATCH", &format!("{path}/{id}"), &headers, &json!({"title": renamed}).to_string())
        else {
            break;
        };
        if updated.status != 200 {
            break;
        }
        acked.insert(id, (title, 1));
        acked_total.fetch_add(1, Ordering::Relaxed);
    }
    acked
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let mut server = ServerProcess::start(&db);
    let port = server.port;
    let writers: Vec<ProcessUser> = (0..USERS).map(|n| sign_up(port, &format!("writer{n}@example.com"))).collect();

    let acked_total = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let acked: Vec<Acked> = std::thread::scope(|scope| {
        let handles: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(n, w)| {
                let (acked_total, stop) = (&acked_total, &stop);
                scope.spawn(move || write_until_gone(port, w, n, acked_total, stop))
            })
            .collect();
        // Kill mid-load: the writers are still sending when it happens.
        // A server that acknowledges nothing must fail the test, not hang it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while acked_total.load(Ordering::Relaxed) < KILL_AFTER {
            if std::time::Instant::now() > deadline {
                stop.store(true, Ordering::Relaxed);
                panic!("only {} writes acknowledged in 120 s", acked_total.load(Ordering::Relaxed));
            }
            std::thread::sleep(std::time::Duration::from_millis(2)); // poll, leaving the CPU to the load
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let restarted = ServerProcess::start(&db);
    let (mut creates, mut updates, mut found) = (0, 0, 0);
    for (writer, acked) in writers.iter().zip(&acked) {
        let auth = format!("Bearer {}", writer.jwt);
        let list = http_with(
            restarted.port,
            "GET",
            &format!("/api/{}/tasks?limit=500", writer.id),
            &[("Authorization", &auth)],
            "",
        )
        .unwrap();
        assert_eq!(list.status, 200, "{}", list.body);
        let stored: HashMap<i64, String> = list
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["id"].as_i64().unwrap(), t["title"].as_str().unwrap().to_owned()))
            .collect();
        for (id, (title, version)) in acked {
            creates += 1;
            updates += usize::from(*version == 1);
            let stored_title = stored.get(id).unwrap_or_else(|| panic!("acknowledged task {id} ({title}) is gone"));
            // The rename may have been committed without its answer arriving
            // (killed in between): either form is intact, nothing else is.
            let renamed = format!("{title} v1");
            assert!(
                stored_title == &renamed || (*version == 0 && stored_title == title),
                "task {id}: acknowledged {title:?} v{version}, found {stored_title:?}"
            );
            found += 1;
        }
    }
    println!(
        "SIGKILL after {} acknowledged writes ({creates} creates, {updates} renames acknowledged); \
         after restart {found}/{creates} tasks present and intact (engine: {})",
        acked_total.load(Ordering::Relaxed),
        db.engine
    );
    assert!(creates >= KILL_AFTER / 2, "the load ran");
}
