//! [`JobClient`]: the handle of a submitted job (Flink's `JobClient`, from
//! `StreamExecutionEnvironment::execute_async`): its id, its status, cancelling it, and waiting
//! for its result.
//!
//! The client and the job manager share one [`JobControl`]: the client writes the cancel request
//! into it (a flag, plus a message that wakes the job manager's loop), the job manager writes the
//! status as the job goes and, last of all, the result. Everything the job does at its end —
//! stopping subtasks, deleting or keeping checkpoints — is done before the result is published,
//! so a returned `wait` means the job left nothing running behind it.
//!
//! It is **not** the job manager: it decides nothing about the job, it only asks and watches.
//! Its only I/O is the job manager's thread, which it joins.

use super::job_result::JobExecutionResult;
use super::job_status::JobStatus;
use crate::checkpointing::messages::JobMessage;
use crate::error::JobError;
use crate::task::cancel::CancelToken;
use crossbeam_channel::Sender;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use weir_core::JobId;

/// A running (or ended) job. Cheap to clone; the clones are the same job and may be used from
/// any thread (a CLI `cancel`, a REST handler, the submitting code waiting for the result).
///
/// ```
/// # use weir_runtime::prelude::*;
/// # use weir_runtime::JobStatus;
/// # use weir_connectors::{BlackholeSink, DataGenSource};
/// # fn main() -> Result<(), JobError> {
/// let env = StreamExecutionEnvironment::new();
/// env.set_config("weir.progress", "false");
/// env.from_source(DataGenSource::new(|i| i), "numbers").sink_to(BlackholeSink::new());
/// let client = env.execute_async("endless")?;
/// client.cancel();
/// let result = client.wait()?;
/// assert_eq!(result.status, JobStatus::Cancelled);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JobClient {
    control: Arc<JobControl>,
}

/// What [`JobClient::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The request was passed on: the job's subtasks are stopping.
    Requested,
    /// The job was being cancelled already.
    AlreadyCancelling,
    /// The job had already ended, with this status; nothing was done.
    AlreadyEnded(JobStatus),
}

impl JobClient {
    pub(crate) fn new(control: Arc<JobControl>) -> Self {
        JobClient { control }
    }

    pub fn job_id(&self) -> JobId {
        self.control.job_id
    }

    pub fn job_name(&self) -> &str {
        &self.control.job_name
    }

    /// Where the job is now.
    pub fn status(&self) -> JobStatus {
        self.control.lock().status
    }

    /// Waits until the job's status is `status` or the job has ended, for at most `timeout`,
    /// and returns the status then (`Running` to know it is deployed, `Restarting` to know it
    /// failed over).
    pub fn wait_for_status(&self, status: JobStatus, timeout: Duration) -> JobStatus {
        let state = self.control.lock();
        let (state, _) = self
            .control
            .changed
            .wait_timeout_while(state, timeout, |s| s.status != status && !s.status.is_terminal())
            .unwrap_or_else(|e| e.into_inner());
        state.status
    }

    /// Asks the job to stop (Flink's `cancel`). Returns at once; [`Self::wait`] returns when
    /// the job has stopped. Sources stop, subtasks exit, checkpoints in flight are aborted and
    /// their files deleted, and the job's retained checkpoints are kept or deleted as
    /// `execution.checkpointing.externalized-checkpoint-retention` says. A cancelled job is not
    /// restarted and its result has [`JobStatus::Cancelled`]. A job that finishes before the
    /// request reaches it stays finished.
    pub fn cancel(&self) -> CancelOutcome {
        {
            let mut state = self.control.lock();
            match state.status {
                status if status.is_terminal() => return CancelOutcome::AlreadyEnded(status),
                JobStatus::Cancelling => return CancelOutcome::AlreadyCancelling,
                _ => state.status = JobStatus::Cancelling,
            }
        }
        self.control.changed.notify_all();
        self.control.cancel.cancel();
        // The flag is the request; the message only wakes the job manager. It can only be
        // undeliverable once the job manager is gone, and then the job has ended anyway.
        let _ = self.control.wake.send(JobMessage::CancelRequested);
        CancelOutcome::Requested
    }

    /// Waits for the job to end and returns its result, as `execute` does: `Ok` for a finished
    /// or cancelled job (see [`JobExecutionResult::status`]), `Err` for a failed one.
    ///
    /// Every call (on any clone) gets the result; a failure's error, which cannot be copied, is
    /// returned to the first caller, later ones get [`JobError::AlreadyReported`] with its text.
    pub fn wait(&self) -> Result<JobExecutionResult, JobError> {
        let state = self.control.lock();
        let state =
            self.control.changed.wait_while(state, |s| s.outcome.is_pending()).unwrap_or_else(|e| e.into_inner());
        self.take_outcome(state)
    }

    /// As [`Self::wait`], but gives up after `timeout`: `None` if the job is still running.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<JobExecutionResult, JobError>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.control.lock();
        while state.outcome.is_pending() {
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self.control.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        Some(self.take_outcome(state))
    }

    /// Hands out the outcome `state` holds (the callers waited until there is one).
    fn take_outcome(&self, mut state: MutexGuard<'_, ControlState>) -> Result<JobExecutionResult, JobError> {
        let job_id = self.control.job_id;
        let (outcome, kept) = match std::mem::replace(&mut state.outcome, Outcome::Pending) {
            Outcome::Ended(result) => (Ok(result.clone()), Outcome::Ended(result)),
            Outcome::Failed(error) => {
                let message = error.to_string();
                (Err(error), Outcome::Reported { message })
            }
            Outcome::Reported { message } => {
                (Err(JobError::AlreadyReported { job_id, message: message.clone() }), Outcome::Reported { message })
            }
            Outcome::Pending => {
                let message = "internal error: a result was taken before the job ended".to_string();
                let error = JobError::JobManager { job_name: self.control.job_name.clone(), job_id, message };
                (Err(error), Outcome::Pending)
            }
        };
        state.outcome = kept;
        drop(state);
        // The job manager's thread ends right after it published the result: reap it.
        let manager = self.control.manager.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(manager) = manager {
            // A panic there was caught and published as the result; nothing is left to report.
            let _ = manager.join();
        }
        outcome
    }
}

impl fmt::Debug for JobClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobClient")
            .field("job_id", &self.control.job_id)
            .field("job_name", &self.control.job_name)
            .field("status", &self.status())
            .finish()
    }
}

/// What a job's clients and its job manager share.
pub(crate) struct JobControl {
    job_id: JobId,
    job_name: String,
    /// Set by a cancel request; the job manager waits on it between restarts.
    cancel: CancelToken,
    /// The job manager's message channel, to wake it for a cancel request.
    wake: Sender<JobMessage>,
    state: Mutex<ControlState>,
    /// Signalled when the status or the outcome changes.
    changed: Condvar,
    /// The job manager's thread, joined by the first `wait` that returns.
    manager: Mutex<Option<JoinHandle<()>>>,
}

struct ControlState {
    status: JobStatus,
    outcome: Outcome,
}

enum Outcome {
    /// The job has not ended.
    Pending,
    /// It finished or was cancelled; every waiter gets a copy.
    Ended(JobExecutionResult),
    /// It failed; the error goes to the first waiter.
    Failed(JobError),
    /// It failed and the error went to a waiter; later ones get its text.
    Reported { message: String },
}

impl Outcome {
    fn is_pending(&self) -> bool {
        matches!(self, Outcome::Pending)
    }
}

impl JobControl {
    pub(crate) fn new(job_id: JobId, job_name: &str, wake: Sender<JobMessage>) -> Arc<Self> {
        Arc::new(JobControl {
            job_id,
            job_name: job_name.to_string(),
            cancel: CancelToken::default(),
            wake,
            state: Mutex::new(ControlState { status: JobStatus::Created, outcome: Outcome::Pending }),
            changed: Condvar::new(),
            manager: Mutex::new(None),
        })
    }

    pub(crate) fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Whether a client asked for the job to be cancelled.
    pub(crate) fn cancel_requested(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Waits up to `timeout` for a cancel request; true if there is one.
    pub(crate) fn wait_for_cancel(&self, timeout: Duration) -> bool {
        self.cancel.wait_timeout(timeout)
    }

    /// The job manager reports where the job is. A job being cancelled stays `Cancelling` until
    /// it ended, and an ended job's status never changes.
    pub(crate) fn set_status(&self, status: JobStatus) {
        let mut state = self.lock();
        if state.status.is_terminal() || state.status == JobStatus::Cancelling {
            return;
        }
        state.status = status;
        drop(state);
        self.changed.notify_all();
    }

    /// The job ended: publishes its status and result and wakes every waiter.
    pub(crate) fn complete(&self, result: Result<JobExecutionResult, JobError>) {
        let mut state = self.lock();
        (state.status, state.outcome) = match result {
            Ok(result) => (result.status, Outcome::Ended(result)),
            Err(error) => (JobStatus::Failed, Outcome::Failed(error)),
        };
        drop(state);
        self.changed.notify_all();
    }

    pub(crate) fn attach_manager(&self, manager: JoinHandle<()>) {
        *self.manager.lock().unwrap_or_else(|e| e.into_inner()) = Some(manager);
    }

    fn lock(&self) -> MutexGuard<'_, ControlState> {
        // The state is a status and an outcome, each written whole: a panic elsewhere cannot
        // leave it half-updated.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
