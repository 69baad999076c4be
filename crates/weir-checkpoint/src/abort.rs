//! Why a checkpoint did not complete: [`DeclineReason`] (a task's word) and [`AbortReason`] (the
//! coordinator's), each named for its cause like Flink's `CheckpointFailureReason`, and whether it
//! counts towards `tolerable-failed-checkpoints`.
//!
//! These are **not** errors: an aborted checkpoint is a normal outcome of the protocol.

use crate::id::CheckpointId;
use crate::task::TaskKey;
use std::fmt;
use std::time::Duration;

/// Why a task declined a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclineReason {
    /// Taking or uploading the snapshot failed (counts as a failure).
    SnapshotFailed { message: String },
    /// The task was not running yet when the barrier was due.
    TaskNotReady,
    /// The task is closing or being cancelled.
    TaskClosing,
    /// A newer barrier arrived before this one was aligned on all inputs.
    Subsumed,
    /// An input ended before this checkpoint's barrier arrived on it.
    InputEnded,
}

impl DeclineReason {
    /// Whether a checkpoint declined for this reason counts as failed (only a failed snapshot
    /// does, as in Flink; the others are the job's life, not the checkpoint's fault).
    pub fn counts_as_failure(&self) -> bool {
        matches!(self, DeclineReason::SnapshotFailed { .. })
    }
}

impl fmt::Display for DeclineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclineReason::SnapshotFailed { message } => write!(f, "the snapshot failed: {message}"),
            DeclineReason::TaskNotReady => f.write_str("the task was not running yet"),
            DeclineReason::TaskClosing => f.write_str("the task is closing"),
            DeclineReason::Subsumed => f.write_str("a newer barrier overtook it during alignment"),
            DeclineReason::InputEnded => f.write_str("an input ended before its barrier arrived"),
        }
    }
}

/// Why the coordinator aborted a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortReason {
    /// Not completed within `execution.checkpointing.timeout` of its trigger.
    Expired { timeout: Duration },
    /// A task declined it.
    Declined { task: TaskKey, reason: DeclineReason },
    /// A newer checkpoint completed first, which makes this one pointless.
    Subsumed { by: CheckpointId },
    /// A task failed and the job is failing over.
    TaskFailure { task: TaskKey },
    /// The job is failing over for another reason (too many failed checkpoints, a restart).
    Suspended,
    /// The job ended (finished or cancelled) and the coordinator shut down.
    Shutdown,
    /// A task acknowledged with state it does not own (a bug in the task).
    InvalidAcknowledgement { task: TaskKey, problem: String },
    /// Writing `_metadata` failed.
    MetadataWriteFailed { message: String },
}

impl AbortReason {
    /// Whether this abort counts towards `tolerable-failed-checkpoints`: expiry, a failed
    /// snapshot, a bad acknowledgement and a failed metadata write do; subsumption, failover and
    /// shutdown do not (Flink's `CheckpointFailureManager` rules).
    pub fn counts_as_failure(&self) -> bool {
        match self {
            AbortReason::Expired { .. }
            | AbortReason::InvalidAcknowledgement { .. }
            | AbortReason::MetadataWriteFailed { .. } => true,
            AbortReason::Declined { reason, .. } => reason.counts_as_failure(),
            AbortReason::Subsumed { .. }
            | AbortReason::TaskFailure { .. }
            | AbortReason::Suspended
            | AbortReason::Shutdown => false,
        }
    }
}

impl fmt::Display for AbortReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbortReason::Expired { timeout } => write!(f, "expired after {} ms", timeout.as_millis()),
            AbortReason::Declined { task, reason } => write!(f, "declined by {task}: {reason}"),
            AbortReason::Subsumed { by } => write!(f, "subsumed by checkpoint {by}"),
            AbortReason::TaskFailure { task } => write!(f, "{task} failed"),
            AbortReason::Suspended => f.write_str("the job is failing over"),
            AbortReason::Shutdown => f.write_str("the job ended"),
            AbortReason::InvalidAcknowledgement { task, problem } => {
                write!(f, "invalid acknowledgement from {task}: {problem}")
            }
            AbortReason::MetadataWriteFailed { message } => write!(f, "writing _metadata failed: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_aborts_count() {
        let task = TaskKey::new(0, 0);
        let failed = DeclineReason::SnapshotFailed { message: "disk full".into() };
        assert!(AbortReason::Expired { timeout: Duration::from_secs(1) }.counts_as_failure());
        assert!(AbortReason::Declined { task, reason: failed.clone() }.counts_as_failure());
        assert!(!AbortReason::Declined { task, reason: DeclineReason::TaskNotReady }.counts_as_failure());
        assert!(!AbortReason::Subsumed { by: CheckpointId(3) }.counts_as_failure());
        assert!(!AbortReason::TaskFailure { task }.counts_as_failure());
        assert!(AbortReason::MetadataWriteFailed { message: "EIO".into() }.counts_as_failure());
        let text = AbortReason::Declined { task, reason: failed }.to_string();
        assert_eq!(text, "declined by vertex 0 subtask 0: the snapshot failed: disk full");
    }
}
