//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.
//! Layers: `routes` → `cache`, `store`, `versions` → `model`, the database.

mod cache;
mod model;
pub(crate) mod routes;
pub(crate) mod store;
pub mod versions;

use rocket::fairing::AdHoc;

use crate::config::Settings;

/// Mounts the task routes.
pub(crate) fn stage() -> AdHoc {
    AdHoc::on_ignite("Task API", |rocket| async {
        let url = rocket.state::<Settings>().map(|s| s.database_url.as_str());
        let reads = versions::VersionReads {
            sqlite: url.and_then(versions::SqliteVersions::for_url),
            postgres: versions::PgVersions::default(),
        };
        rocket.manage(cache::ListCache::default()).manage(reads).mount("/api", routes::routes())
    })
}
