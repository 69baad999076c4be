//! `/jobs/:id/savepoints` and `/jobs/:id/stop`: asking for a savepoint (optionally cancelling
//! the job after it), stopping the job with one, and polling what became of the request.
//!
//! Both requests answer 202 with a `request-id` (the runtime's trigger id) and are polled at
//! `/jobs/:id/savepoints/:triggerid`, as in Flink. A request the runtime refuses at once
//! (checkpointing off, no directory, the job not running) is an error answer with its reason.

use super::{ApiError, find_job, parse_body};
use crate::json::{SavepointInfo, SavepointTriggerRequest, StopWithSavepointRequest, TriggerResponse};
use crate::registry::{Awaited, JobRegistry};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::path::PathBuf;
use weir_runtime::{SavepointError, SavepointTriggerId};

type Accepted = (StatusCode, Json<TriggerResponse>);

/// `POST /jobs/:id/savepoints` with `{"target-directory", "cancel-job"}`.
pub async fn trigger(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Result<Accepted, ApiError> {
    let job = find_job(&registry, &job_id)?;
    let request: SavepointTriggerRequest = parse_body(&body)?;
    let target = request.target_directory.map(PathBuf::from);
    let trigger = if request.cancel_job {
        job.cancel_with_savepoint(target.as_deref())
    } else {
        job.trigger_savepoint(target.as_deref())
    }
    .map_err(refused)?;
    if request.cancel_job {
        registry.await_answer(Awaited::Savepoint(job.job_id(), trigger.clone()));
        registry.await_answer(Awaited::JobEnd(job.job_id()));
    }
    Ok(accepted(trigger))
}

/// `POST /jobs/:id/stop` with `{"targetDirectory", "drain"}`.
pub async fn stop(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Result<Accepted, ApiError> {
    let job = find_job(&registry, &job_id)?;
    let request: StopWithSavepointRequest = parse_body(&body)?;
    let target = request.target_directory.map(PathBuf::from);
    let trigger = job.stop_with_savepoint(target.as_deref(), request.drain).map_err(refused)?;
    registry.await_answer(Awaited::Savepoint(job.job_id(), trigger.clone()));
    registry.await_answer(Awaited::JobEnd(job.job_id()));
    Ok(accepted(trigger))
}

/// `GET /jobs/:id/savepoints/:triggerid`; 404 for an id this job never gave out.
pub async fn status(
    State(registry): State<JobRegistry>,
    Path((job_id, trigger_id)): Path<(String, String)>,
) -> Result<Json<SavepointInfo>, ApiError> {
    let job = find_job(&registry, &job_id)?;
    let trigger = SavepointTriggerId::parse(&trigger_id);
    let status = job.savepoint_status(&trigger).ok_or_else(|| {
        ApiError::not_found(format!("savepoint request {trigger_id} of job {} not found", job.job_id()))
    })?;
    if !status.is_in_progress() {
        registry.answered(&Awaited::Savepoint(job.job_id(), trigger));
    }
    Ok(Json(SavepointInfo::of(&status)))
}

fn accepted(trigger: SavepointTriggerId) -> Accepted {
    (StatusCode::ACCEPTED, Json(TriggerResponse { request_id: trigger.to_string() }))
}

/// A refusal of the runtime: the request must change (400), or the job's state forbids it (409).
fn refused(error: SavepointError) -> ApiError {
    let status = match error {
        SavepointError::NoTargetDirectory { .. } => StatusCode::BAD_REQUEST,
        SavepointError::CheckpointingOff { .. } | SavepointError::NotRunning { .. } => StatusCode::CONFLICT,
    };
    ApiError::new(status, error.to_string())
}
