//! `GET /api/health` (the process is up) and `GET /api/ready` (it can reach
//! its database), for load balancers and orchestrators.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use shared::Health;

use crate::db::{Batching, Db};
use crate::error::{ApiError, AppResult};

const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/health")]
fn health() -> Json<Health> {
    Json(Health::ok())
}

/// `GET /api/ready`'s body: `{"status":"ok"}`, and on SQLite how its one
/// writer has batched writes since start-up (README, "Benchmarks").
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Ready {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<Batching>,
}

#[utoipa::path(get, path = "/api/ready", tag = "health", responses(
    (status = 200, description = "The database answers", body = Ready),
    (status = 503, description = "The database does not answer", body = shared::ErrorBody)))]
#[get("/ready")]
async fn ready(db: &State<Db>) -> AppResult<Json<Ready>> {
    let db: &Db = db;
    let ping = async { crate::on_db!(db, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ())) };
    match tokio::time::timeout(READY_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(Json(Ready { status: Health::ok().status, writes: db.batching() })),
        Ok(Err(e)) => {
            tracing::warn!("readiness check failed: {e}");
            Err(ApiError::unavailable("Database unavailable"))
        }
        Err(_) => {
            tracing::warn!("readiness check timed out after {READY_TIMEOUT:?}");
            Err(ApiError::unavailable("Database unavailable"))
        }
    }
}

pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Health", |rocket| async { rocket.mount("/api", routes![health, ready]) })
}
