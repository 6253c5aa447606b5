//! Task DTOs (snake_case, as in the API this project replaces).

use serde::{Deserialize, Serialize};

/// A task as the API returns it. Timestamps are RFC 3339 UTC strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: String,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}
