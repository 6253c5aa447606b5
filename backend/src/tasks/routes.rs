//! `/api/<user_id>/tasks` (docs/ARCHITECTURE.md, "Task API"). Every route takes the `Owner`
//! guard: a valid bearer JWT whose `sub` is the path's `user_id`.

use std::sync::Arc;

use rocket::http::{ContentType, Header, Status};
use rocket::request::FromParam;
use rocket::response::status::Created;
use rocket::response::Responder;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, routes, Route, State};
use shared::error::codes;
use shared::limits::{LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX};
use shared::task::{validate_description, validate_title, CreateTask, PatchTask, ReplaceTask, StatusFilter};
use shared::{ErrorBody, Task};

use super::budget::QueryBudget;
use super::cache::{ListCache, Lookup};
use super::model::{ListQuery, Sort};
use super::store;
use super::versions::{self, VersionReads};
use crate::bearer::Owner;
use crate::body::JsonBody;
use crate::clock::now_millis;
use crate::config::Settings;
use crate::db::Db;
use crate::encoding::{self, Encoded};
use crate::error::{ApiError, AppResult};
use crate::events::{self, hub::Event, hub::Hub};
use crate::reply::WithHeaders;

pub fn routes() -> Vec<Route> {
    routes![list, create, read, replace, update, toggle, remove]
}

/// A task id from the path. Anything that is not an `i64` names no task:
/// 404 like any missing task (as a failed `i64` parameter, Rocket would
/// forward and answer 422 on methods without a fallback route).
pub struct TaskId(Option<i64>);

impl<'a> FromParam<'a> for TaskId {
    type Error = std::convert::Infallible;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        Ok(TaskId(param.parse().ok()))
    }
}

impl TaskId {
    fn get(&self) -> AppResult<i64> {
        self.0.ok_or_else(not_found)
    }
}

fn not_found() -> ApiError {
    ApiError::new(Status::NotFound, codes::TASK_NOT_FOUND, "Task not found")
}

/// Parses the list's query parameters; anything out of range is a 422.
pub fn parse_list_query(
    status: Option<&str>,
    sort: Option<&str>,
    limit: Option<&str>,
    offset: Option<&str>,
) -> Result<ListQuery, ApiError> {
    let status = match status {
        None => StatusFilter::All,
        Some(s) => StatusFilter::parse(s)
            .ok_or_else(|| ApiError::validation("status must be one of: all, pending, completed"))?,
    };
    let sort = match sort {
        None => Sort::CreatedDesc,
        Some(s) => Sort::parse(s).ok_or_else(|| {
            ApiError::validation("sort must be one of: created_at, -created_at, title, -title, updated_at, -updated_at")
        })?,
    };
    let limit = match limit {
        None => i64::from(LIST_LIMIT_DEFAULT),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=i64::from(LIST_LIMIT_MAX)).contains(l))
            .ok_or_else(|| ApiError::validation(format!("limit must be an integer from 1 to {LIST_LIMIT_MAX}")))?,
    };
    let offset = match offset {
        None => 0,
        Some(o) => o
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| ApiError::validation("offset must be a non-negative integer"))?,
    };
    Ok(ListQuery { status, sort, limit, offset })
}

fn title(raw: &str) -> AppResult<String> {
    validate_title(raw).map_err(ApiError::validation)
}

fn description(raw: &str) -> AppResult<String> {
    validate_description(raw).map_err(ApiError::validation)
}

/// A ready-made JSON array, shared with the cache (no copy per answer),
/// sent in the coding the client prefers.
pub struct JsonPage(Arc<Encoded>);

impl<'r> Responder<'r, 'static> for JsonPage {
    fn respond_to(self, req: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        Ok(encoding::respond(req, &self.0, ContentType::JSON))
    }
}

/// Authenticated responses are private to one user: never cached.
fn no_store() -> Header<'static> {
    Header::new("Cache-Control", "no-store")
}

/// One task of this user, or `TASK_NOT_FOUND`.
fn task_reply(found: Result<Option<Task>, sqlx::Error>) -> AppResult<WithHeaders<Json<Task>>> {
    let task = found?.ok_or_else(not_found)?;
    Ok(WithHeaders(Json(task), vec![no_store()]))
}

/// A written task's reply, announced to the user's event streams first.
fn updated_reply(
    written: Result<Option<(Task, i64)>, sqlx::Error>,
    db: &Db,
    hub: &Hub,
) -> AppResult<WithHeaders<Json<Task>>> {
    let (task, version) = written?.ok_or_else(not_found)?;
    events::announce(db, hub, &task.user_id, || Event::updated(version, &task));
    Ok(WithHeaders(Json(task), vec![no_store()]))
}

#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(
        ("user_id" = String, Path, description = "Must equal the token's `sub`"),
        ("status" = Option<String>, Query, description = "all | pending | completed (default all)"),
        ("sort" = Option<String>, Query, description = "created_at | -created_at | title | -title | updated_at | -updated_at (default -created_at)"),
        ("limit" = Option<i64>, Query, description = "1..=500, default 100", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "default 0", minimum = 0),
    ),
    responses(
        (status = 200, description = "One page of the user's tasks", body = [Task], headers(("X-Total-Count" = i64, description = "Tasks matching the filter, all pages"), ("X-Change-Version" = i64, description = "The user's change version this page was read at: the events stream's Last-Event-ID"))),
        (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody),
        (status = 422, description = "Unknown or out-of-range query value", body = ErrorBody),
        (status = 429, description = "TOO_MANY_REQUESTS: more than TASKS_LIST_QUERIES_MAX new queries (pages not read since the last change) in TASKS_LIST_QUERIES_WINDOW seconds", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds until the next new query is allowed"))),
    ))]
#[get("/<_user_id>/tasks?<status>&<sort>&<limit>&<offset>")]
#[allow(clippy::too_many_arguments)] // one per Rocket guard and query parameter
async fn list(
    owner: Owner,
    _user_id: &str,
    status: Option<&str>,
    sort: Option<&str>,
    limit: Option<&str>,
    offset: Option<&str>,
    db: &State<Db>,
    cache: &State<ListCache>,
    budget: &State<QueryBudget>,
    reads: &State<VersionReads>,
) -> AppResult<WithHeaders<JsonPage>> {
    let query = parse_list_query(status, sort, limit, offset)?;
    let user = &owner.user_id;
    // One row read tells whether the page built last time still holds; if
    // not, the JSON array comes ready-made from the database (`list_json`).
    let version = versions::version(db, reads, user).await?;
    let page = match cache.get(user, &query, version) {
        Lookup::Hit(page) => page,
        miss => {
            if let Lookup::Another = miss {
                budget.spend(user).await?;
            }
            let page = store::list_json(db, user, &query).await?;
            cache.put(user, &query, page.clone());
            page
        }
    };
    let headers = vec![
        Header::new("X-Total-Count", page.total.to_string()),
        Header::new("X-Change-Version", page.version.to_string()),
        no_store(),
    ];
    Ok(WithHeaders(JsonPage(page.json), headers))
}

#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Must equal the token's `sub`")),
    request_body = CreateTask,
    responses(
        (status = 201, description = "Created", body = Task, headers(("Location" = String))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid title/description or unknown field (VALIDATION_ERROR), or TASK_LIMIT_REACHED: the user holds TASKS_MAX_PER_USER tasks", body = ErrorBody),
    ))]
#[post("/<_user_id>/tasks", data = "<body>")]
async fn create(
    owner: Owner,
    _user_id: &str,
    db: &State<Db>,
    settings: &State<Settings>,
    hub: &State<Arc<Hub>>,
    body: JsonBody<CreateTask>,
) -> AppResult<WithHeaders<Created<Json<Task>>>> {
    let body = body.into_inner();
    let title = title(&body.title)?;
    let description = description(body.description.as_deref().unwrap_or(""))?;
    let max = settings.tasks_max_per_user;
    let Some((task, version)) = store::create(db, &owner.user_id, &title, &description, now_millis(), max).await?
    else {
        return Err(ApiError::new(
            Status::UnprocessableEntity,
            codes::TASK_LIMIT_REACHED,
            format!("You have reached the limit of {max} tasks per account; delete some to add more"),
        ));
    };
    events::announce(db, hub, &owner.user_id, || Event::created(version, &task));
    let location = format!("/api/{}/tasks/{}", owner.user_id, task.id);
    Ok(WithHeaders(Created::new(location).body(Json(task)), vec![no_store()]))
}

#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("user_id" = String, Path, description = "Must equal the token's `sub`"), ("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = Task), (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody), (status = 404, description = "No such task of this user", body = ErrorBody)))]
#[get("/<_user_id>/tasks/<id>")]
async fn read(owner: Owner, _user_id: &str, id: TaskId, db: &State<Db>) -> AppResult<WithHeaders<Json<Task>>> {
    task_reply(store::get(db, &owner.user_id, id.get()?).await)
}

#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("user_id" = String, Path, description = "Must equal the token's `sub`"), ("id" = i64, Path, description = "Task id")),
    request_body = ReplaceTask,
    responses((status = 200, description = "Replaced", body = Task), (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field or unknown field", body = ErrorBody), (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody), (status = 404, description = "No such task of this user", body = ErrorBody)))]
#[put("/<_user_id>/tasks/<id>", data = "<body>")]
async fn replace(
    owner: Owner,
    _user_id: &str,
    id: TaskId,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
    body: JsonBody<ReplaceTask>,
) -> AppResult<WithHeaders<Json<Task>>> {
    let (id, body) = (id.get()?, body.into_inner());
    let (title, description) = (title(&body.title)?, description(&body.description)?);
    updated_reply(
        store::update(db, &owner.user_id, id, Some(&title), Some(&description), Some(body.completed), now_millis())
            .await,
        db,
        hub,
    )
}

#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("user_id" = String, Path, description = "Must equal the token's `sub`"), ("id" = i64, Path, description = "Task id")),
    request_body = PatchTask,
    responses((status = 200, description = "Updated", body = Task), (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field or unknown field", body = ErrorBody), (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody), (status = 404, description = "No such task of this user", body = ErrorBody)))]
#[patch("/<_user_id>/tasks/<id>", data = "<body>")]
async fn update(
    owner: Owner,
    _user_id: &str,
    id: TaskId,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
    body: JsonBody<PatchTask>,
) -> AppResult<WithHeaders<Json<Task>>> {
    let (id, body) = (id.get()?, body.into_inner());
    let title = body.title.as_deref().map(title).transpose()?;
    let description = body.description.as_deref().map(description).transpose()?;
    updated_reply(
        store::update(db, &owner.user_id, id, title.as_deref(), description.as_deref(), body.completed, now_millis())
            .await,
        db,
        hub,
    )
}

#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])), params(("user_id" = String, Path, description = "Must equal the token's `sub`"), ("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "`completed` flipped", body = Task), (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody), (status = 404, description = "No such task of this user", body = ErrorBody)))]
#[patch("/<_user_id>/tasks/<id>/complete")]
async fn toggle(
    owner: Owner,
    _user_id: &str,
    id: TaskId,
    db: &State<Db>,
    hub: &State<Arc<Hub>>,
) -> AppResult<WithHeaders<Json<Task>>> {
    updated_reply(store::toggle(db, &owner.user_id, id.get()?, now_millis()).await, db, hub)
}

#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])), params(("user_id" = String, Path, description = "Must equal the token's `sub`"), ("id" = i64, Path, description = "Task id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Missing, invalid or expired bearer token", body = ErrorBody, headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token is another user's", body = ErrorBody), (status = 404, description = "No such task of this user", body = ErrorBody)))]
#[delete("/<_user_id>/tasks/<id>")]
async fn remove(owner: Owner, _user_id: &str, id: TaskId, db: &State<Db>, hub: &State<Arc<Hub>>) -> AppResult<Status> {
    let id = id.get()?;
    let version = store::delete(db, &owner.user_id, id).await?.ok_or_else(not_found)?;
    events::announce(db, hub, &owner.user_id, || Event::deleted(version, id));
    Ok(Status::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_bounds() {
        assert!(parse_list_query(None, None, None, None).is_ok());
        for (status, sort, limit, offset) in [
            (Some("foo"), None, None, None),
            (None, Some("foo"), None, None),
            (None, None, Some("0"), None),
            (None, None, Some("501"), None),
            (None, None, Some("ten"), None),
            (None, None, None, Some("-1")),
        ] {
            let err = parse_list_query(status, sort, limit, offset).expect_err("refused");
            assert_eq!(err.status, Status::UnprocessableEntity);
        }
        let q = parse_list_query(Some("completed"), Some("-title"), Some("500"), Some("10")).unwrap();
        assert_eq!((q.status, q.sort, q.limit, q.offset), (StatusFilter::Completed, Sort::TitleDesc, 500, 10));
    }
}
