//! [`SubtaskStateHandle`]: what a subtask's acknowledgement carries — the state files and split
//! positions of every operator in its chain, and how long the snapshot took.
//!
//! The files are already written (uploaded) when the handle is sent; the coordinator only records
//! them in `_metadata`. It is **not** the state itself, and nothing here reads the files.

use crate::metadata::{FileScope, OpaqueBytes, StateFile};
use std::time::Duration;
use weir_core::OperatorUid;

/// The snapshot of one operator of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSnapshot {
    pub uid: OperatorUid,
    pub files: Vec<StateFile>,
    /// The source's split positions, if the operator is a source.
    pub source_splits: Option<OpaqueBytes>,
}

/// How a subtask's snapshot went, for checkpoint statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotMetrics {
    /// The synchronous part: processing was paused this long.
    pub sync_duration: Duration,
    /// The asynchronous part (writing and uploading files), while processing went on.
    pub async_duration: Duration,
    /// From the first barrier to the last one on all inputs (exactly-once alignment).
    pub alignment_duration: Duration,
}

/// The acknowledgement payload of one subtask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubtaskStateHandle {
    pub operators: Vec<OperatorSnapshot>,
    pub metrics: SnapshotMetrics,
}

impl SubtaskStateHandle {
    /// Bytes of state: every file plus the split positions.
    pub fn state_size(&self) -> u64 {
        self.operators
            .iter()
            .map(|op| {
                op.files.iter().map(|f| f.size).sum::<u64>() + op.source_splits.as_ref().map_or(0, |s| s.0.len() as u64)
            })
            .sum()
    }

    /// Every file of the handle in `scope`.
    pub fn files_in(&self, scope: FileScope) -> impl Iterator<Item = &StateFile> {
        self.operators.iter().flat_map(|op| &op.files).filter(move |f| f.scope == scope)
    }
}
