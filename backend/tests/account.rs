//! Managing a signed-in account (DESIGN §11): change password, profile,
//! sessions, delete account — Better Auth's shapes and codes, on the
//! configured engine (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).

mod common;

use common::{spawn_app, Reply, TestApp, PASSWORD};
use rocket::http::{Header, Method, Status};
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn change_password(app: &TestApp, cookie: &str, body: serde_json::Value) -> Reply {
    app.post_as("/api/auth/change-password", cookie, Some(body)).await
}

#[rocket::async_test]
async fn change_password_checks_the_current_one_and_keeps_other_devices_unless_asked() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let phone = app.sign_in(&user.email, PASSWORD).await.expect("second device");

    let wrong =
        change_password(&app, &user.cookie, json!({"currentPassword": "not it at all", "newPassword": NEW_PASSWORD}))
            .await;
    assert_eq!((wrong.status, wrong.json()["code"].as_str()), (Status::BadRequest, Some("INVALID_PASSWORD")));
    let short = change_password(&app, &user.cookie, json!({"currentPassword": PASSWORD, "newPassword": "short"})).await;
    assert_eq!((short.status, short.json()["code"].as_str()), (Status::BadRequest, Some("PASSWORD_TOO_SHORT")));
    let long = json!({"currentPassword": PASSWORD, "newPassword": "x".repeat(129)});
    assert_eq!(change_password(&app, &user.cookie, long).await.json()["code"], "PASSWORD_TOO_LONG");
    assert!(app.sign_in(&user.email, PASSWORD).await.is_some(), "refused changes changed nothing");

    let done =
        change_password(&app, &user.cookie, json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})).await;
    assert_eq!(done.status, Status::Ok, "{}", done.text);
    let body = done.json();
    assert!(body["token"].is_null(), "no new session without revokeOtherSessions");
    assert_eq!(body["user"]["id"], user.user_id.as_str());
    assert_eq!(body["user"]["email"], user.email.as_str());
    assert_eq!(done.session_cookie(), None, "the cookie is left alone");

    assert!(app.sign_in(&user.email, PASSWORD).await.is_none(), "the old password is refused");
    assert!(app.sign_in(&user.email, NEW_PASSWORD).await.is_some(), "the new one works");
    assert!(app.signed_in(&user.cookie).await && app.signed_in(&phone).await, "other devices stay signed in");
}

#[rocket::async_test]
async fn change_password_with_revoke_other_sessions_replaces_every_session() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let phone = app.sign_in(&user.email, PASSWORD).await.expect("second device");

    let body = json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD, "revokeOtherSessions": true});
    let done = change_password(&app, &user.cookie, body).await;
    assert_eq!(done.status, Status::Ok, "{}", done.text);
    let token = done.json()["token"].as_str().expect("the new session's token").to_owned();
    let cookie = done.session_cookie().filter(|c| !c.is_empty()).expect("a new session cookie");
    assert!(cookie.starts_with(&format!("{token}.")), "the cookie carries the returned token");

    assert!(!app.signed_in(&phone).await, "the other device is signed out");
    assert!(!app.signed_in(&user.cookie).await, "this device's old session is gone too");
    assert!(app.signed_in(&cookie).await, "the new cookie is a session");
}

#[rocket::async_test]
async fn wrong_current_passwords_count_against_the_account_throttle() {
    let app = common::app().with_spa().set("auth_account_max_failures", 3).spawn().await;
    let user = app.sign_up().await;
    for _ in 0..3 {
        let wrong =
            change_password(&app, &user.cookie, json!({"currentPassword": "guess guess", "newPassword": NEW_PASSWORD}))
                .await;
        assert_eq!(wrong.status, Status::BadRequest);
    }
    let locked =
        change_password(&app, &user.cookie, json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})).await;
    assert_eq!(locked.status, Status::TooManyRequests, "{}", locked.text);
    assert!(locked.header("Retry-After").is_some());
    assert!(app.sign_in(&user.email, PASSWORD).await.is_none(), "sign-in is locked as well");
}

#[rocket::async_test]
async fn update_user_renames_and_refuses_email_changes_and_empty_bodies() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let done = app.post_as("/api/auth/update-user", &user.cookie, Some(json!({"name": "  Ada Lovelace "}))).await;
    assert_eq!((done.status, done.json()), (Status::Ok, json!({"status": true})));
    let session = common::json_body(app.get_with_cookie("/api/auth/get-session", &user.cookie).await).await;
    assert_eq!(session["user"]["name"], "Ada Lovelace");
    let claims = common::verify(&app.jwt(&user).await, &app.jwks().await).unwrap();
    assert_eq!(claims["name"], "Ada Lovelace", "new tokens carry the new name");

    let image =
        app.post_as("/api/auth/update-user", &user.cookie, Some(json!({"image": "https://img.example/a.png"}))).await;
    assert_eq!(image.status, Status::Ok);
    let session = common::json_body(app.get_with_cookie("/api/auth/get-session", &user.cookie).await).await;
    assert_eq!(session["user"]["image"], "https://img.example/a.png");
    assert_eq!(session["user"]["name"], "Ada Lovelace", "a field not sent is kept");

    let email = app.post_as("/api/auth/update-user", &user.cookie, Some(json!({"email": "x@example.com"}))).await;
    assert_eq!((email.status, email.json()["code"].as_str()), (Status::BadRequest, Some("EMAIL_CAN_NOT_BE_UPDATED")));
    for bad in [json!({}), json!({"name": ""}), json!({"name": 42}), json!({"image": ["x"]})] {
        let res = app.post_as("/api/auth/update-user", &user.cookie, Some(bad.clone())).await;
        assert_eq!((res.status, res.json()["code"].as_str()), (Status::BadRequest, Some("VALIDATION_ERROR")), "{bad}");
    }
    let session = common::json_body(app.get_with_cookie("/api/auth/get-session", &user.cookie).await).await;
    assert_eq!(session["user"]["email"], user.email.as_str());
}

#[rocket::async_test]
async fn list_sessions_shows_handles_newest_first_never_tokens() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let res = app
        .client
        .post("/api/auth/sign-in/email")
        .header(rocket::http::ContentType::JSON)
        .header(Header::new("User-Agent", "Phone/1.0"))
        .body(json!({"email": user.email, "password": PASSWORD}).to_string())
        .dispatch()
        .await;
    let phone_cookie = common::set_session_cookie(&res).unwrap();
    let phone_token = common::json_body(res).await["token"].as_str().unwrap().to_owned();

    let listed = app.get_with_cookie("/api/auth/list-sessions", &user.cookie).await;
    assert_eq!(listed.status(), Status::Ok);
    let listed = common::json_body(listed).await;
    let sessions = listed.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["userAgent"], "Phone/1.0", "newest first");
    for s in sessions {
        assert_eq!(s["userId"], user.user_id.as_str());
        for field in ["id", "token", "expiresAt", "createdAt", "updatedAt", "ipAddress"] {
            assert!(s[field].is_string(), "{field} in {s}");
        }
        let handle = s["token"].as_str().unwrap();
        assert_ne!(handle, phone_token, "a handle, not the session token");
        assert!(!user.cookie.starts_with(handle) && !phone_cookie.starts_with(handle));
    }
    let other = app.sign_up().await;
    let theirs = common::json_body(app.get_with_cookie("/api/auth/list-sessions", &other.cookie).await).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "only one's own sessions");
}

async fn handles(app: &TestApp, cookie: &str) -> Vec<String> {
    let listed = common::json_body(app.get_with_cookie("/api/auth/list-sessions", cookie).await).await;
    listed.as_array().unwrap().iter().map(|s| s["token"].as_str().unwrap().to_owned()).collect()
}

#[rocket::async_test]
async fn revoke_session_signs_one_device_out_and_ignores_other_users_handles() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let phone = app.sign_in(&user.email, PASSWORD).await.unwrap();
    let phone_handle = handles(&app, &phone).await[0].clone();

    let other = app.sign_up().await;
    let foreign = app.post_as("/api/auth/revoke-session", &other.cookie, Some(json!({"token": phone_handle}))).await;
    assert_eq!((foreign.status, foreign.json()), (Status::Ok, json!({"status": true})));
    assert!(app.signed_in(&phone).await, "another user's handle revokes nothing");

    let done = app.post_as("/api/auth/revoke-session", &user.cookie, Some(json!({"token": phone_handle}))).await;
    assert_eq!(done.status, Status::Ok);
    assert_eq!(done.session_cookie(), None, "revoking another device leaves this cookie");
    assert!(!app.signed_in(&phone).await, "the phone is signed out");
    assert!(app.signed_in(&user.cookie).await);

    let own = handles(&app, &user.cookie).await[0].clone();
    let done = app.post_as("/api/auth/revoke-session", &user.cookie, Some(json!({"token": own}))).await;
    assert_eq!(done.session_cookie().as_deref(), Some(""), "revoking this session expires its cookie");
    assert!(!app.signed_in(&user.cookie).await);
}

#[rocket::async_test]
async fn revoke_other_sessions_keeps_this_one_and_revoke_sessions_ends_all() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let phone = app.sign_in(&user.email, PASSWORD).await.unwrap();
    let tablet = app.sign_in(&user.email, PASSWORD).await.unwrap();

    let done = app.post_as("/api/auth/revoke-other-sessions", &user.cookie, None).await;
    assert_eq!((done.status, done.json()), (Status::Ok, json!({"status": true})));
    assert!(app.signed_in(&user.cookie).await);
    assert!(!app.signed_in(&phone).await && !app.signed_in(&tablet).await);

    let phone = app.sign_in(&user.email, PASSWORD).await.unwrap();
    let done = app.post_as("/api/auth/revoke-sessions", &phone, None).await;
    assert_eq!((done.status, done.session_cookie().as_deref()), (Status::Ok, Some("")));
    assert!(!app.signed_in(&user.cookie).await && !app.signed_in(&phone).await, "every session is gone");
}

async fn task_rows(app: &TestApp, user_id: &str) -> i64 {
    let pool = app.db.pool().await;
    let (n,): (i64,) = backend::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM tasks WHERE user_id = $1) + (SELECT COUNT(*) FROM task_counts WHERE user_id = $1) \
         + (SELECT COUNT(*) FROM session WHERE user_id = $1) + (SELECT COUNT(*) FROM account WHERE user_id = $1)"
    )
    .bind(user_id)
    .fetch_one(pool)
    .await)
    .unwrap();
    n
}

#[rocket::async_test]
async fn delete_user_needs_the_password_and_removes_the_user_with_their_tasks() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let token = app.jwt(&user).await;
    for title in ["one", "two", "three"] {
        app.create_task(&user.user_id, &token, title).await;
    }
    let bystander = app.sign_up().await;
    let bystander_token = app.jwt(&bystander).await;
    app.create_task(&bystander.user_id, &bystander_token, "mine").await;

    let wrong = app.post_as("/api/auth/delete-user", &user.cookie, Some(json!({"password": "not the password"}))).await;
    assert_eq!((wrong.status, wrong.json()["code"].as_str()), (Status::BadRequest, Some("INVALID_PASSWORD")));
    let missing = app.post_as("/api/auth/delete-user", &user.cookie, Some(json!({}))).await;
    assert_eq!(missing.status, Status::BadRequest);
    assert!(app.signed_in(&user.cookie).await, "nothing deleted");

    let done = app.post_as("/api/auth/delete-user", &user.cookie, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(done.status, Status::Ok, "{}", done.text);
    assert_eq!(done.json(), json!({"success": true, "message": "User deleted"}));
    assert_eq!(done.session_cookie().as_deref(), Some(""), "the cookie is expired");

    assert_eq!(task_rows(&app, &user.user_id).await, 0, "tasks, counts, sessions and accounts are gone");
    assert!(!app.signed_in(&user.cookie).await);
    assert!(app.sign_in(&user.email, PASSWORD).await.is_none(), "sign-in is refused");
    let list = app.call(Method::Get, &format!("/api/{}/tasks", bystander.user_id), Some(&bystander_token), None).await;
    assert_eq!(list.json().as_array().unwrap().len(), 1, "other users keep their tasks");

    let again = app
        .post_json("/api/auth/sign-up/email", json!({"name": "Back", "email": user.email, "password": PASSWORD}))
        .await;
    assert_eq!(again.status(), Status::Ok, "the email can sign up again");
}

#[rocket::async_test]
async fn account_routes_need_a_session_and_a_trusted_origin() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let posts = [
        ("/api/auth/change-password", Some(json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}))),
        ("/api/auth/update-user", Some(json!({"name": "x"}))),
        ("/api/auth/revoke-session", Some(json!({"token": "x"}))),
        ("/api/auth/revoke-other-sessions", None),
        ("/api/auth/revoke-sessions", None),
        ("/api/auth/delete-user", Some(json!({"password": PASSWORD}))),
    ];
    for (path, body) in &posts {
        let res = app.call(Method::Post, path, None, body.clone()).await;
        assert_eq!((res.status, res.json()["code"].as_str()), (Status::Unauthorized, Some("UNAUTHORIZED")), "{path}");
        let mut req = app
            .client
            .post(path.to_string())
            .cookie(rocket::http::Cookie::new(common::COOKIE, user.cookie.clone()))
            .header(Header::new("Origin", "https://evil.example"));
        if let Some(b) = body {
            req = req.header(rocket::http::ContentType::JSON).body(b.to_string());
        }
        let res = Reply::from(req.dispatch().await).await;
        assert_eq!((res.status, res.json()["code"].as_str()), (Status::Forbidden, Some("INVALID_ORIGIN")), "{path}");
    }
    let res = app.call(Method::Get, "/api/auth/list-sessions", None, None).await;
    assert_eq!(res.status, Status::Unauthorized);
    assert!(app.signed_in(&user.cookie).await, "nothing was changed by any of it");
    assert!(app.sign_in(&user.email, PASSWORD).await.is_some());
}
