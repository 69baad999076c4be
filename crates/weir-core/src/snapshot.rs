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
}

impl fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotData::Ready(bytes) => write!(f, "Ready({} bytes)", bytes.len()),
            SnapshotData::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

impl SnapshotData {
    /// The bytes, running the deferred part if there is one.
    pub fn into_bytes(self) -> Result<Vec<u8>> {
        match self {
            SnapshotData::Ready(bytes) => Ok(bytes),
            SnapshotData::Deferred(produce) => produce(),
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
}
