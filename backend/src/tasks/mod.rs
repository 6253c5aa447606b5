//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.
//! Layers: `routes` → `budget`, `cache`, `store`, `versions` → `model`, the database.

mod budget;
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
        let settings = rocket.state::<Settings>();
        let url = settings.map(|s| s.database_url.as_str());
        let (max, window) = settings.map_or((0, 1), |s| (s.tasks_list_queries_max, s.tasks_list_queries_window_secs));
        let budget = budget::QueryBudget::new(max, window);
        let reads = versions::VersionReads {
            sqlite: url.and_then(versions::SqliteVersions::for_url),
            postgres: versions::PgVersions::default(),
        };
        rocket.manage(cache::ListCache::default()).manage(budget).manage(reads).mount("/api", routes::routes())
    })
}
