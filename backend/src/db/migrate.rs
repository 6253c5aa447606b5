//! Versioned migrations with sqlx's migrator, one directory per engine
//! (`backend/migrations/{sqlite,postgres}`), run at start-up.
//!
//! Databases made before the switch to sqlx's migrator kept their history
//! in `schema_migrations`; [`bridge_history`] moves it into sqlx's
//! `_sqlx_migrations` once, so those migrations are not applied again.

use std::time::{Duration, Instant};

use rocket::{Build, Rocket};
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{Acquire, Executor};

use super::pool::Db;
use super::tx::is_sqlite_busy;
use crate::config::Engine;

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Serialises the history bridge across replicas (PostgreSQL); sqlx's
/// migrator takes its own lock for the migrations themselves.
const BRIDGE_LOCK_KEY: i64 = 0x746f_646f_6d69_6772; // "todomigr"

/// How long start-up keeps retrying while another process holds the SQLite
/// file's lock.
const LOCK_PATIENCE: Duration = Duration::from_secs(15);

pub(super) async fn on_ignite(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    // If the pool failed to start, that is already logged.
    let Some(db) = rocket.state::<Db>().cloned() else { return Err(rocket) };
    match run_when_free(&db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("applied {n} database migration(s)"),
        Err(e) => {
            tracing::error!("database migration failed: {e}");
            return Err(rocket);
        }
    }
    Ok(rocket)
}

fn migrator(engine: Engine) -> &'static Migrator {
    match engine {
        Engine::Sqlite => &SQLITE,
        Engine::Postgres => &POSTGRES,
    }
}

fn is_busy(e: &MigrateError) -> bool {
    matches!(e, MigrateError::Execute(e) if is_sqlite_busy(e))
}

/// [`run`], retried while SQLite says the database is locked: two processes
/// starting on one new file both switch it to WAL and both migrate; the
/// loser of a lock upgrade gets SQLITE_BUSY at once, without waiting for the
/// busy timeout. Each attempt is one transaction, so a retry starts clean.
async fn run_when_free(db: &Db) -> Result<usize, MigrateError> {
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match run(db).await {
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                tracing::info!("database locked by another process during migrations; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await; // back off, then try again
            }
            other => return other,
        }
    }
}

/// How many migrations `_sqlx_migrations` records, on any connection.
macro_rules! applied {
    ($conn:expr) => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one($conn)
            .await
            .map(|n| usize::try_from(n).unwrap_or(0))
    };
}

/// Moves the pre-sqlx `schema_migrations` history into `_sqlx_migrations`
/// (same versions, the checksums of today's files) and drops the old table.
/// Written once for both engines, like `on_db!`; `$conn` is in a transaction.
macro_rules! bridge_history {
    ($conn:expr, $migrator:expr, $old_table_exists:expr) => {{
        let old: i64 = sqlx::query_scalar($old_table_exists).fetch_one(&mut *$conn).await?;
        if old > 0 {
            $conn.ensure_migrations_table().await?;
            let versions: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *$conn).await?;
            for version in &versions {
                let Some(m) = $migrator.iter().find(|m| m.version == *version) else {
                    return Err(MigrateError::VersionMissing(*version));
                };
                sqlx::query(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                     VALUES ($1, $2, TRUE, $3, -1) ON CONFLICT (version) DO NOTHING",
                )
                .bind(m.version)
                .bind(&*m.description)
                .bind(&*m.checksum)
                .execute(&mut *$conn)
                .await?;
            }
            $conn.execute("DROP TABLE schema_migrations").await?;
            tracing::info!("moved the history of {} migration(s) into sqlx's _sqlx_migrations", versions.len());
        }
    }};
}

const SQLITE_OLD_TABLE: &str = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
const POSTGRES_OLD_TABLE: &str = "SELECT COUNT(*) FROM information_schema.tables \
    WHERE table_schema = current_schema() AND table_name = 'schema_migrations'";

/// Applies pending migrations; safe to run from several processes at once
/// (SQLite: one transaction for all of them; PostgreSQL: advisory locks).
/// Returns how many were applied.
pub(crate) async fn run(db: &Db) -> Result<usize, MigrateError> {
    let migrator = migrator(db.engine());
    match db {
        Db::Sqlite(pool, _) => {
            let mut conn = pool.acquire().await?;
            // Persistent in the file; must be set outside a transaction.
            conn.execute("PRAGMA journal_mode = WAL").await?;
            let mut tx = conn.begin().await?;
            bridge_history!(tx, migrator, SQLITE_OLD_TABLE);
            tx.ensure_migrations_table().await?;
            let before = applied!(&mut *tx)?;
            // sqlx's per-migration transactions nest as savepoints here.
            // (`run_direct`: `run` on a borrowed connection trips rustc's
            // "Acquire is not general enough" in a Send future; sqlx's own
            // workaround.)
            migrator.run_direct(&mut *tx).await?;
            let after = applied!(&mut *tx)?;
            tx.commit().await?;
            Ok(after - before)
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let mut tx = conn.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(BRIDGE_LOCK_KEY).execute(&mut *tx).await?;
            bridge_history!(tx, migrator, POSTGRES_OLD_TABLE);
            tx.ensure_migrations_table().await?;
            let before = applied!(&mut *tx)?;
            tx.commit().await?;
            migrator.run_direct(&mut *conn).await?;
            Ok(applied!(&mut *conn)?.saturating_sub(before))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_exists_for_both_engines() {
        let versions = |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        assert_eq!(versions(&SQLITE), versions(&POSTGRES));
        for (i, (version, _)) in versions(&SQLITE).into_iter().enumerate() {
            assert_eq!(version, i as i64 + 1, "versions are consecutive");
        }
    }
}
