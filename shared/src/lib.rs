//! Wire types shared by the Yew SPA and the Rocket API, so the HTTP contract
//! (README, docs/ARCHITECTURE.md) is checked by the compiler on both sides.

pub mod auth;
pub mod error;
pub mod health;
pub mod limits;
pub mod pages;
pub mod task;

pub use error::ErrorBody;
pub use health::Health;
pub use task::Task;
