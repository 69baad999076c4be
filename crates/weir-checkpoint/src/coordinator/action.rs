//! What the coordinator is told ([`Event`]) and what it asks the runtime and storage to do
//! ([`Action`]).
//!
//! The coordinator never does anything itself: each event returns the actions to execute, in
//! order. Storage reports back the outcome of a [`Action::WriteMetadata`] with
//! [`Event::MetadataWritten`] or [`Event::MetadataFailed`].

use crate::abort::{AbortReason, DeclineReason};
use crate::completed::CompletedCheckpoint;
use crate::config::JobTermination;
use crate::handle::SubtaskStateHandle;
use crate::id::CheckpointId;
use crate::metadata::{Metadata, SnapshotKind};
use crate::paths::SnapshotLocation;
use crate::relative_path::RelativePath;
use crate::task::TaskKey;
use std::fmt;
use weir_core::Timestamp;

/// Something that happened, fed to [`super::CheckpointCoordinator::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Time passed: expire overdue checkpoints and trigger a periodic one if due. The runtime
    /// ticks often enough for its timing needs (every few milliseconds to a second).
    Tick,
    /// The user asked for a savepoint into `dir` (relative to the savepoint directory).
    TriggerSavepoint { dir: RelativePath },
    /// A subtask finished its snapshot of checkpoint `id`.
    Acknowledge { id: CheckpointId, task: TaskKey, handle: SubtaskStateHandle },
    /// A subtask could not take part in checkpoint `id`.
    Decline { id: CheckpointId, task: TaskKey, reason: DeclineReason },
    /// Storage durably wrote the `_metadata` asked for by [`Action::WriteMetadata`].
    MetadataWritten { id: CheckpointId },
    /// Storage failed to write that `_metadata`.
    MetadataFailed { id: CheckpointId, message: String },
    /// A subtask failed: the job fails over, pending checkpoints are aborted.
    TaskFailed { task: TaskKey },
    /// The job runs again after a failover: periodic checkpoints start again.
    Resume,
    /// The job ended; retained checkpoints are deleted or kept per the retention policy.
    Shutdown { termination: JobTermination },
}

/// Something the runtime or storage must do, returned by the coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Tell every source subtask to snapshot and emit barrier `id`; every task writes its
    /// exclusive files under `location`.
    TriggerCheckpoint { id: CheckpointId, timestamp: Timestamp, kind: SnapshotKind, location: SnapshotLocation },
    /// Every task acknowledged: write `metadata` to `location`'s `_metadata` atomically (temp
    /// file, sync, rename), then report [`Event::MetadataWritten`] or [`Event::MetadataFailed`].
    WriteMetadata { id: CheckpointId, location: SnapshotLocation, metadata: Box<Metadata> },
    /// The checkpoint is durable: tell every subtask (`checkpoint_complete`); sinks commit.
    NotifyComplete { id: CheckpointId, kind: SnapshotKind },
    /// Tell every subtask to abort `id`, and delete `location`'s directory.
    Abort { id: CheckpointId, kind: SnapshotKind, location: SnapshotLocation, reason: AbortReason },
    /// Delete these completed checkpoints' directories, and these files of the job's `shared/`
    /// directory (relative to it), which no retained or in-flight checkpoint references.
    Discard { checkpoints: Vec<CompletedCheckpoint>, shared_files: Vec<RelativePath> },
    /// A late acknowledgement of an aborted checkpoint: delete its exclusive files (relative
    /// to the base of the checkpoint's kind). Shared and task-owned files are left alone.
    DiscardLateState { id: CheckpointId, task: TaskKey, files: Vec<RelativePath> },
    /// Fail the job; it restarts per its restart strategy.
    FailJob { reason: JobFailure },
    /// A savepoint was asked for while the job cannot take one.
    RejectSavepoint { dir: RelativePath, reason: SavepointRejection },
}

/// Why the coordinator fails the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// More consecutive checkpoints failed than `tolerable-failed-checkpoints` allows.
    TooManyFailedCheckpoints { consecutive: usize, tolerable: usize, last: CheckpointId, reason: AbortReason },
}

impl fmt::Display for JobFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobFailure::TooManyFailedCheckpoints { consecutive, tolerable, last, reason } => write!(
                f,
                "{consecutive} consecutive checkpoints failed, more than the {tolerable} tolerated \
                 (execution.checkpointing.tolerable-failed-checkpoints); the last, checkpoint {last}, {reason}"
            ),
        }
    }
}

/// Why a savepoint was not triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointRejection {
    /// The job is failing over; try again once it runs.
    Suspended,
    /// The job has ended.
    ShutDown,
}
