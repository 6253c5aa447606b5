//! The connection pool: a typed sqlx pool for SQLite or PostgreSQL, created
//! by rocket_db_pools from the `databases.todo` config.
//!
//! The pool is created with rocket_db_pools' `Pool::init` but not through its
//! fairing: that fairing closes the pool as soon as shutdown *starts*, so
//! requests still in flight during Rocket's grace period failed. `main`
//! closes the pool after the server has drained instead ([`Db::close`]).
//!
//! Why not one `sqlx::AnyPool`: sqlx 0.7's Any driver decodes SQLite integers
//! as 32-bit (millisecond timestamps come back truncated) and cannot decode
//! SQLite booleans. Instead `Db` is an enum of the two typed pools and
//! [`on_db!`] runs the same SQL (`$1` placeholders are valid on both) on
//! whichever one is configured.

use std::path::Path;

use rocket::{Build, Rocket};
use rocket_db_pools::Pool as _;

use super::writer::{Batching, Writer};
use crate::config::{Engine, Settings};

/// Where the pool's settings live in Rocket's configuration.
const DATABASE_CONFIG: &str = "databases.todo";

/// The application database, managed by Rocket: handlers take `&State<Db>`.
///
/// On SQLite every write goes through the pool's [`Writer`] (`write_db!`,
/// `write_tx!`); reads use the pool directly.
#[derive(Clone)]
pub enum Db {
    Sqlite(sqlx::SqlitePool, Writer),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the configured engine's typed pool.
/// The body is compiled once per engine, so each gets its own types checked.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs a write of exactly one statement, `$body`, with `$exec` the
/// executor: on SQLite the writer's connection, inside the next
/// group-committed batch (so the body owns what it uses: it runs on the
/// writer's task); on PostgreSQL the pool. Use `$exec` once.
#[macro_export]
macro_rules! write_db {
    ($db:expr, |$exec:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pool, writer) => {
                writer.write_statement(pool, move |$exec| Box::pin(async move { $body })).await
            }
            $crate::db::Db::Postgres($exec) => $body,
        }
    };
}

/// Runs several statements as one transaction, `$conn` a connection
/// (`&mut *$conn` per statement): on SQLite a savepoint in the writer's
/// next batch, on PostgreSQL a transaction of its own. An `Err` from the
/// body rolls all of it back.
#[macro_export]
macro_rules! write_tx {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pool, writer) => {
                writer.write(pool, move |$conn| Box::pin(async move { $body })).await
            }
            $crate::db::Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let $conn: &mut sqlx::PgConnection = &mut *tx;
                let value: Result<_, sqlx::Error> = $body;
                let value = value?;
                tx.commit().await?;
                Ok(value)
            }
        }
    };
}

impl Db {
    /// A SQLite pool and its writer (started on the first write).
    pub fn sqlite(pool: sqlx::SqlitePool) -> Self {
        Db::Sqlite(pool, Writer::default())
    }

    /// How SQLite's writes were batched so far (`None` on PostgreSQL).
    pub fn batching(&self) -> Option<Batching> {
        match self {
            Db::Sqlite(_, writer) => Some(writer.batching()),
            Db::Postgres(_) => None,
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(..) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Closes every connection (waiting for those in use to come back).
    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

/// Creates the pool (rocket_db_pools reads `databases.todo`: url, pool size,
/// timeouts; for SQLite it also sets the busy timeout and create-if-missing).
pub(super) async fn connect(rocket: Rocket<Build>, engine: Engine) -> Result<Rocket<Build>, Rocket<Build>> {
    let config = rocket.figment().focus(DATABASE_CONFIG);
    let db = match engine {
        Engine::Sqlite => sqlx::SqlitePool::init(&config).await.map(Db::sqlite).map_err(|e| e.to_string()),
        Engine::Postgres => sqlx::PgPool::init(&config).await.map(Db::Postgres).map_err(|e| e.to_string()),
    };
    match db {
        Ok(db) => Ok(rocket.manage(db)),
        Err(e) => {
            tracing::error!("cannot open the database: {e}");
            Err(rocket)
        }
    }
}

/// SQLite will not create missing directories (`data/` on a fresh clone).
pub(super) async fn prepare_location(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    let Some(settings) = rocket.state::<Settings>() else { return Ok(rocket) };
    if let Some(file) = sqlite_file(&settings.database_url) {
        if let Some(dir) = Path::new(&file).parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                tracing::error!("cannot create the database directory {}: {e}", dir.display());
                return Err(rocket);
            }
        }
    }
    Ok(rocket)
}

/// The file a `sqlite:` URL points at, if it is a file (not `:memory:`).
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_paths() {
        assert_eq!(sqlite_file("sqlite://data/todo.db?mode=rwc").as_deref(), Some("data/todo.db"));
        assert_eq!(sqlite_file("sqlite:///tmp/x.db").as_deref(), Some("/tmp/x.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/db"), None);
    }
}
