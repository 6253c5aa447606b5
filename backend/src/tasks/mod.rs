//! The resource server: owner-scoped task CRUD under `/api/<user_id>/tasks`.

pub mod routes;
pub mod store;

use rocket::fairing::AdHoc;

/// Mounts the task routes.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Task API", |rocket| async { rocket.mount("/api", routes::routes()) })
}
