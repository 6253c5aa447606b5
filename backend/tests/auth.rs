//! The auth server through Rocket's local client, on SQLite or PostgreSQL
//! (TEST_DATABASE_URL): Better Auth's endpoints, cookies, sessions, JWTs,
//! keys, CSRF and rate limiting.

mod common;

use common::{app, json_body, set_session_cookie, spawn_app, verify, COOKIE, ORIGIN, PASSWORD, TEST_SECRET};
use rocket::http::{ContentType, Cookie, Header, SameSite, Status};
use serde_json::json;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    backend::now_millis()
}

#[rocket::async_test]
async fn sign_up_signs_in_and_sets_a_hardened_cookie() {
    let app = spawn_app().await;

    let res = app
        .post_json(
            "/api/auth/sign-up/email",
            json!({"name": " Ada ", "email": "  Ada@Example.COM ", "password": PASSWORD}),
        )
        .await;

    assert_eq!(res.status(), Status::Ok);
    let cookie = res.cookies().get(COOKIE).expect("session cookie").clone();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.max_age().map(|d| d.whole_seconds()), Some(604_800));
    assert_ne!(cookie.secure(), Some(true), "plain http base URL: no Secure flag");
    let body = json_body(res).await;
    assert_eq!(body["user"]["email"], "ada@example.com", "trimmed and lower-cased");
    assert_eq!(body["user"]["name"], "Ada");
    assert_eq!(body["user"]["emailVerified"], false);
    assert!(body["user"]["image"].is_null());
    assert!(body["user"]["createdAt"].as_str().unwrap().ends_with('Z'));
    let token = body["token"].as_str().unwrap();
    assert!(cookie.value().starts_with(&format!("{token}.")), "cookie = token.signature");
}

#[rocket::async_test]
async fn https_base_url_gives_a_secure_prefixed_cookie() {
    let app = app().set("better_auth_url", "https://todo.example.com").spawn().await;

    let res = app
        .post_json("/api/auth/sign-up/email", json!({"name": "A", "email": "a@example.com", "password": PASSWORD}))
        .await;

    let cookie = res.cookies().get("__Secure-better-auth.session_token").expect("prefixed cookie");
    assert_eq!(cookie.secure(), Some(true));
    let value = cookie.value().to_owned();

    // Signing out must remove that same cookie: a removal without `Secure`
    // is refused by browsers for a `__Secure-` name, so the cookie would stay.
    let res = app
        .client
        .post("/api/auth/sign-out")
        .cookie(Cookie::new("__Secure-better-auth.session_token", value))
        .header(Header::new("Origin", "https://todo.example.com"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let removal = res
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("__Secure-better-auth.session_token="))
        .expect("a removal Set-Cookie")
        .to_owned();
    for flag in ["Secure", "SameSite=Lax", "Path=/", "HttpOnly", "Max-Age=0"] {
        assert!(removal.split(';').any(|part| part.trim() == flag), "{flag} missing: {removal}");
    }
}

#[rocket::async_test]
async fn duplicate_email_is_422_whatever_its_case() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app
        .post_json(
            "/api/auth/sign-up/email",
            json!({"name": "B", "email": user.email.to_uppercase(), "password": PASSWORD}),
        )
        .await;

    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(json_body(res).await["code"], "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
}

#[rocket::async_test]
async fn sign_up_rejects_bad_input_with_better_auth_codes() {
    let app = spawn_app().await;
    let cases = [
        (json!({"name": "A", "email": "a@example.com", "password": "short"}), Status::BadRequest, "PASSWORD_TOO_SHORT"),
        (
            json!({"name": "A", "email": "a@example.com", "password": "x".repeat(129)}),
            Status::BadRequest,
            "PASSWORD_TOO_LONG",
        ),
        (json!({"name": "A", "email": "not-an-email", "password": PASSWORD}), Status::BadRequest, "INVALID_EMAIL"),
        (json!({"name": "A", "password": PASSWORD}), Status::BadRequest, "VALIDATION_ERROR"),
        (json!({"name": "  ", "email": "a@example.com", "password": PASSWORD}), Status::BadRequest, "VALIDATION_ERROR"),
        (
            json!({"name": "A", "email": "a@example.com", "password": PASSWORD, "callbackURL": "https://evil.example/"}),
            Status::Forbidden,
            "INVALID_CALLBACKURL",
        ),
    ];
    for (body, status, code) in cases {
        let res = app.post_json("/api/auth/sign-up/email", body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(json_body(res).await["code"], code, "{body}");
    }
}

#[rocket::async_test]
async fn callback_urls_browsers_would_turn_into_another_host_are_refused() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    // Browsers drop tabs and newlines from URLs: "/\t/evil.com" is "//evil.com".
    for callback in
        ["/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "//evil.com", "/\\evil.com", "/ /x", "https://evil.com/"]
    {
        let res = app
            .post_json(
                "/api/auth/sign-in/email",
                json!({"email": user.email, "password": PASSWORD, "callbackURL": callback}),
            )
            .await;
        assert_eq!(res.status(), Status::Forbidden, "{callback:?}");
        assert!(res.headers().get_one("Set-Cookie").is_none(), "nothing else happens: {callback:?}");
        assert_eq!(json_body(res).await["code"], "INVALID_CALLBACKURL", "{callback:?}");
    }
    let res = app
        .post_json(
            "/api/auth/sign-in/email",
            json!({"email": user.email, "password": PASSWORD, "callbackURL": "/tasks"}),
        )
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(json_body(res).await["url"], "/tasks");
}

#[rocket::async_test]
async fn malformed_bodies_and_wrong_content_types_are_client_errors() {
    let app = spawn_app().await;

    let res = app.client.post("/api/auth/sign-in/email").header(ContentType::JSON).body("{\"email\":").dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
    assert_eq!(json_body(res).await["code"], "BAD_REQUEST");

    let res = app.client.post("/api/auth/sign-in/email").header(ContentType::Plain).body("hello").dispatch().await;
    assert_eq!(res.status(), Status::UnsupportedMediaType);
    assert_eq!(json_body(res).await["code"], "UNSUPPORTED_MEDIA_TYPE");

    let huge = json!({"email": "a@example.com", "password": "x".repeat(70 * 1024)});
    let res = app.post_json("/api/auth/sign-in/email", huge).await;
    assert_eq!(res.status(), Status::PayloadTooLarge);
}

#[rocket::async_test]
async fn sign_in_works_with_any_email_case_and_returns_better_auth_shape() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app
        .post_json("/api/auth/sign-in/email", json!({"email": user.email.to_uppercase(), "password": PASSWORD}))
        .await;

    assert_eq!(res.status(), Status::Ok);
    assert!(set_session_cookie(&res).is_some());
    let body = json_body(res).await;
    assert_eq!(body["redirect"], false);
    assert_eq!(body["user"]["id"], user.user_id.as_str());
    assert!(body["token"].as_str().is_some_and(|t| t.len() >= 43));
}

#[rocket::async_test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let wrong =
        app.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": "wrong password"})).await;
    let (wrong_status, wrong_cookie) = (wrong.status(), set_session_cookie(&wrong));
    let wrong_body = json_body(wrong).await;
    let unknown =
        app.post_json("/api/auth/sign-in/email", json!({"email": "nobody@example.com", "password": PASSWORD})).await;
    let unknown_status = unknown.status();
    let unknown_body = json_body(unknown).await;

    assert_eq!(wrong_status, Status::Unauthorized);
    assert_eq!(unknown_status, wrong_status);
    assert_eq!(unknown_body, wrong_body);
    assert_eq!(wrong_body["code"], "INVALID_EMAIL_OR_PASSWORD");
    assert!(wrong_cookie.is_none());
}

#[rocket::async_test]
async fn get_session_is_null_when_signed_out_and_full_when_signed_in() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app.client.get("/api/auth/get-session").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.headers().get_one("set-auth-jwt").is_none());
    assert_eq!(json_body(res).await, serde_json::Value::Null);

    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(res.headers().get_one("Access-Control-Expose-Headers"), Some("set-auth-jwt"));
    let jwt = res.headers().get_one("set-auth-jwt").expect("set-auth-jwt header").to_owned();
    let body = json_body(res).await;
    assert_eq!(body["user"]["id"], user.user_id.as_str());
    assert_eq!(body["session"]["userId"], user.user_id.as_str());
    for field in ["id", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"] {
        assert!(body["session"].get(field).is_some(), "session.{field}");
    }
    assert!(body["session"].get("token").is_none(), "the token is never echoed by get-session");
    assert_eq!(verify(&jwt, &app.jwks().await).unwrap()["sub"], user.user_id.as_str());
}

#[rocket::async_test]
async fn a_tampered_cookie_is_no_session() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let (token, _sig) = user.cookie.rsplit_once('.').unwrap();

    for forged in [token.to_owned(), format!("{token}.AAAA"), format!("x{}", user.cookie)] {
        let res = app.get_with_cookie("/api/auth/get-session", &forged).await;
        assert_eq!(json_body(res).await, serde_json::Value::Null, "{forged}");
    }
}

#[rocket::async_test]
async fn sign_out_ends_the_session_everywhere() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app
        .client
        .post("/api/auth/sign-out")
        .cookie(Cookie::new(COOKIE, user.cookie.clone()))
        .header(Header::new("Origin", ORIGIN))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let removal = res.cookies().get(COOKIE).expect("cookie removal").clone();
    assert_eq!(json_body(res).await, json!({"success": true}));
    assert_eq!(removal.value(), "");

    // Another client still holding the old cookie is signed out too.
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_eq!(json_body(res).await, serde_json::Value::Null);
    let res = app.get_with_cookie("/api/auth/token", &user.cookie).await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn csrf_origin_check_guards_cookie_bearing_posts() {
    // spa.example may call cross-origin (CORS) but is not trusted for cookie-bearing posts.
    let app = app().set("cors_origins", "http://localhost:3000,https://spa.example").spawn().await;
    let user = app.sign_up().await;
    let sign_out = |origin: Option<&'static str>| {
        let mut req = app.client.post("/api/auth/sign-out").cookie(Cookie::new(COOKIE, user.cookie.clone()));
        if let Some(o) = origin {
            req = req.header(Header::new("Origin", o));
        }
        req.dispatch()
    };

    let res = sign_out(None).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(json_body(res).await["code"], "MISSING_OR_NULL_ORIGIN");
    let res = sign_out(Some("null")).await;
    assert_eq!(res.status(), Status::Forbidden, "an opaque origin is refused (by CORS already)");
    let res = sign_out(Some("https://spa.example")).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(json_body(res).await["code"], "INVALID_ORIGIN");
    let res = sign_out(Some("https://evil.example")).await;
    assert_eq!(res.status(), Status::Forbidden, "not even allowed by CORS");
    assert_eq!(res.content_type(), Some(ContentType::JSON));

    // Still signed in after all that; a trusted origin (TRUSTED_ORIGINS) works.
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_ne!(json_body(res).await, serde_json::Value::Null);
    assert_eq!(sign_out(Some("http://localhost:3000")).await.status(), Status::Ok);

    let res = app
        .client
        .post("/api/auth/sign-in/email")
        .header(ContentType::JSON)
        .header(Header::new("Origin", "https://spa.example"))
        .body(json!({"email": user.email, "password": PASSWORD}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden, "login CSRF from an untrusted page");
    assert_eq!(json_body(res).await["code"], "INVALID_ORIGIN");
}

#[rocket::async_test]
async fn token_requires_a_session_and_mints_a_verifiable_eddsa_jwt() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app.client.get("/api/auth/token").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(json_body(res).await, json!({"message": "Unauthorized", "code": "UNAUTHORIZED"}));

    let jwt = app.jwt(&user).await;
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let claims = verify(&jwt, &app.jwks().await).expect("verifies with the public JWKS");
    assert_eq!(claims["sub"], user.user_id.as_str());
    assert_eq!(claims["iss"], ORIGIN);
    assert_eq!(claims["aud"], ORIGIN);
    assert_eq!(claims["email"], user.email.as_str());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    let keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7, "no personal data beyond sub/email/name: {keys:?}");
}

#[rocket::async_test]
async fn jwks_lists_ed25519_keys_and_is_cacheable() {
    let app = spawn_app().await;

    let res = app.client.get("/api/auth/jwks").dispatch().await;

    assert_eq!(res.status(), Status::Ok);
    assert!(res.headers().get_one("Cache-Control").unwrap().contains("max-age="));
    let body = json_body(res).await;
    let key = &body["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key.get("d").is_none(), "never the private part");
}

#[rocket::async_test]
async fn remember_me_false_gives_a_browser_session_cookie_and_a_one_day_session() {
    let app = spawn_app().await;
    let user = app.sign_up().await;

    let res = app
        .post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": PASSWORD, "rememberMe": false}))
        .await;

    let cookie = res.cookies().get(COOKIE).expect("cookie").clone();
    assert_eq!(cookie.max_age(), None, "no Max-Age: gone when the browser closes");
    let session = json_body(app.get_with_cookie("/api/auth/get-session", cookie.value()).await).await;
    let expires = time::OffsetDateTime::parse(
        session["session"]["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let hours = (expires - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((23..=24).contains(&hours), "expires in {hours}h");
}

#[rocket::async_test]
async fn sessions_slide_after_a_day_and_expired_ones_are_gone() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let pool = app.db.pool().await;

    // Make the session look two days old: expiry now + 5 days.
    backend::on_db!(&pool, |p| sqlx::query("UPDATE session SET expires_at = $1 WHERE user_id = $2")
        .bind(now_ms() + 5 * DAY_MS)
        .bind(&user.user_id)
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    let refreshed = res.cookies().get(COOKIE).map(|c| c.max_age());
    assert_eq!(refreshed, Some(Some(rocket::time::Duration::days(7))), "cookie re-issued");
    let (expires_at,): (i64,) =
        backend::on_db!(&pool, |p| sqlx::query_as("SELECT expires_at FROM session WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_one(p)
            .await)
        .unwrap();
    assert!(expires_at > now_ms() + 6 * DAY_MS, "row extended to 7 days");

    // A fresh session is not rewritten on every request.
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert!(res.cookies().get(COOKIE).is_none());

    backend::on_db!(&pool, |p| sqlx::query("UPDATE session SET expires_at = $1 WHERE user_id = $2")
        .bind(now_ms() - 1000)
        .bind(&user.user_id)
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_eq!(json_body(res).await, serde_json::Value::Null);
    let (left,): (i64,) = backend::on_db!(&pool, |p| sqlx::query_as("SELECT COUNT(*) FROM session WHERE user_id = $1")
        .bind(&user.user_id)
        .fetch_one(p)
        .await)
    .unwrap();
    assert_eq!(left, 0, "expired session deleted");
}

/// Sets the user's session row's `created_at` and `expires_at`.
async fn age_session(pool: &backend::db::Db, user_id: &str, created_at: i64, expires_at: i64) {
    backend::on_db!(pool, |p| sqlx::query("UPDATE session SET created_at = $1, expires_at = $2 WHERE user_id = $3")
        .bind(created_at)
        .bind(expires_at)
        .bind(user_id)
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
}

#[rocket::async_test]
async fn sliding_never_takes_a_session_past_its_absolute_lifetime() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let pool = app.db.pool().await;
    let expires_at = || async {
        let (e,): (i64,) =
            backend::on_db!(&pool, |p| sqlx::query_as("SELECT expires_at FROM session WHERE user_id = $1")
                .bind(&user.user_id)
                .fetch_one(p)
                .await)
            .unwrap();
        e
    };

    // 29 days old and due to slide: it slides, but only up to day 30.
    let created = now_ms() - 29 * DAY_MS;
    age_session(&pool, &user.user_id, created, now_ms() + 5 * DAY_MS).await;
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    let max_age = res.cookies().get(COOKIE).and_then(|c| c.max_age()).expect("cookie re-issued").whole_hours();
    assert!((23..=24).contains(&max_age), "cookie lives to the end, {max_age}h");
    assert!(!json_body(res).await.is_null());
    assert_eq!(expires_at().await, created + 30 * DAY_MS, "capped at created_at + 30 days");

    // Past day 30 it is over, even with a later expires_at.
    age_session(&pool, &user.user_id, now_ms() - 30 * DAY_MS - 1000, now_ms() + 5 * DAY_MS).await;
    let res = app.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_eq!(json_body(res).await, serde_json::Value::Null);
    let res = app.get_with_cookie("/api/auth/token", &user.cookie).await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn session_max_lifetime_is_configurable() {
    let app = app().set("session_max_lifetime", 3600).spawn().await;
    let res = app
        .post_json("/api/auth/sign-up/email", json!({"name": "A", "email": "a@example.com", "password": PASSWORD}))
        .await;
    let cookie = res.cookies().get(COOKIE).expect("cookie").clone();
    assert_eq!(cookie.max_age().map(|d| d.whole_seconds()), Some(3600));
    let session = json_body(app.get_with_cookie("/api/auth/get-session", cookie.value()).await).await;
    let expires = time::OffsetDateTime::parse(
        session["session"]["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let minutes = (expires - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((58..=60).contains(&minutes), "expires in {minutes} min");
}

#[rocket::async_test]
async fn only_a_hash_of_the_session_token_is_stored() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let token = user.cookie.rsplit_once('.').unwrap().0.to_owned();
    let pool = app.db.pool().await;

    let (stored,): (String,) =
        backend::on_db!(&pool, |p| sqlx::query_as("SELECT token_hash FROM session WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_one(p)
            .await)
        .unwrap();
    let (password,): (String,) =
        backend::on_db!(&pool, |p| sqlx::query_as("SELECT password FROM account WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_one(p)
            .await)
        .unwrap();

    assert_ne!(stored, token);
    assert!(!stored.contains(&token));
    assert!(password.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[rocket::async_test]
async fn sign_in_is_rate_limited_per_client_with_retry_after() {
    // A long window: a slow machine's three password checks must not let a
    // token refill before the fourth request.
    let app = app().set("auth_rate_limit_max", 3).set("auth_rate_limit_window", 600).spawn().await;
    let body = json!({"email": "nobody@example.com", "password": PASSWORD});

    for _ in 0..3 {
        assert_eq!(app.post_json("/api/auth/sign-in/email", body.clone()).await.status(), Status::Unauthorized);
    }
    let res = app.post_json("/api/auth/sign-in/email", body.clone()).await;

    assert_eq!(res.status(), Status::TooManyRequests);
    let retry: u64 = res.headers().get_one("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=600).contains(&retry));
    assert_eq!(json_body(res).await["code"], "TOO_MANY_REQUESTS");
    let other_path = app
        .post_json("/api/auth/sign-up/email", json!({"name": "A", "email": "a@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(other_path.status(), Status::Ok, "limits are per route");
}

#[rocket::async_test]
async fn every_spelling_of_the_sign_in_route_shares_one_bucket() {
    let app = app().set("auth_rate_limit_max", 3).set("auth_rate_limit_window", 600).spawn().await;
    let body = json!({"email": "nobody@example.com", "password": PASSWORD});
    let spellings = [
        "/api/auth/sign-in/email",
        "/api/auth//sign-in/email",
        "/api/auth/sign-in/email/",
        "/api/auth/sign-in/%65mail",
        "/%61pi/auth/sign-in/email",
        "/api//auth/sign-in/email",
    ];
    let mut checked = 0;
    for path in spellings.iter().cycle().take(spellings.len() * 2) {
        let res = app.post_json(path, body.clone()).await;
        match res.status() {
            Status::Unauthorized => checked += 1, // the password was checked
            Status::TooManyRequests => {}
            Status::NotFound => {} // Rocket does not route this spelling here at all
            other => panic!("{path}: {other}"),
        }
    }
    assert_eq!(checked, 3, "all spellings together got exactly the limit's password checks");
    for path in spellings {
        let status = app.post_json(path, body.clone()).await.status();
        assert!(matches!(status, Status::TooManyRequests | Status::NotFound), "{path} bypassed the limit: {status}");
    }
}

#[rocket::async_test]
async fn rotated_keys_keep_old_tokens_verifying_through_the_grace_period() {
    let first = app().set("jwks_rotation_interval", 3600).spawn().await;
    let user = first.sign_up().await;
    let old_token = first.jwt(&user).await;
    // Age the key past its rotation interval, then start another replica.
    let pool = first.db.pool().await;
    backend::on_db!(&pool, |p| sqlx::query("UPDATE jwks SET created_at = created_at - $1")
        .bind(3601 * 1000_i64)
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();

    let second = app().set("jwks_rotation_interval", 3600).spawn_on(first.db.clone()).await;
    let new_token = second.jwt(&user).await;
    let jwks = second.jwks().await;

    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&old_token), kid(&new_token), "a new key signs after rotation");
    assert_eq!(jwks.keys.len(), 2, "the retired key is still published");
    assert!(verify(&old_token, &jwks).is_ok(), "tokens in flight still verify");
    assert!(verify(&new_token, &jwks).is_ok());

    // Past the grace period the old key is gone.
    backend::on_db!(&pool, |p| sqlx::query("UPDATE jwks SET created_at = created_at - $1 WHERE id = $2")
        .bind(2 * 24 * 3600 * 1000_i64)
        .bind(kid(&old_token))
        .execute(p)
        .await
        .map(|_| ()))
    .unwrap();
    let third =
        app().set("jwks_rotation_interval", 3600).set("jwks_grace_period", 3600).spawn_on(first.db.clone()).await;
    assert_eq!(third.jwks().await.keys.len(), 1);
}

#[rocket::async_test]
async fn replicas_starting_together_agree_on_one_signing_key() {
    let a = spawn_app().await;
    let b = app().spawn_on(a.db.clone()).await;
    let (user_a, user_b) = (a.sign_up().await, b.sign_up().await);

    // Both replicas need a signing key at the same moment on a fresh database.
    let (token_a, token_b) = rocket::tokio::join!(a.jwt(&user_a), b.jwt(&user_b));

    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_eq!(kid(&token_a), kid(&token_b), "one key, not one per replica");
    assert_eq!(a.jwks().await.keys.len(), 1);
    assert!(verify(&token_a, &b.jwks().await).is_ok() && verify(&token_b, &a.jwks().await).is_ok());
}

#[rocket::async_test]
async fn changing_the_secret_keeps_the_service_working() {
    let first = spawn_app().await;
    let user = first.sign_up().await;
    first.jwt(&user).await; // creates the signing key under the old secret
    let new_secret = "a-brand-new-secret-that-is-long-enough";

    // Rotated properly: the old secret listed as previous. Cookies and keys still work.
    let rotated = app()
        .set("better_auth_secret", new_secret)
        .set("better_auth_previous_secrets", TEST_SECRET)
        .spawn_on(first.db.clone())
        .await;
    let res = rotated.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_ne!(json_body(res).await, serde_json::Value::Null, "old cookies stay valid");
    assert_eq!(rotated.jwks().await.keys.len(), 1, "the old key still decrypts: no new key");

    // Replaced outright: old cookies are invalid, but nothing 500s and a new key signs.
    let replaced = app().set("better_auth_secret", new_secret).spawn_on(first.db.clone()).await;
    let res = replaced.get_with_cookie("/api/auth/get-session", &user.cookie).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(json_body(res).await, serde_json::Value::Null);
    let res = replaced.post_json("/api/auth/sign-in/email", json!({"email": user.email, "password": PASSWORD})).await;
    let cookie = set_session_cookie(&res).unwrap();
    let res = replaced.get_with_cookie("/api/auth/token", &cookie).await;
    assert_eq!(res.status(), Status::Ok);
    let token = json_body(res).await["token"].as_str().unwrap().to_owned();
    let jwks = replaced.jwks().await;
    assert_eq!(jwks.keys.len(), 2, "new key created, old public key still published");
    assert!(verify(&token, &jwks).is_ok());
}
