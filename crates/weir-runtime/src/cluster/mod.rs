//! The embedded mini-cluster: a job manager and a task manager in this process (DESIGN §1).
//!
//! The job manager ([`mini_cluster`]) runs on a thread of its own per job. It deploys every
//! subtask of an `attempt` onto a slot of the task manager — here, a thread of its own —
//! watches them, and on the first failure cancels the rest and restarts or reports the root
//! cause; `job_checkpoints` is its checkpoint machinery. It gathers the per-operator counters
//! into the [`JobExecutionResult`] and, while the job runs, into live [`progress`] lines.
//!
//! A [`JobClient`] is the submitter's handle on the job: its [`JobStatus`], a cancel request,
//! and the result.

mod attempt;
pub(crate) mod job_checkpoints;
pub(crate) mod job_client;
pub(crate) mod job_result;
pub(crate) mod job_status;
pub(crate) mod mini_cluster;
pub(crate) mod process_memory;
pub(crate) mod progress;
pub(crate) mod savepoints;
pub(crate) mod subtask;

pub use crate::checkpointing::overview::{CheckpointCounts, CheckpointsOverview, RestoredSnapshot};
pub use job_client::{CancelOutcome, JobClient};
pub use job_result::{CheckpointSummary, JobExecutionResult, OperatorResult};
pub use job_status::JobStatus;
pub use process_memory::limit_malloc_arenas;
pub use savepoints::{AfterSavepoint, SavepointError, SavepointStatus, SavepointTriggerId};
