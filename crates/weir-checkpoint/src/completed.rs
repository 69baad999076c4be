//! [`CompletedCheckpoint`]: a checkpoint or savepoint whose `_metadata` is written — durable,
//! restorable, and from now on only ever deleted whole (Flink's `CompletedCheckpoint`).
//!
//! It is **not** loaded state: it is the metadata and where it lives. Restoring reads the files
//! it names (weir-state).

use crate::id::CheckpointId;
use crate::metadata::{FileScope, Metadata, SnapshotKind};
use crate::paths::SnapshotLocation;
use crate::relative_path::RelativePath;
use std::time::Duration;
use weir_core::Timestamp;

/// A checkpoint whose `_metadata` is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCheckpoint {
    pub metadata: Metadata,
    pub location: SnapshotLocation,
    /// Wall-clock completion time (ms since the epoch).
    pub completion_timestamp: Timestamp,
}

impl CompletedCheckpoint {
    pub fn id(&self) -> CheckpointId {
        self.metadata.checkpoint_id
    }

    pub fn kind(&self) -> SnapshotKind {
        self.metadata.kind
    }

    /// Wall-clock trigger time (ms since the epoch).
    pub fn trigger_timestamp(&self) -> Timestamp {
        self.metadata.timestamp
    }

    /// From trigger to completion, by the wall clock.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.completion_timestamp.saturating_sub(self.metadata.timestamp).max(0) as u64)
    }

    /// Bytes of state it references.
    pub fn state_size(&self) -> u64 {
        self.metadata.state_size()
    }

    /// The shared files it references, relative to the job's `shared/` directory.
    pub fn shared_files(&self) -> impl Iterator<Item = &RelativePath> {
        self.metadata.files().filter(|(_, _, f)| f.scope == FileScope::Shared).map(|(_, _, f)| &f.path)
    }
}
