//! Calls to the task API; each takes the bearer token to send.

use gloo_net::http::Method;
use shared::task::{CreateTask, PatchTask};
use shared::Task;

use crate::api::error::ApiError;
use crate::api::request::{api_url, request};

fn tasks_url(user_id: &str, rest: &str) -> Result<String, ApiError> {
    api_url(&format!("/api/{user_id}/tasks{rest}"))
}

/// One page (newest first).
pub(crate) struct Page {
    pub(crate) tasks: Vec<Task>,
    /// How many there are in all.
    pub(crate) total: usize,
    /// The user's change version the page was read at (`X-Change-Version`):
    /// where the live stream resumes.
    pub(crate) version: Option<i64>,
}

pub(crate) async fn list(user_id: &str, token: &str, offset: usize, limit: usize) -> Result<Page, ApiError> {
    let url = tasks_url(user_id, &format!("?sort=-created_at&limit={limit}&offset={offset}"))?;
    let reply = request::<Vec<Task>>(Method::GET, &url, Some(token), None).await?;
    let total = reply.headers.get("x-total-count").and_then(|t| t.parse().ok()).unwrap_or(reply.body.len());
    let version = reply.headers.get("x-change-version").and_then(|v| v.parse().ok());
    Ok(Page { tasks: reply.body, total, version })
}

pub(crate) async fn create(
    user_id: &str,
    token: &str,
    title: &str,
    description: Option<&str>,
) -> Result<Task, ApiError> {
    let body = CreateTask { title: title.into(), description: description.map(str::to_owned) };
    let json = serde_json::to_string(&body).ok();
    Ok(request(Method::POST, &tasks_url(user_id, "")?, Some(token), json).await?.body)
}

pub(crate) async fn update(user_id: &str, token: &str, id: i64, patch: &PatchTask) -> Result<Task, ApiError> {
    let json = serde_json::to_string(patch).ok();
    Ok(request(Method::PATCH, &tasks_url(user_id, &format!("/{id}"))?, Some(token), json).await?.body)
}

pub(crate) async fn toggle(user_id: &str, token: &str, id: i64) -> Result<Task, ApiError> {
    Ok(request(Method::PATCH, &tasks_url(user_id, &format!("/{id}/complete"))?, Some(token), None).await?.body)
}

pub(crate) async fn delete(user_id: &str, token: &str, id: i64) -> Result<(), ApiError> {
    request::<()>(Method::DELETE, &tasks_url(user_id, &format!("/{id}"))?, Some(token), None).await.map(|_| ())
}
