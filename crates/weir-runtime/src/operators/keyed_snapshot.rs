//! The snapshot of a keyed operator instance: its keyed state and its timers, in one blob.
//!
//! Both are keyed state (DESIGN §6): the state bytes are the backend's own format (by key
//! group), the timers are listed in firing order. On restore the backend keeps the key groups
//! of the instance's range, and so do the timers — whatever the parallelism was before.

use crate::timers::InternalTimerService;
use crate::timers::snapshot::TimersSnapshot;
use serde::{Deserialize, Serialize};
use std::hash::Hash;
use std::sync::Arc;
use weir_core::key_group::assign_key_group;
use weir_core::operator::OperatorContext;
use weir_core::snapshot::{RestoredState, SnapshotData, StateSnapshot};
use weir_core::{Data, Error, Key, KeyGroupRange, Result};
use weir_state::{HeapKeyedStateBackend, KeyedStateSnapshot};

/// The blob's format version; readers refuse newer ones.
const VERSION: u16 = 1;

/// The two byte fields are byte strings (`weir_state::raw_bytes`), the same bytes as serde's
/// `Vec<u8>` in postcard but written and read in one piece rather than byte by byte.
#[derive(Serialize, Deserialize)]
struct Blob {
    version: u16,
    #[serde(with = "weir_state::raw_bytes")]
    state: Vec<u8>,
    #[serde(with = "weir_state::raw_bytes")]
    timers: Vec<u8>,
}

/// Snapshots `state` and `timers`. The synchronous part freezes the state (no entry is copied,
/// see weir-state's heap backend) and lists the timers; serializing the state is deferred to the
/// snapshot thread.
pub(crate) fn snapshot<K: Key, N: Data + Hash + Eq>(
    state: Option<&mut HeapKeyedStateBackend<K>>,
    timers: &InternalTimerService<K, N>,
    range: KeyGroupRange,
) -> Result<Option<StateSnapshot>> {
    let Some(state) = state else { return Ok(None) };
    let frozen = state.freeze();
    let timers = postcard::to_stdvec(&timers.snapshot())
        .map_err(|e| Error::Internal(format!("cannot serialize timers for a snapshot: {e}")))?;
    let serialize = move || {
        let state = frozen.encode()?.to_bytes();
        postcard::to_stdvec(&Blob { version: VERSION, state, timers })
            .map_err(|e| Error::Internal(format!("cannot serialize keyed state for a snapshot: {e}")))
    };
    Ok(Some(StateSnapshot { data: SnapshotData::Deferred(Box::new(serialize)), key_groups: Some(range) }))
}

/// The keyed state of an operator instance that starts: its key groups, TTL time from the
/// operator's clock, and — when the job restores — the state and timers of its key groups.
pub(crate) fn start<K: Key, N: Data + Hash + Eq>(
    ctx: &OperatorContext,
    timers: &mut InternalTimerService<K, N>,
) -> Result<HeapKeyedStateBackend<K>> {
    let mut state = HeapKeyedStateBackend::new(ctx.key_group_range).with_clock(Arc::clone(&ctx.clock));
    if let Some(restored) = &ctx.restored {
        restore(restored, &mut state, timers, ctx.max_parallelism, ctx.key_group_range)
            .map_err(|e| Error::incompatible_state(&ctx.uid.0, restored.checkpoint_id, e))?;
    }
    Ok(state)
}

/// Restores the key groups of `range` from `restored` into `state` and `timers`.
fn restore<K: Key, N: Data + Hash + Eq>(
    restored: &RestoredState,
    state: &mut HeapKeyedStateBackend<K>,
    timers: &mut InternalTimerService<K, N>,
    max_parallelism: usize,
    range: KeyGroupRange,
) -> Result<()> {
    let mut states = Vec::with_capacity(restored.snapshots.len());
    for bytes in &restored.snapshots {
        let blob: Blob = postcard::from_bytes(bytes).map_err(|e| corrupt(restored, &e.to_string()))?;
        if blob.version > VERSION {
            return Err(corrupt(
                restored,
                &format!("format version {} is newer than this weir reads ({VERSION})", blob.version),
            ));
        }
        let snapshot = KeyedStateSnapshot::from_bytes(&blob.state)?;
        if snapshot.key_group_range().intersects(&range) {
            states.push(snapshot);
        }
        let listed: TimersSnapshot<K, N> =
            postcard::from_bytes(&blob.timers).map_err(|e| corrupt(restored, &format!("timers: {e}")))?;
        timers.restore(listed, |key| assign_key_group(key, max_parallelism).is_ok_and(|g| range.contains(g)));
    }
    state.restore(&states)?;
    Ok(())
}

fn corrupt(_restored: &RestoredState, problem: &str) -> Error {
    Error::Internal(format!("its keyed state: {problem}"))
}
