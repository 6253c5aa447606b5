//! Compressed delivery: `dist/` files and task-list JSON in the coding the
//! client asks for, with the headers caches and browsers rely on.

mod common;

use std::io::Read as _;

use common::{spawn_app, TestApp, INDEX_MARKER};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;

/// A JavaScript file big enough to be worth compressing.
fn script() -> String {
    (0..2000).map(|i| format!("console.log('line {i}');\n")).collect()
}

fn decode(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    match coding {
        Some("br") => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut plain).map(drop).unwrap(),
        Some("gzip") => flate2::read::GzDecoder::new(bytes).read_to_end(&mut plain).map(drop).unwrap(),
        None => plain.extend_from_slice(bytes),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    plain
}

/// Status, Content-Encoding, and the body as sent (checked against its Content-Length).
async fn fetch(res: LocalResponse<'_>) -> (Status, Option<String>, Vec<u8>) {
    let status = res.status();
    let coding = res.headers().get_one("Content-Encoding").map(str::to_owned);
    let length = res.headers().get_one("Content-Length").map(|l| l.parse::<usize>().unwrap());
    let body = res.into_bytes().await.unwrap_or_default();
    if let Some(length) = length {
        assert_eq!(length, body.len(), "Content-Length is the length of what was sent");
    }
    (status, coding, body)
}

async fn app_with_script() -> (TestApp, String) {
    let app = spawn_app().await;
    std::fs::write(app.dist.path().join("app-5678.js"), script()).unwrap();
    (app, "/app-5678.js".to_owned())
}

#[rocket::async_test]
async fn each_accept_encoding_gets_its_coding_and_the_same_file() {
    let (app, path) = app_with_script().await;
    for (accept, want) in [
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("br"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("identity"), None),
        (Some("br;q=0, gzip;q=0"), None),
        (Some("identity;q=0"), None), // nothing acceptable: the file still comes
        (Some("zstd, compress"), None),
        (Some(";;q=x,,"), None),
        (None, None),
    ] {
        let mut req = app.client.get(path.clone());
        if let Some(accept) = accept {
            req = req.header(Header::new("Accept-Encoding", accept));
        }
        let res = req.dispatch().await;
        assert_eq!(res.headers().get_one("Vary"), Some("Accept-Encoding"), "{accept:?}");
        assert_eq!(res.content_type(), Some(ContentType::JavaScript), "{accept:?}");
        let (status, coding, body) = fetch(res).await;
        assert_eq!(status, Status::Ok, "{accept:?}");
        assert_eq!(coding.as_deref(), want, "{accept:?}");
        if want.is_some() {
            assert!(body.len() * 4 < script().len(), "{accept:?}: {} bytes", body.len());
        }
        assert_eq!(decode(coding.as_deref(), &body), script().as_bytes(), "{accept:?}");
    }
}

#[rocket::async_test]
async fn the_page_has_an_etag_per_coding_and_answers_304() {
    let app = spawn_app().await;
    let page = format!("<!doctype html>{INDEX_MARKER}{}", "<p>some text of the page</p>".repeat(100));
    std::fs::write(app.dist.path().join("index.html"), &page).unwrap();

    let mut etags = Vec::new();
    for accept in ["br", "gzip", "identity"] {
        let res = app.client.get("/tasks").header(Header::new("Accept-Encoding", accept)).dispatch().await;
        let etag = res.headers().get_one("ETag").expect("an ETag").to_owned();
        assert!(res.headers().get_one("Content-Security-Policy").is_some());
        let (status, coding, body) = fetch(res).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(decode(coding.as_deref(), &body), page.as_bytes());

        let again = app
            .client
            .get("/tasks")
            .header(Header::new("Accept-Encoding", accept))
            .header(Header::new("If-None-Match", format!("W/\"other\", {etag}")))
            .dispatch()
            .await;
        assert_eq!(again.status(), Status::NotModified, "{accept}");
        assert_eq!(again.headers().get_one("ETag"), Some(etag.as_str()));
        assert!(again.into_bytes().await.unwrap_or_default().is_empty());
        etags.push(etag);
    }
    etags.dedup();
    assert_eq!(etags.len(), 3, "each coding is its own representation: {etags:?}");

    // A changed page is a new ETag: the old one no longer gets a 304.
    std::fs::write(app.dist.path().join("index.html"), format!("{page}<p>new</p>")).unwrap();
    let res = app.client.get("/").header(Header::new("If-None-Match", etags[2].clone())).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.into_string().await.unwrap().ends_with("<p>new</p>"));
}

#[rocket::async_test]
async fn large_task_lists_come_compressed_small_ones_and_auth_answers_do_not() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let token = app.jwt(&user).await;
    let bearer = Header::new("Authorization", format!("Bearer {token}"));
    let list = format!("/api/{}/tasks", user.user_id);

    let get = |accept: &'static str| {
        app.client.get(list.clone()).header(bearer.clone()).header(Header::new("Accept-Encoding", accept)).dispatch()
    };
    let (_, coding, _) = fetch(get("br, gzip").await).await;
    assert_eq!(coding, None, "an empty list is too small to compress");

    for i in 0..30 {
        let body = serde_json::json!({"title": format!("Task number {i}"), "description": "details ".repeat(5)});
        let res = app
            .client
            .post(list.clone())
            .header(bearer.clone())
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Created);
    }
    let (_, coding, plain) = fetch(get("identity").await).await;
    assert_eq!(coding, None);
    assert!(plain.len() > 2048, "{} bytes", plain.len());
    for (accept, want) in [("br, gzip", "br"), ("gzip", "gzip"), ("br, gzip", "br")] {
        let res = get(accept).await;
        assert_eq!(res.headers().get_one("Vary"), Some("Accept-Encoding"));
        assert!(res.headers().get_one("X-Total-Count").is_some());
        let (status, coding, body) = fetch(res).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(coding.as_deref(), Some(want), "{accept}");
        assert_eq!(decode(coding.as_deref(), &body), plain, "the same page, compressed");
    }

    // JSON from other routes is compressed by the fairing (the contract is large).
    let res = app.client.get("/api/openapi.json").header(Header::new("Accept-Encoding", "gzip")).dispatch().await;
    let (status, coding, body) = fetch(res).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(coding.as_deref(), Some("gzip"));
    let contract: serde_json::Value = serde_json::from_slice(&decode(Some("gzip"), &body)).unwrap();
    assert!(contract["paths"].is_object());

    // The auth server never compresses: its answers carry secrets.
    let res = app
        .client
        .get("/api/auth/get-session")
        .cookie(rocket::http::Cookie::new(common::COOKIE, user.cookie.clone()))
        .header(Header::new("Accept-Encoding", "br, gzip"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("Content-Encoding"), None);
}

/// `backend precompress DIR` (the real binary) on a built SPA.
fn precompress(dir: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["precompress", dir.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[rocket::async_test]
async fn variants_made_at_build_time_are_served_and_stale_ones_ignored() {
    let dist = common::TempDir::new("precompress");
    std::fs::write(dist.path().join("index.html"), format!("<!doctype html>{INDEX_MARKER}")).unwrap();
    std::fs::write(dist.path().join("app-5678.js"), script()).unwrap();
    std::fs::write(dist.path().join("tiny-1.css"), "a{}").unwrap();
    let report = precompress(dist.path());
    assert!(report.starts_with("precompressed 3 files"), "{report}");
    let (br, gz) = (dist.path().join("app-5678.js.br"), dist.path().join("app-5678.js.gz"));
    assert_eq!(decode(Some("br"), &std::fs::read(&br).unwrap()), script().as_bytes());
    assert_eq!(decode(Some("gzip"), &std::fs::read(&gz).unwrap()), script().as_bytes());
    assert!(!dist.path().join("tiny-1.css.br").exists(), "too small to pay: no variant");

    // The server sends the build's variant as it is: to show it is the
    // file's, not one it made, the file now holds the brotli of other text.
    let other: String = script().replace("line", "LINE");
    let mut other_br = Vec::new();
    brotli::BrotliCompress(&mut other.as_bytes(), &mut other_br, &Default::default()).unwrap();
    std::fs::write(&br, &other_br).unwrap();
    let app = common::app().set("dist_dir", dist.path().to_str().unwrap()).spawn().await;
    let res = app.client.get("/app-5678.js").header(Header::new("Accept-Encoding", "br")).dispatch().await;
    let (_, coding, body) = fetch(res).await;
    assert_eq!(coding.as_deref(), Some("br"));
    assert_eq!(decode(Some("br"), &body), other.as_bytes(), "the precompressed file was used");

    // A variant older than its file (the SPA rebuilt, not precompressed) is ignored.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&br).unwrap().set_modified(old).unwrap();
    let app = common::app().set("dist_dir", dist.path().to_str().unwrap()).spawn().await;
    let res = app.client.get("/app-5678.js").header(Header::new("Accept-Encoding", "br")).dispatch().await;
    let (_, coding, body) = fetch(res).await;
    assert_eq!(coding.as_deref(), Some("br"));
    assert_eq!(decode(Some("br"), &body), script().as_bytes(), "compressed afresh from the file");
}
