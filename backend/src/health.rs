//! `GET /api/health` (the process is up) and `GET /api/ready` (it can reach
//! its database), for load balancers and orchestrators.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use shared::Health;

use crate::db::Db;
use crate::error::{ApiError, AppResult};

const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/health")]
fn health() -> Json<Health> {
    Json(Health::ok())
}

#[utoipa::path(get, path = "/api/ready", tag = "health", responses(
    (status = 200, description = "The database answers", body = Health),
    (status = 503, description = "The database does not answer", body = shared::ErrorBody)))]
#[get("/ready")]
async fn ready(db: &State<Db>) -> AppResult<Json<Health>> {
    let db: &Db = db;
    let ping = async { crate::on_db!(db, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ())) };
    match tokio::time::timeout(READY_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(Json(Health::ok())),
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
