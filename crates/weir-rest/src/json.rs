//! The JSON the API speaks: request bodies and responses, with Flink's field names (`jid`,
//! `start-time`, `request-id`, `target-directory`, ...) so that a Flink user's scripts and
//! habits carry over, and the pure functions that turn the runtime's views of a job into them.
//!
//! The same types are serialized by the server and deserialized by [`crate::RestClient`], so
//! the two cannot drift apart. Fields Flink has and weir does not measure are left out rather
//! than filled with zeros; fields weir adds are named in their docs.
//!
//! It is **not** where requests are routed or answered ([`crate::routes`]). No I/O.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_runtime::{
    CheckpointConfig, CheckpointSummary, CheckpointingMode, CheckpointsOverview, JobClient, RestoredSnapshot,
    RetentionPolicy, SavepointStatus,
};

/// `GET /jobs`: every job's id and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdsWithStatus {
    pub jobs: Vec<JobIdWithStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdWithStatus {
    pub id: String,
    /// Flink's names: `RUNNING`, `FINISHED`, `CANCELED`, `FAILED`, ...
    pub status: String,
}

/// `GET /jobs/overview`: every job with its name and times (what `weir list` shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsOverview {
    pub jobs: Vec<JobDetails>,
}

/// `GET /jobs/:id` (and one entry of `/jobs/overview`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetails {
    pub jid: String,
    pub name: String,
    pub state: String,
    /// Milliseconds since the epoch.
    #[serde(rename = "start-time")]
    pub start_time: Timestamp,
    /// -1 while the job runs.
    #[serde(rename = "end-time")]
    pub end_time: Timestamp,
    /// Milliseconds, up to now while the job runs.
    pub duration: i64,
    /// When this answer was made (milliseconds since the epoch).
    pub now: Timestamp,
}

impl JobDetails {
    /// The job as its client sees it at `now`.
    pub fn of(job: &JobClient, now: Timestamp) -> Self {
        let (start, end) = (job.start_time(), job.end_time());
        JobDetails {
            jid: job.job_id().to_string(),
            name: job.job_name().to_string(),
            state: job.status().to_string(),
            start_time: start,
            end_time: end.unwrap_or(-1),
            duration: end.unwrap_or(now).saturating_sub(start).max(0),
            now,
        }
    }
}

/// `GET /jobs/:id/checkpoints` (Flink's `CheckpointingStatistics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointingStatistics {
    pub counts: CheckpointCountsJson,
    pub latest: LatestCheckpoints,
    /// Newest first: the checkpoints in flight, then the newest that ended.
    pub history: Vec<CheckpointStatistics>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointCountsJson {
    pub restored: u64,
    pub total: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestCheckpoints {
    pub completed: Option<CheckpointStatistics>,
    pub savepoint: Option<CheckpointStatistics>,
    pub failed: Option<CheckpointStatistics>,
    pub restored: Option<RestoredCheckpoint>,
}

/// One checkpoint or savepoint. Of one in flight only `id` and `status` are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointStatistics {
    pub id: u64,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_savepoint: Option<bool>,
    /// `CHECKPOINT` or `SAVEPOINT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_timestamp: Option<Timestamp>,
    /// Bytes of state acknowledged by the subtasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_size: Option<u64>,
    /// Milliseconds from trigger to completion or failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_duration: Option<u64>,
    /// weir's: the longest synchronous part of a subtask's snapshot, in milliseconds (Flink
    /// shows it per subtask as `checkpoint_duration.sync`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sync_duration: Option<u64>,
    /// weir's: the longest asynchronous part of a subtask's snapshot, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_async_duration: Option<u64>,
    /// weir's: the longest barrier alignment of a subtask, in milliseconds (Flink shows it per
    /// subtask as `alignment.duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_alignment_duration: Option<u64>,
    /// Its directory, for a completed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_path: Option<String>,
    /// Why it failed, for a failed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

/// What the job last restored its state from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoredCheckpoint {
    pub id: u64,
    pub restore_timestamp: Timestamp,
    pub is_savepoint: bool,
    pub external_path: String,
}

impl CheckpointingStatistics {
    pub fn of(overview: &CheckpointsOverview) -> Self {
        let counts = &overview.counts;
        let in_flight = overview.in_progress.iter().rev().map(|&id| CheckpointStatistics::in_progress(id));
        let ended = overview.recent.iter().rev().map(CheckpointStatistics::of);
        CheckpointingStatistics {
            counts: CheckpointCountsJson {
                restored: counts.restored,
                total: counts.triggered,
                in_progress: counts.in_progress,
                completed: counts.completed,
                failed: counts.failed,
            },
            latest: LatestCheckpoints {
                completed: overview.latest_completed.as_ref().map(CheckpointStatistics::of),
                savepoint: overview.latest_savepoint.as_ref().map(CheckpointStatistics::of),
                failed: overview.latest_failed.as_ref().map(CheckpointStatistics::of),
                restored: overview.latest_restored.as_ref().map(RestoredCheckpoint::of),
            },
            history: in_flight.chain(ended).collect(),
        }
    }
}

impl CheckpointStatistics {
    pub fn of(summary: &CheckpointSummary) -> Self {
        let status = if summary.completed {
            "COMPLETED"
        } else if summary.failure.is_some() {
            "FAILED"
        } else {
            "IN_PROGRESS"
        };
        CheckpointStatistics {
            id: summary.id,
            status: status.to_string(),
            is_savepoint: Some(summary.is_savepoint),
            checkpoint_type: Some(if summary.is_savepoint { "SAVEPOINT" } else { "CHECKPOINT" }.to_string()),
            trigger_timestamp: Some(summary.trigger_timestamp),
            state_size: Some(summary.state_size),
            end_to_end_duration: summary.duration.map(millis),
            max_sync_duration: Some(millis(summary.max_sync)),
            max_async_duration: Some(millis(summary.max_async)),
            max_alignment_duration: Some(millis(summary.max_alignment)),
            external_path: summary.completed.then(|| summary.path.display().to_string()),
            failure_message: summary.failure.clone(),
        }
    }

    fn in_progress(id: u64) -> Self {
        CheckpointStatistics {
            id,
            status: "IN_PROGRESS".to_string(),
            is_savepoint: None,
            checkpoint_type: None,
            trigger_timestamp: None,
            state_size: None,
            end_to_end_duration: None,
            max_sync_duration: None,
            max_async_duration: None,
            max_alignment_duration: None,
            external_path: None,
            failure_message: None,
        }
    }
}

impl RestoredCheckpoint {
    pub fn of(restored: &RestoredSnapshot) -> Self {
        RestoredCheckpoint {
            id: restored.id,
            restore_timestamp: restored.restored_at,
            is_savepoint: restored.is_savepoint,
            external_path: restored.path.display().to_string(),
        }
    }
}

/// `GET /jobs/:id/checkpoints/config` (Flink's `CheckpointConfigInfo`). Durations in
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointConfigInfo {
    /// `exactly_once` or `at_least_once`.
    pub mode: String,
    /// `null` when only savepoints are taken (no periodic checkpoints).
    pub interval: Option<u64>,
    pub timeout: u64,
    pub min_pause: u64,
    pub max_concurrent: u64,
    pub externalization: Externalization,
    pub tolerable_failed_checkpoints: u64,
    /// Where checkpoints go: weir's storage writes to a file system.
    pub checkpoint_storage: String,
    /// weir's: `state.checkpoints.dir`, `null` when unset (a directory under the system's
    /// temporary directory is used).
    pub checkpoints_dir: Option<String>,
    /// weir's: `state.savepoints.dir`, `null` when unset.
    pub savepoints_dir: Option<String>,
    /// weir's: `state.checkpoints.num-retained`.
    pub num_retained: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Externalization {
    /// Whether completed checkpoints outlive a cancelled or failed job.
    pub enabled: bool,
    /// Whether they are deleted when the job is cancelled.
    pub delete_on_cancellation: bool,
}

impl CheckpointConfigInfo {
    pub fn of(config: &CheckpointConfig) -> Self {
        CheckpointConfigInfo {
            mode: match config.mode {
                CheckpointingMode::ExactlyOnce => "exactly_once",
                CheckpointingMode::AtLeastOnce => "at_least_once",
            }
            .to_string(),
            interval: config.interval.map(millis),
            timeout: millis(config.timeout),
            min_pause: millis(config.min_pause),
            max_concurrent: config.max_concurrent as u64,
            externalization: Externalization {
                enabled: config.retention != RetentionPolicy::NoExternalizedCheckpoints,
                delete_on_cancellation: config.retention != RetentionPolicy::RetainOnCancellation,
            },
            tolerable_failed_checkpoints: config.tolerable_failed as u64,
            checkpoint_storage: "filesystem".to_string(),
            checkpoints_dir: config.checkpoints_dir.clone(),
            savepoints_dir: config.savepoints_dir.clone(),
            num_retained: config.num_retained as u64,
        }
    }
}

/// `POST /jobs/:id/savepoints`. An empty body means the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavepointTriggerRequest {
    /// Where the savepoint's directory is created; default `state.savepoints.dir`.
    #[serde(rename = "target-directory", default, skip_serializing_if = "Option::is_none")]
    pub target_directory: Option<String>,
    /// Cancel the job once the savepoint completed.
    #[serde(rename = "cancel-job", default)]
    pub cancel_job: bool,
    /// Flink's `CANONICAL`/`NATIVE`; accepted and ignored (weir's savepoints are canonical).
    #[serde(rename = "formatType", default, skip_serializing)]
    pub format_type: Option<String>,
}

/// `POST /jobs/:id/stop`. An empty body means the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopWithSavepointRequest {
    #[serde(rename = "targetDirectory", default, skip_serializing_if = "Option::is_none")]
    pub target_directory: Option<String>,
    /// Emit the final watermark before stopping, so every event-time window and timer fires.
    #[serde(default)]
    pub drain: bool,
    /// As for savepoints: accepted and ignored.
    #[serde(rename = "formatType", default, skip_serializing)]
    pub format_type: Option<String>,
}

/// The answer to an asynchronous request: the id to poll with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerResponse {
    #[serde(rename = "request-id")]
    pub request_id: String,
}

/// `GET /jobs/:id/savepoints/:triggerid` (Flink's `AsynchronousOperationResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavepointInfo {
    pub status: QueueStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<SavepointOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStatus {
    /// `IN_PROGRESS` or `COMPLETED` (also for a failed savepoint: the operation ended).
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavepointOperation {
    /// The savepoint's directory, when it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(rename = "failure-cause", default, skip_serializing_if = "Option::is_none")]
    pub failure_cause: Option<FailureCause>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCause {
    pub class: String,
    /// The failure's message (Flink puts a Java stack trace here).
    #[serde(rename = "stack-trace")]
    pub stack_trace: String,
}

/// What a client makes of a [`SavepointInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointOutcome {
    InProgress,
    Completed { location: String },
    Failed { message: String },
}

impl SavepointInfo {
    pub fn of(status: &SavepointStatus) -> Self {
        let (id, operation) = match status {
            SavepointStatus::InProgress => ("IN_PROGRESS", None),
            SavepointStatus::Completed { path } => (
                "COMPLETED",
                Some(SavepointOperation { location: Some(path.display().to_string()), failure_cause: None }),
            ),
            SavepointStatus::Failed { message } => (
                "COMPLETED",
                Some(SavepointOperation {
                    location: None,
                    failure_cause: Some(FailureCause {
                        class: "weir.SavepointFailure".to_string(),
                        stack_trace: message.clone(),
                    }),
                }),
            ),
        };
        SavepointInfo { status: QueueStatus { id: id.to_string() }, operation }
    }

    /// `None` when the answer is neither in progress nor a location nor a failure.
    pub fn outcome(&self) -> Option<SavepointOutcome> {
        if self.status.id == "IN_PROGRESS" {
            return Some(SavepointOutcome::InProgress);
        }
        let operation = self.operation.as_ref()?;
        match (&operation.location, &operation.failure_cause) {
            (Some(location), _) => Some(SavepointOutcome::Completed { location: location.clone() }),
            (None, Some(cause)) => Some(SavepointOutcome::Failed { message: cause.stack_trace.clone() }),
            (None, None) => None,
        }
    }
}

/// Every error answer: `{"errors": ["message"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub errors: Vec<String>,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
