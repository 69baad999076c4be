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

    /// The timers of queue `name` that the snapshot holds in its database and that must travel
    /// in the canonical timer format: those of a `rocksdb` full snapshot. None for the `hashmap`
    /// backend (its timers are in memory) or an incremental snapshot (its files hold them).
    pub fn stored_timers<K, N>(&self, name: &str) -> crate::Result<Vec<(weir_core::Timestamp, K, N)>>
    where
        K: serde::de::DeserializeOwned,
        N: serde::de::DeserializeOwned,
    {
        match self {
            KeyedSnapshotJob::Full(full) => full.stored_timers(name),
            KeyedSnapshotJob::Frozen(_) | KeyedSnapshotJob::Incremental(_) => Ok(Vec::new()),
        }
    }

    /// The snapshot in the canonical format; an incremental job has none (use [`Self::run`]).
    pub fn encode(self) -> crate::Result<KeyedStateSnapshot> {
        match self {
            KeyedSnapshotJob::Frozen(frozen) => frozen.encode(),
            KeyedSnapshotJob::Full(full) => full.encode(),
            KeyedSnapshotJob::Incremental(_) => Err(crate::StateError::Store(
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
