//! The database: a typed sqlx pool for SQLite or PostgreSQL (chosen by
//! `DATABASE_URL`, created by rocket_db_pools from the `databases.todo`
//! config), versioned migrations, and the engine differences in one place.
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
use std::time::{SystemTime, UNIX_EPOCH};

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use rocket_db_pools::Pool as _;
use sqlx::Executor;

use crate::config::{Engine, Settings};

/// Where the pool's settings live in Rocket's configuration.
const DATABASE_CONFIG: &str = "databases.todo";

/// The application database, managed by Rocket: handlers take `&State<Db>`.
#[derive(Clone)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the configured engine's typed pool.
/// The body is compiled once per engine, so each gets its own types checked.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Closes every connection (waiting for those in use to come back).
    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

/// A schema change, written once per engine.
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "tasks",
        sqlite: include_str!("../migrations/sqlite/0001_tasks.sql"),
        postgres: include_str!("../migrations/postgres/0001_tasks.sql"),
    },
    Migration {
        version: 2,
        name: "auth",
        sqlite: include_str!("../migrations/sqlite/0002_auth.sql"),
        postgres: include_str!("../migrations/postgres/0002_auth.sql"),
    },
    Migration {
        version: 3,
        name: "task_counts",
        sqlite: include_str!("../migrations/sqlite/0003_task_counts.sql"),
        postgres: include_str!("../migrations/postgres/0003_task_counts.sql"),
    },
    Migration {
        version: 4,
        name: "task_list_version",
        sqlite: include_str!("../migrations/sqlite/0004_task_list_version.sql"),
        postgres: include_str!("../migrations/postgres/0004_task_list_version.sql"),
    },
];

/// Any constant works; it only has to be the same in every replica.
const MIGRATION_LOCK_KEY: i64 = 0x746f_646f_6d69_6772; // "todomigr"

/// Attaches the pool for the configured engine and runs migrations before launch.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Database", |rocket| async {
        let engine = rocket.state::<Settings>().map(|s| s.engine).unwrap_or(Engine::Sqlite);
        rocket
            .attach(AdHoc::try_on_ignite("Database location", prepare_location))
            .attach(AdHoc::try_on_ignite("Database pool", move |rocket| connect(rocket, engine)))
            .attach(AdHoc::try_on_ignite("Database migrations", migrate))
    })
}

/// Creates the pool (rocket_db_pools reads `databases.todo`: url, pool size,
/// timeouts; for SQLite it also sets the busy timeout and create-if-missing).
async fn connect(rocket: Rocket<Build>, engine: Engine) -> Result<Rocket<Build>, Rocket<Build>> {
    let config = rocket.figment().focus(DATABASE_CONFIG);
    let db = match engine {
        Engine::Sqlite => sqlx::SqlitePool::init(&config).await.map(Db::Sqlite).map_err(|e| e.to_string()),
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
async fn prepare_location(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
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
pub fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

async fn migrate(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    // If the pool failed to start, that is already logged.
    let Some(db) = rocket.state::<Db>().cloned() else { return Err(rocket) };
    match run_migrations_when_free(&db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("applied {n} database migration(s)"),
        Err(e) => {
            tracing::error!("database migration failed: {e}");
            return Err(rocket);
        }
    }
    Ok(rocket)
}

/// How long start-up keeps retrying migrations while another process holds
/// the SQLite file's lock.
const MIGRATION_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// [`run_migrations`], retried while SQLite says the database is locked:
/// two processes starting on one new file both switch it to WAL, and that
/// switch fails at once (without waiting for the busy timeout) while the
/// other one holds the file.
async fn run_migrations_when_free(db: &Db) -> Result<usize, sqlx::Error> {
    let deadline = std::time::Instant::now() + MIGRATION_LOCK_PATIENCE;
    loop {
        match run_migrations(db).await {
            Err(e) if is_sqlite_busy(&e) && std::time::Instant::now() < deadline => {
                tracing::info!("database locked by another process during migrations; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await; // back off, then try again
            }
            other => return other,
        }
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), possibly extended.
fn is_sqlite_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let primary = db.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
            matches!(primary, Some(5 | 6))
        }
        _ => false,
    }
}

/// Applies pending migrations in one transaction; safe to run from several
/// processes at once (PostgreSQL: advisory lock; SQLite: `BEGIN IMMEDIATE`).
/// Returns how many were applied.
pub async fn run_migrations(db: &Db) -> Result<usize, sqlx::Error> {
    let engine = db.engine();
    on_db!(db, |pool| {
        let mut conn = pool.acquire().await?;
        if engine == Engine::Sqlite {
            // Persistent in the file; must be set outside a transaction.
            conn.execute("PRAGMA journal_mode = WAL").await?;
        }
        conn.execute(begin_write(engine)).await?;
        let applied = async {
            if engine == Engine::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *conn).await?;
            }
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
            let done: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *conn).await?;
            let mut count = 0;
            for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
                let sql = match engine {
                    Engine::Sqlite => m.sqlite,
                    Engine::Postgres => m.postgres,
                };
                for statement in statements(sql) {
                    conn.execute(statement.as_str()).await?;
                }
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(now_millis())
                    .execute(&mut *conn)
                    .await?;
                count += 1;
            }
            Ok::<usize, sqlx::Error>(count)
        }
        .await;
        finish(conn, applied).await
    })
}

/// Commits on success, rolls back on failure; a connection whose transaction
/// state is unknown is closed instead of going back to the pool.
pub async fn finish<C, T>(
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

/// Splits a migration file into statements: `--` comments dropped, split on
/// `;` — except inside `$$ … $$` (PostgreSQL function bodies) and inside a
/// SQLite trigger's `BEGIN … END`. Migrations must not put `;` or `--`
/// inside string literals.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String =
        sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in without_comments.split_inclusive(';') {
        current.push_str(piece);
        let in_dollar_quote = current.matches("$$").count() % 2 == 1;
        let upper = current.trim().to_ascii_uppercase();
        let in_trigger_body = upper.starts_with("CREATE TRIGGER")
            && upper.contains(" BEGIN")
            && !upper.trim_end_matches(';').trim_end().ends_with("END");
        if !in_dollar_quote && !in_trigger_body {
            let statement = current.trim().trim_end_matches(';').trim();
            if !statement.is_empty() {
                out.push(statement.to_owned());
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// Milliseconds since the Unix epoch, UTC: how the database stores times.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A stored time as the API shows it: RFC 3339 UTC with milliseconds, like
/// JavaScript's `toISOString()` (what Better Auth clients parse).
///
/// Written by hand (civil-from-days, proleptic Gregorian): a task list
/// formats two of these per row, and a general formatter was a visible part
/// of a list request's cost. Years outside 0..=9999 fall back to the epoch,
/// as `toISOString()` has no four-digit form for them.
pub fn iso8601(ms: i64) -> String {
    const MS_PER_DAY: i64 = 86_400_000;
    let (days, ms_of_day) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return "1970-01-01T00:00:00.000Z".into();
    }
    let (secs, millis) = (ms_of_day / 1000, ms_of_day % 1000);
    let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::with_capacity(24);
    for (value, width, after) in [
        (year, 4, '-'),
        (month, 2, '-'),
        (day, 2, 'T'),
        (hour, 2, ':'),
        (minute, 2, ':'),
        (second, 2, '.'),
        (millis, 3, 'Z'),
    ] {
        let mut digits = [b'0'; 4];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend(digits[..width].iter().map(|&b| char::from(b)));
        out.push(after);
    }
    out
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether a database error is a unique-constraint violation (both engines).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// The `BEGIN` that takes the write lock up front on SQLite, so a transaction
/// that reads then writes cannot fail with SQLITE_BUSY halfway.
pub fn begin_write(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "BEGIN IMMEDIATE",
        Engine::Postgres => "BEGIN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_like_javascript_iso_strings() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_764_080_000_123), "2025-11-25T14:13:20.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z", "leap day of a 400-year leap year");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(253_402_300_800_000), "1970-01-01T00:00:00.000Z", "five-digit years are not shown");
    }

    #[test]
    fn the_hand_written_format_agrees_with_the_time_crate() {
        let format =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        // Steps of a prime number of milliseconds from 0000 to 9999 (and a dense patch near now).
        let far = (-62_167_219_200_000i64..253_402_300_799_999).step_by(7_919_000_003);
        let near = (1_700_000_000_000i64..1_700_000_000_000 + 400 * 86_400_000).step_by(86_399_997);
        for ms in far.chain(near) {
            let expected = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap()
                .format(&format)
                .unwrap();
            assert_eq!(iso8601(ms), expected, "{ms}");
        }
    }

    #[test]
    fn sqlite_file_paths() {
        assert_eq!(sqlite_file("sqlite://data/todo.db?mode=rwc").as_deref(), Some("data/todo.db"));
        assert_eq!(sqlite_file("sqlite:///tmp/x.db").as_deref(), Some("/tmp/x.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/db"), None);
    }

    #[test]
    fn statements_are_split_and_comments_dropped() {
        let s = statements(
            "-- a comment; with a semicolon\nCREATE TABLE a (x INT);\n\nCREATE INDEX i ON a (x); -- trailing\n",
        );
        assert_eq!(s, ["CREATE TABLE a (x INT)", "CREATE INDEX i ON a (x)"]);
    }

    #[test]
    fn trigger_and_function_bodies_stay_whole() {
        let sqlite = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  UPDATE c SET n = 0;\nEND;\nCREATE INDEX i ON a (x);";
        assert_eq!(
            statements(sqlite),
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  UPDATE c SET n = 0;\nEND",
                "CREATE INDEX i ON a (x)"
            ]
        );
        let pg = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND\n$$;\nCREATE TRIGGER g AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();";
        let split = statements(pg);
        assert_eq!(split.len(), 2, "{split:?}");
        assert!(split[0].ends_with("$$") && split[1].starts_with("CREATE TRIGGER g"));
    }

    #[test]
    fn every_migration_exists_for_both_engines() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "versions are consecutive");
            assert!(!statements(m.sqlite).is_empty() && !statements(m.postgres).is_empty());
        }
    }
}
