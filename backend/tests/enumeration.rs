//! Account enumeration: an unknown email cannot be told from a wrong
//! password — not by status, not by body, not by (median) time. Alone in its
//! own test binary so no other test's hashing skews the clock.

mod common;

use std::time::Instant;

use common::{app, json_body};
use rocket::http::Status;
use serde_json::json;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[rocket::async_test]
async fn unknown_email_and_wrong_password_look_and_take_the_same() {
    // The IP limit off, the account throttle counting but never locking
    // (41 wrong passwords would lock the account): its statements run too.
    let app = app().set("auth_rate_limit_max", 0).set("auth_account_max_failures", 1000).spawn().await;
    let user = app.sign_up().await;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    let mut bodies = std::collections::HashSet::new();
    // In pairs, one right after the other, alternating which goes first:
    // whatever else the machine is doing falls on both alike.
    for n in 0..41 {
        let mut pair = [(format!("nobody-{n}@example.com"), 0.0), (user.email.clone(), 0.0)];
        let order: [usize; 2] = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let started = Instant::now();
            let res = app
                .post_json("/api/auth/sign-in/email", json!({"email": pair[i].0, "password": "not-the-password"}))
                .await;
            let status = res.status();
            let body = json_body(res).await;
            pair[i].1 = started.elapsed().as_secs_f64();
            assert_eq!(status, Status::Unauthorized);
            bodies.insert(body.to_string());
        }
        unknown.push(pair[0].1);
        wrong.push(pair[1].1);
    }
    assert_eq!(bodies.len(), 1, "one body for both: {bodies:?}");
    let paired = median(unknown.iter().zip(&wrong).map(|(u, w)| u / w).collect());
    let (u, w) = (median(unknown), median(wrong));
    println!(
        "sign-in failure, median: unknown email {:.1} ms, wrong password {:.1} ms (ratio {:.3}); median paired ratio {paired:.3}",
        u * 1e3,
        w * 1e3,
        u / w
    );
    assert!(
        (0.9..=1.1).contains(&paired),
        "timing tells them apart: median paired ratio {paired:.3} (unknown {u:.4} s, wrong {w:.4} s)"
    );
}
