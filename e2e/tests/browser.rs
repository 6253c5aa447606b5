//! A real browser (headless Chromium via chromedriver) against Rocket serving
//! the release `dist/` on a fresh SQLite database. Run by `cargo xtask test`,
//! which builds `dist/` and sets CHROMEDRIVER, CHROMIUM and E2E_DIST.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::figment::Figment;
use rocket::tokio::sync::oneshot;

const WAIT: Duration = Duration::from_secs(20);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run these tests with `cargo xtask test`"))
}

/// The app on a real port, serving `dist/`; shut down on drop.
struct Server {
    base_url: String,
    shutdown: rocket::Shutdown,
    _data: TempDir,
}

impl Server {
    async fn start() -> Server {
        let dist = PathBuf::from(required_env("E2E_DIST"));
        assert!(dist.join("index.html").is_file(), "{} has no index.html: build the SPA first", dist.display());
        let data = TempDir::new();
        let port = free_port();
        let toml = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Rocket.toml");
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(Toml::file_exact(toml).nested())
            .select("debug")
            .merge(Serialized::global("log_level", "off"))
            .merge(Serialized::global("port", port))
            .merge(Serialized::global("database_url", format!("sqlite://{}/todo.db?mode=rwc", data.0.display())))
            .merge(Serialized::global("dist_dir", &dist));
        let (ready_tx, ready_rx) = oneshot::channel();
        let ready_tx = std::sync::Mutex::new(Some(ready_tx));
        let rocket = backend::rocket_from(figment)
            .expect("configuration")
            .attach(rocket::fairing::AdHoc::on_liftoff("e2e ready", move |_| {
                Box::pin(async move {
                    if let Some(tx) = ready_tx.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                })
            }))
            .ignite()
            .await
            .expect("app ignites");
        let shutdown = rocket.shutdown();
        rocket::tokio::spawn(rocket.launch());
        rocket::tokio::time::timeout(WAIT, ready_rx).await.expect("app listening in time").expect("liftoff");
        Server { base_url: format!("http://127.0.0.1:{port}"), shutdown, _data: data }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port();
        let child = Command::new(required_env("CHROMEDRIVER"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        // Wait until it accepts connections (bounded), rather than a fixed sleep.
        let deadline = std::time::Instant::now() + WAIT;
        while rocket::tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(std::time::Instant::now() < deadline, "chromedriver did not start");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver { child, url }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": required_env("CHROMIUM"),
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1280,900"]
            }),
        );
        ClientBuilder::native().capabilities(caps).connect(&self.url).await.expect("browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let p = std::env::temp_dir().join(format!("todo-e2e-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `check` in a fresh browser session and always ends the session
/// (a failed check must not leave Chromium running), then reports.
async fn in_browser<T>(driver: &Driver, check: impl AsyncFnOnce(&Client) -> Result<T, String>) -> T {
    let browser = driver.browser().await;
    let result = check(&browser).await;
    let _ = browser.close().await;
    result.unwrap_or_else(|e| panic!("{e}"))
}

#[rocket::async_test]
async fn deep_link_loads_the_app_and_shows_the_api_health() {
    let server = Server::start().await;
    let driver = Driver::start().await;

    let (status_text, heading, title) = in_browser(&driver, async |browser: &Client| {
        browser.goto(&format!("{}/tasks", server.base_url)).await.map_err(|e| e.to_string())?;
        let badge = browser.wait().at_most(WAIT).for_element(Locator::Css("[data-testid=server-status].status-up")).await;
        let Ok(status) = badge else {
            return Err(format!("the health badge did not turn green; page: {}", browser.source().await.unwrap_or_default()));
        };
        let status_text = status.text().await.map_err(|e| e.to_string())?;
        let heading = browser.find(Locator::Css("main h1")).await.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
        let title = browser.title().await.map_err(|e| e.to_string())?;
        Ok((status_text, heading, title))
    })
    .await;

    assert_eq!(status_text.trim(), "API: ok");
    assert_eq!(heading, "Your tasks", "the /tasks deep link rendered the tasks page");
    assert_eq!(title, "Todo");
}
