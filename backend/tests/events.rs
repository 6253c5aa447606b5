//! Live updates (`GET /api/<user_id>/events`) on both engines: what each
//! write announces, who hears it, replays after a reconnect, the limits, the
//! end at the token's expiry, and (PostgreSQL) fan-out across replica
//! processes and a listener that reconnects.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::jwks::{claims, now_secs, JwksServer, TestKey, EXTERNAL_ISSUER};
use common::process::{http_with, sign_up, ServerProcess};
use common::sse::{self, SseEvent, SseReader};
use common::{app, spawn_app, SignedIn, TestApp, TestDb};
use rocket::http::{Header, Method, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// Opens the user's stream through the in-process client.
async fn open<'c>(
    app: &'c TestApp,
    user_id: &str,
    jwt: &str,
    last_event_id: Option<&str>,
) -> (Status, SseReader<LocalResponse<'c>>) {
    let mut req =
        app.client.get(format!("/api/{user_id}/events")).header(Header::new("Authorization", format!("Bearer {jwt}")));
    if let Some(id) = last_event_id {
        req = req.header(Header::new("Last-Event-ID", id.to_owned()));
    }
    let res = req.dispatch().await;
    (res.status(), SseReader::new(res))
}

async fn list_version(app: &TestApp, user: &SignedIn, jwt: &str) -> i64 {
    let listed = app.call(Method::Get, &format!("/api/{}/tasks", user.user_id), Some(jwt), None).await;
    listed.header("X-Change-Version").expect("X-Change-Version").parse().unwrap()
}

async fn signed_up(app: &TestApp) -> (SignedIn, String) {
    let user = app.sign_up().await;
    let jwt = app.jwt(&user).await;
    (user, jwt)
}

#[rocket::async_test]
async fn every_change_arrives_with_the_version_the_list_reports() {
    let app = spawn_app().await;
    let (user, jwt) = signed_up(&app).await;
    let base = format!("/api/{}/tasks", user.user_id);
    let before = list_version(&app, &user, &jwt).await;
    let (status, mut events) = open(&app, &user.user_id, &jwt, Some(&before.to_string())).await;
    assert_eq!(status, Status::Ok);

    let created = app.create_task(&user.user_id, &jwt, "Buy milk").await;
    let id = created["id"].as_i64().unwrap();
    let event = events.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.version()), ("task.created", before + 1));
    assert_eq!(event.json(), created, "the Task JSON, as the API answers it");

    let toggled = app.call(Method::Patch, &format!("{base}/{id}/complete"), Some(&jwt), None).await.json();
    let event = events.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.version(), event.json()), ("task.updated", before + 2, toggled));

    let edited = app.call(Method::Patch, &format!("{base}/{id}"), Some(&jwt), Some(json!({"title": "Oat milk"}))).await;
    let event = events.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.version(), event.json()), ("task.updated", before + 3, edited.json()));

    let gone = app.call(Method::Delete, &format!("{base}/{id}"), Some(&jwt), None).await;
    assert_eq!(gone.status, Status::NoContent);
    let event = events.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.version()), ("task.deleted", before + 4));
    assert_eq!(event.data, format!("{{\"id\":{id}}}"), "exactly {{\"id\": N}}");

    // A refused write announces nothing; the next one follows on.
    let missing = app.call(Method::Delete, &format!("{base}/{id}"), Some(&jwt), None).await;
    assert_eq!(missing.status, Status::NotFound);
    app.create_task(&user.user_id, &jwt, "Next").await;
    assert_eq!(events.expect(WAIT).await.version(), before + 5);
    assert_eq!(list_version(&app, &user, &jwt).await, before + 5);
}

#[rocket::async_test]
async fn a_user_never_hears_another_users_changes() {
    let app = spawn_app().await;
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(signed_up(&app).await);
    }
    let mut streams = Vec::new();
    for (user, jwt) in &users {
        streams.push(open(&app, &user.user_id, jwt, None).await.1);
    }
    // Random writes by all three, then a last marker task each.
    let mut mine: Vec<HashSet<i64>> = vec![HashSet::new(); users.len()];
    for n in 0..45 {
        let who = rand::random::<usize>() % users.len();
        let (user, jwt) = &users[who];
        let task = app.create_task(&user.user_id, jwt, &format!("task {n}")).await;
        let id = task["id"].as_i64().unwrap();
        mine[who].insert(id);
        if rand::random::<bool>() {
            let path = format!("/api/{}/tasks/{id}/complete", user.user_id);
            app.call(Method::Patch, &path, Some(jwt), None).await;
        }
        if rand::random::<u8>() < 64 {
            app.call(Method::Delete, &format!("/api/{}/tasks/{id}", user.user_id), Some(jwt), None).await;
        }
    }
    for (user, jwt) in &users {
        app.create_task(&user.user_id, jwt, "marker").await;
    }
    for (who, stream) in streams.iter_mut().enumerate() {
        let user_id = &users[who].0.user_id;
        loop {
            let event: SseEvent = stream.expect(WAIT).await;
            let data = event.json();
            if event.event == "task.deleted" {
                assert!(mine[who].contains(&data["id"].as_i64().unwrap()), "another user's deletion: {event:?}");
                continue;
            }
            assert_eq!(&data["user_id"], user_id, "another user's task: {event:?}");
            if data["title"] == "marker" {
                break;
            }
            assert!(mine[who].contains(&data["id"].as_i64().unwrap()));
        }
    }
}

#[rocket::async_test]
async fn a_reconnect_replays_what_it_missed_or_asks_for_a_resync() {
    let app = spawn_app().await;
    let (user, jwt) = signed_up(&app).await;
    let start = list_version(&app, &user, &jwt).await;
    let (_, mut first) = open(&app, &user.user_id, &jwt, None).await;
    for title in ["one", "two", "three"] {
        app.create_task(&user.user_id, &jwt, title).await;
        first.expect(WAIT).await;
    }

    let after_one = (start + 1).to_string();
    let (_, mut resumed) = open(&app, &user.user_id, &jwt, Some(&after_one)).await;
    let replayed = [resumed.expect(WAIT).await, resumed.expect(WAIT).await];
    assert_eq!(replayed.iter().map(SseEvent::version).collect::<Vec<_>>(), [start + 2, start + 3]);
    assert_eq!(replayed[1].json()["title"], "three");

    for ahead in ["999999", "not-a-version"] {
        let (_, mut stream) = open(&app, &user.user_id, &jwt, Some(ahead)).await;
        let event = stream.expect(WAIT).await;
        assert_eq!(
            (event.event.as_str(), event.data.as_str(), event.version()),
            ("resync", "{}", start + 3),
            "{ahead}"
        );
    }

    // Nobody streams: nothing is remembered, so the gap cannot be replayed.
    drop((first, resumed));
    app.create_task(&user.user_id, &jwt, "four").await;
    let (_, mut late) = open(&app, &user.user_id, &jwt, Some(&(start + 3).to_string())).await;
    let event = late.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.version()), ("resync", start + 4));
    // …and the stream goes on after it.
    app.create_task(&user.user_id, &jwt, "five").await;
    assert_eq!(late.expect(WAIT).await.version(), start + 5);
}

#[rocket::async_test]
async fn streams_are_guarded_like_the_task_routes() {
    let app = spawn_app().await;
    let (user, jwt) = signed_up(&app).await;
    let (other, _) = signed_up(&app).await;
    let anonymous = app.client.get(format!("/api/{}/events", user.user_id)).dispatch().await;
    assert_eq!(anonymous.status(), Status::Unauthorized);
    assert_eq!(open(&app, &user.user_id, "not.a.jwt", None).await.0, Status::Unauthorized);
    assert_eq!(open(&app, &other.user_id, &jwt, None).await.0, Status::Forbidden);
    let token_in_url = app.client.get(format!("/api/{}/events?token={jwt}", user.user_id)).dispatch().await;
    assert_eq!(token_in_url.status(), Status::Unauthorized, "never a token in the URL");
}

#[rocket::async_test]
async fn each_user_may_hold_a_bounded_number_of_streams() {
    let app = app().set("events_max_streams_per_user", 2).spawn().await;
    let (user, jwt) = signed_up(&app).await;
    let (other, other_jwt) = signed_up(&app).await;
    let one = open(&app, &user.user_id, &jwt, None).await;
    let two = open(&app, &user.user_id, &jwt, None).await;
    assert_eq!((one.0, two.0), (Status::Ok, Status::Ok));

    let third = app
        .client
        .get(format!("/api/{}/events", user.user_id))
        .header(Header::new("Authorization", format!("Bearer {jwt}")))
        .dispatch()
        .await;
    assert_eq!(third.status(), Status::TooManyRequests);
    assert!(third.headers().get_one("Retry-After").is_some());
    assert_eq!(common::json_body(third).await["code"], "TOO_MANY_STREAMS");
    assert_eq!(open(&app, &other.user_id, &other_jwt, None).await.0, Status::Ok, "per user");

    drop(one);
    assert_eq!(open(&app, &user.user_id, &jwt, None).await.0, Status::Ok, "a closed stream frees its slot");
}

#[rocket::async_test]
async fn a_consumer_that_falls_behind_gets_resync_instead_of_a_growing_buffer() {
    let app = spawn_app().await;
    let (user, jwt) = signed_up(&app).await;
    let (_, mut slow) = open(&app, &user.user_id, &jwt, None).await;
    // The in-process stream runs only when read: nothing is read while
    // three buffers' worth of changes are made.
    for n in 0..200 {
        app.create_task(&user.user_id, &jwt, &format!("t{n}")).await;
    }
    let now = list_version(&app, &user, &jwt).await;
    let mut seen = Vec::new();
    let resync = loop {
        let event = slow.expect(WAIT).await;
        if event.event == "resync" {
            break event;
        }
        seen.push(event);
        assert!(seen.len() <= 64, "more than a buffer's worth arrived before the resync");
    };
    assert_eq!(resync.data, "{}");
    assert!(resync.version() <= now && resync.version() >= 64, "{resync:?}");
    app.create_task(&user.user_id, &jwt, "after").await;
    loop {
        let event = slow.expect(WAIT).await;
        if event.json()["title"] == "after" {
            break;
        }
    }
}

#[rocket::async_test]
async fn the_stream_ends_when_its_token_expires() {
    let key = TestKey::ed25519();
    let server = JwksServer::start(&[&key], "max-age=300");
    let app = app()
        .set("jwks_url", server.url.clone())
        .set("jwt_issuer", EXTERNAL_ISSUER)
        .set("jwt_audience", EXTERNAL_ISSUER)
        .set("jwt_leeway", 0)
        .spawn()
        .await;
    let mut soon = claims("expiring-user");
    soon["exp"] = json!(now_secs() + 2);
    let (status, mut stream) = open(&app, "expiring-user", &key.sign(&soon), None).await;
    assert_eq!(status, Status::Ok);
    assert!(stream.ends_within(Duration::from_secs(8)).await, "the stream outlived its token");
}

#[rocket::async_test]
async fn deleting_the_account_ends_its_streams() {
    let app = spawn_app().await;
    let (user, jwt) = signed_up(&app).await;
    let (_, mut stream) = open(&app, &user.user_id, &jwt, None).await;
    let deleted = app.post_as("/api/auth/delete-user", &user.cookie, Some(json!({"password": common::PASSWORD}))).await;
    assert_eq!(deleted.status, Status::Ok, "{}", deleted.text);
    assert!(stream.ends_within(WAIT).await);
}

fn postgres_only(db: &TestDb) -> bool {
    if db.engine != "postgres" {
        eprintln!("skipped: fan-out across processes needs PostgreSQL (TEST_DATABASE_URL)");
        return false;
    }
    true
}

#[rocket::async_test]
async fn a_change_through_one_replica_reaches_streams_on_another() {
    let db = TestDb::create().await;
    if !postgres_only(&db) {
        return;
    }
    let (a, b) = (ServerProcess::start(&db), ServerProcess::start(&db));
    let user = sign_up(a.port, "replicas@example.com");
    let path = format!("/api/{}/events", user.id);
    let (status, headers, mut on_b) = sse::open(b.port, &path, &user.jwt, None).await;
    assert_eq!(status, 200, "{headers:?}");
    assert!(headers.iter().any(|h| h.to_ascii_lowercase().starts_with("content-type: text/event-stream")));

    let auth = format!("Bearer {}", user.jwt);
    let tasks = format!("/api/{}/tasks", user.id);
    let made = http_with(a.port, "POST", &tasks, &[("Authorization", &auth)], &json!({"title": "via A"}).to_string());
    let made = made.unwrap().json();
    let event = on_b.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.json()), ("task.created", made.clone()));
    let big = "😀".repeat(2000); // 8,000 bytes: too big for a NOTIFY payload with the task
    let edit = json!({"description": big}).to_string();
    let edited = http_with(a.port, "PATCH", &format!("{tasks}/{}", made["id"]), &[("Authorization", &auth)], &edit);
    assert_eq!(edited.unwrap().status, 200);
    let event = on_b.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.json()["description"].as_str()), ("task.updated", Some(big.as_str())));

    // Deleting the account through A ends the stream on B.
    let deleted = http_with(
        a.port,
        "POST",
        "/api/auth/delete-user",
        &[("Cookie", &user.cookie), ("Origin", "http://localhost:8000")],
        &json!({"password": common::PASSWORD}).to_string(),
    )
    .unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(on_b.ends_within(WAIT).await);
}

#[rocket::async_test]
async fn streams_resync_after_the_database_connection_of_the_listener_drops() {
    let app = spawn_app().await;
    if !postgres_only(&app.db) {
        return;
    }
    let (user, jwt) = signed_up(&app).await;
    let (_, mut stream) = open(&app, &user.user_id, &jwt, None).await;
    app.create_task(&user.user_id, &jwt, "before").await;
    assert_eq!(stream.expect(WAIT).await.event, "task.created");

    let pool = app.db.pool().await;
    let killed: Vec<(bool,)> = backend::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(killed.len(), 1, "one listening connection per process");

    let event = stream.expect(WAIT).await;
    assert_eq!(event.event, "resync");
    app.create_task(&user.user_id, &jwt, "after").await;
    let event = stream.expect(WAIT).await;
    assert_eq!((event.event.as_str(), event.json()["title"].as_str()), ("task.created", Some("after")));
}
