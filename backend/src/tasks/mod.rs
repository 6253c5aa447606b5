//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.

pub mod cache;
pub mod routes;
pub mod store;
pub mod versions;

use rocket::fairing::AdHoc;

/// Mounts the task routes.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Task API", |rocket| async {
        let url: Option<String> = rocket.figment().extract_inner("databases.todo.url").ok();
        let reads = VersionReads {
            sqlite: url.as_deref().and_then(versions::SqliteVersions::for_url),
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
