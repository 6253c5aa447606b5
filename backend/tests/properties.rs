//! Property tests (proptest): the bearer token checks against a model of the
//! rules, tampering with valid tokens, arbitrary Authorization headers, and
//! arbitrary request bodies for task creation over HTTP.

mod common;

use backend::bearer::{bearer_token, verify, Expectations, KeyRing};
use common::jwks::{now_secs, TestKey, EXTERNAL_ISSUER};
use common::spawn_app;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const LEEWAY: i64 = 10;

fn ring(key: &TestKey) -> KeyRing {
    KeyRing::from_jwks(&serde_json::from_value(json!({ "keys": [key.jwk()] })).unwrap())
}

fn expectations() -> Expectations {
    Expectations { issuer: EXTERNAL_ISSUER.into(), audience: EXTERNAL_ISSUER.into(), leeway_secs: LEEWAY as u64 }
}

proptest! {
    #![proptest_config(Config::with_cases(300))]

    /// A signed token is accepted exactly when every rule holds: not expired
    /// (with leeway), not before `nbf` (with leeway), right `iss` and `aud`,
    /// a non-blank `sub`.
    #[test]
    fn signed_claims_are_accepted_exactly_when_every_rule_holds(
        exp_offset in -60i64..60,
        nbf_offset in proptest::option::of(-60i64..60),
        right_iss: bool,
        right_aud: bool,
        sub in "[ a-z0-9]{0,4}",
    ) {
        // Keep clear of the boundary second: the clock may tick mid-case.
        prop_assume!((exp_offset + LEEWAY).abs() > 2 && nbf_offset.is_none_or(|n| (n - LEEWAY).abs() > 2));
        let key = TestKey::ed25519();
        let now = now_secs();
        let mut claims = json!({
            "sub": sub,
            "iss": if right_iss { EXTERNAL_ISSUER } else { "http://evil.example" },
            "aud": if right_aud { EXTERNAL_ISSUER } else { "http://evil.example" },
            "iat": now,
            "exp": now + exp_offset,
        });
        if let Some(n) = nbf_offset {
            claims["nbf"] = json!(now + n);
        }
        let expected = exp_offset + LEEWAY >= 0
            && nbf_offset.is_none_or(|n| n <= LEEWAY)
            && right_iss
            && right_aud
            && !sub.trim().is_empty();
        let result = verify(&key.sign(&claims), &ring(&key), &expectations());
        prop_assert_eq!(result.is_ok(), expected, "{:?}", result.err());
    }

    /// Changing any one character of a valid token makes it invalid.
    #[test]
    fn any_one_character_changed_in_a_valid_token_is_refused(
        at in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_.=+/-]",
    ) {
        let key = TestKey::ed25519();
        let claims = json!({"sub": "u1", "iss": EXTERNAL_ISSUER, "aud": EXTERNAL_ISSUER, "iat": now_secs(), "exp": now_secs() + 600});
        let token = key.sign(&claims);
        prop_assert!(verify(&token, &ring(&key), &expectations()).is_ok());
        let i = at.index(token.len());
        prop_assume!(token.as_bytes()[i] != replacement.as_bytes()[0]);
        let mut tampered = token.clone();
        tampered.replace_range(i..=i, &replacement);
        prop_assert!(verify(&tampered, &ring(&key), &expectations()).is_err(), "accepted with byte {} changed", i);
    }

    /// Whatever arrives in `Authorization`, parsing never panics and never
    /// authenticates.
    #[test]
    fn arbitrary_authorization_headers_never_authenticate(header in "(Bearer |bearer |Basic )?[ -~]{0,400}") {
        let key = TestKey::ed25519();
        if let Ok(token) = bearer_token(Some(&header)) {
            prop_assert!(verify(token, &ring(&key), &expectations()).is_err());
        }
    }
}

/// A request body for `POST /tasks`: mostly the right shape with hostile
/// values, sometimes extra fields, wrong types, or not JSON at all.
fn create_body() -> impl Strategy<Value = String> {
    let title =
        prop_oneof!["[ \\t\\n]{0,3}[a-zA-Z0-9 🦀\"\\\\<>]{0,12}[ \\t]{0,2}", "[a-z]{195,205}", Just(String::new()),];
    let description = proptest::option::of(prop_oneof!["[ -~]{0,20}", "[a-z]{1999,2001}"]);
    let shaped = (title, description, proptest::option::of("[a-z_]{1,8}")).prop_map(|(title, description, extra)| {
        let mut body = json!({"title": title});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        if let Some(field) = extra {
            body[field] = json!(1);
        }
        body.to_string()
    });
    let wrong_types = prop_oneof![
        Just(r#"{"title": 1}"#.to_owned()),
        Just(r#"{"title": null}"#.to_owned()),
        Just(r#"{"title": ["a"]}"#.to_owned()),
        Just("[]".to_owned()),
        Just("\"title\"".to_owned()),
    ];
    prop_oneof![6 => shaped, 1 => wrong_types, 1 => "[ -~]{0,60}"]
}

/// What the API must answer for `body`: 201 with the trimmed title, or the
/// documented 4xx. Never a 5xx.
fn expected_status(body: &str) -> u16 {
    let Ok(value) = serde_json::from_str::<Value>(body) else { return 400 };
    let Some(obj) = value.as_object() else { return 422 };
    let known = obj.keys().all(|k| k == "title" || k == "description");
    let title = obj.get("title").and_then(Value::as_str);
    let description = match obj.get("description") {
        None => Some(""),
        Some(d) => d.as_str(),
    };
    match (known, title, description) {
        (true, Some(t), Some(d)) => {
            let n = t.trim().chars().count();
            if (1..=200).contains(&n) && d.chars().count() <= 2000 {
                201
            } else {
                422
            }
        }
        _ => 422,
    }
}

#[test]
fn arbitrary_task_bodies_get_the_documented_answer_and_never_a_5xx() {
    let rt = rocket::tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app());
    let user = rt.block_on(app.sign_up());
    let token = rt.block_on(app.jwt(&user));
    let path = format!("/api/{}/tasks", user.user_id);
    let mut runner = TestRunner::new(Config { failure_persistence: None, ..Config::with_cases(300) });
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::new());
    runner
        .run(&create_body(), |body| {
            let reply = rt.block_on(
                app.client
                    .post(path.clone())
                    .header(rocket::http::ContentType::JSON)
                    .header(rocket::http::Header::new("Authorization", format!("Bearer {token}")))
                    .body(body.clone())
                    .dispatch(),
            );
            let status = reply.status().code;
            let json: Value =
                rt.block_on(reply.into_string()).and_then(|b| serde_json::from_str(&b).ok()).unwrap_or(Value::Null);
            *seen.borrow_mut().entry(status).or_insert(0) += 1;
            prop_assert_eq!(status, expected_status(&body), "body {} answered {}", body, json);
            if status == 201 {
                let sent: Value = serde_json::from_str(&body).unwrap();
                prop_assert_eq!(json["title"].as_str(), sent["title"].as_str().map(str::trim));
            } else {
                prop_assert!(json["code"].is_string() && json["message"].is_string(), "error body {}", json);
            }
            Ok(())
        })
        .unwrap();
    println!("task bodies by status: {:?}", seen.borrow());
}
