//! The snapshot of a keyed operator instance: its keyed state and its timers, in one blob.
//!
//! Both are keyed state (DESIGN §6): the state bytes are the backend's (by key group: the
//! canonical format, or a `rocksdb` incremental snapshot that lists its files beside the blob),
//! the timers are listed in firing order — except those a `rocksdb` incremental snapshot holds
//! in its files. On restore the backend keeps the key groups of the instance's range, and so do
//! the timers — whatever the parallelism was before.
//!
//! Which backend an instance gets is the job's `state.backend.type` (weir-state's `config`).

use crate::timers::InternalTimerService;
use crate::timers::snapshot::TimersSnapshot;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use weir_core::key_group::assign_key_group;
use weir_core::operator::OperatorContext;
use weir_core::snapshot::{CheckpointInfo, FilesSnapshot, RestoredState, SnapshotData, StateSnapshot};
use weir_core::{Error, Key, KeyGroupRange, Result};
use weir_state::{KeyedStateBackend, StateBackendConfig};

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

/// Snapshots `state` and `timers`. The synchronous part is the backend's (the `hashmap` backend
/// freezes its tables without copying an entry; the `rocksdb` one takes a RocksDB checkpoint)
/// plus a copy of the timers kept in memory; serializing or uploading the state, and reading
/// stored timers out of a full snapshot, is deferred to the snapshot thread.
pub(crate) fn snapshot<K: Key, N: Key>(
    state: Option<&mut KeyedStateBackend<K>>,
    timers: &mut InternalTimerService<K, N>,
    range: KeyGroupRange,
    checkpoint: &CheckpointInfo,
) -> Result<Option<StateSnapshot>> {
    let Some(state) = state else { return Ok(None) };
    // First: it writes stored timers down, into the database the backend snapshots.
    let mut listed = timers.snapshot()?;
    let job = state.snapshot_job(checkpoint.id, checkpoint.is_savepoint)?;
    let stored = timers.is_stored();
    let data = if job.has_files() {
        SnapshotData::WithFiles(Box::new(move |writer| {
            // An incremental snapshot's files hold the stored timers.
            let (state, files) = job.run(Some(writer))?;
            Ok(FilesSnapshot { bytes: blob(state, &listed)?, files })
        }))
    } else {
        SnapshotData::Deferred(Box::new(move || {
            if stored {
                listed.complete(&job)?;
            }
            blob(job.run(None)?.0, &listed)
        }))
    };
    Ok(Some(StateSnapshot { data, key_groups: Some(range) }))
}

/// The snapshot's bytes: the blob of `state` and `timers`.
fn blob<K: Key, N: Key>(state: Vec<u8>, timers: &TimersSnapshot<K, N>) -> Result<Vec<u8>> {
    let timers = postcard::to_stdvec(timers)
        .map_err(|e| Error::Internal(format!("cannot serialize timers for a snapshot: {e}")))?;
    postcard::to_stdvec(&Blob { version: VERSION, state, timers })
        .map_err(|e| Error::Internal(format!("cannot serialize keyed state for a snapshot: {e}")))
}

/// The keyed state of an operator instance that starts: its key groups, TTL time from the
/// operator's clock, and — when the job restores — the state and timers of its key groups.
pub(crate) fn start<K: Key, N: Key>(
    ctx: &OperatorContext,
    timers: &mut InternalTimerService<K, N>,
) -> Result<KeyedStateBackend<K>> {
    let config = StateBackendConfig::from_config(&ctx.config)?;
    let name = format!("{}-{}", ctx.uid.0, ctx.subtask.0);
    let state = KeyedStateBackend::from_config(ctx.key_group_range, &config, &name).map_err(|e| {
        Error::Internal(format!("operator '{}': cannot create its keyed state backend: {e}", ctx.uid.0))
    })?;
    let mut state = state.with_clock(Arc::clone(&ctx.clock));
    let incompatible = |e, restored: &RestoredState| Error::incompatible_state(&ctx.uid.0, restored.checkpoint_id, e);
    let listed = match &ctx.restored {
        Some(restored) => restore(restored, &mut state).map_err(|e| incompatible(e, restored))?,
        None => Vec::new(),
    };
    // After the state's restore: a `rocksdb` backend's timers are in its (restored) database.
    timers.use_backend(&state, ctx.max_parallelism).map_err(|e| {
        Error::Internal(format!("operator '{}': cannot open the timers in its state backend: {e}", ctx.uid.0))
    })?;
    if let Some(restored) = &ctx.restored {
        let (range, max_parallelism) = (ctx.key_group_range, ctx.max_parallelism);
        for snapshot in listed {
            timers
                .restore(snapshot, |key| assign_key_group(key, max_parallelism).is_ok_and(|g| range.contains(g)))
                .map_err(|e| incompatible(e, restored))?;
        }
    }
    Ok(state)
}

/// Restores the key groups of the instance's range from `restored` into `state`; returns the
/// timers every snapshot lists, for the timer service once it is ready.
fn restore<K: Key, N: Key>(
    restored: &RestoredState,
    state: &mut KeyedStateBackend<K>,
) -> Result<Vec<TimersSnapshot<K, N>>> {
    let mut states = Vec::with_capacity(restored.snapshots.len());
    let mut timers = Vec::with_capacity(restored.snapshots.len());
    let no_files = Arc::new(Vec::new());
    for (i, bytes) in restored.snapshots.iter().enumerate() {
        let blob: Blob = postcard::from_bytes(bytes).map_err(|e| corrupt(restored, &e.to_string()))?;
        if blob.version > VERSION {
            return Err(corrupt(
                restored,
                &format!("format version {} is newer than this weir reads ({VERSION})", blob.version),
            ));
        }
        let files = restored.files.get(i).cloned().unwrap_or_else(|| Arc::clone(&no_files));
        states.push((blob.state, files));
        timers.push(postcard::from_bytes(&blob.timers).map_err(|e| corrupt(restored, &format!("timers: {e}")))?);
    }
    let parts: Vec<_> = states.iter().map(|(bytes, files)| (bytes.as_slice(), Arc::clone(files))).collect();
    state.restore_snapshots(&parts)?;
    Ok(timers)
}

fn corrupt(_restored: &RestoredState, problem: &str) -> Error {
    Error::Internal(format!("its keyed state: {problem}"))
}
