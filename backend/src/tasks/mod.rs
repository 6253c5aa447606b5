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
        let inline = InlineVersions(url.as_deref().and_then(versions::SqliteVersions::for_url));
        rocket.manage(cache::ListCache::default()).manage(inline).mount("/api", routes::routes())
    })
}

/// The SQLite connections for inline version reads (`None` on PostgreSQL).
pub struct InlineVersions(pub Option<versions::SqliteVersions>);

impl InlineVersions {
    pub fn get(&self) -> Option<&versions::SqliteVersions> {
        self.0.as_ref()
    }
}
