//! Serves the built SPA (`dist/`) on the API's origin: real files as they
//! are, any other page path (a deep link like `/tasks`) as `index.html`, the
//! whole app, except the signed-out pages (`/login` and the like, listed in
//! `shared::pages`), which get the small sign-in bundle's `signin.html` when
//! the build has one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder};
use rocket::{get, routes, Request, Response, State};
use sha2::Digest as _;

use crate::config::Settings;
use crate::encoding::{self, Effort, Encoded, Encoding};
use crate::security;

/// Where the SPA lives, and its files as loaded: read, compressed (brotli
/// and gzip, once per file) and hashed for an `ETag`. A request costs a
/// `stat`; a file rebuilt in place is loaded again by its modification time.
pub(crate) struct Web {
    dist: PathBuf,
    files: Mutex<HashMap<PathBuf, (SystemTime, Arc<StaticFile>)>>,
}

/// One file of `dist/` in every coding it is sent in.
pub(crate) struct StaticFile {
    content_type: ContentType,
    body: Encoded,
    /// Of the file's bytes; each coding adds its own suffix, since each is
    /// a different representation (RFC 9110 §8.8.3).
    etag: String,
    /// Pages (`index.html`, `signin.html`) only: the CSP that allows their
    /// inline loader by hash.
    policy: Option<String>,
    /// False for formats that are compressed already (images, fonts).
    compressible: bool,
}

/// Formats that are compressed already.
const PRECOMPRESSED: [&str; 9] = ["png", "jpg", "jpeg", "gif", "webp", "avif", "woff2", "gz", "br"];

const INDEX: &str = "index.html";

/// Whether a file of `dist/` is a page (sent with its CSP and revalidated)
/// rather than one of the hashed files a page names.
fn is_page(name: &Path) -> bool {
    name.extension().is_some_and(|e| e.eq_ignore_ascii_case("html"))
}

/// Whether a file of this name is worth compressing (not an image, a font
/// or a compressed file already).
fn compressible(name: &Path) -> bool {
    let ext = name.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    !PRECOMPRESSED.contains(&ext.as_str())
}

/// The variants `backend precompress` writes next to a file.
const VARIANTS: [(Encoding, &str); 2] = [(Encoding::Br, "br"), (Encoding::Gzip, "gz")];

/// `path` with `.br` / `.gz` appended.
fn variant_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// A variant file next to `path` written after `path` was (else stale).
fn fresh_variant(path: &Path, modified: SystemTime, suffix: &str) -> Option<Vec<u8>> {
    let variant = variant_path(path, suffix);
    let written = std::fs::metadata(&variant).and_then(|m| m.modified()).ok()?;
    (written >= modified).then(|| std::fs::read(&variant).ok()).flatten()
}

impl StaticFile {
    /// With the brotli and gzip variants made at build time, if any
    /// (missing ones are made here, now).
    fn load(path: &Path, bytes: Vec<u8>, br: Option<Vec<u8>>, gz: Option<Vec<u8>>) -> Self {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let content_type = ContentType::from_extension(&ext).unwrap_or(ContentType::Binary);
        let policy = is_page(path).then(|| security::spa_policy(&String::from_utf8_lossy(&bytes)));
        let digest = sha2::Sha256::digest(&bytes);
        let etag = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let compressible = compressible(path);
        let body = if compressible {
            let body = Encoded::with_variants(bytes, Effort::Static, br, gz);
            body.variant(Encoding::Br);
            body.variant(Encoding::Gzip);
            body
        } else {
            Encoded::new(bytes, Effort::Static)
        };
        Self { content_type, body, etag, policy, compressible }
    }
}

impl Web {
    /// The file at `rel` (inside `dist/`), loaded if new or changed.
    async fn file(&self, rel: &Path) -> Option<Arc<StaticFile>> {
        let path = self.dist.join(rel);
        let meta = rocket::tokio::fs::metadata(&path).await.ok().filter(|m| m.is_file())?;
        let modified = meta.modified().ok()?;
        if let Some((at, file)) = self.files.lock().unwrap_or_else(PoisonError::into_inner).get(rel) {
            if *at == modified {
                return Some(file.clone());
            }
        }
        let bytes = rocket::tokio::fs::read(&path).await.ok()?;
        let name = rel.to_owned();
        let load = move || {
            let [br, gz] = VARIANTS.map(|(_, suffix)| fresh_variant(&path, modified, suffix));
            StaticFile::load(&name, bytes, br, gz)
        };
        let file = Arc::new(rocket::tokio::task::spawn_blocking(load).await.ok()?);
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        if rel == Path::new(INDEX) {
            // A new build names new bundles: the old ones need no memory.
            files.clear();
        }
        files.insert(rel.to_owned(), (modified, file.clone()));
        Some(file)
    }

    /// Loads (and compresses) every file of `dist/` before the first request.
    async fn preload(&self) -> (usize, usize, usize) {
        let mut totals = (0, 0, 0);
        let Ok(entries) = std::fs::read_dir(&self.dist) else { return totals };
        let mut names: Vec<PathBuf> =
            entries.flatten().map(|e| PathBuf::from(e.file_name())).filter(|n| !is_variant(n)).collect();
        // index.html first: loading it starts the map over.
        names.sort_by_key(|n| n != Path::new(INDEX));
        for name in names {
            if let Some(file) = self.file(&name).await.filter(|f| f.compressible) {
                totals.0 += file.body.identity().len();
                totals.1 += file.body.pick(Encoding::Br).1.len();
                totals.2 += file.body.pick(Encoding::Gzip).1.len();
            }
        }
        totals
    }
}

/// A `.br` / `.gz` file: the variant of another file, loaded with it.
fn is_variant(name: &Path) -> bool {
    name.extension().is_some_and(|e| VARIANTS.iter().any(|(_, suffix)| e == *suffix))
}

/// `backend precompress [DIR]`: writes `X.br` and `X.gz` next to every
/// compressible file `X` of the built SPA (brotli 11, gzip 9, each only if it
/// pays), so the server loads them instead of compressing at start-up.
pub(crate) fn precompress(dir: &Path) -> Result<String, String> {
    let started = Instant::now();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let (mut files, mut raw, mut br_total) = (0, 0, 0);
    for entry in entries.flatten() {
        let path = entry.path();
        let name = PathBuf::from(entry.file_name());
        if !path.is_file() || !compressible(&name) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        raw += bytes.len();
        let body = Encoded::new(bytes, Effort::Static);
        for (encoding, suffix) in VARIANTS {
            let target = variant_path(&path, suffix);
            match body.variant(encoding) {
                Some(variant) => {
                    if encoding == Encoding::Br {
                        br_total += variant.len();
                    }
                    std::fs::write(&target, &variant).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
                }
                // Too small to pay: no variant, and none left from an older build.
                None => {
                    let _ = std::fs::remove_file(&target);
                }
            }
        }
        files += 1;
    }
    Ok(format!(
        "precompressed {files} files in {}: {raw} bytes, {br_total} as brotli, in {} ms",
        dir.display(),
        started.elapsed().as_millis()
    ))
}

/// A file from `dist/`, with a cache policy fitting its kind.
pub(crate) enum Asset {
    /// A page (`index.html`, `signin.html`): must be revalidated, it names
    /// the current hashed bundles; sent with the CSP that allows its inline
    /// loader by hash.
    Page(Arc<StaticFile>),
    /// Trunk's file names carry a content hash, so they never change.
    Hashed(Arc<StaticFile>),
    /// Shown when `dist/` has not been built yet.
    NotBuilt,
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>SPA not built</title>\
<h1>The web app has not been built</h1>\
<p>The API is running, but <code>dist/</code> is missing. Run <code>cargo xtask run</code> \
(builds the SPA and starts the server), or <code>trunk serve</code> for the dev loop.</p>";

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| v.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == etag))
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (file, cache) = match self {
            Asset::Page(file) => (file, "no-cache"),
            Asset::Hashed(file) => (file, "public, max-age=31536000, immutable"),
            Asset::NotBuilt => {
                let mut res = (Status::ServiceUnavailable, (ContentType::HTML, NOT_BUILT)).respond_to(req)?;
                res.set_header(Header::new("Cache-Control", "no-store"));
                return Ok(res);
            }
        };
        let (coding, bytes) = if file.compressible {
            file.body.pick(Encoding::of(req))
        } else {
            (Encoding::Identity, file.body.identity().clone())
        };
        let etag = match coding {
            Encoding::Br => format!("\"{}-br\"", file.etag),
            Encoding::Gzip => format!("\"{}-gz\"", file.etag),
            Encoding::Identity => format!("\"{}\"", file.etag),
        };
        let mut res = if matches(req.headers().get_one("If-None-Match"), &etag) {
            Response::build().status(Status::NotModified).finalize()
        } else {
            let mut res = Response::build().header(file.content_type.clone()).finalize();
            encoding::set_encoded(&mut res, coding, bytes);
            res
        };
        if file.compressible {
            res.set_header(encoding::vary());
        }
        res.set_header(Header::new("ETag", etag));
        res.set_header(Header::new("Cache-Control", cache));
        if let Some(policy) = &file.policy {
            res.set_header(Header::new("Content-Security-Policy", policy.clone()));
        }
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
    // A page requested by its file name (`/index.html`) is still a page.
    if !path.as_os_str().is_empty() {
        if let Some(file) = web.file(&path).await {
            return Ok(if is_page(&path) { Asset::Page(file) } else { Asset::Hashed(file) });
        }
        if looks_like_file(&path) {
            return Err(Status::NotFound);
        }
    }
    // The signed-out pages come with the sign-in bundle when the build has
    // one (`trunk serve` and older builds have only index.html, which holds
    // every page too).
    if shared::pages::is_sign_in_page(&format!("/{}", path.to_string_lossy())) {
        if let Some(file) = web.file(Path::new(shared::pages::SIGN_IN_DOCUMENT)).await {
            return Ok(Asset::Page(file));
        }
    }
    Ok(web.file(Path::new(INDEX)).await.map_or(Asset::NotBuilt, Asset::Page))
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
        let web = Web { dist, files: Mutex::default() };
        let started = Instant::now();
        let (raw, br, gz) = web.preload().await;
        if raw > 0 {
            tracing::info!(
                "dist/ loaded and compressed in {} ms: {raw} bytes, {br} as brotli, {gz} as gzip",
                started.elapsed().as_millis()
            );
        }
        rocket.manage(web).mount("/", routes![spa])
    })
}
