//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.

pub mod cache;
pub mod routes;
pub mod store;
pub mod versions;

use rocket::fairing::AdHoc;

use crate::config::Settings;

/// Mounts the task routes.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Task API", |rocket| async {
        let url = rocket.state::<Settings>().map(|s| s.database_url.as_str());
        let reads = VersionReads {
            sqlite: url.and_then(versions::SqliteVersions::for_url),
            postgres: versions::PgVersions::default(),
        };
        rocket.manage(cache::ListCache::default()).manage(reads).mount("/api", routes::routes())
    })
}

/// How list requests read the user's version: inline on SQLite (`None` for
/// PostgreSQL or an in-memory database), coalesced on PostgreSQL.
pub struct VersionReads {
    pub sqlite: Option<versions::SqliteVersions>,
    pub postgres: versions::PgVersions,
}
