//! Account enumeration: an unknown email cannot be told from a wrong
//! password — not by status, not by body, not by (median) time. Alone in its
//! own test binary so no other test's hashing skews the clock.

mod common;

use std::time::{Duration, Instant};

use common::{app, json_body};
use rocket::http::Status;
use serde_json::json;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[rocket::async_test]
async fn unknown_email_and_wrong_password_look_and_take_the_same() {
    let app = app().set("auth_rate_limit_max", 0).spawn().await;
    let user = app.sign_up().await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    let mut bodies = std::collections::HashSet::new();
    // Interleaved, so machine noise falls on both alike.
    for n in 0..31 {
        for (email, times) in [(format!("nobody-{n}@example.com"), &mut unknown), (user.email.clone(), &mut wrong)] {
            let started = Instant::now();
            let res = app.post_json("/api/auth/sign-in/email", json!({"email": email, "password": "not-the-password"})).await;
            let status = res.status();
            let body = json_body(res).await;
            times.push(started.elapsed());
            assert_eq!(status, Status::Unauthorized);
            bodies.insert(body.to_string());
        }
    }
    assert_eq!(bodies.len(), 1, "one body for both: {bodies:?}");
    let (u, w) = (median(unknown), median(wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    println!("median sign-in failure: unknown email {u:?}, wrong password {w:?} (ratio {ratio:.3})");
    assert!((0.9..=1.1).contains(&ratio), "timing tells them apart: unknown {u:?} vs wrong {w:?}");
}
