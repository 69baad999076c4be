//! The API's routes, by resource: [`jobs`] (list, details, cancel), [`checkpoints`] (statistics
//! and configuration) and [`savepoints`] (trigger, stop with a savepoint, poll). Paths and
//! shapes are Flink's; see [`crate::json`].
//!
//! Every handler is a few calls on a [`weir_runtime::JobClient`], which only reads shared state
//! or sends a message to the job manager: nothing here blocks the server's thread. Errors are
//! [`ApiError`]s, answered as Flink answers them: `{"errors": ["message"]}` with a status.

pub mod checkpoints;
pub mod jobs;
pub mod savepoints;

use crate::json::ErrorResponse;
use crate::registry::JobRegistry;
use axum::Json;
use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use weir_core::JobId;
use weir_runtime::JobClient;

/// Every route of the API, serving the jobs of `registry`.
pub fn router(registry: JobRegistry) -> Router {
    Router::new()
        .route("/jobs", get(jobs::list))
        .route("/jobs/overview", get(jobs::overview))
        .route("/jobs/{job_id}", get(jobs::details).patch(jobs::cancel))
        .route("/jobs/{job_id}/checkpoints", get(checkpoints::statistics))
        .route("/jobs/{job_id}/checkpoints/config", get(checkpoints::config))
        .route("/jobs/{job_id}/savepoints", post(savepoints::trigger))
        .route("/jobs/{job_id}/savepoints/{trigger_id}", get(savepoints::status))
        .route("/jobs/{job_id}/stop", post(savepoints::stop))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(registry)
}

/// An error answer: a status and the message for `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorResponse { errors: vec![self.message] })).into_response()
    }
}

/// The job a path names: 400 when the id is not a job id, 404 when no such job is served here.
pub(crate) fn find_job(registry: &JobRegistry, job_id: &str) -> Result<JobClient, ApiError> {
    let id = parse_job_id(job_id)?;
    registry.get(id).ok_or_else(|| ApiError::not_found(format!("job {id} not found")))
}

fn parse_job_id(text: &str) -> Result<JobId, ApiError> {
    let valid = text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
    valid
        .then(|| JobId::parse(text))
        .flatten()
        .ok_or_else(|| ApiError::bad_request(format!("'{text}' is not a job id (a job id is 32 hexadecimal digits)")))
}

/// A JSON request body; an empty one means the defaults (Flink's bodies are all optional
/// fields).
pub(crate) fn parse_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("malformed request body: {e}")))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no such resource: {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("method not allowed on {}", uri.path()))
}

/// Milliseconds since the epoch, for `now` and running durations.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_32_hex_digits() {
        let id = JobId([0xab; 16]);
        assert_eq!(parse_job_id(&id.to_string()), Ok(id));
        for bad in ["", "abc", "abababab-abab-abab-abab-abababababab", "zz000000000000000000000000000000"] {
            let error = parse_job_id(bad).expect_err(bad);
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert!(error.message.contains(&format!("'{bad}'")), "{}", error.message);
        }
    }

    #[test]
    fn an_empty_body_means_the_defaults_and_a_malformed_one_is_a_bad_request() {
        let parsed: Result<crate::json::StopWithSavepointRequest, _> = parse_body(b" \n");
        assert_eq!(parsed, Ok(Default::default()));
        let error = parse_body::<crate::json::StopWithSavepointRequest>(b"{drain").expect_err("malformed");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert!(error.message.starts_with("malformed request body"), "{}", error.message);
    }
}
