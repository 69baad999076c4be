//! weir-runtime's errors: why a job could not be built, could not start, or failed.

use std::fmt;
use weir_core::JobId;

/// Why a job did not finish successfully.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job graph is not valid; the message lists every problem found.
    #[error("invalid job: {0}")]
    InvalidJob(String),
    /// A configuration value is malformed; the message names the key and the value.
    #[error(transparent)]
    Config(weir_core::Error),
    /// A checkpoint setting is malformed or out of range; the message names the key.
    #[error(transparent)]
    Checkpoint(#[from] weir_checkpoint::CheckpointError),
    /// A configuration file could not be read or parsed.
    #[error("configuration file {path}: {message}")]
    ConfigFile { path: String, message: String },
    /// The mini-cluster has fewer slots than the job's highest parallelism.
    #[error(
        "the job needs {required} slots (its highest operator parallelism) but the mini-cluster has {available}; raise taskmanager.numberOfTaskSlots or lower the parallelism"
    )]
    NotEnoughSlots { required: usize, available: usize },
    /// Something failed before any record flowed (e.g. a source could not list its splits).
    /// (The cause is part of the message, so it is not also exposed as `source()`: printed
    /// cause chains would repeat it.)
    #[error("job '{job_name}' could not start: {operator}: {cause}")]
    Startup { job_name: String, operator: String, cause: weir_core::Error },
    /// The job cannot be restored from a checkpoint or savepoint; the message names it and why.
    #[error("cannot restore: {0}")]
    Restore(String),
    /// A subtask failed; the job was cancelled. `failure` is the root cause.
    #[error("job '{job_name}' ({job_id}) failed: {failure}")]
    Failed { job_name: String, job_id: JobId, failure: Box<TaskFailure> },
    /// The job failed and its error went to an earlier `JobClient::wait` (on this client or a
    /// clone: the error itself is handed out once); `message` is that error's text.
    #[error("{message}")]
    AlreadyReported { job_id: JobId, message: String },
    /// The job manager itself broke down (a bug in weir); the job's subtasks were abandoned.
    #[error("job '{job_name}' ({job_id}): the job manager failed: {message}")]
    JobManager { job_name: String, job_id: JobId, message: String },
}

/// The failure of one subtask, with the operator that raised it.
#[derive(Debug)]
pub struct TaskFailure {
    /// The operator that was running (its name as shown in the plan).
    pub operator: String,
    /// The chained task the operator runs in.
    pub task: String,
    /// 0-based subtask index.
    pub subtask: usize,
    pub parallelism: usize,
    pub cause: FailureCause,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operator '{}' (subtask {}/{}", self.operator, self.subtask + 1, self.parallelism)?;
        if self.task != self.operator {
            write!(f, " of task '{}'", self.task)?;
        }
        write!(f, ") {}", self.cause)
    }
}

/// What went wrong in a subtask.
#[derive(Debug)]
pub enum FailureCause {
    /// An operator, source or sink returned an error.
    Error(weir_core::Error),
    /// User code panicked; the panic message.
    Panic(String),
}

impl FailureCause {
    pub(crate) fn is_cancellation(&self) -> bool {
        matches!(self, FailureCause::Error(weir_core::Error::Cancelled))
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::Error(e) => write!(f, "failed ({} error): {e}", e.kind()),
            FailureCause::Panic(message) => write!(f, "panicked: {message}"),
        }
    }
}
