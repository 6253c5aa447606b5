//! Liveness and readiness bodies.

use serde::{Deserialize, Serialize};

/// Body of `GET /api/health` and a successful `GET /api/ready`: `{"status":"ok"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
}

impl Health {
    pub fn ok() -> Self {
        Self { status: "ok".into() }
    }
}
