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
use super::savepoints::{
    AfterSavepoint, SavepointBoard, SavepointError, SavepointRequest, SavepointStatus, SavepointTriggerId,
};
use crate::checkpointing::messages::JobMessage;
use crate::checkpointing::overview::{CheckpointsOverview, SharedOverview};
use crate::error::JobError;
use crate::task::cancel::CancelToken;
use crossbeam_channel::Sender;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use weir_checkpoint::CheckpointConfig;
use weir_core::{JobId, Timestamp};

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
        self.control.request_cancel()
    }

    /// The job's checkpoint settings; `None` when checkpointing is off.
    pub fn checkpoint_config(&self) -> Option<&CheckpointConfig> {
        self.control.checkpoint_config.as_ref()
    }

    /// The job's checkpoints now: counts, those in flight, the newest that ended, and what it
    /// was restored from.
    pub fn checkpoints(&self) -> CheckpointsOverview {
        self.control.overview.read()
    }

    /// When the job was submitted, and when it ended (milliseconds since the epoch).
    pub fn start_time(&self) -> Timestamp {
        self.control.start_time
    }

    pub fn end_time(&self) -> Option<Timestamp> {
        self.control.lock().end_time
    }

    /// Asks for a savepoint of the running job (Flink's `savepoint`), written to a new
    /// `savepoint-<job>-<random>` directory in `target` (default `state.savepoints.dir`).
    /// Returns at once with the request's id; [`Self::savepoint_status`] and
    /// [`Self::wait_for_savepoint`] tell what became of it. Refused at once, with the reason,
    /// when the job has no checkpointing, is not running, or no directory is known.
    pub fn trigger_savepoint(&self, target: Option<&Path>) -> Result<SavepointTriggerId, SavepointError> {
        self.request_savepoint(target, AfterSavepoint::KeepRunning)
    }

    /// Stops the job with a savepoint (Flink's `stop --savepoint-path`, with `--drain` when
    /// `drain`): see [`AfterSavepoint::Stop`]. If the savepoint fails after the sources stopped,
    /// the job fails over and restarts from its latest checkpoint, as the restart strategy
    /// allows.
    pub fn stop_with_savepoint(
        &self,
        target: Option<&Path>,
        drain: bool,
    ) -> Result<SavepointTriggerId, SavepointError> {
        self.request_savepoint(target, AfterSavepoint::Stop { drain })
    }

    /// Takes a savepoint and ends the job cancelled (Flink's `cancel -s`). It stops the job as
    /// `stop` without drain does — sources stop, the savepoint is the last snapshot and sinks
    /// commit what it covers — and the job's status is then [`JobStatus::Cancelled`], its
    /// retained checkpoints kept or deleted as on any cancel.
    pub fn cancel_with_savepoint(&self, target: Option<&Path>) -> Result<SavepointTriggerId, SavepointError> {
        self.request_savepoint(target, AfterSavepoint::Cancel)
    }

    /// What became of a savepoint request; `None` for an id this job never gave out.
    pub fn savepoint_status(&self, trigger: &SavepointTriggerId) -> Option<SavepointStatus> {
        self.control.savepoints.get(trigger)
    }

    /// Waits up to `timeout` for a savepoint request to end, and returns its status then.
    pub fn wait_for_savepoint(&self, trigger: &SavepointTriggerId, timeout: Duration) -> Option<SavepointStatus> {
        self.control.savepoints.wait(trigger, timeout)
    }

    fn request_savepoint(
        &self,
        target: Option<&Path>,
        then: AfterSavepoint,
    ) -> Result<SavepointTriggerId, SavepointError> {
        let job_id = self.control.job_id.to_string();
        let Some(config) = &self.control.checkpoint_config else {
            return Err(SavepointError::CheckpointingOff { job_id });
        };
        let status = self.status();
        if status != JobStatus::Running {
            return Err(SavepointError::NotRunning { job_id, status: status.to_string() });
        }
        let target = match (target, &config.savepoints_dir) {
            (Some(target), _) => target.to_path_buf(),
            (None, Some(dir)) => PathBuf::from(dir),
            (None, None) => return Err(SavepointError::NoTargetDirectory { job_id }),
        };
        // The job manager may run elsewhere some day; a relative path means this process's.
        let target = std::path::absolute(&target).unwrap_or(target);
        let trigger = SavepointTriggerId::random();
        self.control.savepoints.set(&trigger, SavepointStatus::InProgress);
        let request = SavepointRequest { trigger: trigger.clone(), target, then };
        if self.control.wake.send(JobMessage::SavepointRequested(request)).is_err() {
            let message = "the job ended before the request reached its job manager".to_string();
            self.control.savepoints.set(&trigger, SavepointStatus::Failed { message });
        }
        Ok(trigger)
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
    start_time: Timestamp,
    /// The job's checkpoint settings, if checkpointing is on.
    checkpoint_config: Option<CheckpointConfig>,
    /// The checkpoints as the job manager last published them.
    pub(crate) overview: SharedOverview,
    /// Every savepoint request and what became of it.
    pub(crate) savepoints: Arc<SavepointBoard>,
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
    end_time: Option<Timestamp>,
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
    pub(crate) fn new(
        job_id: JobId,
        job_name: &str,
        checkpoint_config: Option<CheckpointConfig>,
        wake: Sender<JobMessage>,
    ) -> Arc<Self> {
        Arc::new(JobControl {
            job_id,
            job_name: job_name.to_string(),
            start_time: now_millis(),
            checkpoint_config,
            overview: SharedOverview::default(),
            savepoints: Arc::default(),
            cancel: CancelToken::default(),
            wake,
            state: Mutex::new(ControlState { status: JobStatus::Created, outcome: Outcome::Pending, end_time: None }),
            changed: Condvar::new(),
            manager: Mutex::new(None),
        })
    }

    pub(crate) fn job_id(&self) -> JobId {
        self.job_id
    }

    /// Asks the job to stop; see [`JobClient::cancel`].
    pub(crate) fn request_cancel(&self) -> CancelOutcome {
        {
            let mut state = self.lock();
            match state.status {
                status if status.is_terminal() => return CancelOutcome::AlreadyEnded(status),
                JobStatus::Cancelling => return CancelOutcome::AlreadyCancelling,
                _ => state.status = JobStatus::Cancelling,
            }
        }
        self.changed.notify_all();
        self.cancel.cancel();
        // The flag is the request; the message only wakes the job manager. It can only be
        // undeliverable once the job manager is gone, and then the job has ended anyway.
        let _ = self.wake.send(JobMessage::CancelRequested);
        CancelOutcome::Requested
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
        state.end_time = Some(now_millis());
        drop(state);
        self.changed.notify_all();
        self.savepoints.fail_in_progress("the job ended before the savepoint completed");
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

/// Wall-clock milliseconds since the epoch.
fn now_millis() -> Timestamp {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as Timestamp)
}

#[cfg(test)]
mod tests;
