//! Password guessing: a hundred wrong passwords get exactly the allowed tries,
//! and the owner gets in once the window has passed. (Enumeration by status,
//! body and time: `enumeration.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::{app, PASSWORD};
use rocket::http::Status;
use serde_json::json;

const LIMIT: u32 = 5;

#[rocket::async_test]
async fn a_hundred_wrong_passwords_get_exactly_the_allowed_tries() {
    // 5 per minute: the whole run is far shorter than one refill (12 s).
    let app = app().set("auth_rate_limit_max", LIMIT).set("auth_rate_limit_window", 60).spawn().await;
    let user = app.sign_up().await;
    let mut statuses = Vec::new();
    for n in 0..100 {
        let res = app
            .post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": format!("guess-{n:03}")}))
            .await;
        statuses.push(res.status().code);
    }
    let tried = statuses.iter().filter(|s| **s == 401).count();
    println!("100 wrong passwords: {tried} checked (401), {} refused unchecked (429)", 100 - tried);
    assert!(statuses[..LIMIT as usize].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[LIMIT as usize..].iter().all(|s| *s == 429), "no guess past the limit was checked: {statuses:?}");
}

#[rocket::async_test]
async fn the_owner_gets_in_once_the_window_has_passed() {
    let window = 1;
    let app = app().set("auth_rate_limit_max", 2).set("auth_rate_limit_window", window).spawn().await;
    let user = app.sign_up().await;
    for _ in 0..3 {
        app.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": "wrong-guess"})).await;
    }
    let limited = app.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": PASSWORD})).await;
    assert_eq!(limited.status(), Status::TooManyRequests, "limited, right password or not");
    let wait: u64 = limited.headers().get_one("Retry-After").unwrap().parse().unwrap();
    assert!((1..=window).contains(&wait));
    let deadline = Instant::now() + Duration::from_secs(window + 5);
    loop {
        let res = app.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": PASSWORD})).await;
        if res.status() == Status::Ok {
            break;
        }
        assert_eq!(res.status(), Status::TooManyRequests);
        assert!(Instant::now() < deadline, "still limited long after the window");
        rocket::tokio::time::sleep(Duration::from_millis(100)).await; // poll until the window has passed
    }
}
