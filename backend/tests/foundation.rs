//! Health, readiness, JSON errors under /api, the SPA fallback and request
//! ids — on whichever database TEST_DATABASE_URL selects (SQLite by default).

mod common;

use std::sync::Arc;

use common::{app, json_body, spawn_app, TestDb, INDEX_MARKER};
use rocket::http::{ContentType, Header, Status};
use sqlx::Executor;

#[rocket::async_test]
async fn health_is_ok() {
    let app = spawn_app().await;

    let res = app.client.get("/api/health").dispatch().await;

    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    assert_eq!(json_body(res).await, serde_json::json!({"status": "ok"}));
}

#[rocket::async_test]
async fn ready_checks_the_database() {
    let app = spawn_app().await;

    let res = app.client.get("/api/ready").dispatch().await;

    assert_eq!(res.status(), Status::Ok, "engine: {}", app.db.engine);
    assert_eq!(json_body(res).await["status"], "ok");
}

#[rocket::async_test]
async fn unknown_api_route_is_a_json_404_not_the_spa() {
    let app = spawn_app().await;

    let res = app.client.get("/api/does-not-exist").dispatch().await;

    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    assert_eq!(json_body(res).await, serde_json::json!({"message": "Not found", "code": "NOT_FOUND"}));
}

#[rocket::async_test]
async fn api_errors_for_other_methods_are_json_too() {
    let app = spawn_app().await;

    let res = app.client.post("/api/health").header(ContentType::JSON).body("{}").dispatch().await;

    assert_eq!(res.status(), Status::NotFound);
    let body = json_body(res).await;
    assert_eq!(body["code"], "NOT_FOUND");
}

#[rocket::async_test]
async fn deep_links_fall_back_to_the_spa_index() {
    let app = spawn_app().await;

    for path in ["/", "/tasks", "/login?redirect=%2Ftasks", "/some/unknown/page"] {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert_eq!(res.content_type(), Some(ContentType::HTML), "{path}");
        assert_eq!(res.headers().get_one("Cache-Control"), Some("no-cache"), "{path}");
        assert!(res.into_string().await.unwrap().contains(INDEX_MARKER), "{path}");
    }
}

#[rocket::async_test]
async fn signed_out_pages_get_the_sign_in_bundle_when_the_build_has_one() {
    let app = spawn_app().await;
    // What the sign-in build's page looks like: its own loader, its own bundle.
    let loader = "import init from '/signin-99aa.js';\ninit('/signin-99aa_bg.wasm');";
    let page = format!("<!doctype html><script type=\"module\">{loader}</script><!-- sign-in -->");
    std::fs::write(app.dist.path().join("signin.html"), &page).unwrap();

    for path in shared::pages::SIGN_IN_PAGES.into_iter().chain([
        "/login/",
        "/login?redirect=%2Ftasks",
        "/reset-password?token=x",
    ]) {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert_eq!(res.content_type(), Some(ContentType::HTML), "{path}");
        assert_eq!(res.headers().get_one("Cache-Control"), Some("no-cache"), "{path}");
        let csp = res.headers().get_one("Content-Security-Policy").unwrap_or_default().to_owned();
        assert!(csp.contains(&csp_hash(loader)), "{path}: its own loader is allowed: {csp}");
        assert_eq!(res.into_string().await.unwrap(), page, "{path}");
    }
    for path in ["/", "/tasks", "/account", "/login/x", "/logins", "/index.html", "/nope"] {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert!(res.into_string().await.unwrap().contains(INDEX_MARKER), "{path}: the whole app");
    }
    // The page by its own name is a page too: revalidated, with its CSP.
    let res = app.client.get("/signin.html").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-cache"));
    assert!(res.headers().get_one("Content-Security-Policy").unwrap_or_default().contains(&csp_hash(loader)));

    // A build without the sign-in bundle (`trunk serve`, older builds): the
    // whole app, which has every page, answers the signed-out ones too.
    std::fs::remove_file(app.dist.path().join("signin.html")).unwrap();
    let res = app.client.get("/login").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.into_string().await.unwrap().contains(INDEX_MARKER));
}

#[rocket::async_test]
async fn built_assets_are_served_and_cached_missing_ones_are_404() {
    let app = spawn_app().await;

    let res = app.client.get("/app-1234abcd.js").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JavaScript));
    assert!(res.headers().get_one("Cache-Control").unwrap().contains("immutable"));

    let res = app.client.get("/missing-file.js").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
}

#[rocket::async_test]
async fn path_traversal_cannot_leave_dist() {
    let app = spawn_app().await;
    // A file right next to dist/ that a traversal would reach.
    let name = format!("secret-{:016x}.txt", rand::random::<u64>());
    let outside = app.dist.path().parent().unwrap().join(&name);
    std::fs::write(&outside, "TOP-SECRET").unwrap();

    for path in [format!("/..%2F{name}"), format!("/%2E%2E/{name}"), format!("/assets/..%2F..%2F{name}")] {
        let res = app.client.get(path.clone()).dispatch().await;
        let status = res.status();
        let body = res.into_string().await.unwrap_or_default();
        assert!(!body.contains("TOP-SECRET"), "{path} leaked a file outside dist ({status})");
    }
    let _ = std::fs::remove_file(outside);
}

#[rocket::async_test]
async fn missing_spa_build_is_a_clear_page_while_the_api_works() {
    let app = app().spawn().await; // empty dist dir

    let page = app.client.get("/tasks").dispatch().await;
    assert_eq!(page.status(), Status::ServiceUnavailable);
    assert!(page.into_string().await.unwrap().contains("cargo xtask run"));

    let api = app.client.get("/api/health").dispatch().await;
    assert_eq!(api.status(), Status::Ok);
}

#[rocket::async_test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;

    let res = app.client.get("/api/health").dispatch().await;
    let generated = res.headers().get_one("X-Request-Id").expect("request id").to_owned();
    assert_eq!(generated.len(), 16);

    let res = app.client.get("/api/nope").header(Header::new("X-Request-Id", "trace-42")).dispatch().await;
    assert_eq!(res.headers().get_one("X-Request-Id"), Some("trace-42"), "a sane caller id is kept");

    let res = app.client.get("/api/health").header(Header::new("X-Request-Id", "bad id\twith tab")).dispatch().await;
    assert_ne!(res.headers().get_one("X-Request-Id"), Some("bad id\twith tab"));
}

#[rocket::async_test]
async fn migrations_are_idempotent_across_restarts() {
    let first = spawn_app().await;
    let db = first.db.clone();
    drop(first);

    // A second app on the same database must start cleanly (nothing re-applied).
    let second = app().spawn_on(db).await;

    assert_eq!(second.client.get("/api/ready").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_database_migrated_by_the_old_runner_keeps_its_data_and_history() {
    // Before sqlx's migrator, history lived in `schema_migrations`; such a
    // database must start without re-applying anything, once moved over.
    let db = Arc::new(TestDb::create().await);
    let pool = db.pool().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(db.engine);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    backend::on_db!(&pool, |p| {
        for file in &files {
            p.execute(std::fs::read_to_string(file).unwrap().as_str()).await.unwrap();
        }
        p.execute(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await
        .unwrap();
        for (i, _) in files.iter().enumerate() {
            sqlx::query("INSERT INTO schema_migrations VALUES ($1, 'old', 0)")
                .bind(i as i64 + 1)
                .execute(p)
                .await
                .unwrap();
        }
        p.execute("INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) VALUES ('u-old', 'kept', '', FALSE, 0, 0)")
            .await
            .unwrap();
    });

    let first = app().spawn_on(db.clone()).await;
    assert_eq!(first.client.get("/api/ready").dispatch().await.status(), Status::Ok);
    drop(first);
    let second = app().spawn_on(db.clone()).await;
    assert_eq!(second.client.get("/api/ready").dispatch().await.status(), Status::Ok);

    backend::on_db!(&pool, |p| {
        let recorded: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                .fetch_all(p)
                .await
                .unwrap();
        assert_eq!(recorded, (1..=files.len() as i64).map(|v| (v, true)).collect::<Vec<_>>());
        let old_table = sqlx::query("SELECT * FROM schema_migrations").fetch_all(p).await;
        assert!(old_table.is_err(), "the old history table is gone once moved");
        let titles: Vec<String> =
            sqlx::query_scalar("SELECT title FROM tasks WHERE user_id = 'u-old'").fetch_all(p).await.unwrap();
        assert_eq!(titles, ["kept"]);
    });
}

#[rocket::async_test]
async fn unreachable_database_fails_start_up_instead_of_serving_errors() {
    let figment = common::figment()
        .merge(rocket::figment::providers::Serialized::global("database_url", "postgres://nobody@127.0.0.1:1/none"))
        .merge(rocket::figment::providers::Serialized::global("databases.todo.connect_timeout", 1));
    let rocket = backend::rocket_from(figment).unwrap();

    let err = rocket::local::asynchronous::Client::untracked(rocket).await.expect_err("ignite must fail");

    let line = backend::launch_error_line(&err);
    assert!(line.contains("Database"), "{line}");
}

#[rocket::async_test]
async fn cors_preflight_allows_listed_origins_with_credentials() {
    let app = spawn_app().await;

    let res = app
        .client
        .options("/api/someone/tasks")
        .header(Header::new("Origin", "http://localhost:3000"))
        .header(Header::new("Access-Control-Request-Method", "POST"))
        .header(Header::new("Access-Control-Request-Headers", "authorization, content-type"))
        .dispatch()
        .await;

    assert!(res.status().class().is_success(), "{}", res.status());
    assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), Some("http://localhost:3000"));
    assert_eq!(res.headers().get_one("Access-Control-Allow-Credentials"), Some("true"));
    let allowed = res.headers().get_one("Access-Control-Allow-Headers").unwrap_or_default().to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
}

#[rocket::async_test]
async fn cors_refuses_unlisted_origins_and_exposes_headers_to_listed_ones() {
    let app = spawn_app().await;

    let evil = app
        .client
        .options("/api/someone/tasks")
        .header(Header::new("Origin", "https://evil.example"))
        .header(Header::new("Access-Control-Request-Method", "GET"))
        .dispatch()
        .await;
    assert!(evil.headers().get_one("Access-Control-Allow-Origin").is_none());

    let ok = app.client.get("/api/health").header(Header::new("Origin", "http://localhost:3000")).dispatch().await;
    assert_eq!(ok.headers().get_one("Access-Control-Allow-Origin"), Some("http://localhost:3000"));
    let exposed = ok.headers().get_one("Access-Control-Expose-Headers").unwrap_or_default().to_lowercase();
    assert!(exposed.contains("x-total-count") && exposed.contains("set-auth-jwt"), "{exposed}");
}

#[rocket::async_test]
async fn same_origin_requests_pass_cors_whatever_cors_origins_says() {
    let app = app()
        .with_spa()
        .set("cors_origins", "https://spa.example")
        .set("better_auth_url", "https://todo.example")
        .spawn()
        .await;

    let res = app.client.get("/api/health").header(Header::new("Origin", "https://todo.example")).dispatch().await;

    assert_eq!(res.status(), Status::Ok);
}

fn csp_hash(inline: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline.as_bytes())))
}

#[rocket::async_test]
async fn the_spa_page_allows_only_its_own_scripts_and_cannot_be_framed() {
    let app = spawn_app().await;
    // What Trunk writes: an inline module that starts the wasm bundle.
    let loader = "import init from '/frontend-1234.js';\ninit('/frontend-1234_bg.wasm');";
    std::fs::write(
        app.dist.path().join("index.html"),
        format!("<!doctype html><script type=\"module\">{loader}</script>{INDEX_MARKER}"),
    )
    .unwrap();

    for path in ["/", "/tasks", "/index.html"] {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        let csp = res.headers().get_one("Content-Security-Policy").unwrap_or_default().to_owned();
        assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {};", csp_hash(loader))), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(res.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(res.headers().get_one("Referrer-Policy"), Some("no-referrer"));
        assert_eq!(res.headers().get_one("X-Frame-Options"), Some("DENY"));
        assert_eq!(res.headers().get_one("Strict-Transport-Security"), None, "plain http: no HSTS");
        assert!(res.into_string().await.unwrap().contains(loader), "the page is served unchanged");
    }
}

#[rocket::async_test]
async fn api_responses_are_not_stored_or_framed_unless_a_route_says_so() {
    let app = spawn_app().await;

    let res = app.client.get("/api/health").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(res.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
    assert!(res.headers().get_one("Content-Security-Policy").unwrap().starts_with("default-src 'none'"));

    let res = app.client.get("/api/does-not-exist").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"), "errors too");

    let res = app.client.get("/api/auth/jwks").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("public, max-age=300"), "the JWKS stays cacheable");

    let res = app.client.get("/api/docs").dispatch().await;
    let csp = res.headers().get_one("Content-Security-Policy").unwrap().to_owned();
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"), "docs: its own style only: {csp}");
}

#[rocket::async_test]
async fn https_deployments_get_strict_transport_security() {
    let app = app().set("better_auth_url", "https://todo.example.com").spawn().await;

    for path in ["/api/health", "/tasks"] {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(
            res.headers().get_one("Strict-Transport-Security"),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
}
