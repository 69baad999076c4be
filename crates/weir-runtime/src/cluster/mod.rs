//! The embedded mini-cluster: a job manager and a task manager in this process (DESIGN §1).
//!
//! The job manager ([`mini_cluster`]) deploys every subtask of a job onto a slot of the task
//! manager — here, a thread of its own — watches them, and on the first failure cancels the rest
//! and reports the root cause. It gathers the per-operator counters into the
//! [`JobExecutionResult`] and, while the job runs, into live [`progress`] lines.

pub(crate) mod job_result;
pub(crate) mod mini_cluster;
pub(crate) mod progress;
pub(crate) mod subtask;

pub use job_result::{CheckpointSummary, JobExecutionResult, OperatorResult};
