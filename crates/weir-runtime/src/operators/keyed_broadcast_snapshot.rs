//! The snapshot of a keyed-broadcast operator instance: its keyed blob (keyed state and timers,
//! `keyed_snapshot`'s format, untouched) and its broadcast state (weir-state's operator state
//! bytes), in one versioned blob with the instance's key groups.
//!
//! Why broadcast state can ride in a keyed snapshot: every subtask holds a full, equal copy, so
//! every old snapshot carries all of it. On a restore at another parallelism an instance is
//! given the old snapshots whose key groups overlap its range — at least one — and takes the
//! broadcast state of the first (the lowest old subtask among them), the keyed state of all: so
//! each new instance restores broadcast state exactly once, whatever the parallelism, and no
//! key-group-less side file is needed. This works for broadcast state only; operator list state
//! in a keyed operator would need every old subtask's snapshot, which is why keyed functions are
//! not offered list or union list operator state.

use crate::operators::operator_state;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::snapshot::{FilesSnapshot, RestoredState, SnapshotData, StateSnapshot};
use weir_core::{Error, Result};
use weir_state::OperatorStateBackend;

/// The blob's format version; readers refuse newer ones.
const VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct Blob {
    version: u16,
    /// `keyed_snapshot`'s blob.
    keyed: Vec<u8>,
    /// An `OperatorStateSnapshot` (it has its own magic, version and checksum).
    broadcast: Vec<u8>,
}

/// Combines the keyed snapshot (`None` before the instance started) with the broadcast state.
/// The broadcast state is copied now; a deferred keyed part stays deferred.
pub(crate) fn snapshot(
    keyed: Option<StateSnapshot>,
    broadcast: &OperatorStateBackend,
) -> Result<Option<StateSnapshot>> {
    let Some(keyed) = keyed else { return Ok(None) };
    let broadcast = broadcast.snapshot()?.to_bytes();
    let data = match keyed.data {
        SnapshotData::Ready(keyed) => SnapshotData::Ready(encode(keyed, broadcast)?),
        SnapshotData::Deferred(produce) => SnapshotData::Deferred(Box::new(move || encode(produce()?, broadcast))),
        SnapshotData::WithFiles(produce) => SnapshotData::WithFiles(Box::new(move |writer| {
            let keyed = produce(writer)?;
            Ok(FilesSnapshot { bytes: encode(keyed.bytes, broadcast)?, files: keyed.files })
        })),
    };
    Ok(Some(StateSnapshot { data, key_groups: keyed.key_groups }))
}

fn encode(keyed: Vec<u8>, broadcast: Vec<u8>) -> Result<Vec<u8>> {
    postcard::to_stdvec(&Blob { version: VERSION, keyed, broadcast })
        .map_err(|e| Error::Internal(format!("cannot serialize keyed-broadcast state for a snapshot: {e}")))
}

/// What an instance starts from: the context its keyed state starts from (restoring the keyed
/// parts of the restored blobs only) and its broadcast state (from the first blob).
pub(crate) fn start(ctx: &OperatorContext) -> Result<(OperatorContext, OperatorStateBackend)> {
    let mut broadcast = OperatorStateBackend::new();
    let Some(restored) = &ctx.restored else { return Ok((ctx.clone(), broadcast)) };
    let mut keyed = Vec::with_capacity(restored.snapshots.len());
    for (i, bytes) in restored.snapshots.iter().enumerate() {
        let blob: Blob = postcard::from_bytes(bytes).map_err(|e| corrupt(ctx, restored, &e.to_string()))?;
        if blob.version > VERSION {
            return Err(corrupt(
                ctx,
                restored,
                &format!("format version {} is newer than this weir reads ({VERSION})", blob.version),
            ));
        }
        if i == 0 {
            operator_state::decode_one(restored, &blob.broadcast)
                .and_then(|copy| Ok(broadcast.restore(&[copy], 0, 1)?))
                .map_err(|e| Error::incompatible_state(&ctx.uid.0, restored.checkpoint_id, e))?;
        }
        keyed.push(Arc::new(blob.keyed));
    }
    let keyed_only = RestoredState {
        checkpoint_id: restored.checkpoint_id,
        snapshots: keyed,
        rescaled: restored.rescaled,
        all_subtasks: Vec::new(),
        files: restored.files.clone(),
    };
    Ok((ctx.clone().with_restored(Some(Arc::new(keyed_only))), broadcast))
}

fn corrupt(ctx: &OperatorContext, restored: &RestoredState, problem: &str) -> Error {
    let problem = format!("its keyed-broadcast state: {problem}");
    Error::IncompatibleState { uid: ctx.uid.0.clone(), checkpoint_id: restored.checkpoint_id, problem }
}
