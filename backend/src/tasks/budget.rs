//! Each user's budget of new list queries: `TASKS_LIST_QUERIES_MAX` per
//! `TASKS_LIST_QUERIES_WINDOW` seconds of pages read from the database
//! while the cache holds another of the user's pages at the same change
//! version. Cached pages and the first read after a change are free, so
//! using the app never meets it; asking for page after distinct page does,
//! and is answered 429 before it costs a query (DESIGN §10: one user's
//! flood must not slow anyone else's list).

use std::time::Duration;

use crate::error::{ApiError, AppResult};
use crate::limit::{key_of, whole_secs, Buckets};

/// The longest a refused query is held before its 429 goes out.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// Users by a hash of their id (a fixed-size key; ids are ours, not chosen
/// by clients), at most `limit::MAX_KEYS` of them tracked.
pub struct QueryBudget(Option<Buckets<u64>>);

impl QueryBudget {
    /// `max` 0 disables it.
    pub fn new(max: u32, window_secs: u64) -> Self {
        QueryBudget(Buckets::new(max, window_secs))
    }

    /// Takes one new query from `user_id`'s budget, or answers 429 with
    /// `Retry-After` — after a pause until the budget refills (at most a
    /// second), so a client that ignores `Retry-After` and asks again at
    /// once gets a few refusals per second per connection instead of as
    /// many as the CPU can serve: waiting costs a timer, not a core.
    pub async fn spend(&self, user_id: &str) -> AppResult<()> {
        let Some(buckets) = &self.0 else { return Ok(()) };
        let Err(wait) = buckets.check(&key_of(user_id)) else { return Ok(()) };
        tokio::time::sleep(wait.min(MAX_PAUSE)).await;
        let secs = whole_secs(wait.saturating_sub(MAX_PAUSE)).max(1);
        Err(ApiError::too_many_requests(
            format!("Too many different list queries; try again in {secs} s (pages already read are not limited)"),
            secs,
        ))
    }
}
