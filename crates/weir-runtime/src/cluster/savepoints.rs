//! Savepoints asked for by a job's clients (Flink's `savepoint`, `stop --savepoint-path`,
//! `cancel -s`): the request a [`super::JobClient`] sends, the id it gets back (Flink's trigger
//! id, which its REST API polls), and what became of it.
//!
//! A request is answered asynchronously: the job manager triggers the savepoint through the same
//! barriers as checkpoints, and records the request's [`SavepointStatus`] in the job's control,
//! where every client can read or wait for it. It is **not** where the savepoint is written
//! (the snapshot thread and checkpoint storage do that) nor where it is decided (the
//! checkpoint coordinator in `weir-checkpoint`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The id of one savepoint request, unique within the process (Flink's trigger id: 32 hex
/// digits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SavepointTriggerId(String);

impl SavepointTriggerId {
    pub(crate) fn random() -> Self {
        SavepointTriggerId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id as a client sent it back (from a REST path): any text; an unknown one is simply
    /// not found.
    pub fn parse(text: &str) -> Self {
        SavepointTriggerId(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SavepointTriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the job does once the savepoint is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSavepoint {
    /// It goes on running (`weir savepoint`).
    KeepRunning,
    /// It stops (`weir stop`): the sources stop at once, the savepoint is the job's last
    /// snapshot, and the job ends as `FINISHED`. With `drain` the sources first emit the final
    /// watermark, so every event-time window and timer fires and every operator finishes, as at
    /// the end of bounded input; without it operators keep their state for a later restore.
    Stop { drain: bool },
    /// It stops as with `Stop { drain: false }` and ends cancelled (`weir cancel -s`).
    Cancel,
}

/// What became of a savepoint request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointStatus {
    /// It is being taken.
    InProgress,
    /// It is complete: `path` is its directory (holding `_metadata` and everything it needs).
    Completed { path: PathBuf },
    /// It failed; `message` says why.
    Failed { message: String },
}

impl SavepointStatus {
    pub fn is_in_progress(&self) -> bool {
        matches!(self, SavepointStatus::InProgress)
    }
}

/// Why a savepoint request was refused at once (nothing was triggered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavepointError {
    /// Savepoints go through the checkpoint machinery, which a job without checkpointing lacks.
    #[error("job {job_id} cannot take a savepoint: checkpointing is off (set execution.checkpointing.interval)")]
    CheckpointingOff { job_id: String },
    /// Neither the request nor the configuration names where savepoints go.
    #[error("no savepoint directory for job {job_id}: give a target directory or set state.savepoints.dir")]
    NoTargetDirectory { job_id: String },
    /// The job is not running (it ended, or has not started).
    #[error("job {job_id} is {status}: a savepoint needs a running job")]
    NotRunning { job_id: String, status: String },
}

/// A savepoint request on its way to the job manager.
#[derive(Debug, Clone)]
pub(crate) struct SavepointRequest {
    pub(crate) trigger: SavepointTriggerId,
    /// The directory the savepoint's own `savepoint-<job>-<random>` directory is created in.
    pub(crate) target: PathBuf,
    pub(crate) then: AfterSavepoint,
}

/// The status of every savepoint request of a job, written by the job manager and read (or
/// waited for) by its clients.
#[derive(Default)]
pub(crate) struct SavepointBoard {
    statuses: Mutex<BTreeMap<SavepointTriggerId, SavepointStatus>>,
    changed: Condvar,
}

impl SavepointBoard {
    pub(crate) fn set(&self, trigger: &SavepointTriggerId, status: SavepointStatus) {
        self.lock().insert(trigger.clone(), status);
        self.changed.notify_all();
    }

    pub(crate) fn get(&self, trigger: &SavepointTriggerId) -> Option<SavepointStatus> {
        self.lock().get(trigger).cloned()
    }

    /// Waits up to `timeout` for the request to end; its status then (`None`: unknown id).
    pub(crate) fn wait(&self, trigger: &SavepointTriggerId, timeout: Duration) -> Option<SavepointStatus> {
        let statuses = self.lock();
        let (statuses, _) = self
            .changed
            .wait_timeout_while(statuses, timeout, |s| s.get(trigger).is_some_and(SavepointStatus::is_in_progress))
            .unwrap_or_else(|e| e.into_inner());
        statuses.get(trigger).cloned()
    }

    /// Every request still in progress fails with `message` (the job ended or failed over).
    pub(crate) fn fail_in_progress(&self, message: &str) {
        let mut statuses = self.lock();
        for status in statuses.values_mut().filter(|s| s.is_in_progress()) {
            *status = SavepointStatus::Failed { message: message.to_string() };
        }
        drop(statuses);
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<SavepointTriggerId, SavepointStatus>> {
        // Each status is written whole: a panic elsewhere cannot leave one half-written.
        self.statuses.lock().unwrap_or_else(|e| e.into_inner())
    }
}
