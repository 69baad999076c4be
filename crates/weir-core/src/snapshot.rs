//! What operators, sources and sinks see of checkpoints: which checkpoint a barrier belongs to,
//! what an operator hands over as its snapshot, and what it is given back on restore.
//!
//! The protocol itself (triggering, acknowledgements, `_metadata`) is `weir-checkpoint`'s; the
//! files are written by `weir-state`'s storage. An operator only turns its state into bytes
//! when the barrier passes it, and reads those bytes back when it starts after a failure.
//!
//! A snapshot has a **synchronous** part — whatever happens inside `snapshot_state`, while the
//! subtask processes nothing — and an **asynchronous** part that runs on another thread while
//! processing goes on: a [`SnapshotData::Deferred`] closure (serializing a copy-on-write view of
//! the state), then writing the bytes to checkpoint storage. Operators whose state is small
//! return [`SnapshotData::Ready`] bytes and skip the deferred part.

use crate::error::Result;
use crate::key_group::KeyGroupRange;
use crate::time::Timestamp;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The checkpoint a barrier belongs to, as operators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The checkpoint id: increasing within a job, across restarts.
    pub id: u64,
    /// When the coordinator triggered it (milliseconds since the epoch).
    pub timestamp: Timestamp,
    /// A savepoint (owned by the user) rather than a checkpoint.
    pub is_savepoint: bool,
}

/// The bytes of one operator instance's snapshot, ready or still to be produced.
pub enum SnapshotData {
    /// Serialized during the synchronous part.
    Ready(Vec<u8>),
    /// Produced on the snapshot thread while processing goes on (the asynchronous part).
    Deferred(Box<dyn FnOnce() -> Result<Vec<u8>> + Send>),
    /// Produced on the snapshot thread, with files of its own besides the bytes: a RocksDB
    /// backend's incremental snapshot copies its new files in through the writer and lists
    /// every file it needs, new or uploaded by an earlier checkpoint.
    WithFiles(Box<dyn FnOnce(&mut dyn SnapshotFileWriter) -> Result<FilesSnapshot> + Send>),
}

/// Where a snapshot's extra file lives (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SnapshotFileScope {
    /// In the checkpoint's own directory, deleted with it.
    Exclusive,
    /// In the job's `shared/` directory, referenced by every checkpoint that needs it and
    /// deleted when no retained checkpoint does.
    Shared,
}

/// One file of a snapshot, as the checkpoint's `_metadata` records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnapshotFile {
    /// Relative to the directory of its scope.
    pub path: String,
    pub scope: SnapshotFileScope,
    pub size: u64,
    pub crc32c: u32,
}

/// What a [`SnapshotData::WithFiles`] snapshot produced: its own bytes and every other file it
/// needs.
#[derive(Debug, Clone, Default)]
pub struct FilesSnapshot {
    pub bytes: Vec<u8>,
    pub files: Vec<SnapshotFile>,
}

/// Checkpoint storage as the asynchronous part of a snapshot sees it.
pub trait SnapshotFileWriter {
    /// Copies the local file `local` into the snapshot durably: an exclusive file under `name`
    /// within the operator instance's own part of the checkpoint directory, a shared one as
    /// `name` in the job's shared directory (the caller makes shared names unique). Returns the
    /// file's record.
    fn copy_in(&mut self, local: &Path, name: &str, scope: SnapshotFileScope) -> Result<SnapshotFile>;
}

impl fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotData::Ready(bytes) => write!(f, "Ready({} bytes)", bytes.len()),
            SnapshotData::Deferred(_) => f.write_str("Deferred"),
            SnapshotData::WithFiles(_) => f.write_str("WithFiles"),
        }
    }
}

impl SnapshotData {
    /// The bytes, running the deferred part if there is one. A snapshot with files of its own
    /// needs a writer: [`Self::into_files`].
    pub fn into_bytes(self) -> Result<Vec<u8>> {
        match self {
            SnapshotData::Ready(bytes) => Ok(bytes),
            SnapshotData::Deferred(produce) => produce(),
            SnapshotData::WithFiles(_) => {
                Err(crate::Error::Internal("a snapshot with files of its own was asked for its bytes alone".into()))
            }
        }
    }

    /// The bytes and the files, running the deferred part with `writer`.
    pub fn into_files(self, writer: &mut dyn SnapshotFileWriter) -> Result<FilesSnapshot> {
        match self {
            SnapshotData::WithFiles(produce) => produce(writer),
            other => Ok(FilesSnapshot { bytes: other.into_bytes()?, files: Vec::new() }),
        }
    }
}

/// One operator instance's snapshot.
#[derive(Debug)]
pub struct StateSnapshot {
    pub data: SnapshotData,
    /// The key groups whose keyed state the bytes hold; `None` for non-keyed (operator) state.
    /// On restore at another parallelism, a keyed instance is given the snapshots whose key
    /// groups overlap its own range.
    pub key_groups: Option<KeyGroupRange>,
}

impl StateSnapshot {
    /// Keyed state of `key_groups`, serialized already.
    pub fn keyed(bytes: Vec<u8>, key_groups: KeyGroupRange) -> Self {
        StateSnapshot { data: SnapshotData::Ready(bytes), key_groups: Some(key_groups) }
    }

    /// Non-keyed state, serialized already.
    pub fn operator(bytes: Vec<u8>) -> Self {
        StateSnapshot { data: SnapshotData::Ready(bytes), key_groups: None }
    }
}

/// What an operator instance is given back when the job restores from a snapshot.
///
/// - At unchanged parallelism: the one snapshot its own subtask index wrote.
/// - After a change of parallelism: for keyed state, every old snapshot whose key groups overlap
///   this instance's range (the instance keeps exactly its own key groups); for operator state,
///   the snapshots of every old subtask (the instance picks its share by its index).
///
/// Operator (non-keyed) state also gets [`all_subtasks`](Self::all_subtasks) at any parallelism,
/// for state every subtask restores whole (union list state).
#[derive(Debug, Clone, Default)]
pub struct RestoredState {
    /// The checkpoint (or savepoint) restored from.
    pub checkpoint_id: u64,
    /// The previous subtasks' bytes, in old subtask order.
    pub snapshots: Vec<Arc<Vec<u8>>>,
    /// Whether the parallelism differs from the snapshot's.
    pub rescaled: bool,
    /// For operator state (snapshots without key groups): the bytes of every old subtask that
    /// kept state, in old subtask order, also at unchanged parallelism (then `snapshots` holds
    /// only this instance's own). Empty for keyed state.
    pub all_subtasks: Vec<Arc<Vec<u8>>>,
    /// In step with `snapshots`: the other files each snapshot listed (a RocksDB backend's
    /// incremental checkpoint), verified and found where they are now. Empty lists for
    /// snapshots of bytes alone.
    pub files: Vec<Arc<Vec<RestoredFile>>>,
}

/// A file of a restored snapshot: as `_metadata` names it, and where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredFile {
    pub path: String,
    pub scope: SnapshotFileScope,
    pub location: PathBuf,
}
