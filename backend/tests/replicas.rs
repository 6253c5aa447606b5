//! Two server processes on one database (PostgreSQL with TEST_DATABASE_URL,
//! else one SQLite file): what one replica does, the other honours.

mod common;

use std::time::{Duration, Instant};

use common::process::{http_with, sign_up, token, ProcessUser, RawReply, ServerProcess};
use common::TestDb;
use serde_json::json;

/// Short, so the test sees a rotation; long enough that two replicas asking
/// for a key at the same moment fall within one interval.
const ROTATION_SECS: u64 = 2;

fn kid(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

fn jwks_kids(port: u16) -> Vec<String> {
    let reply = http_with(port, "GET", "/api/auth/jwks", &[], "").unwrap();
    reply.json()["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn with_bearer(port: u16, method: &str, path: &str, jwt: &str, body: &str) -> RawReply {
    http_with(port, method, path, &[("Authorization", &format!("Bearer {jwt}"))], body).unwrap()
}

#[test]
fn two_replicas_share_users_sessions_keys_and_tasks() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let env = [("JWKS_ROTATION_INTERVAL", ROTATION_SECS.to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start_with(&db, &env));
        let b = s.spawn(|| ServerProcess::start_with(&db, &env));
        (a.join().unwrap(), b.join().unwrap())
    });

    // Sign up on A; the session cookie works on B.
    let ProcessUser { id: user_id, cookie, .. } = sign_up(a.port, "rep@example.com");

    // Both need a signing key at the same moment on a fresh database: one key.
    let (jwt_a, jwt_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| token(a.port, &cookie));
        let tb = s.spawn(|| token(b.port, &cookie));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert_eq!(kid(&jwt_a), kid(&jwt_b), "one signing key, not one per replica");
    assert_eq!(jwks_kids(a.port), jwks_kids(b.port));

    // A token from A writes on B; A reads it back.
    let path = format!("/api/{user_id}/tasks");
    let created = with_bearer(b.port, "POST", &path, &jwt_a, &json!({"title": "made on B"}).to_string());
    assert_eq!(created.status, 201, "{}", created.body);
    let listed = with_bearer(a.port, "GET", &path, &jwt_b, "");
    assert_eq!(listed.json()[0]["title"], "made on B");

    // A keeps that page in memory now; every kind of change made through B
    // must still show on A's very next list (the per-user version moves in
    // the database, not in one process).
    let id = created.json()["id"].as_i64().unwrap();
    let task_path = format!("{path}/{id}");
    let changes: [(&str, String, &str); 4] = [
        ("PATCH", task_path.clone(), r#"{"title":"renamed on B"}"#),
        ("PATCH", format!("{task_path}/complete"), ""),
        ("POST", path.clone(), r#"{"title":"second on B"}"#),
        ("DELETE", task_path.clone(), ""),
    ];
    for (method, target, body) in &changes {
        let before = with_bearer(a.port, "GET", &path, &jwt_a, "");
        let changed = with_bearer(b.port, method, target, &jwt_a, body);
        assert!(changed.status < 300, "{method} {target}: {} {}", changed.status, changed.body);
        let after = with_bearer(a.port, "GET", &path, &jwt_a, "");
        let seen_on_b = with_bearer(b.port, "GET", &path, &jwt_a, "");
        assert_ne!(after.body, before.body, "A still serves the page from before {method} {target}");
        assert_eq!(after.body, seen_on_b.body, "A and B disagree after {method} {target}");
        assert_eq!(after.header("x-total-count"), seen_on_b.header("x-total-count"));
    }
    assert_eq!(with_bearer(a.port, "GET", &path, &jwt_a, "").json()[0]["title"], "second on B");

    // Keys rotate every ROTATION_SECS: once that has passed, A signs with a
    // new key; B verifies its tokens and publishes it too.
    let deadline = Instant::now() + Duration::from_secs(ROTATION_SECS * 5);
    let rotated = loop {
        let t = token(a.port, &cookie);
        if kid(&t) != kid(&jwt_a) {
            break t;
        }
        assert!(Instant::now() < deadline, "A never rotated its key");
        std::thread::sleep(Duration::from_millis(100)); // poll until the interval has passed
    };
    let on_b = with_bearer(b.port, "GET", &path, &rotated, "");
    assert_eq!(on_b.status, 200, "B verifies the new key's token: {}", on_b.body);
    let on_a = with_bearer(a.port, "GET", &path, &rotated, "");
    assert_eq!(on_a.status, 200, "A verifies it too: {}", on_a.body);
    for port in [a.port, b.port] {
        let kids = jwks_kids(port);
        assert!(
            kids.contains(&kid(&rotated)) && kids.contains(&kid(&jwt_a)),
            "new and retired key published: {kids:?}"
        );
    }

    // Sign-out on A ends the session on B.
    let out = http_with(
        a.port,
        "POST",
        "/api/auth/sign-out",
        &[("Cookie", &cookie), ("Origin", "http://localhost:8000")],
        "{}",
    )
    .unwrap();
    assert_eq!(out.status, 200, "{}", out.body);
    let session_on_b = http_with(b.port, "GET", "/api/auth/get-session", &[("Cookie", &cookie)], "").unwrap();
    assert_eq!(session_on_b.body.trim(), "null");
}

#[test]
fn the_account_throttle_counts_failures_made_through_either_replica() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start(&db));
        let b = s.spawn(|| ServerProcess::start(&db));
        (a.join().unwrap(), b.join().unwrap())
    });
    sign_up(a.port, "throttled@example.com");
    let sign_in = |port: u16, password: &str| {
        let body = json!({"email": "throttled@example.com", "password": password}).to_string();
        http_with(port, "POST", "/api/auth/sign-in/email", &[], &body).unwrap()
    };
    // Five failures, alternating replicas: each replica saw fewer than five.
    for (i, port) in [a.port, b.port, a.port, b.port, a.port].into_iter().enumerate() {
        assert_eq!(sign_in(port, &format!("guess-{i}")).status, 401);
    }
    for port in [b.port, a.port] {
        let locked = sign_in(port, common::PASSWORD);
        assert_eq!(locked.status, 429, "locked on both replicas: {}", locked.body);
        assert!(locked.header("retry-after").is_some());
    }
}
