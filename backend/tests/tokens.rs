//! The bearer guard against hostile tokens, tokens from external issuers
//! (a Better-Auth-shaped one included) and a remote JWKS that floods,
//! rotates and goes down.

mod common;

use common::jwks::{claims, now_secs, JwksServer, TestKey, EXTERNAL_ISSUER};
use common::{app, spawn_app, AppBuilder, TestApp};
use rocket::http::{Method, Status};
use serde_json::json;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;

const SUB: &str = "external-user-1";

/// An app that trusts the external issuer's JWKS at `server`.
fn external(server: &JwksServer) -> AppBuilder {
    app().set("jwks_url", server.url.clone()).set("jwt_issuer", EXTERNAL_ISSUER).set("jwt_audience", EXTERNAL_ISSUER)
}

async fn external_app(server: &JwksServer) -> TestApp {
    external(server).spawn().await
}

async fn list_status(app: &TestApp, sub: &str, token: &str) -> Status {
    app.call(Method::Get, &format!("/api/{sub}/tasks"), Some(token), None).await.status
}

fn b64(v: &serde_json::Value) -> String {
    B64.encode(v.to_string())
}

/// `header.payload.signature` from raw parts (for tokens no library would sign).
fn raw_token(header: serde_json::Value, payload: serde_json::Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(&header), b64(&payload), B64.encode(signature))
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

#[rocket::async_test]
async fn valid_eddsa_es256_rs256_and_ps256_tokens_from_a_jwks_are_accepted() {
    let (ed, es, rs, ps) = (TestKey::ed25519(), TestKey::es256(), TestKey::rs256(), TestKey::ps256());
    let server = JwksServer::start(&[&ed, &es, &rs, &ps], "max-age=300");
    let app = external_app(&server).await;

    for key in [&ed, &es, &rs, &ps] {
        let status = list_status(&app, SUB, &key.sign(&claims(SUB))).await;
        assert_eq!(status, Status::Ok, "{:?}", key.alg);
    }
}

#[rocket::async_test]
async fn a_token_shaped_like_real_better_auth_is_accepted() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[&key], "max-age=300");
    let app = external_app(&server).await;
    let now = now_secs();
    // Better Auth's JWT plugin: header {alg, kid} (no typ), the user object in the payload.
    let payload = json!({
        "id": SUB, "name": "Ada", "email": "ada@example.com", "emailVerified": false, "image": null,
        "createdAt": "2026-11-01T10:00:00.000Z", "updatedAt": "2026-11-01T10:00:00.000Z",
        "iat": now, "iss": EXTERNAL_ISSUER, "aud": EXTERNAL_ISSUER, "exp": now + 900, "sub": SUB
    });
    let token = key.sign_like_better_auth(&payload);
    assert!(!String::from_utf8(B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap().contains("typ"));

    let created = app
        .call(Method::Post, &format!("/api/{SUB}/tasks"), Some(&token), Some(json!({"title": "from Better Auth"})))
        .await;

    assert_eq!(created.status, Status::Created);
    assert_eq!(created.json()["user_id"], SUB);
}

#[rocket::async_test]
async fn hostile_tokens_are_all_401() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[&key], "max-age=300");
    let app = external_app(&server).await;
    let now = now_secs();
    let good = key.sign(&claims(SUB));
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let header = |alg: &str| json!({"alg": alg, "kid": key.kid, "typ": "JWT"});
    let signing_input = |h: &serde_json::Value| format!("{}.{}", b64(h), payload);
    let public_x = key.jwk()["x"].as_str().unwrap().to_owned();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims(SUB);
        f(&mut c);
        key.sign(&c)
    };

    let hostile: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", b64(&header("none")), payload)),
        ("alg none, no dot", format!("{}.{}", b64(&header("none")), payload)),
        ("HMAC with the public key", {
            let input = signing_input(&header("HS256"));
            format!("{input}.{}", B64.encode(hmac_sha256(public_x.as_bytes(), input.as_bytes())))
        }),
        ("HMAC with the decoded public key", {
            let input = signing_input(&header("HS256"));
            format!("{input}.{}", B64.encode(hmac_sha256(&B64.decode(&public_x).unwrap(), input.as_bytes())))
        }),
        ("wrong key, right kid", TestKey::ed25519_other().sign(&claims(SUB))),
        ("unknown kid", TestKey::ed25519().with_kid("no-such-kid").sign(&claims(SUB))),
        ("no kid", raw_token(json!({"alg": "EdDSA", "typ": "JWT"}), claims(SUB), b"sig")),
        (
            "expired",
            with(&|c| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 3600);
            }),
        ),
        ("not yet valid", with(&|c| c["nbf"] = json!(now + 3600))),
        ("wrong iss", with(&|c| c["iss"] = json!("https://evil.example"))),
        ("wrong aud", with(&|c| c["aud"] = json!("https://other-api.example"))),
        (
            "missing sub",
            with(&|c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
        ),
        ("empty sub", with(&|c| c["sub"] = json!("  "))),
        (
            "missing exp",
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        (
            "tampered payload",
            format!(
                "{head}.{}.{signature}",
                b64(&json!({"sub": "someone-else", "iss": EXTERNAL_ISSUER, "aud": EXTERNAL_ISSUER, "exp": now + 900}))
            ),
        ),
        ("truncated", good[..good.len() - 10].to_owned()),
        ("signature stripped", format!("{head}.{payload}.")),
        ("huge", format!("{head}.{}.{signature}", "A".repeat(9000))),
        ("garbage", "!!!.???.***".to_owned()),
        ("two parts", format!("{head}.{payload}")),
        ("empty", String::new()),
    ];
    for (name, token) in hostile {
        let sub = if name == "tampered payload" { "someone-else" } else { SUB };
        let reply = app.call(Method::Get, &format!("/api/{sub}/tasks"), Some(&token), None).await;
        assert_eq!(reply.status, Status::Unauthorized, "{name}");
        assert_eq!(reply.json()["code"], "UNAUTHORIZED", "{name}");
        assert!(reply.header("WWW-Authenticate").is_some(), "{name}");
    }
    assert_eq!(list_status(&app, SUB, &good).await, Status::Ok, "the untampered token still works");
}

#[rocket::async_test]
async fn a_key_declared_for_rs256_does_not_verify_ps256_tokens() {
    let rs = TestKey::rs256();
    let server = JwksServer::start(&[&rs], "max-age=300");
    let app = external_app(&server).await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.kid = Some(rs.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims(SUB), &rs.encoding).unwrap();

    assert_eq!(list_status(&app, SUB, &token).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn local_tokens_with_forged_headers_are_401() {
    let app = spawn_app().await;
    let user = app.sign_up().await;
    let token = app.jwt(&user).await;
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let (_, rest) = token.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let x = app
        .jwks()
        .await
        .find(&kid)
        .map(|k| serde_json::to_value(k).unwrap()["x"].as_str().unwrap().to_owned())
        .unwrap();
    let hs_header = b64(&json!({"alg": "HS256", "kid": kid, "typ": "JWT"}));
    let hs_input = format!("{hs_header}.{payload}");

    for (name, forged) in [
        ("alg none", format!("{}.{payload}.", b64(&json!({"alg": "none", "kid": kid})))),
        (
            "HMAC with the public key",
            format!("{hs_input}.{}", B64.encode(hmac_sha256(x.as_bytes(), hs_input.as_bytes()))),
        ),
        ("truncated", token[..token.len() - 5].to_owned()),
    ] {
        assert_eq!(list_status(&app, &user.user_id, &forged).await, Status::Unauthorized, "{name}");
    }
    assert_eq!(list_status(&app, &user.user_id, &token).await, Status::Ok);
}

#[rocket::async_test]
async fn a_flood_of_unknown_kids_causes_only_a_handful_of_fetches() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[&key], "max-age=300");
    let app = external_app(&server).await;
    assert_eq!(list_status(&app, SUB, &key.sign(&claims(SUB))).await, Status::Ok);

    let flood = (0..50).map(|i| {
        let token = TestKey::ed25519().with_kid(&format!("random-{i}")).sign(&claims(SUB));
        let app = &app;
        async move { list_status(app, SUB, &token).await }
    });
    let statuses = rocket::futures::future::join_all(flood).await;

    assert!(statuses.iter().all(|s| *s == Status::Unauthorized));
    assert!(server.hits() <= 3, "{} fetches for 51 requests", server.hits());
}

#[rocket::async_test]
async fn a_rotated_key_is_picked_up_on_its_first_token() {
    let old = TestKey::ed25519();
    let server = JwksServer::start(&[&old], "max-age=300");
    let app = external(&server).set("jwks_refetch_cooldown", 0).spawn().await;
    assert_eq!(list_status(&app, SUB, &old.sign(&claims(SUB))).await, Status::Ok);

    let new = TestKey::es256().with_kid("rotated-key");
    server.serve(&[&old, &new]);

    assert_eq!(list_status(&app, SUB, &new.sign(&claims(SUB))).await, Status::Ok);
    assert_eq!(list_status(&app, SUB, &old.sign(&claims(SUB))).await, Status::Ok);
}

#[rocket::async_test]
async fn an_outage_keeps_the_last_good_keys() {
    let key = TestKey::ed25519();
    // max-age=0: every request finds the cache stale and tries to refetch.
    let server = JwksServer::start(&[&key], "max-age=0");
    let app = external(&server).set("jwks_refetch_cooldown", 0).spawn().await;
    let token = key.sign(&claims(SUB));
    assert_eq!(list_status(&app, SUB, &token).await, Status::Ok);

    server.go_down();
    let hits_before = server.hits();
    assert_eq!(list_status(&app, SUB, &token).await, Status::Ok, "cached keys still verify");
    assert!(server.hits() > hits_before, "it did try the JWKS server");
    let unknown = TestKey::es256().with_kid("never-seen").sign(&claims(SUB));
    assert_eq!(
        list_status(&app, SUB, &unknown).await,
        Status::Unauthorized,
        "unknown kid during an outage: 401, not 503"
    );
}

#[rocket::async_test]
async fn jwks_server_down_from_the_start_means_401_not_500() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[&key], "max-age=300");
    server.go_down();
    let app = external_app(&server).await;

    assert_eq!(list_status(&app, SUB, &key.sign(&claims(SUB))).await, Status::Unauthorized);
}

/// A route of the test's own, guarded by `Owner`, mounted far from `/api`.
#[rocket::get("/<user_id>/whoami")]
fn whoami(owner: backend::bearer::Owner, user_id: &str) -> String {
    format!("{} at {user_id}", owner.user_id)
}

#[rocket::async_test]
async fn the_guard_finds_user_id_by_name_wherever_the_routes_are_mounted() {
    let app = app().mount("/elsewhere/deeper", rocket::routes![whoami]).spawn().await;
    let user = app.sign_up().await;
    let token = app.jwt(&user).await;
    let get = |path: String| {
        let req = app.client.get(path).header(rocket::http::Header::new("Authorization", format!("Bearer {token}")));
        async move {
            let res = req.dispatch().await;
            (res.status(), res.into_string().await.unwrap_or_default())
        }
    };

    let (status, body) = get(format!("/elsewhere/deeper/{}/whoami", user.user_id)).await;
    assert_eq!((status, body), (Status::Ok, format!("{0} at {0}", user.user_id)));
    let (status, _) = get("/elsewhere/deeper/someone-else/whoami".into()).await;
    assert_eq!(status, Status::Forbidden, "another user's path segment, found by its name");
}

// ---- JWKS_URL fetch limits (DESIGN §10) ---------------------------------------

#[rocket::async_test]
async fn a_jwks_behind_a_redirect_is_not_followed() {
    let key = TestKey::ed25519();
    let target = JwksServer::start(&[&key], "max-age=300");
    let server = JwksServer::start(&[], "max-age=300");
    server.redirect_to(&target.url);
    let app = external_app(&server).await;
    assert_eq!(list_status(&app, "u1", &key.sign(&claims("u1"))).await, Status::Unauthorized);
    assert!(server.hits() >= 1);
    assert_eq!(target.hits(), 0, "the redirect's target was never asked");
}

#[rocket::async_test]
async fn a_key_set_over_64_kib_is_refused() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[], "max-age=0");
    let padded = |pad: usize| json!({"keys": [key.jwk()], "padding": "x".repeat(pad)}).to_string();
    server.serve_raw(padded(70 * 1024));
    let app = external_app(&server).await;
    assert_eq!(list_status(&app, "u1", &key.sign(&claims("u1"))).await, Status::Unauthorized, "70 KiB");
    // The same keys in a body under the cap are used (after the cooldown).
    server.serve_raw(padded(60 * 1024));
    let app = external_app(&server).await;
    assert_eq!(list_status(&app, "u1", &key.sign(&claims("u1"))).await, Status::Ok, "60 KiB");
}

#[rocket::async_test]
async fn only_the_first_32_keys_of_a_set_are_used() {
    let server = JwksServer::start(&[], "max-age=300");
    let keys: Vec<_> = (0..40).map(|i| TestKey::ed25519().with_kid(&format!("k{i}"))).collect();
    server.serve(&keys.iter().collect::<Vec<_>>());
    let app = external_app(&server).await;
    assert_eq!(list_status(&app, "u1", &keys[31].sign(&claims("u1"))).await, Status::Ok, "the 32nd key");
    assert_eq!(list_status(&app, "u1", &keys[32].sign(&claims("u1"))).await, Status::Unauthorized, "the 33rd");
}
