//! The operator state of a non-keyed operator instance (DESIGN §6): how it starts — empty, or
//! with its share of a checkpoint's — and what it hands over when a barrier passes.
//!
//! The snapshot is the backend's own versioned, checksummed bytes, without key groups, so a
//! restore at another parallelism gives every new instance the snapshots of all old subtasks
//! (see `checkpointing::restore`); each takes its share by its index with weir-state's
//! redistribution: list state dealt round-robin, union list state whole, broadcast state from
//! the lowest old subtask. At unchanged parallelism an instance keeps its own list and broadcast
//! state, and still gets every union list whole.
//!
//! Keyed operators with operator state (keyed-broadcast) put these bytes into their keyed blob
//! instead; see `keyed_broadcast_snapshot`.

use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::snapshot::{RestoredState, StateSnapshot};
use weir_core::{Error, Result};
use weir_state::{OperatorStateBackend, OperatorStateSnapshot};

/// The operator state of an instance that starts: its share of the restored state, if any.
pub(crate) fn start(ctx: &OperatorContext) -> Result<OperatorStateBackend> {
    let mut backend = OperatorStateBackend::new();
    if let Some(restored) = &ctx.restored {
        let restore = |backend: &mut OperatorStateBackend| -> Result<()> {
            if restored.rescaled {
                // Every old subtask's snapshot.
                let all = decode(restored, &restored.snapshots)?;
                Ok(backend.restore(&all, ctx.subtask.0, ctx.parallelism)?)
            } else {
                let own = decode(restored, &restored.snapshots)?;
                let all = decode(restored, &restored.all_subtasks)?;
                Ok(backend.restore_in_place(own.first(), &all)?)
            }
        };
        restore(&mut backend).map_err(|e| Error::incompatible_state(&ctx.uid.0, restored.checkpoint_id, e))?;
    }
    Ok(backend)
}

/// The snapshot of `backend` (`None` when it holds no state at all). Serialized here: operator
/// state is small (buffers, offsets, rules), and copying it is most of the work anyway.
pub(crate) fn snapshot(backend: &OperatorStateBackend) -> Result<Option<StateSnapshot>> {
    if backend.is_empty() {
        return Ok(None);
    }
    Ok(Some(StateSnapshot::operator(backend.snapshot()?.to_bytes())))
}

/// Reads operator state snapshots, naming the checkpoint when one is damaged.
pub(crate) fn decode(restored: &RestoredState, snapshots: &[Arc<Vec<u8>>]) -> Result<Vec<OperatorStateSnapshot>> {
    snapshots.iter().map(|bytes| decode_one(restored, bytes)).collect()
}

/// Reads one operator state snapshot of `restored`.
pub(crate) fn decode_one(restored: &RestoredState, bytes: &[u8]) -> Result<OperatorStateSnapshot> {
    OperatorStateSnapshot::from_bytes(bytes)
        .map_err(|e| Error::Internal(format!("its operator state (snapshot {}): {e}", restored.checkpoint_id)))
}
