//! [`JobStatus`]: where a submitted job is in its life, as a [`super::JobClient`] reports it
//! (Flink's `JobStatus`, with the states the mini-cluster goes through).
//!
//! The life of a job: `Created` → `Running` → `Finished`; a failure goes through `Restarting`
//! back to `Running` as often as the restart strategy allows, else to `Failed`; a cancel request
//! goes through `Cancelling` to `Cancelled`. The three terminal states never change again.

use std::fmt;

/// The state of a submitted job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Submitted; its subtasks are not deployed yet.
    Created,
    /// Its subtasks are deployed and running.
    Running,
    /// A subtask failed; the job waits to be redeployed from its latest checkpoint.
    Restarting,
    /// A cancel was asked for; its subtasks are being stopped.
    Cancelling,
    /// Every source ended and the job drained (terminal).
    Finished,
    /// It was cancelled (terminal): not an error, and never restarted.
    Cancelled,
    /// It failed and the restart strategy gave up, or it could not start (terminal).
    Failed,
}

impl JobStatus {
    /// Whether the job has ended: `Finished`, `Cancelled` or `Failed`.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Finished | JobStatus::Cancelled | JobStatus::Failed)
    }
}

/// Flink's names (`RUNNING`, `CANCELED`, ...), as its REST API and CLI show them.
impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobStatus::Created => "CREATED",
            JobStatus::Running => "RUNNING",
            JobStatus::Restarting => "RESTARTING",
            JobStatus::Cancelling => "CANCELLING",
            JobStatus::Finished => "FINISHED",
            JobStatus::Cancelled => "CANCELED",
            JobStatus::Failed => "FAILED",
        })
    }
}
