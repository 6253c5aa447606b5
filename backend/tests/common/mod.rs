//! Spawn-style test harness: every test gets its own app on its own fresh
//! database — a temp SQLite file, or (with `TEST_DATABASE_URL=postgres://…`)
//! a throw-away PostgreSQL database dropped afterwards. No global locks.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie};
use rocket::local::asynchronous::{Client, LocalResponse};
use sqlx::{Connection, Executor, PgConnection};

pub struct TestApp {
    pub client: Client,
    /// Shared by apps started on the same database; dropped with the last.
    pub db: Arc<TestDb>,
    pub dist: TempDir,
}

/// Builder for apps that need non-default settings.
pub struct AppBuilder {
    overrides: Vec<(String, serde_json::Value)>,
    dist: Option<TempDir>,
    mounts: Vec<(&'static str, Vec<rocket::Route>)>,
}

pub fn app() -> AppBuilder {
    AppBuilder { overrides: Vec::new(), dist: None, mounts: Vec::new() }
}

/// The usual app: fresh database, a minimal built SPA in its dist dir.
pub async fn spawn_app() -> TestApp {
    app().with_spa().spawn().await
}

pub const INDEX_MARKER: &str = "<!-- test-spa-index -->";

impl AppBuilder {
    pub fn set(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.overrides.push((key.to_owned(), value.into()));
        self
    }

    /// Extra routes of the test's own, mounted at `base`.
    pub fn mount(mut self, base: &'static str, routes: Vec<rocket::Route>) -> Self {
        self.mounts.push((base, routes));
        self
    }

    /// A dist dir holding an `index.html` and a hashed-looking asset.
    pub fn with_spa(mut self) -> Self {
        let dist = TempDir::new("dist");
        std::fs::write(dist.path().join("index.html"), format!("<!doctype html>{INDEX_MARKER}")).unwrap();
        std::fs::write(dist.path().join("app-1234abcd.js"), "console.log('hi')").unwrap();
        self.dist = Some(dist);
        self
    }

    pub async fn spawn(self) -> TestApp {
        self.spawn_on(Arc::new(TestDb::create().await)).await
    }

    /// Another app on an existing database: a restart, or a second replica.
    pub async fn spawn_on(self, db: Arc<TestDb>) -> TestApp {
        let dist = self.dist.unwrap_or_else(|| TempDir::new("dist-empty"));
        let mut figment = figment()
            .merge(Serialized::global("database_url", &db.url))
            .merge(Serialized::global("dist_dir", dist.path()));
        for (k, v) in &self.overrides {
            figment = figment.merge(Serialized::global(k, v));
        }
        let mut rocket = backend::rocket_from(figment).expect("valid test configuration");
        for (base, routes) in self.mounts {
            rocket = rocket.mount(base, routes);
        }
        let client = Client::untracked(rocket).await.expect("app starts");
        TestApp { client, db, dist }
    }
}

pub const TEST_SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

/// The real Rocket.toml (debug profile), isolated from the environment, with
/// a fixed auth secret and the sign-in rate limit off (tests that need it
/// turn it on).
pub fn figment() -> Figment {
    let toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Rocket.toml");
    Figment::from(rocket::Config::debug_default())
        .merge(Toml::file_exact(toml).nested())
        .select("debug")
        .merge(Serialized::global("log_level", "off"))
        .merge(Serialized::global("better_auth_secret", TEST_SECRET))
        .merge(Serialized::global("auth_rate_limit_max", 0))
}

pub async fn json_body(res: LocalResponse<'_>) -> serde_json::Value {
    let text = res.into_string().await.unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A temp directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "todo-test-{label}-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database for one test.
pub struct TestDb {
    pub url: String,
    pub engine: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A pool of our own on the test database, to inspect or age rows
    /// (use it with `backend::on_db!`).
    pub async fn pool(&self) -> backend::db::Db {
        use backend::db::Db;
        if self.engine == "postgres" {
            Db::Postgres(sqlx::PgPool::connect(&self.url).await.expect("test pool"))
        } else {
            Db::sqlite(sqlx::SqlitePool::connect(&self.url).await.expect("test pool"))
        }
    }

    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("todo_test_{:016x}", rand::random::<u64>());
                let mut admin = PgConnection::connect(&admin_url).await.expect("PostgreSQL reachable");
                admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let (base, _) = admin_url.rsplit_once('/').expect("URL has a database path");
                TestDb {
                    url: format!("{base}/{name}"),
                    engine: "postgres",
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = TempDir::new("db");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("todo.db").display());
                TestDb { url, engine: "sqlite", cleanup: Cleanup::Sqlite(dir) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            // Drop runs outside any runtime we may block: use a thread of our own.
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.ok()
                })
            })
            .join();
        }
    }
}

pub const COOKIE: &str = "better-auth.session_token";
pub const PASSWORD: &str = "correct horse battery";
pub const ORIGIN: &str = "http://localhost:8000";

/// A signed-up user as a test sees them.
pub struct SignedIn {
    pub user_id: String,
    pub email: String,
    /// The session cookie's value.
    pub cookie: String,
}

/// `name=value` of the session cookie a response set, if any.
pub fn set_session_cookie(res: &LocalResponse<'_>) -> Option<String> {
    res.cookies().get(COOKIE).map(|c| c.value().to_owned())
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> LocalResponse<'_> {
        self.client.post(path.to_owned()).header(ContentType::JSON).body(body.to_string()).dispatch().await
    }

    /// Signs up a fresh user with a unique email.
    pub async fn sign_up(&self) -> SignedIn {
        let email = format!("user-{:016x}@example.com", rand::random::<u64>());
        let res = self
            .post_json(
                "/api/auth/sign-up/email",
                serde_json::json!({"name": "Test User", "email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), rocket::http::Status::Ok, "sign-up");
        let cookie = set_session_cookie(&res).expect("session cookie");
        let body = json_body(res).await;
        SignedIn { user_id: body["user"]["id"].as_str().unwrap().to_owned(), email, cookie }
    }

    /// `GET` with the session cookie.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> LocalResponse<'_> {
        self.client.get(path.to_owned()).cookie(Cookie::new(COOKIE, cookie.to_owned())).dispatch().await
    }

    /// `POST` from the app's own origin with the session cookie, as the SPA sends it.
    pub async fn post_as(&self, path: &str, cookie: &str, body: Option<serde_json::Value>) -> Reply {
        let mut req = self
            .client
            .post(path.to_owned())
            .cookie(Cookie::new(COOKIE, cookie.to_owned()))
            .header(rocket::http::Header::new("Origin", ORIGIN));
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        Reply::from(req.dispatch().await).await
    }

    /// Signs in again (another device): the new session's cookie, or `None`
    /// when the password is refused.
    pub async fn sign_in(&self, email: &str, password: &str) -> Option<String> {
        let res =
            self.post_json("/api/auth/sign-in/email", serde_json::json!({"email": email, "password": password})).await;
        if res.status() != rocket::http::Status::Ok {
            return None;
        }
        set_session_cookie(&res)
    }

    /// Whether this cookie is a live session.
    pub async fn signed_in(&self, cookie: &str) -> bool {
        let res = self.get_with_cookie("/api/auth/get-session", cookie).await;
        !json_body(res).await.is_null()
    }

    /// A JWT for the signed-in user, from `/api/auth/token`.
    pub async fn jwt(&self, user: &SignedIn) -> String {
        let res = self.get_with_cookie("/api/auth/token", &user.cookie).await;
        assert_eq!(res.status(), rocket::http::Status::Ok, "token");
        json_body(res).await["token"].as_str().unwrap().to_owned()
    }

    pub async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        let res = self.client.get("/api/auth/jwks").dispatch().await;
        serde_json::from_value(json_body(res).await).expect("a JWK set")
    }
}

/// Verifies a token against a JWKS the way any relying party would.
pub fn verify(token: &str, jwks: &jsonwebtoken::jwk::JwkSet) -> Result<serde_json::Value, String> {
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    let header = decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or_else(|| format!("kid {kid} not in JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ORIGIN]);
    validation.set_audience(&[ORIGIN]);
    decode::<serde_json::Value>(token, &key, &validation).map(|d| d.claims).map_err(|e| e.to_string())
}

pub mod jwks;
pub mod process;
pub mod smtp;
pub mod sse;

/// An owned response: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: rocket::http::Status,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    /// The `name=value` this reply set for the session cookie, `""` for a removal.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Set-Cookie"))
            .filter_map(|(_, v)| Cookie::parse_encoded(v.clone()).ok())
            .find(|c| c.name() == COOKIE)
            .map(|c| c.value().to_owned())
    }

    pub async fn from(res: LocalResponse<'_>) -> Self {
        let status = res.status();
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        let text = res.into_string().await.unwrap_or_default();
        Self { status, headers, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl TestApp {
    /// Any request to the API, with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: rocket::http::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let mut req = self.client.req(method, path.to_owned());
        if let Some(t) = token {
            req = req.header(rocket::http::Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        Reply::from(req.dispatch().await).await
    }

    /// Creates a task for `user` and returns its JSON.
    pub async fn create_task(&self, user_id: &str, token: &str, title: &str) -> serde_json::Value {
        let reply = self
            .call(
                rocket::http::Method::Post,
                &format!("/api/{user_id}/tasks"),
                Some(token),
                Some(serde_json::json!({"title": title})),
            )
            .await;
        assert_eq!(reply.status, rocket::http::Status::Created, "{}", reply.text);
        reply.json()
    }
}
