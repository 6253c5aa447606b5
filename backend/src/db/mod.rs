//! The database: a typed sqlx pool for SQLite or PostgreSQL (chosen by
//! `DATABASE_URL`), its migrations, and the engine differences in one place.
//!
//! `pool` owns the connection pool, `on_db!` and `write_db!`, `writer`
//! SQLite's one writer (group commit), `migrate` the schema, `tx`
//! transactions and error classification.

mod migrate;
mod pool;
mod tx;
mod writer;

use rocket::fairing::AdHoc;

use crate::config::{Engine, Settings};
pub use pool::Db;
pub(crate) use tx::{begin_write, finish, is_unique_violation};
pub use writer::{Batching, Writer};

/// Attaches the pool for the configured engine and runs migrations before launch.
pub(crate) fn stage() -> AdHoc {
    AdHoc::on_ignite("Database", |rocket| async {
        let engine = rocket.state::<Settings>().map(|s| s.engine).unwrap_or(Engine::Sqlite);
        rocket
            .attach(AdHoc::try_on_ignite("Database location", pool::prepare_location))
            .attach(AdHoc::try_on_ignite("Database pool", move |rocket| pool::connect(rocket, engine)))
            .attach(AdHoc::try_on_ignite("Database migrations", migrate::on_ignite))
    })
}
