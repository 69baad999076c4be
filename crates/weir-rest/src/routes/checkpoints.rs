//! `/jobs/:id/checkpoints`: the job's checkpoint statistics and its checkpoint configuration.

use super::{ApiError, find_job};
use crate::json::{CheckpointConfigInfo, CheckpointingStatistics};
use crate::registry::JobRegistry;
use axum::Json;
use axum::extract::{Path, State};

/// `GET /jobs/:id/checkpoints`: counts, the latest of each kind, and the recent history.
pub async fn statistics(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
) -> Result<Json<CheckpointingStatistics>, ApiError> {
    let job = find_job(&registry, &job_id)?;
    Ok(Json(CheckpointingStatistics::of(&job.checkpoints())))
}

/// `GET /jobs/:id/checkpoints/config`; 404 when the job does not checkpoint (as in Flink).
pub async fn config(
    State(registry): State<JobRegistry>,
    Path(job_id): Path<String>,
) -> Result<Json<CheckpointConfigInfo>, ApiError> {
    let job = find_job(&registry, &job_id)?;
    let config = job.checkpoint_config().ok_or_else(|| {
        ApiError::not_found(format!(
            "checkpointing is not enabled for job {} (set execution.checkpointing.interval)",
            job.job_id()
        ))
    })?;
    Ok(Json(CheckpointConfigInfo::of(config)))
}
