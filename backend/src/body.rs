//! JSON request bodies with the API's error contract: wrong content type →
//! 415, too large → 413, malformed → 400, wrong shape → 400 (auth, as Better
//! Auth answers) or 422 (task API), each as `{message, code}`.

use std::marker::PhantomData;

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::Request;
use serde::de::DeserializeOwned;
use shared::error::codes;

use crate::error::{remember_error, ApiError};

/// Which status a well-formed JSON body of the wrong shape gets.
pub trait ShapeStatus {
    const STATUS: Status;
}

/// Auth endpoints: Better Auth answers 400 `VALIDATION_ERROR`.
pub struct AuthShape;
impl ShapeStatus for AuthShape {
    const STATUS: Status = Status::BadRequest;
}

/// Task API: 422 `VALIDATION_ERROR` (README, "The task API").
pub struct TaskShape;
impl ShapeStatus for TaskShape {
    const STATUS: Status = Status::UnprocessableEntity;
}

/// A parsed JSON body.
pub struct JsonBody<T, S = TaskShape>(pub T, PhantomData<S>);

impl<T, S> JsonBody<T, S> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// The JSON body of an auth endpoint.
pub type AuthJson<T> = JsonBody<T, AuthShape>;

/// Turns serde's error into the client-facing one.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], shape_status: Status) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            // serde stops at the first wrong type, so `0a` would count as a
            // shape error: only well-formed JSON gets the shape status.
            Category::Data if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
                ApiError::new(shape_status, codes::VALIDATION_ERROR, format!("Invalid request body: {e}"))
            }
            Category::Data => {
                let syntax = serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                ApiError::new(Status::BadRequest, codes::BAD_REQUEST, format!("Malformed JSON: {syntax}"))
            }
            Category::Eof if bytes.iter().all(u8::is_ascii_whitespace) => {
                ApiError::new(Status::BadRequest, codes::BAD_REQUEST, "Request body is empty: send a JSON object")
            }
            _ => ApiError::new(Status::BadRequest, codes::BAD_REQUEST, format!("Malformed JSON: {e}")),
        }
    })
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send, S: ShapeStatus + Send> FromData<'r> for JsonBody<T, S> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !req.content_type().is_some_and(|ct| ct.is_json()) {
            let err = ApiError::new(
                Status::UnsupportedMediaType,
                codes::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type: send application/json",
            );
            return fail_data(req, err);
        }
        let limit = req.limits().get("json").unwrap_or(64.kibibytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                let err = ApiError::new(
                    Status::PayloadTooLarge,
                    codes::PAYLOAD_TOO_LARGE,
                    format!("Request body is larger than {limit}"),
                );
                return fail_data(req, err);
            }
            Err(e) => {
                return fail_data(
                    req,
                    ApiError::bad_request(codes::BAD_REQUEST, format!("Could not read the body: {e}")),
                )
            }
        };
        match parse_json(&bytes, S::STATUS) {
            Ok(value) => data::Outcome::Success(JsonBody(value, PhantomData)),
            Err(err) => fail_data(req, err),
        }
    }
}

fn fail_data<'r, T>(req: &'r Request<'_>, err: ApiError) -> data::Outcome<'r, T, ApiError> {
    remember_error(req, &err);
    data::Outcome::Error((err.status, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
    }

    #[test]
    fn errors_are_classified() {
        let shape = |b: &str| parse_json::<Body>(b.as_bytes(), Status::UnprocessableEntity).unwrap_err();
        assert_eq!(shape("{").status, Status::BadRequest);
        assert_eq!(shape("").status, Status::BadRequest);
        assert_eq!(shape(r#"{"title": 5}"#).status, Status::UnprocessableEntity);
        assert_eq!(shape(r#"{"title": "x", "extra": 1}"#).status, Status::UnprocessableEntity);
        assert_eq!(shape(r#"{}"#).body.code, "VALIDATION_ERROR");
        assert!(parse_json::<Body>(br#"{"title":"x"}"#, Status::UnprocessableEntity).is_ok());
    }
}
