//! What the job manager tells a subtask about checkpoints ([`TaskCommand`]) and what subtasks,
//! the snapshot thread and job clients report back ([`JobMessage`]).

use crate::cluster::savepoints::SavepointRequest;
use crate::error::TaskFailure;
use weir_checkpoint::{DeclineReason, SubtaskStateHandle, TaskKey};
use weir_core::snapshot::CheckpointInfo;

/// A command from the job manager to one subtask, on the subtask's command channel.
#[derive(Debug, Clone)]
pub(crate) enum TaskCommand {
    /// Take part in checkpoint `info` now, without waiting for barriers: sent to source subtasks
    /// (they snapshot their position and emit the barrier) and to subtasks whose inputs all
    /// ended (no barrier can reach them any more).
    TriggerCheckpoint(CheckpointInfo),
    /// Checkpoint `id` is complete: commit what it covers.
    CheckpointComplete(u64),
    /// Checkpoint `id` was aborted.
    CheckpointAborted(u64),
    /// Every subtask's inputs ended and a checkpoint covering the final state completed: a
    /// subtask waiting for it may end.
    EndOfJob,
    /// The job stops with a savepoint (sent to sources only): stop reading now, emit the final
    /// watermark first if `drain`, and end the input; the savepoint comes as the final
    /// checkpoint once every subtask's inputs ended.
    Stop { drain: bool },
}

/// A report to the job manager.
#[derive(Debug)]
pub(crate) enum JobMessage {
    /// A subtask's snapshot of checkpoint `id` is written.
    Acknowledge { id: u64, task: TaskKey, handle: SubtaskStateHandle },
    /// A subtask cannot take part in checkpoint `id`.
    Decline { id: u64, task: TaskKey, reason: DeclineReason },
    /// The asynchronous part of a subtask's snapshot failed by an injected fault: the job fails over.
    SnapshotFailed { task: TaskKey, failure: TaskFailure },
    /// Every input of a subtask ended and its operators finished; with checkpointing on it waits
    /// for a final checkpoint before it ends.
    InputsEnded { task: TaskKey },
    /// A subtask's thread ended: finished, or failed with the root cause.
    TaskEnded { task: TaskKey, result: Result<(), TaskFailure> },
    /// A `JobClient` asked for the job to be cancelled (the flag it set is the request; this
    /// only wakes the job manager's loop).
    CancelRequested,
    /// A `JobClient` asked for a savepoint.
    SavepointRequested(SavepointRequest),
}
