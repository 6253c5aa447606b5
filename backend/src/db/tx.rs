//! Transactions by hand (the `BEGIN` each engine needs) and what a database
//! error means.

use sqlx::Executor;

use crate::config::Engine;

/// The `BEGIN` that takes the write lock up front on SQLite, so a transaction
/// that reads then writes cannot fail with SQLITE_BUSY halfway.
pub(crate) fn begin_write(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "BEGIN IMMEDIATE",
        Engine::Postgres => "BEGIN",
    }
}

/// Commits on success, rolls back on failure; a connection whose transaction
/// state is unknown is closed instead of going back to the pool.
pub(crate) async fn finish<C, T>(
    mut conn: sqlx::pool::PoolConnection<C>,
    result: Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error>
where
    C: sqlx::Database,
    for<'c> &'c mut C::Connection: Executor<'c, Database = C>,
{
    match result {
        Ok(value) => {
            (&mut *conn).execute("COMMIT").await?;
            Ok(value)
        }
        Err(e) => {
            if (&mut *conn).execute("ROLLBACK").await.is_err() {
                drop(conn.detach());
            }
            Err(e)
        }
    }
}

/// Whether a database error is a unique-constraint violation (both engines).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), possibly extended.
pub(crate) fn is_sqlite_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let primary = db.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
            matches!(primary, Some(5 | 6))
        }
        _ => false,
    }
}
