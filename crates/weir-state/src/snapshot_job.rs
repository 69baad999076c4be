//! [`KeyedSnapshotJob`]: the asynchronous part of a keyed state snapshot, whichever backend
//! took its synchronous part ([`KeyedStateBackend::snapshot_job`](crate::KeyedStateBackend::snapshot_job)).

use weir_core::snapshot::{SnapshotFile, SnapshotFileWriter};

use crate::heap::{FrozenKeyedState, KeyedStateSnapshot};
use crate::rocksdb::{FullSnapshot, IncrementalSnapshot};

/// A keyed snapshot waiting for its asynchronous part.
pub enum KeyedSnapshotJob {
    /// The `hashmap` backend's frozen tables, serialized into the canonical format.
    Frozen(FrozenKeyedState),
    /// A `rocksdb` checkpoint read into the canonical format.
    Full(FullSnapshot),
    /// A `rocksdb` checkpoint uploaded as it is, new files only.
    Incremental(IncrementalSnapshot),
}

impl KeyedSnapshotJob {
    /// Whether the job writes files of its own (and so needs a writer).
    pub fn has_files(&self) -> bool {
        matches!(self, KeyedSnapshotJob::Incremental(_))
    }

    /// The snapshot in the canonical format; an incremental job has none (use [`Self::run`]).
    pub fn encode(self) -> weir_core::Result<KeyedStateSnapshot> {
        match self {
            KeyedSnapshotJob::Frozen(frozen) => Ok(frozen.encode()?),
            KeyedSnapshotJob::Full(full) => Ok(full.encode()?),
            KeyedSnapshotJob::Incremental(_) => Err(weir_core::Error::Internal(
                "an incremental snapshot has no canonical form; it is uploaded as it is".into(),
            )),
        }
    }

    /// Runs the asynchronous part: the snapshot's bytes and, for an incremental snapshot, every
    /// file it references (new ones copied in through `writer`).
    pub fn run(self, writer: Option<&mut dyn SnapshotFileWriter>) -> weir_core::Result<(Vec<u8>, Vec<SnapshotFile>)> {
        match (self, writer) {
            (KeyedSnapshotJob::Incremental(incremental), Some(writer)) => incremental.upload(writer),
            (KeyedSnapshotJob::Incremental(_), None) => Err(weir_core::Error::Internal(
                "an incremental snapshot was run without checkpoint storage to upload to".into(),
            )),
            (job, _) => Ok((job.encode()?.to_bytes(), Vec::new())),
        }
    }
}
