//! SQLite's one writer (group commit, `db/writer.rs`): writes that wait
//! together commit together, a failing write fails alone, and reads never
//! wait for the writer. (On PostgreSQL there is no writer: writes run on
//! the pool. The crash test covers durability on both engines.)

mod common;

use std::time::Duration;

use backend::db::{Db, Writer};
use rocket::http::{Method, Status};
use sqlx::{Executor, SqliteConnection, SqlitePool};
use tokio::sync::oneshot;

/// The app's own database handle (its writer included), or `None` on
/// PostgreSQL.
fn sqlite(app: &common::TestApp) -> Option<(SqlitePool, Writer)> {
    match app.client.rocket().state::<Db>().expect("a database") {
        Db::Sqlite(pool, writer) => Some((pool.clone(), writer.clone())),
        Db::Postgres(_) => {
            eprintln!("PostgreSQL has no writer of its own: nothing to check here");
            None
        }
    }
}

/// Occupies the writer (a write that waits for `release`) and returns once
/// it runs, so what is queued next waits for it and then goes as one batch.
async fn hold(pool: &SqlitePool, writer: &Writer) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (release, released) = oneshot::channel::<()>();
    let (running, started) = oneshot::channel::<()>();
    let (pool, writer) = (pool.clone(), writer.clone());
    let held = tokio::spawn(async move {
        let wrote = writer
            .write(&pool, move |conn: &mut SqliteConnection| {
                Box::pin(async move {
                    conn.execute("INSERT INTO scratch (v) VALUES ('held')").await?;
                    let _ = running.send(());
                    let _ = released.await;
                    Ok(())
                })
            })
            .await;
        wrote.expect("the held write commits");
    });
    started.await.expect("the held write runs");
    (release, held)
}

/// The app's writer (SQLite only) after it made the `scratch` table the
/// tests write to.
async fn with_scratch(app: &common::TestApp) -> Option<(SqlitePool, Writer)> {
    let (pool, writer) = sqlite(app)?;
    writer
        .write(&pool, |conn| {
            Box::pin(async move { conn.execute("CREATE TABLE scratch (v TEXT PRIMARY KEY)").await.map(|_| ()) })
        })
        .await
        .unwrap();
    Some((pool, writer))
}

/// Waits (bounded; yielding, never sleeping) until `n` writes are queued.
async fn until_queued(writer: &Writer, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while writer.queued() < n {
        assert!(tokio::time::Instant::now() < deadline, "{} of {n} writes queued", writer.queued());
        tokio::task::yield_now().await;
    }
}

async fn scratch(pool: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT v FROM scratch ORDER BY v").fetch_all(pool).await.unwrap()
}

#[rocket::async_test]
async fn writes_waiting_together_commit_as_one_batch_and_a_failing_one_rolls_back_alone() {
    let app = common::spawn_app().await;
    let Some((pool, writer)) = with_scratch(&app).await else { return };
    let before = writer.batching();

    let (release, held) = hold(&pool, &writer).await;
    let mut queued = Vec::new();
    for i in 0..12 {
        let (pool, writer) = (pool.clone(), writer.clone());
        queued.push(tokio::spawn(async move {
            writer
                .write(&pool, move |conn| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO scratch (v) VALUES ($1)")
                            .bind(format!("w{i:02}"))
                            .execute(&mut *conn)
                            .await?;
                        if i % 3 == 0 {
                            // Its first row is in; this one collides: all of it must go.
                            sqlx::query("INSERT INTO scratch (v) VALUES ('held')").execute(&mut *conn).await?;
                        }
                        Ok(i)
                    })
                })
                .await
        }));
    }
    // Single statements need no savepoint: SQLite undoes a failed one alone.
    for i in 12..18 {
        let (pool, writer) = (pool.clone(), writer.clone());
        let value = if i % 2 == 0 { format!("s{i}") } else { "held".to_owned() };
        queued.push(tokio::spawn(async move {
            writer
                .write_statement(&pool, move |conn| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO scratch (v) VALUES ($1)").bind(value).execute(conn).await.map(|_| i)
                    })
                })
                .await
        }));
    }
    // Every one is queued behind the held write (bounded wait, no sleep).
    until_queued(&writer, 18).await;
    assert_eq!(scratch(&pool).await, Vec::<String>::new(), "nothing is visible before its batch commits");
    release.send(()).unwrap();
    held.await.unwrap();

    let mut outcomes = Vec::new();
    for write in queued {
        outcomes.push(write.await.unwrap());
    }
    for (i, outcome) in outcomes.iter().enumerate() {
        let fails = if i < 12 { i % 3 == 0 } else { i % 2 == 1 };
        match outcome {
            Ok(n) => assert!(!fails && *n == i, "write {i}: {outcome:?}"),
            Err(e) => assert!(fails && e.to_string().contains("UNIQUE"), "write {i}: {e}"),
        }
    }
    let mut expected: Vec<String> = (0..12).filter(|i| i % 3 != 0).map(|i| format!("w{i:02}")).collect();
    expected.extend(["held", "s12", "s14", "s16"].map(String::from));
    expected.sort();
    assert_eq!(scratch(&pool).await, expected, "the failing writes left nothing, their neighbours are all in");
    let after = writer.batching();
    assert_eq!(
        (after.batches - before.batches, after.writes - before.writes),
        (2, 19),
        "the held write alone, then the eighteen that waited as one batch"
    );
    assert!(after.largest >= 18);
    let ready = app.call(Method::Get, "/api/ready", None, None).await.json();
    assert_eq!(ready["writes"]["writes"], after.writes, "/api/ready reports the batching: {ready}");
    assert!(ready["writes"]["by_size"][4].as_u64() >= Some(1), "a batch of 16–31 writes: {ready}");
}

#[rocket::async_test]
async fn reads_never_wait_for_the_writer_and_writes_are_answered_after_their_commit() {
    let app = common::spawn_app().await;
    let Some((pool, writer)) = with_scratch(&app).await else { return };
    let user = app.sign_up().await;
    let token = app.jwt(&user).await;
    let tasks = format!("/api/{}/tasks", user.user_id);
    app.create_task(&user.user_id, &token, "Before").await;

    let (release, held) = hold(&pool, &writer).await;
    // The writer holds SQLite's write lock with a row not committed: a list
    // is still answered, from the last commit. (A bound, not a speed check:
    // waiting for the writer would wait for ever.)
    let listed = tokio::time::timeout(Duration::from_secs(10), app.call(Method::Get, &tasks, Some(&token), None))
        .await
        .expect("a read does not wait for the writer");
    assert_eq!(listed.status, Status::Ok);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));

    // A create waits its turn and is answered once it is committed.
    let create = app.call(Method::Post, &tasks, Some(&token), Some(serde_json::json!({"title": "After"})));
    let (created, ()) = tokio::join!(create, async {
        until_queued(&writer, 1).await;
        let listed = app.call(Method::Get, &tasks, Some(&token), None).await;
        assert_eq!(listed.json().as_array().map(Vec::len), Some(1), "a queued create is not visible yet");
        release.send(()).unwrap();
    });
    held.await.unwrap();
    assert_eq!(created.status, Status::Created, "{}", created.text);
    let listed = app.call(Method::Get, &tasks, Some(&token), None).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(2), "answered means committed");
}

#[rocket::async_test]
async fn a_statement_that_takes_the_transaction_down_fails_its_whole_batch() {
    let app = common::spawn_app().await;
    let Some((pool, writer)) = with_scratch(&app).await else { return };
    let (release, held) = hold(&pool, &writer).await;
    let mut queued = Vec::new();
    for (i, sql) in ["INSERT INTO scratch (v) VALUES ('a')", "ROLLBACK", "INSERT INTO scratch (v) VALUES ('c')"]
        .into_iter()
        .enumerate()
    {
        let (pool, writer) = (pool.clone(), writer.clone());
        queued.push(tokio::spawn(async move {
            writer
                .write_statement(&pool, move |conn| {
                    Box::pin(async move {
                        conn.execute(sql).await?;
                        if i == 1 {
                            // What SQLite does itself on a full disk: the
                            // transaction is gone, and the statement fails.
                            conn.execute("INSERT INTO scratch (v) VALUES ('held')").await?;
                        }
                        Ok(())
                    })
                })
                .await
        }));
    }
    until_queued(&writer, 3).await;
    release.send(()).unwrap();
    held.await.unwrap();
    for (i, write) in queued.into_iter().enumerate() {
        assert!(write.await.unwrap().is_err(), "write {i} is told its batch failed");
    }
    assert_eq!(scratch(&pool).await, ["held"], "nothing of the failed batch is kept");
    // The writer goes on with a clean connection.
    let after = writer
        .write_statement(&pool, |conn| {
            Box::pin(async move { conn.execute("INSERT INTO scratch (v) VALUES ('after')").await.map(|_| ()) })
        })
        .await;
    assert!(after.is_ok(), "{after:?}");
    assert_eq!(scratch(&pool).await, ["after", "held"]);
}
