//! Spawn-style test harness: every test gets its own app on its own fresh
//! database — a temp SQLite file, or (with `TEST_DATABASE_URL=postgres://…`)
//! a throw-away PostgreSQL database dropped afterwards. No global locks.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::local::asynchronous::{Client, LocalResponse};
use sqlx::{Connection, Executor, PgConnection};

pub struct TestApp {
    pub client: Client,
    pub db: TestDb,
    pub dist: TempDir,
}

/// Builder for apps that need non-default settings.
pub struct AppBuilder {
    overrides: Vec<(String, serde_json::Value)>,
    dist: Option<TempDir>,
}

pub fn app() -> AppBuilder {
    AppBuilder { overrides: Vec::new(), dist: None }
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

    /// A dist dir holding an `index.html` and a hashed-looking asset.
    pub fn with_spa(mut self) -> Self {
        let dist = TempDir::new("dist");
        std::fs::write(dist.path().join("index.html"), format!("<!doctype html>{INDEX_MARKER}")).unwrap();
        std::fs::write(dist.path().join("app-1234abcd.js"), "console.log('hi')").unwrap();
        self.dist = Some(dist);
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = TestDb::create().await;
        let dist = self.dist.unwrap_or_else(|| TempDir::new("dist-empty"));
        let mut figment = figment()
            .merge(Serialized::global("database_url", &db.url))
            .merge(Serialized::global("dist_dir", dist.path()));
        for (k, v) in &self.overrides {
            figment = figment.merge(Serialized::global(k, v));
        }
        let rocket = backend::rocket_from(figment).expect("valid test configuration");
        let client = Client::untracked(rocket).await.expect("app starts");
        TestApp { client, db, dist }
    }
}

/// The real Rocket.toml (debug profile), isolated from the environment.
pub fn figment() -> Figment {
    let toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Rocket.toml");
    Figment::from(rocket::Config::debug_default())
        .merge(Toml::file_exact(toml).nested())
        .select("debug")
        .merge(Serialized::global("log_level", "off"))
}

pub async fn json_body(res: LocalResponse<'_>) -> serde_json::Value {
    let text = res.into_string().await.unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A temp directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!("todo-test-{label}-{}-{:016x}", std::process::id(), rand::random::<u64>()));
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
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("todo_test_{:016x}", rand::random::<u64>());
                let mut admin = PgConnection::connect(&admin_url).await.expect("PostgreSQL reachable");
                admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let (base, _) = admin_url.rsplit_once('/').expect("URL has a database path");
                TestDb { url: format!("{base}/{name}"), engine: "postgres", cleanup: Cleanup::Postgres { admin_url, name } }
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
