//! The password-hashing queue under a flood, against the real binary (its
//! requests come over TCP, so it can tell when a client has left): a check
//! that waited `PASSWORD_QUEUE_TIMEOUT` is a 503 with `Retry-After`, and the
//! checks of clients that hung up are dropped, not hashed.

mod common;

use std::io::Write;
use std::net::TcpStream;

use common::process::{http_with, send, sign_up, ServerProcess};
use common::{TempDir, TestDb, PASSWORD};
use serde_json::json;

const FLOOD: usize = 200;

fn sign_in_body(email: &str, password: &str) -> String {
    json!({"email": email, "password": password}).to_string()
}

#[test]
fn a_check_that_waited_past_the_timeout_is_a_503_with_retry_after() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    // One second in the queue at most; 200 checks take several seconds.
    let server = ServerProcess::start_with(&db, &[("PASSWORD_QUEUE_TIMEOUT", "1"), ("AUTH_ACCOUNT_MAX_FAILURES", "0")]);
    let replies: Vec<_> = std::thread::scope(|s| {
        let flood: Vec<_> = (0..FLOOD)
            .map(|i| {
                let body = sign_in_body(&format!("nobody-{i}@example.com"), "wrong-password");
                s.spawn(move || http_with(server.port, "POST", "/api/auth/sign-in/email", &[], &body).unwrap())
            })
            .collect();
        flood.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let timed_out: Vec<_> = replies.iter().filter(|r| r.status == 503).collect();
    println!("{FLOOD} sign-ins at once, 1 s queue timeout: {checked} checked, {} answered 503", timed_out.len());
    assert_eq!(
        checked + timed_out.len(),
        FLOOD,
        "only 401 or 503: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(!timed_out.is_empty() && checked > 0, "{checked} checked, {} timed out", timed_out.len());
    for reply in timed_out {
        assert_eq!(reply.json()["code"], "SERVICE_UNAVAILABLE");
        assert!(reply.header("retry-after").is_some(), "{reply:?}");
    }
}

#[test]
fn checks_of_clients_that_hung_up_are_dropped_and_the_owner_gets_in() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let logs = TempDir::new("queue-log");
    let log = logs.path().join("server.log");
    let env = [("AUTH_ACCOUNT_MAX_FAILURES", "0"), ("RUST_LOG", "error,backend::auth::password=trace")];
    let server = ServerProcess::start_logged(&db, &env, &log);
    sign_up(server.port, "owner@example.com");

    // A flood of sign-ins whose clients hang up at once (the account
    // throttle is off, so they all queue for a password check).
    let body = sign_in_body("owner@example.com", "a-wrong-guess");
    let mut flood: Vec<TcpStream> = Vec::new();
    for _ in 0..FLOOD {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        send(&mut stream, "POST", "/api/auth/sign-in/email", &body).unwrap();
        stream.flush().unwrap();
        flood.push(stream);
    }
    drop(flood);

    // The owner, right behind it, is answered: the abandoned checks go.
    let owner =
        http_with(server.port, "POST", "/api/auth/sign-in/email", &[], &sign_in_body("owner@example.com", PASSWORD))
            .unwrap();
    assert_eq!(owner.status, 200, "{}", owner.body);
    let text = std::fs::read_to_string(&log).unwrap();
    let dropped = text.matches("password check dropped: the client left").count();
    let ran = text.matches("password check runs").count();
    println!("{FLOOD} sign-ins whose clients hung up: {dropped} dropped unhashed, {ran} checks ran (with the owner's)");
    // Those that ran were taken while their clients were still there (the
    // first few, and the sign-up's and the owner's); without the check
    // every queued one would have run.
    assert!(dropped > 0 && ran < dropped, "{dropped} dropped, {ran} ran");
}
