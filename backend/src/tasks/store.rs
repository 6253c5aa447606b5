//! The task queries: every statement is scoped by `user_id`, so another
//! user's task is indistinguishable from a missing one.

use std::sync::Arc;

use shared::task::StatusFilter;
use shared::Task;

use super::model::{ListQuery, Page};
use super::versions::VERSION_SQL;
use crate::clock::iso8601;
use crate::config::Engine;
use crate::db::Db;
use crate::encoding::{Effort, Encoded};
use crate::{on_db, write_db};

type TaskRow = (i64, String, String, String, bool, i64, i64);

const COLUMNS: &str = "id, user_id, title, description, completed, created_at, updated_at";

/// A written row and the user's version after the write.
type WrittenRow = (i64, String, String, String, bool, i64, i64, i64);

/// The `RETURNING` column that gives the user's version after a one-row
/// write, with `$n` binding the user id. SQLite computes `RETURNING` before
/// the row's AFTER trigger bumps the counter (it reports no change a
/// trigger makes), so "before + 1" is exact there: one writer, one row, one
/// bump. On PostgreSQL the trigger announces the version itself (migration
/// 8) and this value goes unused.
fn version_after(n: u8) -> String {
    format!("COALESCE((SELECT version FROM task_counts WHERE user_id = ${n}), 0) + 1")
}

fn to_written(
    (id, user_id, title, description, completed, created_at, updated_at, version): WrittenRow,
) -> (Task, i64) {
    (to_task((id, user_id, title, description, completed, created_at, updated_at)), version)
}

fn to_task((id, user_id, title, description, completed, created_at, updated_at): TaskRow) -> Task {
    Task {
        id,
        user_id,
        title,
        description,
        completed,
        created_at: iso8601(created_at),
        updated_at: iso8601(updated_at),
    }
}

/// One page of a user's tasks as a JSON array (the API's `Task` shape), how
/// many match in all, and the version it was read at — in one statement
/// returning one row, so all three come from the same snapshot.
///
/// The database writes the JSON itself (SQLite's `json_object`, PostgreSQL's
/// `json_build_object`): decoding 50 rows through the driver one by one and
/// serialising them again was most of a list request's cost. The shape must
/// equal `shared::Task`'s serialisation; a test compares the two for tricky
/// values on both engines.
pub async fn list_json(db: &Db, user_id: &str, q: &ListQuery) -> Result<Page, sqlx::Error> {
    let completed = q.status.completed();
    let filter = if completed.is_some() { "user_id = $1 AND completed = $2" } else { "user_id = $1" };
    let (limit_at, offset_at) = if completed.is_some() { (3, 4) } else { (2, 3) };
    let order = q.sort.order_by();
    let page = format!("SELECT * FROM tasks WHERE {filter} ORDER BY {order} LIMIT ${limit_at} OFFSET ${offset_at}");
    // Kept by triggers (migration 3): one row, not a count over every task.
    let counted = match q.status {
        StatusFilter::All => "total",
        StatusFilter::Pending => "total - completed",
        StatusFilter::Completed => "completed",
    };
    let count = format!("SELECT COALESCE((SELECT {counted} FROM task_counts WHERE user_id = $1), 0)");
    let sql = match db {
        Db::Sqlite(..) => format!(
            "SELECT ({count}), ({VERSION_SQL}), (SELECT '[' || COALESCE(group_concat(json_object(\
                'id', id, 'user_id', user_id, 'title', title, 'description', description, \
                'completed', json(CASE WHEN completed THEN 'true' ELSE 'false' END), \
                'created_at', strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch'), \
                'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch')) \
             , ',' ORDER BY {order}), '') || ']' FROM ({page}))"
        ),
        Db::Postgres(_) => format!(
            "SELECT ({count}), ({VERSION_SQL}), (SELECT COALESCE(json_agg(json_build_object(\
                'id', id, 'user_id', user_id, 'title', title, 'description', description, 'completed', completed, \
                'created_at', to_char(TIMESTAMP 'epoch' + created_at * INTERVAL '1 millisecond', {PG_ISO}), \
                'updated_at', to_char(TIMESTAMP 'epoch' + updated_at * INTERVAL '1 millisecond', {PG_ISO})) \
             ORDER BY {order}), '[]')::text FROM ({page}) AS page)"
        ),
    };
    on_db!(db, |pool| {
        let mut query = sqlx::query_as::<_, (i64, i64, String)>(&sql).bind(user_id);
        if let Some(c) = completed {
            query = query.bind(c);
        }
        let (total, version, json) = query.bind(q.limit).bind(q.offset).fetch_one(pool).await?;
        Ok(Page { version, total, json: Arc::new(Encoded::new(json.into_bytes(), Effort::Dynamic)) })
    })
}

/// `toISOString()`'s format in PostgreSQL's `to_char`.
const PG_ISO: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"#;

// Writes with `RETURNING` read their rows with `fetch_all`, never
// `fetch_one`/`fetch_optional`: those return at the first row, and SQLite
// commits the statement only when it runs to the end. Answering at the first
// row acknowledged writes that were not committed yet (a read right after
// could miss them; a crash could lose them).

/// Inserts a task unless the user already has `max_tasks`: `None` then.
///
/// One statement checks and inserts. On PostgreSQL it locks the user's
/// `task_counts` row first, so concurrent creates queue on it and each sees
/// the count the one before committed; SQLite has one writer at a time.
pub async fn create(
    db: &Db,
    user_id: &str,
    title: &str,
    description: &str,
    now: i64,
    max_tasks: u32,
) -> Result<Option<(Task, i64)>, sqlx::Error> {
    let lock = match db.engine() {
        Engine::Postgres => " FOR UPDATE",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "WITH c AS (SELECT total FROM task_counts WHERE user_id = $1{lock}) \
         INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
         SELECT $1, $2, $3, FALSE, $4, $4 WHERE COALESCE((SELECT total FROM c), 0) < $5 RETURNING {COLUMNS}, {}",
        version_after(1)
    );
    let (user_id, title, description) = (user_id.to_owned(), title.to_owned(), description.to_owned());
    let rows: Vec<WrittenRow> = write_db!(db, |exec| sqlx::query_as(&sql)
        .bind(&user_id)
        .bind(&title)
        .bind(&description)
        .bind(now)
        .bind(i64::from(max_tasks))
        .fetch_all(exec)
        .await)?;
    Ok(rows.into_iter().next().map(to_written))
}

pub async fn get(db: &Db, user_id: &str, id: i64) -> Result<Option<Task>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2");
    let row: Option<TaskRow> =
        on_db!(db, |pool| sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(pool).await)?;
    Ok(row.map(to_task))
}

/// Sets the given fields (others unchanged); `None` if no such task of this user.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: i64,
    title: Option<&str>,
    description: Option<&str>,
    completed: Option<bool>,
    now: i64,
) -> Result<Option<(Task, i64)>, sqlx::Error> {
    let sql = format!(
        "UPDATE tasks SET title = COALESCE($1, title), description = COALESCE($2, description), \
         completed = COALESCE($3, completed), updated_at = $4 WHERE id = $5 AND user_id = $6 RETURNING {COLUMNS}, {}",
        version_after(6)
    );
    let (user_id, title, description) = (user_id.to_owned(), title.map(str::to_owned), description.map(str::to_owned));
    let rows: Vec<WrittenRow> = write_db!(db, |exec| sqlx::query_as(&sql)
        .bind(title)
        .bind(description)
        .bind(completed)
        .bind(now)
        .bind(id)
        .bind(&user_id)
        .fetch_all(exec)
        .await)?;
    Ok(rows.into_iter().next().map(to_written))
}

/// Flips `completed` in one statement (no read-modify-write race).
pub async fn toggle(db: &Db, user_id: &str, id: i64, now: i64) -> Result<Option<(Task, i64)>, sqlx::Error> {
    let sql = format!(
        "UPDATE tasks SET completed = NOT completed, updated_at = $1 WHERE id = $2 AND user_id = $3 \
         RETURNING {COLUMNS}, {}",
        version_after(3)
    );
    let user_id = user_id.to_owned();
    let rows: Vec<WrittenRow> =
        write_db!(db, |exec| sqlx::query_as(&sql).bind(now).bind(id).bind(&user_id).fetch_all(exec).await)?;
    Ok(rows.into_iter().next().map(to_written))
}

/// The user's version after the deletion, if a task of theirs was deleted.
pub async fn delete(db: &Db, user_id: &str, id: i64) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!("DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING {}", version_after(2));
    let user_id = user_id.to_owned();
    let rows: Vec<(i64,)> = write_db!(db, |exec| sqlx::query_as(&sql).bind(id).bind(&user_id).fetch_all(exec).await)?;
    Ok(rows.into_iter().next().map(|(v,)| v))
}
