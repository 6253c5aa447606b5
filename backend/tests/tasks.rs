//! The task API through Rocket's local client with real JWTs from the auth
//! server, on SQLite or PostgreSQL (TEST_DATABASE_URL).

mod common;

use common::{spawn_app, Reply, TestApp};
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

/// A signed-up user with a JWT.
struct User {
    id: String,
    token: String,
}

async fn user(app: &TestApp) -> User {
    let signed = app.sign_up().await;
    let token = app.jwt(&signed).await;
    User { id: signed.user_id, token }
}

fn tasks_path(user: &User) -> String {
    format!("/api/{}/tasks", user.id)
}

async fn call(app: &TestApp, method: Method, path: &str, user: &User, body: Option<Value>) -> Reply {
    app.call(method, path, Some(&user.token), body).await
}

// ---- the four scenarios carried over, at API level ---------------------------

#[rocket::async_test]
async fn scenario_1_no_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let ada = user(&app).await;

    let reply = app.call(Method::Get, &tasks_path(&ada), None, None).await;

    assert_eq!(reply.status, Status::Unauthorized);
    assert_eq!(reply.header("WWW-Authenticate"), Some(r#"Bearer error="invalid_token""#));
    assert_eq!(reply.json()["code"], "UNAUTHORIZED");
}

#[rocket::async_test]
async fn scenario_2_wrong_or_expired_token_is_401() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let (head, rest) = ada.token.split_once('.').unwrap();
    let forged = format!("{head}.{}", rest.replacen(|c: char| c.is_ascii_alphabetic(), "A", 1));

    for token in ["garbage", forged.as_str()] {
        let reply = app.call(Method::Get, &tasks_path(&ada), Some(token), None).await;
        assert_eq!(reply.status, Status::Unauthorized, "{token}");
        assert!(reply.header("WWW-Authenticate").is_some());
    }
}

#[rocket::async_test]
async fn scenario_3_someone_elses_user_id_in_the_path_is_403() {
    let app = spawn_app().await;
    let (ada, bob) = (user(&app).await, user(&app).await);

    let reply = call(&app, Method::Get, &tasks_path(&bob), &ada, None).await;

    assert_eq!(reply.status, Status::Forbidden);
    assert_eq!(reply.json()["code"], "FORBIDDEN");
}

#[rocket::async_test]
async fn scenario_4_the_full_flow_create_list_update_toggle_delete() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);

    let created =
        call(&app, Method::Post, &path, &ada, Some(json!({"title": "  Buy milk  ", "description": "2 litres"}))).await;
    assert_eq!(created.status, Status::Created);
    let task = created.json();
    assert_eq!(created.header("Location"), Some(format!("{path}/{}", task["id"]).as_str()));
    assert_eq!(task["title"], "Buy milk", "trimmed");
    assert_eq!(task["description"], "2 litres");
    assert_eq!(task["completed"], false);
    assert_eq!(task["user_id"], ada.id.as_str());
    assert!(task["created_at"].as_str().unwrap().ends_with('Z'));
    let item = format!("{path}/{}", task["id"]);

    let listed = call(&app, Method::Get, &path, &ada, None).await;
    assert_eq!(listed.status, Status::Ok);
    assert_eq!(listed.header("X-Total-Count"), Some("1"));
    assert_eq!(listed.header("Cache-Control"), Some("no-store"));
    assert_eq!(listed.json(), json!([task]));

    let got = call(&app, Method::Get, &item, &ada, None).await;
    assert_eq!(got.json(), task);

    let put = call(
        &app,
        Method::Put,
        &item,
        &ada,
        Some(json!({"title": "Buy oat milk", "description": "", "completed": true})),
    )
    .await;
    assert_eq!(put.status, Status::Ok);
    assert_eq!((put.json()["title"].clone(), put.json()["completed"].clone()), (json!("Buy oat milk"), json!(true)));

    let patched = call(&app, Method::Patch, &item, &ada, Some(json!({"description": "barista edition"}))).await;
    assert_eq!(patched.json()["description"], "barista edition");
    assert_eq!(patched.json()["title"], "Buy oat milk", "untouched fields keep their values");

    let toggled = call(&app, Method::Patch, &format!("{item}/complete"), &ada, None).await;
    assert_eq!(toggled.json()["completed"], false);
    let toggled = call(&app, Method::Patch, &format!("{item}/complete"), &ada, None).await;
    assert_eq!(toggled.json()["completed"], true);

    let deleted = call(&app, Method::Delete, &item, &ada, None).await;
    assert_eq!(deleted.status, Status::NoContent);
    assert_eq!(call(&app, Method::Get, &item, &ada, None).await.status, Status::NotFound);
    assert_eq!(call(&app, Method::Delete, &item, &ada, None).await.json()["code"], "TASK_NOT_FOUND");
}

// ---- listing ----------------------------------------------------------------

#[rocket::async_test]
async fn filters_sorting_and_pagination() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);
    let mut ids = Vec::new();
    for title in ["b", "c", "a", "e", "d"] {
        ids.push(app.create_task(&ada.id, &ada.token, title).await["id"].as_i64().unwrap());
    }
    for id in &ids[..2] {
        call(&app, Method::Patch, &format!("{path}/{id}/complete"), &ada, None).await;
    }
    let titles = |r: &Reply| {
        r.json().as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };

    let newest_first = call(&app, Method::Get, &path, &ada, None).await;
    assert_eq!(titles(&newest_first), ["d", "e", "a", "c", "b"], "default: -created_at");

    let done = call(&app, Method::Get, &format!("{path}?status=completed&sort=title"), &ada, None).await;
    assert_eq!(titles(&done), ["b", "c"]);
    assert_eq!(done.header("X-Total-Count"), Some("2"));

    let pending = call(&app, Method::Get, &format!("{path}?status=pending&sort=-title"), &ada, None).await;
    assert_eq!(titles(&pending), ["e", "d", "a"]);

    let page = call(&app, Method::Get, &format!("{path}?sort=title&limit=2&offset=2"), &ada, None).await;
    assert_eq!(titles(&page), ["c", "d"]);
    assert_eq!(page.header("X-Total-Count"), Some("5"), "the total ignores paging");

    let oldest = call(&app, Method::Get, &format!("{path}?sort=created_at&limit=1"), &ada, None).await;
    assert_eq!(titles(&oldest), ["b"]);
}

#[rocket::async_test]
async fn out_of_range_query_values_are_422() {
    let app = spawn_app().await;
    let ada = user(&app).await;

    for query in
        ["limit=0", "limit=501", "limit=x", "offset=-1", "status=foo", "sort=foo", "sort=id%3BDROP%20TABLE%20tasks"]
    {
        let reply = call(&app, Method::Get, &format!("{}?{query}", tasks_path(&ada)), &ada, None).await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{query}");
        assert_eq!(reply.json()["code"], "VALIDATION_ERROR", "{query}");
    }
    let fine = call(&app, Method::Get, &format!("{}?limit=500", tasks_path(&ada)), &ada, None).await;
    assert_eq!(fine.status, Status::Ok);
}

// ---- bad input ------------------------------------------------------------------

#[rocket::async_test]
async fn validation_errors_name_the_field() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);
    let id = app.create_task(&ada.id, &ada.token, "ok").await["id"].clone();

    let cases = [
        (Method::Post, path.clone(), json!({"title": "   "}), "title"),
        (Method::Post, path.clone(), json!({"title": "x".repeat(201)}), "title"),
        (Method::Post, path.clone(), json!({"title": "ok", "description": "d".repeat(2001)}), "description"),
        (Method::Post, path.clone(), json!({"title": "ok", "owner": "someone"}), "owner"),
        (Method::Post, path.clone(), json!({"description": "no title"}), "title"),
        (Method::Put, format!("{path}/{id}"), json!({"title": "ok"}), "description"),
        (Method::Patch, format!("{path}/{id}"), json!({"title": ""}), "title"),
        (Method::Patch, format!("{path}/{id}"), json!({"completed": "yes"}), "bool"),
    ];
    for (method, url, body, field) in cases {
        let reply = call(&app, method, &url, &ada, Some(body.clone())).await;
        assert_eq!(reply.status, Status::UnprocessableEntity, "{body}");
        let err = reply.json();
        assert_eq!(err["code"], "VALIDATION_ERROR");
        assert!(err["message"].as_str().unwrap().contains(field), "{body}: {}", err["message"]);
    }
    let max = call(&app, Method::Post, &path, &ada, Some(json!({"title": "é".repeat(200)}))).await;
    assert_eq!(max.status, Status::Created, "200 characters (not bytes) is fine");
}

#[rocket::async_test]
async fn malformed_json_wrong_type_and_huge_bodies_are_4xx_json() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);
    let auth = rocket::http::Header::new("Authorization", format!("Bearer {}", ada.token));
    let send = |ct: ContentType, body: String| {
        app.client.post(path.clone()).header(auth.clone()).header(ct).body(body).dispatch()
    };

    let malformed = Reply::from(send(ContentType::JSON, "{\"title\": ".into()).await).await;
    assert_eq!(malformed.status, Status::BadRequest);
    assert_eq!(malformed.json()["code"], "BAD_REQUEST");

    let text = Reply::from(send(ContentType::Plain, "title=x".into()).await).await;
    assert_eq!(text.status, Status::UnsupportedMediaType);

    let form = Reply::from(send(ContentType::Form, "title=x".into()).await).await;
    assert_eq!(form.status, Status::UnsupportedMediaType);

    let huge = Reply::from(
        send(ContentType::JSON, json!({"title": "x", "description": "y".repeat(70_000)}).to_string()).await,
    )
    .await;
    assert_eq!(huge.status, Status::PayloadTooLarge);
    assert_eq!(huge.json()["code"], "PAYLOAD_TOO_LARGE");

    let array = Reply::from(send(ContentType::JSON, "[1,2]".into()).await).await;
    assert_eq!(array.status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn unknown_or_non_numeric_ids_are_json_404s() {
    let app = spawn_app().await;
    let ada = user(&app).await;

    for id in ["999999", "abc", "1.5", "-1", "99999999999999999999999", "9223372036854775808"] {
        let path = format!("{}/{id}", tasks_path(&ada));
        for (method, path, body) in [
            (Method::Get, path.clone(), None),
            (Method::Delete, path.clone(), None),
            (Method::Patch, format!("{path}/complete"), None),
            (Method::Patch, path.clone(), Some(json!({"title": "x"}))),
            (Method::Put, path.clone(), Some(json!({"title": "x", "description": "", "completed": false}))),
        ] {
            // Found by schemathesis: ids past i64 were a 422 on DELETE and PATCH.
            let reply = call(&app, method, &path, &ada, body).await;
            assert_eq!(reply.status, Status::NotFound, "{method} {path}");
            assert_eq!(reply.json()["code"], "TASK_NOT_FOUND", "{method} {path}");
        }
    }
}

#[rocket::async_test]
async fn nothing_under_api_is_ever_html() {
    let app = spawn_app().await;
    let ada = user(&app).await;
    let probes = [
        (Method::Get, "/api/nope".to_owned(), None),
        (Method::Get, tasks_path(&ada), None),
        (Method::Post, tasks_path(&ada), Some("not json")),
        (Method::Delete, format!("{}/x", tasks_path(&ada)), None),
        (Method::Put, "/api/health".to_owned(), None),
        (Method::Get, "/api/".to_owned(), None),
    ];
    for (method, path, body) in probes {
        let mut req = app.client.req(method, path.clone());
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b);
        }
        let res = req.dispatch().await;
        assert_eq!(res.content_type(), Some(ContentType::JSON), "{method} {path}");
    }
}

// ---- BOLA: every route x every kind of caller ----------------------------------

#[rocket::async_test]
async fn bola_matrix_every_route_and_caller_gets_the_exact_status() {
    let app = spawn_app().await;
    let (ada, bob) = (user(&app).await, user(&app).await);
    let bobs_task = app.create_task(&bob.id, &bob.token, "bob's secret plan").await;
    let bobs_id = bobs_task["id"].as_i64().unwrap();
    let ada_path = tasks_path(&ada);
    let bob_path = tasks_path(&bob);

    type Route = (Method, &'static str, Option<Value>);
    let routes: Vec<Route> = vec![
        (Method::Get, "", None),
        (Method::Post, "", Some(json!({"title": "t"}))),
        (Method::Get, "/{id}", None),
        (Method::Put, "/{id}", Some(json!({"title": "t", "description": "", "completed": true}))),
        (Method::Patch, "/{id}", Some(json!({"completed": true}))),
        (Method::Patch, "/{id}/complete", None),
        (Method::Delete, "/{id}", None),
    ];
    for (method, suffix, body) in &routes {
        let on = |base: &str| format!("{base}{}", suffix.replace("{id}", &bobs_id.to_string()));
        // no token, bad token: 401 whatever the path
        let none = app.call(*method, &on(&bob_path), None, body.clone()).await;
        assert_eq!(none.status, Status::Unauthorized, "{method} {suffix} without token");
        let bad = app.call(*method, &on(&bob_path), Some("not.a.jwt"), body.clone()).await;
        assert_eq!(bad.status, Status::Unauthorized, "{method} {suffix} bad token");
        // Ada's token on Bob's path: 403
        let other = call(&app, *method, &on(&bob_path), &ada, body.clone()).await;
        assert_eq!(other.status, Status::Forbidden, "{method} {suffix} other user's path");
        // Ada's own path with Bob's task id: 404 (existence not revealed); list/create are hers
        let own = call(&app, *method, &on(&ada_path), &ada, body.clone()).await;
        let expected = match (suffix.is_empty(), *method) {
            (true, Method::Get) => Status::Ok,
            (true, _) => Status::Created,
            _ => Status::NotFound,
        };
        assert_eq!(own.status, expected, "{method} {suffix} own path, other's task");
        for reply in [&none, &bad, &other, &own] {
            assert!(
                !reply.text.contains("secret plan") && !reply.text.contains(&bob.id),
                "leak in {method} {suffix}: {}",
                reply.text
            );
        }
    }
    // Bob's task is untouched by all of that.
    let still = call(&app, Method::Get, &format!("{bob_path}/{bobs_id}"), &bob, None).await;
    assert_eq!(still.json(), bobs_task);
}

#[rocket::async_test]
async fn lists_only_ever_contain_the_callers_tasks() {
    let app = spawn_app().await;
    let (ada, bob) = (user(&app).await, user(&app).await);
    for i in 0..3 {
        app.create_task(&ada.id, &ada.token, &format!("ada {i}")).await;
        app.create_task(&bob.id, &bob.token, &format!("bob {i}")).await;
    }

    let list = call(&app, Method::Get, &tasks_path(&ada), &ada, None).await;

    assert_eq!(list.header("X-Total-Count"), Some("3"));
    assert!(list.json().as_array().unwrap().iter().all(|t| t["user_id"] == ada.id.as_str()));
}

#[rocket::async_test]
async fn every_acknowledged_write_is_visible_to_the_very_next_request() {
    // A write must be committed before it is answered. Reading RETURNING rows
    // with fetch_one answered at the first row, before SQLite committed: a
    // read right after then missed the task now and then.
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);
    for n in 1..=40 {
        let created = call(&app, Method::Post, &path, &ada, Some(json!({"title": format!("task {n}")}))).await;
        assert_eq!(created.status, Status::Created);
        let id = created.json()["id"].clone();
        let listed = call(&app, Method::Get, &format!("{path}?limit=1"), &ada, None).await;
        assert_eq!(listed.json()[0]["id"], id, "write {n} not visible to the next read");
        let toggled = call(&app, Method::Patch, &format!("{path}/{id}/complete"), &ada, None).await;
        assert_eq!(toggled.json()["completed"], true);
        let read = call(&app, Method::Get, &format!("{path}/{id}"), &ada, None).await;
        assert_eq!(read.json()["completed"], true, "toggle {n} not visible to the next read");
    }
}

#[rocket::async_test]
async fn the_list_made_by_the_database_equals_each_task_made_by_the_server() {
    // The list's JSON is written by SQL (json_object / json_build_object),
    // single tasks by serde: the two must agree on every value.
    let app = spawn_app().await;
    let ada = user(&app).await;
    let path = tasks_path(&ada);
    let titles = [
        "quotes \" and \\ backslashes",
        "new\nline\tand tab",
        "control \u{1} \u{1f} chars",
        "emoji 🦀 and ümlauts, 中文, עברית",
        "</script><script>alert(1)</script>",
        "plain",
    ];
    for title in titles {
        let res = call(
            &app,
            Method::Post,
            &path,
            &ada,
            Some(json!({"title": title, "description": format!("about {title}")})),
        )
        .await;
        assert_eq!(res.status, Status::Created, "{title}: {:?}", res.json());
    }
    // Times at the edges of the format: milliseconds 000 and 999, a leap day,
    // far past and far future.
    let times: [i64; 6] = [0, 951_782_400_999, 1_764_080_000_123, 4_102_444_799_999, 1_000, 253_402_300_799_000];
    let pool = app.db.pool().await;
    for (n, ms) in times.iter().enumerate() {
        let id = n as i64 + 1;
        backend::on_db!(&pool, |p| sqlx::query(
            "UPDATE tasks SET created_at = $1, updated_at = $2, completed = $3 WHERE id = $4"
        )
        .bind(1_700_000_000_000 + id) // distinct, ordered creation times
        .bind(*ms)
        .bind(n % 2 == 0)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))
        .unwrap();
    }

    for sort in ["-created_at", "title", "-updated_at"] {
        let listed = call(&app, Method::Get, &format!("{path}?sort={sort}"), &ada, None).await;
        assert_eq!(listed.status, Status::Ok);
        let listed = listed.json();
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), titles.len());
        for task in listed {
            let single = call(&app, Method::Get, &format!("{path}/{}", task["id"]), &ada, None).await.json();
            assert_eq!(task, &single, "sort {sort}");
        }
    }
    let page = call(&app, Method::Get, &format!("{path}?status=completed&limit=2&offset=1"), &ada, None).await;
    assert_eq!(page.header("X-Total-Count"), Some("3"));
    assert_eq!(page.json().as_array().unwrap().len(), 2);
    let past_the_end = call(&app, Method::Get, &format!("{path}?offset=100"), &ada, None).await;
    assert_eq!(past_the_end.json(), json!([]), "an empty page is an empty array");
    assert_eq!(past_the_end.header("X-Total-Count"), Some("6"));
}

#[rocket::async_test]
async fn totals_stay_exact_through_every_kind_of_change() {
    // X-Total-Count comes from per-user counters kept by triggers: after
    // creates, toggles, PUT, PATCH and deletes they must equal a real count.
    let app = spawn_app().await;
    let (ada, bob) = (user(&app).await, user(&app).await);
    let path = tasks_path(&ada);
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            call(&app, Method::Post, &path, &ada, Some(json!({"title": format!("t{n}")}))).await.json()["id"].clone(),
        );
    }
    call(&app, Method::Post, &tasks_path(&bob), &bob, Some(json!({"title": "bob's"}))).await;
    for id in &ids[0..6] {
        call(&app, Method::Patch, &format!("{path}/{id}/complete"), &ada, None).await;
    }
    call(&app, Method::Patch, &format!("{path}/{}/complete", ids[0]), &ada, None).await; // back to pending
    call(
        &app,
        Method::Put,
        &format!("{path}/{}", ids[7]),
        &ada,
        Some(json!({"title": "x", "description": "", "completed": true})),
    )
    .await;
    call(
        &app,
        Method::Put,
        &format!("{path}/{}", ids[1]),
        &ada,
        Some(json!({"title": "y", "description": "", "completed": true})),
    )
    .await; // unchanged state
    call(&app, Method::Patch, &format!("{path}/{}", ids[2]), &ada, Some(json!({"completed": false}))).await;
    call(&app, Method::Patch, &format!("{path}/{}", ids[8]), &ada, Some(json!({"title": "renamed only"}))).await;
    for id in [&ids[3], &ids[9], &ids[11]] {
        assert_eq!(call(&app, Method::Delete, &format!("{path}/{id}"), &ada, None).await.status, Status::NoContent);
    }
    call(&app, Method::Delete, &format!("{path}/{}", ids[3]), &ada, None).await; // already gone: no change

    for status in ["all", "pending", "completed"] {
        let res = call(&app, Method::Get, &format!("{path}?status={status}&limit=500"), &ada, None).await;
        let listed = res.json().as_array().unwrap().len();
        assert_eq!(res.header("X-Total-Count"), Some(listed.to_string().as_str()), "status={status}");
    }
    let all = call(&app, Method::Get, &path, &ada, None).await;
    assert_eq!(all.header("X-Total-Count"), Some("9"));
    let done = call(&app, Method::Get, &format!("{path}?status=completed"), &ada, None).await;
    assert_eq!(done.header("X-Total-Count"), Some("4"), "t1 (PUT kept it), t4, t5, t7");
    let bobs = call(&app, Method::Get, &tasks_path(&bob), &bob, None).await;
    assert_eq!(bobs.header("X-Total-Count"), Some("1"));
}

#[rocket::async_test]
async fn concurrent_lists_of_many_users_each_see_their_own_latest_writes() {
    // Lists of several users at once (on PostgreSQL their version checks
    // share queries; on SQLite they read inline): each sees its own tasks
    // and every write it made before asking.
    use rocket::futures::future::join_all;
    let app = spawn_app().await;
    let mut users = Vec::new();
    for _ in 0..6 {
        users.push(user(&app).await);
    }
    for round in 1..=3 {
        for (n, u) in users.iter().enumerate() {
            for _ in 0..=n {
                let title = format!("{} round {round}", u.id);
                let res = call(&app, Method::Post, &tasks_path(u), u, Some(json!({ "title": title }))).await;
                assert_eq!(res.status, Status::Created);
            }
        }
        let app = &app;
        let lists = join_all(
            users
                .iter()
                .cycle()
                .take(users.len() * 8)
                .map(|u| async move { (u, call(app, Method::Get, &tasks_path(u), u, None).await) }),
        )
        .await;
        for (u, reply) in lists {
            let n = users.iter().position(|x| x.id == u.id).unwrap() + 1;
            assert_eq!(reply.status, Status::Ok);
            assert_eq!(
                reply.header("X-Total-Count"),
                Some((n * round).to_string().as_str()),
                "user {n}, round {round}"
            );
            let tasks = reply.json();
            let tasks = tasks.as_array().unwrap();
            assert_eq!(tasks.len(), n * round);
            assert!(tasks.iter().all(|t| t["user_id"] == u.id.as_str()), "another user's task in the list");
            assert_eq!(tasks[0]["title"], format!("{} round {round}", u.id), "the newest write is missing");
        }
    }
}

#[rocket::async_test]
async fn concurrent_version_checks_each_get_their_own_users_version() {
    // The list's version check on this engine: inline on SQLite, coalesced
    // into shared queries on PostgreSQL. Many checks for many users at once
    // must each get exactly their own user's version.
    use backend::tasks::versions::{self, PgVersions, SqliteVersions, VersionReads};
    use rocket::futures::future::join_all;
    let app = spawn_app().await;
    let db = app.db.pool().await;
    for i in 1..=40_i64 {
        backend::on_db!(&db, |pool| sqlx::query(
            "INSERT INTO task_counts (user_id, total, completed, version) VALUES ($1, 0, 0, $2)"
        )
        .bind(format!("user-{i}"))
        .bind(i * 7)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    }
    let reads = VersionReads { sqlite: SqliteVersions::for_url(&app.db.url), postgres: PgVersions::default() };
    assert_eq!(reads.sqlite.is_some(), app.db.engine == "sqlite");
    let (db, reads) = (&db, &reads);
    let asked: Vec<i64> = (0..200_i64).map(|n| n % 41).collect();
    let answers = join_all(asked.iter().map(|&i| async move {
        let user = if i == 0 { "nobody".to_owned() } else { format!("user-{i}") };
        versions::version(db, reads, &user).await.unwrap()
    }))
    .await;
    for (i, version) in asked.iter().zip(answers) {
        assert_eq!(version, i * 7, "user-{i} got another user's version");
    }
}

// ---- the per-user task quota (TASKS_MAX_PER_USER) ----------------------------

#[rocket::async_test]
async fn the_task_after_the_quota_is_a_422_naming_the_limit() {
    let app = common::app().set("tasks_max_per_user", 3).spawn().await;
    let ada = user(&app).await;
    let bob = user(&app).await;
    for i in 0..3 {
        app.create_task(&ada.id, &ada.token, &format!("task {i}")).await;
    }

    let refused = call(&app, Method::Post, &tasks_path(&ada), &ada, Some(json!({"title": "one too many"}))).await;
    assert_eq!(refused.status, Status::UnprocessableEntity, "{}", refused.text);
    assert_eq!(refused.json()["code"], "TASK_LIMIT_REACHED");
    assert!(refused.json()["message"].as_str().unwrap().contains("limit of 3 tasks"), "{}", refused.text);
    let list = call(&app, Method::Get, &tasks_path(&ada), &ada, None).await;
    assert_eq!(list.header("X-Total-Count"), Some("3"), "nothing was added");

    // Another user has a quota of their own; a delete frees a place.
    app.create_task(&bob.id, &bob.token, "bob's").await;
    let first = list.json()[0]["id"].as_i64().unwrap();
    let gone = call(&app, Method::Delete, &format!("{}/{first}", tasks_path(&ada)), &ada, None).await;
    assert_eq!(gone.status, Status::NoContent);
    app.create_task(&ada.id, &ada.token, "room again").await;
}

#[rocket::async_test]
async fn a_flood_of_distinct_list_queries_is_refused_but_cached_pages_and_reads_after_a_change_are_not() {
    let app = common::app().set("tasks_list_queries_max", 5).set("tasks_list_queries_window", 600).spawn().await;
    let ada = user(&app).await;
    let bob = user(&app).await;
    app.create_task(&ada.id, &ada.token, "one").await;
    let page = |who: &User, offset: u32| format!("{}?offset={offset}", tasks_path(who));

    // The first read after a change is free; five new queries fit the budget.
    for offset in 0..=5 {
        let reply = call(&app, Method::Get, &page(&ada, offset), &ada, None).await;
        assert_eq!(reply.status, Status::Ok, "offset {offset}: {}", reply.text);
    }
    let asked = std::time::Instant::now();
    let refused = call(&app, Method::Get, &page(&ada, 6), &ada, None).await;
    assert_eq!(refused.status, Status::TooManyRequests, "{}", refused.text);
    // Held until the budget refills (120 s here), at most a second: a
    // client that ignores Retry-After cannot be refused as fast as it asks.
    assert!(asked.elapsed() >= std::time::Duration::from_secs(1), "answered after {:?}", asked.elapsed());
    assert_eq!(refused.json()["code"], "TOO_MANY_REQUESTS");
    let wait: u64 = refused.header("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=120).contains(&wait), "Retry-After {wait}");

    // Pages already read still answer; so does another user.
    for offset in [0, 3, 5] {
        assert_eq!(
            call(&app, Method::Get, &page(&ada, offset), &ada, None).await.status,
            Status::Ok,
            "cached {offset}"
        );
    }
    for offset in 0..=5 {
        assert_eq!(call(&app, Method::Get, &page(&bob, offset), &bob, None).await.status, Status::Ok, "bob {offset}");
    }

    // After a change the first read is answered, the next new one is not.
    app.create_task(&ada.id, &ada.token, "two").await;
    let fresh = call(&app, Method::Get, &page(&ada, 0), &ada, None).await;
    assert_eq!(fresh.status, Status::Ok);
    assert_eq!(fresh.header("X-Total-Count"), Some("2"));
    assert_eq!(call(&app, Method::Get, &page(&ada, 1), &ada, None).await.status, Status::TooManyRequests);
}

#[rocket::async_test]
async fn concurrent_creates_never_pass_the_quota() {
    use rocket::futures::future::join_all;
    let app = common::app().set("tasks_max_per_user", 5).spawn().await;
    let ada = user(&app).await;
    app.create_task(&ada.id, &ada.token, "the first").await;

    let path = tasks_path(&ada);
    let replies =
        join_all((0..24).map(|i| call(&app, Method::Post, &path, &ada, Some(json!({"title": format!("racer {i}")})))))
            .await;

    let created = replies.iter().filter(|r| r.status == Status::Created).count();
    let refused = replies.iter().filter(|r| r.status == Status::UnprocessableEntity).count();
    assert_eq!((created, refused), (4, 20), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    let list = call(&app, Method::Get, &path, &ada, None).await;
    assert_eq!(list.header("X-Total-Count"), Some("5"));
}
