//! Serves the built SPA (`dist/`) on the API's origin: real files as they
//! are, any other page path (a deep link like `/tasks`) as `index.html`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use rocket::fairing::AdHoc;
use rocket::fs::NamedFile;
use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder};
use rocket::{get, routes, Request, State};

use crate::config::Settings;
use crate::security;

/// Where the SPA lives; checked once at start so a missing build is one warning.
pub(crate) struct Web {
    dist: PathBuf,
    /// `index.html` and its CSP as last read, with the file's modification
    /// time: a page request costs a `stat`, not a read and a hash, and a
    /// rebuilt `dist/` is picked up without a restart.
    index: Mutex<Option<(SystemTime, Arc<IndexPage>)>>,
}

/// The SPA's page and the Content-Security-Policy that allows its inline
/// loader by hash.
pub(crate) struct IndexPage {
    html: String,
    policy: String,
}

impl Web {
    async fn index(&self) -> Option<Arc<IndexPage>> {
        let path = self.dist.join("index.html");
        let modified = rocket::tokio::fs::metadata(&path).await.ok()?.modified().ok()?;
        if let Some((at, page)) = self.index.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            if *at == modified {
                return Some(page.clone());
            }
        }
        let html = rocket::tokio::fs::read_to_string(&path).await.ok()?;
        let page = Arc::new(IndexPage { policy: security::spa_policy(&html), html });
        *self.index.lock().unwrap_or_else(PoisonError::into_inner) = Some((modified, page.clone()));
        Some(page)
    }
}

/// A file from `dist/`, with a cache policy fitting its kind.
pub(crate) enum Asset {
    /// `index.html`: must be revalidated, it names the current hashed
    /// bundles; sent with the CSP that allows its inline loader by hash.
    Index(Arc<IndexPage>),
    /// Trunk's file names carry a content hash, so they never change.
    Hashed(NamedFile),
    /// Shown when `dist/` has not been built yet.
    NotBuilt,
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>SPA not built</title>\
<h1>The web app has not been built</h1>\
<p>The API is running, but <code>dist/</code> is missing. Run <code>cargo xtask run</code> \
(builds the SPA and starts the server), or <code>trunk serve</code> for the dev loop.</p>";

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (file, cache) = match self {
            Asset::Index(page) => {
                let mut res = (ContentType::HTML, page.html.clone()).respond_to(req)?;
                res.set_header(Header::new("Cache-Control", "no-cache"));
                res.set_header(Header::new("Content-Security-Policy", page.policy.clone()));
                return Ok(res);
            }
            Asset::Hashed(f) => (f, "public, max-age=31536000, immutable"),
            Asset::NotBuilt => {
                let mut res = (Status::ServiceUnavailable, (ContentType::HTML, NOT_BUILT)).respond_to(req)?;
                res.set_header(Header::new("Cache-Control", "no-store"));
                return Ok(res);
            }
        };
        let mut res = file.respond_to(req)?;
        res.set_header(Header::new("Cache-Control", cache));
        Ok(res)
    }
}

/// Paths that look like files (`/x.js`) are 404 when missing; everything else
/// is a page of the SPA's router.
fn looks_like_file(path: &Path) -> bool {
    path.extension().is_some()
}

#[get("/<path..>", rank = 20)]
async fn spa(path: PathBuf, web: &State<Web>) -> Result<Asset, Status> {
    // Unknown API routes must stay JSON 404s (the `/api` catcher), never the SPA.
    if path.starts_with("api") {
        return Err(Status::NotFound);
    }
    // index.html itself is always served as the page (with its CSP).
    if path.as_os_str() != "index.html" {
        let candidate = web.dist.join(&path);
        if !path.as_os_str().is_empty() && candidate.is_file() {
            return NamedFile::open(&candidate).await.map(Asset::Hashed).map_err(|_| Status::NotFound);
        }
        if looks_like_file(&path) {
            return Err(Status::NotFound);
        }
    }
    Ok(web.index().await.map_or(Asset::NotBuilt, Asset::Index))
}

pub(crate) fn stage() -> AdHoc {
    AdHoc::on_ignite("SPA", |rocket| async {
        let dist = rocket.state::<Settings>().map(|s| s.dist_dir.clone()).unwrap_or_else(|| "dist".into());
        if !dist.join("index.html").is_file() {
            tracing::warn!(
                "no SPA build at {}: API only. Run `cargo xtask run` or `trunk build` to build it.",
                dist.display()
            );
        }
        rocket.manage(Web { dist, index: Mutex::new(None) }).mount("/", routes![spa])
    })
}
