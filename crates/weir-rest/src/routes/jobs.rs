//! `/jobs`: the jobs served here, one job's details, and cancelling it (`PATCH`).

use super::{ApiError, find_job, now_millis};
use crate::json::{JobDetails, JobIdWithStatus, JobIdsWithStatus, JobsOverview};
use crate::registry::{Awaited, JobRegistry};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use weir_runtime::CancelOutcome;

/// `GET /jobs`: `{"jobs": [{"id", "status"}]}`.
pub async fn list(State(registry): State<JobRegistry>) -> Json<JobIdsWithStatus> {
    let jobs = registry
        .jobs()
        .iter()
        .map(|job| JobIdWithStatus { id: job.job_id().to_string(), status: job.status().to_string() })
        .collect();
    Json(JobIdsWithStatus { jobs })
}

/// `GET /jobs/overview`: every job's details.
pub async fn overview(State(registry): State<JobRegistry>) -> Json<JobsOverview> {
    let now = now_millis();
    Json(JobsOverview { jobs: registry.jobs().iter().map(|job| JobDetails::of(job, now)).collect() })
}

/// `GET /jobs/:id`.
pub async fn details(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
) -> Result<Json<JobDetails>, ApiError> {
    let job = find_job(&registry, &job_id)?;
    let details = JobDetails::of(&job, now_millis());
    if job.status().is_terminal() {
        registry.answered(&Awaited::JobEnd(job.job_id()));
    }
    Ok(Json(details))
}

/// `PATCH /jobs/:id[?mode=cancel]`: cancels the job; 202 `{}`. A job that already ended is a
/// conflict (409), naming its status.
pub async fn cancel(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let job = find_job(&registry, &job_id)?;
    for (name, value) in query.iter().flat_map(|q| q.split('&')).filter_map(|pair| pair.split_once('=')) {
        if name == "mode" && value != "cancel" {
            return Err(ApiError::bad_request(format!(
                "unsupported mode '{value}': PATCH /jobs/:id cancels (mode=cancel); to stop with a savepoint, POST /jobs/:id/stop"
            )));
        }
    }
    match job.cancel() {
        CancelOutcome::Requested | CancelOutcome::AlreadyCancelling => {
            registry.await_answer(Awaited::JobEnd(job.job_id()));
            Ok((StatusCode::ACCEPTED, Json(serde_json::json!({}))))
        }
        CancelOutcome::AlreadyEnded(status) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("job {} has already ended ({status}): there is nothing to cancel", job.job_id()),
        )),
    }
}
