//! [`CheckpointsOverview`]: what a running job's clients can see of its checkpoints — counts,
//! the checkpoints in flight, the newest few that ended, and what the job was restored from
//! (Flink's `/jobs/:id/checkpoints`).
//!
//! The job manager's checkpoint driver publishes a fresh overview after every event that
//! changed it; clients (the REST API, the CLI) read a copy. It holds only the newest
//! [`RECENT_CHECKPOINTS`] entries (Flink's `web.checkpoints.history`), so publishing stays cheap
//! however long the job runs; the job result keeps the whole history.

use super::job_side::CheckpointSummary;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use weir_core::Timestamp;

/// How many ended checkpoints the overview lists (Flink's `web.checkpoints.history` default).
pub const RECENT_CHECKPOINTS: usize = 10;

/// Counts over the job's life, across restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    /// Checkpoints and savepoints triggered.
    pub triggered: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
    /// How often the job's state was restored (at its start from `-s`, and at every restart
    /// from a checkpoint).
    pub restored: u64,
}

/// The snapshot a job restored its state from most recently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredSnapshot {
    pub id: u64,
    pub is_savepoint: bool,
    /// The directory it was read from.
    pub path: PathBuf,
    /// When the restore happened (milliseconds since the epoch).
    pub restored_at: Timestamp,
}

/// A running job's checkpoints, as its clients see them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointsOverview {
    pub counts: CheckpointCounts,
    /// Ids of checkpoints and savepoints triggered and not yet ended.
    pub in_progress: Vec<u64>,
    /// The newest ended checkpoints and savepoints, oldest first.
    pub recent: Vec<CheckpointSummary>,
    /// The newest completed checkpoint (not savepoint).
    pub latest_completed: Option<CheckpointSummary>,
    /// The newest completed savepoint.
    pub latest_savepoint: Option<CheckpointSummary>,
    /// The newest failed checkpoint or savepoint.
    pub latest_failed: Option<CheckpointSummary>,
    pub latest_restored: Option<RestoredSnapshot>,
}

/// The overview shared by the job manager (writer) and the job's clients (readers).
#[derive(Clone, Default)]
pub(crate) struct SharedOverview(Arc<Mutex<CheckpointsOverview>>);

impl SharedOverview {
    pub(crate) fn read(&self) -> CheckpointsOverview {
        self.lock().clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut CheckpointsOverview)) {
        change(&mut self.lock());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CheckpointsOverview> {
        // Every update replaces fields whole: a panic elsewhere cannot leave one half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
