//! The per-account sign-in throttle (DESIGN §10), on SQLite or PostgreSQL
//! (TEST_DATABASE_URL): it holds across client IPs, doubles its lock per
//! further failure up to 15 minutes, cannot be outrun by concurrent guesses
//! (while concurrent sign-ins with the right password all succeed),
//! treats unknown emails exactly like known ones, and lets the owner in once
//! the lock is over. (Across two replica processes: `replicas.rs`.)

mod common;

use std::net::SocketAddr;

use common::{app, json_body, TestApp, PASSWORD};
use rocket::http::ContentType;
use serde_json::{json, Value};

/// A sign-in from the client address `ip`: (status, Retry-After, body).
async fn sign_in_from(app: &TestApp, ip: &str, email: &str, password: &str) -> (u16, Option<i64>, Value) {
    let res = app
        .client
        .post("/api/auth/sign-in/email")
        .remote(SocketAddr::new(ip.parse().unwrap(), 40_000))
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await;
    let status = res.status().code;
    let wait = res.headers().get_one("Retry-After").map(|w| w.parse().unwrap());
    (status, wait, json_body(res).await)
}

/// Ends the current lock of every throttled account, as if time had passed.
async fn let_the_lock_pass(app: &TestApp) {
    let pool = app.db.pool().await;
    backend::on_db!(&pool, |p| sqlx::query("UPDATE sign_in_throttle SET locked_until = 0")
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
}

async fn throttle_rows(app: &TestApp) -> i64 {
    let pool = app.db.pool().await;
    let (n,): (i64,) =
        backend::on_db!(&pool, |p| sqlx::query_as("SELECT COUNT(*) FROM sign_in_throttle").fetch_one(p).await).unwrap();
    n
}

#[rocket::async_test]
async fn five_failures_from_five_addresses_lock_the_account_for_every_address() {
    // The per-client limiter is off: only the account throttle is at work.
    let app = app().spawn().await;
    let owner = app.sign_up().await;
    let mut seen = Vec::new();
    for (i, ip) in ["198.51.100.1", "198.51.100.2", "2001:db8:1::1", "2001:db8:2::1", "203.0.113.9"].iter().enumerate()
    {
        let (status, _, _) = sign_in_from(&app, ip, &owner.email, &format!("guess-{i}")).await;
        seen.push(status);
    }
    assert_eq!(seen, [401; 5], "five guesses are checked");

    // A sixth address, even with the right password: locked, and told for how long.
    let (status, wait, body) = sign_in_from(&app, "192.0.2.77", &owner.email, PASSWORD).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], "TOO_MANY_REQUESTS");
    let wait = wait.expect("Retry-After");
    assert!((29..=30).contains(&wait), "AUTH_ACCOUNT_BACKOFF is 30 s: {wait}");

    // Other accounts are untouched.
    let other = app.sign_up().await;
    assert_eq!(sign_in_from(&app, "192.0.2.77", &other.email, PASSWORD).await.0, 200);

    // Once the backoff is over the owner gets in, and the count starts over.
    let_the_lock_pass(&app).await;
    assert_eq!(sign_in_from(&app, "192.0.2.77", &owner.email, PASSWORD).await.0, 200);
    for i in 0..4 {
        assert_eq!(sign_in_from(&app, "192.0.2.78", &owner.email, &format!("again-{i}")).await.0, 401);
    }
    assert_eq!(sign_in_from(&app, "192.0.2.78", &owner.email, PASSWORD).await.0, 200, "4 failures lock nothing");
}

#[rocket::async_test]
async fn each_further_failure_doubles_the_lock_up_to_fifteen_minutes() {
    let app = app().spawn().await;
    let owner = app.sign_up().await;
    for i in 0..5 {
        sign_in_from(&app, "198.51.100.1", &owner.email, &format!("guess-{i}")).await;
    }
    let mut waits = Vec::new();
    for i in 0..7 {
        let (status, wait, _) = sign_in_from(&app, "198.51.100.1", &owner.email, "still wrong").await;
        assert_eq!(status, 429, "locked after failure {}", 5 + i);
        waits.push(wait.unwrap());
        let_the_lock_pass(&app).await;
        let (status, _, _) = sign_in_from(&app, "198.51.100.1", &owner.email, &format!("later-{i}")).await;
        assert_eq!(status, 401, "one guess once the lock is over");
    }
    let (_, last, _) = sign_in_from(&app, "198.51.100.1", &owner.email, "x").await;
    waits.push(last.unwrap());
    assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900, 900]);
}

#[rocket::async_test]
async fn unknown_emails_are_throttled_exactly_like_known_ones() {
    let app = app().spawn().await;
    let owner = app.sign_up().await;
    let mut answers = Vec::new();
    for email in [owner.email.as_str(), "nobody-here@example.com"] {
        let mut seen = Vec::new();
        for i in 0..7 {
            let (status, wait, body) = sign_in_from(&app, "198.51.100.1", email, &format!("guess-{i}")).await;
            seen.push((status, wait, body));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1], "statuses, Retry-After and bodies are the same");
    assert_eq!(answers[0].iter().map(|a| a.0).collect::<Vec<_>>(), [401, 401, 401, 401, 401, 429, 429]);
    // Stored under a hash: no readable list of the emails that were tried.
    let pool = app.db.pool().await;
    let (keys,): (String,) =
        backend::on_db!(&pool, |p| sqlx::query_as("SELECT MIN(email_hash) || MAX(email_hash) FROM sign_in_throttle")
            .fetch_one(p)
            .await)
        .unwrap();
    assert!(!keys.contains("nobody") && !keys.contains('@'), "{keys}");
}

#[rocket::async_test]
async fn concurrent_guesses_get_exactly_the_allowed_checks() {
    use rocket::futures::future::join_all;
    let app = app().spawn().await;
    let owner = app.sign_up().await;
    let guesses = (0..24).map(|i| {
        let (app, email) = (&app, owner.email.clone());
        async move { sign_in_from(app, &format!("198.51.100.{}", i + 1), &email, &format!("guess-{i}")).await.0 }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 19), "{statuses:?}");
    assert_eq!(throttle_rows(&app).await, 1);
}

#[rocket::async_test]
async fn concurrent_sign_ins_with_the_right_password_all_get_in() {
    use rocket::futures::future::join_all;
    let app = app().spawn().await;
    let owner = app.sign_up().await;
    let tries = (0..12).map(|i| {
        let (app, email) = (&app, owner.email.clone());
        async move { sign_in_from(app, &format!("198.51.100.{}", i + 1), &email, PASSWORD).await.0 }
    });
    assert_eq!(join_all(tries).await, [200; 12], "successes are not failures");
}
