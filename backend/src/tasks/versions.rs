//! The user's change version (migration 4), the list cache's freshness
//! check, made cheap per engine.
//!
//! SQLite: read on the request's own thread. Through sqlx every SQLite query
//! is a round trip to that connection's worker thread; for a one-row
//! primary-key read the two thread wake-ups cost far more than the read (perf
//! showed over half of a cached list request in the scheduler). These
//! connections run that one prepared statement inline instead: a read of a
//! committed row in WAL mode that never waits — busy timeout zero, and
//! anything unusual falls back to the pool.
//!
//! PostgreSQL: checks that arrive together share one query. A check joins
//! only a query sent after it was asked, so it still sees every write
//! acknowledged before the request began.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;

/// The user's version as one row: 0 before their first task.
pub const VERSION_SQL: &str = "SELECT COALESCE((SELECT version FROM task_counts WHERE user_id = $1), 0)";

/// How list requests read the user's version: inline on SQLite (`None` for
/// PostgreSQL or an in-memory database), coalesced on PostgreSQL.
pub struct VersionReads {
    pub sqlite: Option<SqliteVersions>,
    pub postgres: PgVersions,
}

/// The user's change version (migration 4): it moves with every change to
/// their tasks, so an unchanged version means an unchanged list.
/// Read on this thread on SQLite when it can, coalesced with concurrent
/// checks on PostgreSQL.
pub async fn version(db: &Db, reads: &VersionReads, user_id: &str) -> Result<i64, sqlx::Error> {
    match db {
        Db::Sqlite(pool, _) => match reads.sqlite.as_ref().and_then(|inline| inline.version(user_id)) {
            Some(version) => Ok(version),
            None => sqlx::query_scalar(VERSION_SQL).bind(user_id).fetch_one(pool).await,
        },
        Db::Postgres(pool) => reads.postgres.version(pool, user_id).await,
    }
}

/// Idle connections kept; one per executor thread is what is ever in use
/// at once (a read never yields), the rest only covers bursts of threads.
const IDLE_MAX: usize = 8;

pub struct SqliteVersions {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteVersions {
    /// For a SQLite file `DATABASE_URL`; `None` for PostgreSQL or an
    /// in-memory database (another connection would see another database).
    pub fn for_url(url: &str) -> Option<Self> {
        if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        let options = SqliteConnectOptions::from_str(url).ok()?;
        let path = options.get_filename().into_owned();
        if path.as_os_str().is_empty() || path.to_string_lossy().starts_with("file:") {
            return None;
        }
        Some(Self { path, idle: Mutex::default() })
    }

    /// The user's version, or `None` if it could not be read here right now
    /// (the caller then asks through the pool).
    pub fn version(&self, user_id: &str) -> Option<i64> {
        let conn = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match conn {
            Some(conn) => conn,
            None => self.open().map_err(|e| tracing::debug!("inline SQLite read unavailable: {e}")).ok()?,
        };
        let read =
            conn.prepare_cached(VERSION_SQL).and_then(|mut statement| statement.query_row([user_id], |row| row.get(0)));
        match read {
            Ok(version) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < IDLE_MAX {
                    idle.push(conn);
                }
                Some(version)
            }
            Err(e) => {
                // Busy (a checkpoint or recovery in progress) or worse: this
                // connection is dropped and the pool answers instead.
                tracing::debug!("inline SQLite read failed, asking the pool: {e}");
                None
            }
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // No CREATE: the pool made the file and ran the migrations already.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        // Reads only, whatever a future caller tries.
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    #[cfg(test)]
    fn idle(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Version checks waiting for a PostgreSQL query: the user and where the
/// answer goes.
type Ask = (String, oneshot::Sender<Result<i64, String>>);

/// Queries in flight at once; each carries every check queued before it.
const PG_BATCHERS: usize = 2;
/// Users per query at most.
const PG_BATCH_MAX: usize = 256;

const PG_BATCH_SQL: &str = "SELECT u, COALESCE(c.version, 0) FROM unnest($1::text[]) AS u \
    LEFT JOIN task_counts c ON c.user_id = u";

/// Coalesces PostgreSQL version checks (started on first use, on the pool it
/// is given; the batchers end when this is dropped).
#[derive(Default)]
pub struct PgVersions {
    asks: OnceLock<mpsc::UnboundedSender<Ask>>,
}

impl PgVersions {
    pub async fn version(&self, pool: &PgPool, user_id: &str) -> Result<i64, sqlx::Error> {
        let asks = self.asks.get_or_init(|| {
            let (asks, queue) = mpsc::unbounded_channel();
            let queue = Arc::new(tokio::sync::Mutex::new(queue));
            for _ in 0..PG_BATCHERS {
                tokio::spawn(batcher(pool.clone(), queue.clone()));
            }
            asks
        });
        let (answer, answered) = oneshot::channel();
        let gone = || sqlx::Error::PoolClosed;
        asks.send((user_id.to_owned(), answer)).map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?.map_err(sqlx::Error::Protocol)
    }
}

/// Takes everything queued (waiting for the first), asks for all of it in
/// one query, answers each; repeats until the sender is dropped.
async fn batcher(pool: PgPool, queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Ask>>>) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < PG_BATCH_MAX {
                match queue.try_recv() {
                    Ok(ask) => batch.push(ask),
                    Err(_) => break,
                }
            }
            batch
        };
        let mut users: Vec<&str> = batch.iter().map(|(user, _)| user.as_str()).collect();
        users.sort_unstable();
        users.dedup();
        let rows: Result<Vec<(String, i64)>, sqlx::Error> =
            sqlx::query_as(PG_BATCH_SQL).bind(&users).fetch_all(&pool).await;
        for (user, answer) in batch {
            let result = match &rows {
                Ok(rows) => rows
                    .iter()
                    .find(|(u, _)| *u == user)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| "version check: user missing from the answer".to_owned()),
                Err(e) => Err(format!("version check: {e}")),
            };
            let _ = answer.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_files_get_inline_reads() {
        assert!(SqliteVersions::for_url("postgres://postgres@127.0.0.1/todo").is_none());
        assert!(SqliteVersions::for_url("sqlite::memory:").is_none());
        assert!(SqliteVersions::for_url("sqlite://todo.db?mode=memory").is_none());
        let file = SqliteVersions::for_url("sqlite:///tmp/x/todo.db?mode=rwc").unwrap();
        assert_eq!(file.path, PathBuf::from("/tmp/x/todo.db"));
        assert_eq!(SqliteVersions::for_url("sqlite://data/todo.db").unwrap().path, PathBuf::from("data/todo.db"));
    }

    #[test]
    fn reads_committed_versions_and_falls_back_when_it_cannot() {
        let dir = std::env::temp_dir().join(format!("versions-{}-{}", std::process::id(), crate::clock::now_millis()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let versions = SqliteVersions::for_url(&format!("sqlite://{}", path.display())).unwrap();
        assert_eq!(versions.version("u"), None, "no database file yet: the pool is asked");

        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        writer
            .execute_batch(
                "CREATE TABLE task_counts (user_id TEXT PRIMARY KEY, total BIGINT, completed BIGINT, version BIGINT)",
            )
            .unwrap();
        assert_eq!(versions.version("u"), Some(0), "no row yet: version 0");
        writer.execute("INSERT INTO task_counts VALUES ('u', 1, 0, 1)", []).unwrap();
        assert_eq!(versions.version("u"), Some(1));
        assert_eq!(versions.idle(), 1, "the connection is reused");

        // A write in progress does not hide the last committed version, and
        // the next read sees the commit at once.
        writer.execute_batch("BEGIN IMMEDIATE; UPDATE task_counts SET version = 2 WHERE user_id = 'u';").unwrap();
        assert_eq!(versions.version("u"), Some(1));
        writer.execute_batch("COMMIT").unwrap();
        assert_eq!(versions.version("u"), Some(2));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
