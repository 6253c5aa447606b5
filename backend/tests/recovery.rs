//! Getting back into an account by mail (DESIGN §11), with a real SMTP
//! server process (aiosmtpd) receiving what the outbox worker sends: reset
//! and verification links, single use, only hashes stored, the same answer
//! for unknown emails, delivery after the SMTP server comes back, one mail
//! per request across two replica processes.

mod common;

use std::time::{Duration, Instant};

use common::process::{http_with, ServerProcess};
use common::smtp::{free_port, link_in, SmtpServer};
use common::{json_body, Reply, TestApp, TestDb, ORIGIN, PASSWORD};
use rocket::http::{ContentType, Header, Status};
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn mail_app(smtp: &SmtpServer) -> TestApp {
    common::app().with_spa().set("smtp_url", smtp.url()).spawn().await
}

async fn request_reset(app: &TestApp, body: serde_json::Value) -> Reply {
    Reply::from(
        app.client
            .post("/api/auth/request-password-reset")
            .header(ContentType::JSON)
            .header(Header::new("Origin", ORIGIN))
            .body(body.to_string())
            .dispatch()
            .await,
    )
    .await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> Reply {
    let body = json!({"token": token, "newPassword": password});
    Reply::from(
        app.client.post("/api/auth/reset-password").header(ContentType::JSON).body(body.to_string()).dispatch().await,
    )
    .await
}

/// Follows a mail link on the app: the path and query after the origin.
async fn follow(app: &TestApp, link: &str) -> Reply {
    let path = link.strip_prefix(ORIGIN).unwrap_or_else(|| panic!("{link} is not on {ORIGIN}"));
    Reply::from(app.client.get(path.to_owned()).dispatch().await).await
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let parsed = url::Url::parse(url).or_else(|_| url::Url::parse(ORIGIN).unwrap().join(url)).unwrap();
    parsed.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

async fn outbox_rows(app: &TestApp) -> Vec<(i32, Option<String>)> {
    let pool = app.db.pool().await;
    backend::on_db!(&pool, |pool| sqlx::query_as("SELECT attempts, last_error FROM mail_outbox ORDER BY id")
        .fetch_all(pool)
        .await)
    .unwrap()
}

async fn wait_until_outbox_is_empty(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !outbox_rows(app).await.is_empty() {
        assert!(Instant::now() < deadline, "outbox not drained: {:?}", outbox_rows(app).await);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[rocket::async_test]
async fn a_reset_mail_link_sets_a_new_password_once_and_signs_every_device_out() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    let phone = app.sign_in(&user.email, PASSWORD).await.unwrap();

    let asked = request_reset(&app, json!({"email": user.email.to_uppercase()})).await;
    assert_eq!(asked.status, Status::Ok, "{}", asked.text);
    assert_eq!(
        asked.json(),
        json!({"status": true, "message": "If this email exists in our system, check your email for the reset link"})
    );
    let mail = smtp.wait_for(&user.email, 2).await.into_iter().find(|m| m["subject"] == "Reset your password").unwrap();
    assert_eq!(mail["content_type"], "multipart/alternative");
    assert!(mail["html"].as_str().unwrap().contains("<a href="));
    let link = link_in(&mail);
    assert!(link.starts_with(&format!("{ORIGIN}/api/auth/reset-password/")), "{link}");
    assert_eq!(query_param(&link, "callbackURL").as_deref(), Some("http://localhost:8000/reset-password"));

    let landed = follow(&app, &link).await;
    assert_eq!(landed.status, Status::Found);
    let location = landed.header("Location").unwrap().to_owned();
    assert!(location.starts_with("http://localhost:8000/reset-password?token="), "{location}");
    let token = query_param(&location, "token").unwrap();
    assert!(token.len() >= 24);

    let pool = app.db.pool().await;
    let stored: Vec<(String,)> =
        backend::on_db!(&pool, |pool| sqlx::query_as("SELECT token_hash FROM verification").fetch_all(pool).await)
            .unwrap();
    assert!(!stored.is_empty() && stored.iter().all(|(h,)| h != &token), "only a hash is stored");

    let short = reset(&app, &token, "short").await;
    assert_eq!(short.json()["code"], "PASSWORD_TOO_SHORT");
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!((done.status, done.json()), (Status::Ok, json!({"status": true})), "a short try did not use the token");

    assert!(app.sign_in(&user.email, PASSWORD).await.is_none(), "the old password is refused");
    assert!(!app.signed_in(&user.cookie).await && !app.signed_in(&phone).await, "every session ended");
    assert!(app.sign_in(&user.email, NEW_PASSWORD).await.is_some());

    let again = reset(&app, &token, "another new passphrase").await;
    assert_eq!((again.status, again.json()["code"].as_str()), (Status::BadRequest, Some("INVALID_TOKEN")));
    let relanded = follow(&app, &link).await;
    assert!(relanded.header("Location").unwrap().ends_with("?error=INVALID_TOKEN"), "a used link says so");
}

#[rocket::async_test]
async fn unknown_emails_get_the_same_answer_and_no_mail() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    smtp.wait_for(&user.email, 1).await; // the sign-up's verification mail

    let unknown = request_reset(&app, json!({"email": "nobody-here@example.com"})).await;
    let known = request_reset(&app, json!({"email": user.email})).await;
    assert_eq!((unknown.status, &unknown.text), (known.status, &known.text));
    smtp.wait_for(&user.email, 2).await;
    wait_until_outbox_is_empty(&app).await;
    assert!(smtp.mails().iter().all(|m| m["to"][0] == user.email.as_str()), "nothing went to the unknown address");
    assert_eq!(smtp.mails().len(), 2);
}

#[rocket::async_test]
async fn a_reset_clears_the_account_throttle() {
    let smtp = SmtpServer::start();
    let app = common::app().with_spa().set("smtp_url", smtp.url()).set("auth_account_max_failures", 2).spawn().await;
    let user = app.sign_up().await;
    for _ in 0..2 {
        assert!(app.sign_in(&user.email, "wrong wrong wrong").await.is_none());
    }
    let locked = app.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": PASSWORD})).await;
    assert_eq!(locked.status(), Status::TooManyRequests);

    request_reset(&app, json!({"email": user.email})).await;
    let mails = smtp.wait_for(&user.email, 2).await;
    let mail = mails.iter().find(|m| m["subject"] == "Reset your password").unwrap();
    let token = query_param(follow(&app, &link_in(mail)).await.header("Location").unwrap(), "token").unwrap();
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status, Status::Ok);
    assert!(app.sign_in(&user.email, NEW_PASSWORD).await.is_some(), "the owner is in at once");
}

#[rocket::async_test]
async fn expired_and_orphaned_reset_tokens_are_invalid() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    request_reset(&app, json!({"email": user.email, "redirectTo": "/reset-password"})).await;
    let mails = smtp.wait_for(&user.email, 2).await;
    let link = link_in(mails.iter().find(|m| m["subject"] == "Reset your password").unwrap());
    let token = query_param(follow(&app, &link).await.header("Location").unwrap(), "token").unwrap();

    let pool = app.db.pool().await;
    backend::on_db!(&pool, |pool| sqlx::query("UPDATE verification SET expires_at = 1")
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    assert_eq!(follow(&app, &link).await.header("Location"), Some("/reset-password?error=INVALID_TOKEN"));
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.json()["code"], "INVALID_TOKEN");

    // A pending token of a deleted user is no way back in.
    let other = app.sign_up().await;
    request_reset(&app, json!({"email": other.email})).await;
    let mails = smtp.wait_for(&other.email, 2).await;
    let link = link_in(mails.iter().find(|m| m["subject"] == "Reset your password").unwrap());
    let token = query_param(follow(&app, &link).await.header("Location").unwrap(), "token").unwrap();
    let deleted = app.post_as("/api/auth/delete-user", &other.cookie, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(deleted.status, Status::Ok);
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.json()["code"], "INVALID_TOKEN");
}

#[rocket::async_test]
async fn redirect_targets_follow_the_callback_rule() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    for bad in ["//evil.example", "https://evil.example/reset", "/\t/evil.example"] {
        let res = request_reset(&app, json!({"email": user.email, "redirectTo": bad})).await;
        assert_eq!(
            (res.status, res.json()["code"].as_str()),
            (Status::Forbidden, Some("INVALID_REDIRECT_URL")),
            "{bad:?}"
        );
        let link =
            app.client.get(format!("/api/auth/reset-password/abc?callbackURL={}", urlencode(bad))).dispatch().await;
        assert_eq!(json_body(link).await["code"], "INVALID_CALLBACK_URL", "{bad:?}");
        let verify =
            app.client.get(format!("/api/auth/verify-email?token=abc&callbackURL={}", urlencode(bad))).dispatch().await;
        assert_eq!(verify.status(), Status::Forbidden, "{bad:?}");
    }
    let res = request_reset(&app, json!({"email": "not-an-email"})).await;
    assert_eq!((res.status, res.json()["code"].as_str()), (Status::BadRequest, Some("INVALID_EMAIL")));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[rocket::async_test]
async fn without_a_transport_reset_and_verification_are_off() {
    let app = common::app().with_spa().set("mail_transport", "none").spawn().await;
    let user = app.sign_up().await;
    let res = request_reset(&app, json!({"email": user.email})).await;
    assert_eq!((res.status, res.json()["code"].as_str()), (Status::BadRequest, Some("RESET_PASSWORD_DISABLED")));
    let res = app.post_as("/api/auth/send-verification-email", &user.cookie, Some(json!({"email": user.email}))).await;
    assert_eq!((res.status, res.json()["code"].as_str()), (Status::BadRequest, Some("VERIFICATION_EMAIL_NOT_ENABLED")));
}

#[rocket::async_test]
async fn a_reset_requested_while_the_smtp_server_is_down_arrives_once_it_is_back() {
    let port = free_port();
    let app = common::app().with_spa().set("smtp_url", format!("smtp://127.0.0.1:{port}")).spawn().await;
    let user = app.sign_up().await;
    request_reset(&app, json!({"email": user.email})).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = outbox_rows(&app).await;
        if rows.len() == 2 && rows.iter().all(|(attempts, error)| *attempts >= 1 && error.is_some()) {
            break; // both mails tried and failed: the server is down
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded: {rows:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let smtp = SmtpServer::start_on(port);
    let mails = smtp.wait_for(&user.email, 2).await;
    wait_until_outbox_is_empty(&app).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(smtp.mails().len(), 2, "{subjects:?}");
    assert!(subjects.contains(&"Reset your password") && subjects.contains(&"Verify your email address"));
}

#[rocket::async_test]
async fn email_verification_links_verify_once() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    let mail = smtp.wait_for(&user.email, 1).await.remove(0);
    assert_eq!(mail["subject"], "Verify your email address");
    let link = link_in(&mail);
    assert!(link.starts_with(&format!("{ORIGIN}/api/auth/verify-email?token=")), "{link}");

    let res = app
        .post_as("/api/auth/send-verification-email", &user.cookie, Some(json!({"email": "someone@else.example"})))
        .await;
    assert_eq!(res.json()["code"], "EMAIL_MISMATCH");

    let landed = follow(&app, &link).await;
    assert_eq!((landed.status, landed.header("Location")), (Status::Found, Some("/")));
    let session = json_body(app.get_with_cookie("/api/auth/get-session", &user.cookie).await).await;
    assert_eq!(session["user"]["emailVerified"], true);
    assert_eq!(follow(&app, &link).await.header("Location"), Some("/?error=INVALID_TOKEN"), "single use");

    let res = app.post_as("/api/auth/send-verification-email", &user.cookie, Some(json!({"email": user.email}))).await;
    assert_eq!((res.status, res.json()["code"].as_str()), (Status::BadRequest, Some("EMAIL_ALREADY_VERIFIED")));

    let bare = app.client.get("/api/auth/verify-email?token=nonsense").dispatch().await;
    assert_eq!(bare.status(), Status::Unauthorized);
    assert_eq!(json_body(bare).await["code"], "INVALID_TOKEN");
}

#[rocket::async_test]
async fn verification_can_be_resent_and_expires() {
    let smtp = SmtpServer::start();
    let app = mail_app(&smtp).await;
    let user = app.sign_up().await;
    let res = app
        .post_as(
            "/api/auth/send-verification-email",
            &user.cookie,
            Some(json!({"email": user.email, "callbackURL": "/tasks"})),
        )
        .await;
    assert_eq!((res.status, res.json()), (Status::Ok, json!({"status": true})));
    let mails = smtp.wait_for(&user.email, 2).await;
    let resent = link_in(&mails[1]);
    assert_eq!(query_param(&resent, "callbackURL").as_deref(), Some("/tasks"));

    let pool = app.db.pool().await;
    backend::on_db!(&pool, |pool| sqlx::query("UPDATE verification SET expires_at = 1")
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    assert_eq!(follow(&app, &resent).await.header("Location"), Some("/tasks?error=TOKEN_EXPIRED"));
    let path = link_in(&mails[0]);
    let token = query_param(&path, "token").unwrap();
    let bare = app.client.get(format!("/api/auth/verify-email?token={token}")).dispatch().await;
    assert_eq!(json_body(bare).await["code"], "TOKEN_EXPIRED");

    // Signed out, unknown emails get the same answer and nothing is sent.
    let unknown = app.post_json("/api/auth/send-verification-email", json!({"email": "nobody@example.com"})).await;
    assert_eq!(unknown.status(), Status::Ok);
    wait_until_outbox_is_empty(&app).await;
    assert_eq!(smtp.mails().len(), 2);
}

#[rocket::async_test]
async fn required_verification_holds_the_session_back_until_the_link_is_followed() {
    let smtp = SmtpServer::start();
    let app =
        common::app().with_spa().set("smtp_url", smtp.url()).set("require_email_verification", true).spawn().await;
    let email = "verify-first@example.com";
    let res =
        app.post_json("/api/auth/sign-up/email", json!({"name": "V", "email": email, "password": PASSWORD})).await;
    assert_eq!(res.status(), Status::Ok);
    assert!(common::set_session_cookie(&res).is_none(), "no session before verification");
    assert!(json_body(res).await["token"].is_null());

    let wrong = app.post_json("/api/auth/sign-in/email", json!({"email": email, "password": "wrong password"})).await;
    assert_eq!(wrong.status(), Status::Unauthorized, "a wrong password is 401, not 403");
    let right = app.post_json("/api/auth/sign-in/email", json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(right.status(), Status::Forbidden);
    assert_eq!(json_body(right).await["code"], "EMAIL_NOT_VERIFIED");
    let mails = smtp.wait_for(email, 2).await;
    assert!(follow(&app, &link_in(&mails[1])).await.status == Status::Found);
    assert!(app.sign_in(email, PASSWORD).await.is_some(), "verified: signed in");
}

#[rocket::async_test]
async fn reset_and_verification_requests_are_limited_per_route() {
    let smtp = SmtpServer::start();
    let app = common::app().with_spa().set("smtp_url", smtp.url()).set("auth_rate_limit_max", 3).spawn().await;
    for _ in 0..3 {
        assert_eq!(request_reset(&app, json!({"email": "x@example.com"})).await.status, Status::Ok);
    }
    let limited = request_reset(&app, json!({"email": "x@example.com"})).await;
    assert_eq!(limited.status, Status::TooManyRequests);
    let wait: u64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((10..=60).contains(&wait), "a 60 s window: {wait}");
    assert_eq!(limited.header("X-Retry-After"), limited.header("Retry-After"));
    let other = app.post_json("/api/auth/send-verification-email", json!({"email": "x@example.com"})).await;
    assert_eq!(other.status(), Status::Ok, "another route, another bucket");
}

#[test]
fn two_replica_processes_send_each_mail_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let smtp = SmtpServer::start();
    let env = [("SMTP_URL", smtp.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServerProcess::start_with(&db, &env));
        let b = s.spawn(|| ServerProcess::start_with(&db, &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    let emails: Vec<String> =
        (0..12).map(|i| format!("replica-{i}-{:08x}@example.com", rand::random::<u32>())).collect();
    for (i, email) in emails.iter().enumerate() {
        let port = if i % 2 == 0 { a.port } else { b.port };
        let body = json!({"name": "R", "email": email, "password": PASSWORD}).to_string();
        let reply =
            http_with(port, "POST", "/api/auth/sign-up/email", &[("Content-Type", "application/json")], &body).unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    // Each reset through the replica that did not sign the user up.
    std::thread::scope(|s| {
        for (i, email) in emails.iter().enumerate() {
            let port = if i % 2 == 0 { b.port } else { a.port };
            s.spawn(move || {
                let body = json!({"email": email}).to_string();
                let reply = http_with(
                    port,
                    "POST",
                    "/api/auth/request-password-reset",
                    &[("Content-Type", "application/json")],
                    &body,
                )
                .unwrap();
                assert_eq!(reply.status, 200, "{}", reply.body);
            });
        }
    });
    rt.block_on(async {
        for email in &emails {
            smtp.wait_for(email, 2).await;
        }
        let pool = db.pool().await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (left,): (i64,) =
                backend::on_db!(&pool, |pool| sqlx::query_as("SELECT COUNT(*) FROM mail_outbox").fetch_one(pool).await)
                    .unwrap();
            if left == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{left} mails still queued");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    });
    for email in &emails {
        let to_them = smtp.mails().into_iter().filter(|m| m["to"][0] == email.as_str()).count();
        assert_eq!(to_them, 2, "one verification and one reset mail to {email}");
    }
    drop((a, b));
}
