//! `backend keys list | rotate | revoke <kid>` against two running replicas
//! (PostgreSQL with TEST_DATABASE_URL, else one SQLite file): a rotation
//! signs with the new key everywhere while the old one still verifies; a
//! revocation takes the key out of `/jwks` and out of the guard on every
//! replica within the reload interval (1 s here, 60 s by default).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::process::{http_with, sign_up, token, RawReply, ServerProcess};
use common::{TestDb, TEST_SECRET};

/// `backend keys …` with the servers' configuration: (exit code, stdout, stderr).
fn keys(db: &TestDb, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backend"))
        .arg("keys")
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("BETTER_AUTH_SECRET", TEST_SECRET)
        .env("JWKS_RELOAD_INTERVAL", "1")
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

fn kid(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

fn published(port: u16) -> Vec<String> {
    let reply = http_with(port, "GET", "/api/auth/jwks", &[], "").unwrap();
    reply.json()["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn list_tasks(port: u16, user_id: &str, jwt: &str) -> RawReply {
    let path = format!("/api/{user_id}/tasks");
    http_with(port, "GET", &path, &[("Authorization", &format!("Bearer {jwt}"))], "").unwrap()
}

/// Polls `done` (every 100 ms) for up to 15 s: replicas reload keys each second.
fn within_seconds(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not seen within 15 s");
        std::thread::sleep(Duration::from_millis(100)); // until the next reload
    }
}

#[test]
fn rotate_and_revoke_reach_every_replica() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let env = [("JWKS_RELOAD_INTERVAL", "1")];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start_with(&db, &env));
        let b = s.spawn(|| ServerProcess::start_with(&db, &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    let user = sign_up(a.port, "keys@example.com");
    let first = kid(&user.jwt);

    let (code, out, _) = keys(&db, &["list"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.starts_with(&first) && l.contains("signing")), "{out}");

    // Rotate: both replicas sign with the new key; the old one still verifies.
    let (code, out, err) = keys(&db, &["rotate"]);
    assert_eq!(code, 0, "{err}");
    let second = out.split_whitespace().nth(3).unwrap().trim_end_matches(';').to_owned();
    assert_ne!(second, first);
    for port in [a.port, b.port] {
        within_seconds("the new key signs", || kid(&token(port, &user.cookie)) == second);
    }
    assert_eq!(list_tasks(b.port, &user.id, &user.jwt).status, 200, "the retired key still verifies");
    let (_, out, _) = keys(&db, &["list"]);
    assert!(out.lines().any(|l| l.starts_with(&first) && l.contains("retired")), "{out}");

    // Revoke the old key: gone from /jwks and refused, on both replicas.
    let (code, out, err) = keys(&db, &["revoke", &first]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked"), "{out}");
    for port in [a.port, b.port] {
        within_seconds("the revoked key is refused", || list_tasks(port, &user.id, &user.jwt).status == 401);
        assert!(!published(port).contains(&first), "still published on {port}");
        assert!(published(port).contains(&second));
    }
    let fresh = token(b.port, &user.cookie);
    assert_eq!(list_tasks(a.port, &user.id, &fresh).status, 200, "the current key still works");

    // Mistakes are one clear line and a non-zero exit.
    let (code, _, err) = keys(&db, &["revoke", &first]);
    assert_ne!(code, 0);
    assert!(err.starts_with("error: no key"), "{err}");
    let (code, _, err) = keys(&db, &["shred"]);
    assert_ne!(code, 0);
    assert!(err.contains("usage: backend keys list | rotate | revoke <kid>"), "{err}");
}

#[test]
fn a_key_retired_early_leaves_the_jwks_one_grace_period_later() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    // Keys rotate every 30 days by default; the grace period here is 2 s.
    let server = ServerProcess::start_with(&db, &[("JWKS_RELOAD_INTERVAL", "1"), ("JWKS_GRACE_PERIOD", "2")]);
    let user = sign_up(server.port, "early@example.com");
    let first = kid(&user.jwt);
    assert_eq!(keys(&db, &["rotate"]).0, 0);
    within_seconds("the new key signs", || kid(&token(server.port, &user.cookie)) != first);
    // Not 30 days + grace: 2 s after it retired, it is gone.
    within_seconds("the retired key is unpublished", || !published(server.port).contains(&first));
    assert_eq!(list_tasks(server.port, &user.id, &user.jwt).status, 401);
}
