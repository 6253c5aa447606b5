//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.

pub mod cache;
pub mod routes;
pub mod store;

use rocket::fairing::AdHoc;

/// Mounts the task routes.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Task API", |rocket| async {
        rocket.manage(cache::ListCache::default()).mount("/api", routes::routes())
    })
}
