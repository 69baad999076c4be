//! The asynchronous part of every subtask's snapshots: one thread per job that produces the
//! deferred bytes, writes each operator's state file into the checkpoint's directory, and sends
//! the acknowledgement with the files' handles to the job manager — while the subtasks go on
//! processing.
//!
//! Where a checkpoint's files go is registered by the job manager when it triggers the
//! checkpoint ([`Locations`]); a job for a checkpoint that was aborted meanwhile is dropped
//! without writing anything (the abort already deleted the directory).

use super::messages::JobMessage;
use crate::error::{FailureCause, TaskFailure};
use crate::faults::{FaultPoint, Faults};
use crossbeam_channel::{Receiver, Sender};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use weir_checkpoint::{
    DeclineReason, FileScope, OpaqueBytes, OperatorSnapshot, RelativePath, SnapshotLocation, SnapshotMetrics,
    StateFile, SubtaskStateHandle, TaskKey,
};
use weir_core::OperatorUid;
use weir_core::snapshot::{CheckpointInfo, SnapshotFile, SnapshotFileScope, SnapshotFileWriter, StateSnapshot};
use weir_state::storage::FsCheckpointStorage;

/// One operator's part of a subtask snapshot, as the synchronous part left it.
pub(crate) struct OperatorStateToWrite {
    pub(crate) uid: OperatorUid,
    pub(crate) state: Option<StateSnapshot>,
    pub(crate) source_splits: Option<Vec<u8>>,
}

/// A subtask's snapshot waiting for its asynchronous part.
pub(crate) struct SnapshotJob {
    pub(crate) info: CheckpointInfo,
    pub(crate) task: TaskKey,
    pub(crate) task_name: String,
    pub(crate) operators: Vec<OperatorStateToWrite>,
    pub(crate) metrics: SnapshotMetrics,
}

/// Where the files of each in-flight checkpoint go, registered at trigger time: the location
/// and the storage that resolves it (a savepoint's storage has the directory its client asked
/// for as its savepoints directory).
///
/// The snapshot thread writes a checkpoint's files while holding the lock, and the job manager
/// forgets an aborted checkpoint (before deleting its directory) under the same lock: so no
/// file is ever written into a directory after its deletion.
#[derive(Clone, Default)]
pub(crate) struct Locations(Arc<Mutex<HashMap<u64, (SnapshotLocation, Arc<FsCheckpointStorage>)>>>);

impl Locations {
    pub(crate) fn register(&self, id: u64, location: SnapshotLocation, storage: Arc<FsCheckpointStorage>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(id, (location, storage));
    }

    pub(crate) fn forget(&self, id: u64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    /// Runs `write` with checkpoint `id`'s location and storage while no abort can delete it;
    /// `None` when the checkpoint is no longer in flight.
    fn while_registered<R>(
        &self,
        id: u64,
        write: impl FnOnce(&SnapshotLocation, &FsCheckpointStorage) -> R,
    ) -> Option<R> {
        let locations = self.0.lock().unwrap_or_else(|e| e.into_inner());
        locations.get(&id).map(|(location, storage)| write(location, storage))
    }
}

/// Runs the snapshot thread's loop until every sender is gone.
pub(crate) fn run(jobs: Receiver<SnapshotJob>, locations: Locations, reports: Sender<JobMessage>, faults: Faults) {
    for job in jobs {
        let id = job.info.id;
        let task = job.task;
        if let Err(error) = faults.check(FaultPoint::AsyncUpload, &job.task_name, task.subtask.0) {
            let failure = TaskFailure {
                operator: "asynchronous snapshot".into(),
                task: job.task_name.clone(),
                subtask: task.subtask.0,
                parallelism: 0,
                cause: FailureCause::Error(error),
            };
            let _ = reports.send(JobMessage::SnapshotFailed { task, failure });
            continue;
        }
        let Some(written) = locations.while_registered(id, |location, storage| write(job, storage, location)) else {
            continue; // aborted meanwhile: its directory is gone, write nothing
        };
        let message = match written {
            Ok(handle) => JobMessage::Acknowledge { id, task, handle },
            Err(message) => JobMessage::Decline { id, task, reason: DeclineReason::SnapshotFailed { message } },
        };
        // The receiver is the job manager's loop; when it is gone the job is over.
        let _ = reports.send(message);
    }
}

/// Writes one subtask's state files and builds its handle.
fn write(
    job: SnapshotJob,
    storage: &FsCheckpointStorage,
    location: &SnapshotLocation,
) -> Result<SubtaskStateHandle, String> {
    let started = Instant::now();
    let mut operators = Vec::with_capacity(job.operators.len());
    for (position, op) in job.operators.into_iter().enumerate() {
        let mut files = Vec::new();
        if let Some(state) = op.state {
            let failed = |e: &dyn std::fmt::Display| format!("{}: operator '{}': {e}", job.task_name, op.uid);
            let key_groups = state.key_groups;
            let name = state_file_name(&op.uid, job.task, position);
            let mut writer = StorageWriter { storage, location, prefix: &name, key_groups };
            let produced = state.data.into_files(&mut writer).map_err(|e| failed(&e))?;
            // The operator's own file first: a restore reads it and resolves the others by name.
            let file =
                storage.write_exclusive_file(location, &name, &produced.bytes, key_groups).map_err(|e| failed(&e))?;
            files.push(file);
            for extra in produced.files {
                let path = RelativePath::new(&extra.path).map_err(|e| failed(&e))?;
                let scope = match extra.scope {
                    SnapshotFileScope::Exclusive => FileScope::Exclusive,
                    SnapshotFileScope::Shared => FileScope::Shared,
                };
                files.push(StateFile { path, scope, size: extra.size, crc32c: extra.crc32c, key_groups });
            }
        }
        operators.push(OperatorSnapshot { uid: op.uid, files, source_splits: op.source_splits.map(OpaqueBytes) });
    }
    let metrics = SnapshotMetrics { async_duration: started.elapsed(), ..job.metrics };
    Ok(SubtaskStateHandle { operators, metrics })
}

/// Checkpoint storage for a snapshot's own files ([`SnapshotData::WithFiles`]): exclusive files
/// go under `<operator file>.files/`, shared ones into the job's `shared/` as named.
///
/// [`SnapshotData::WithFiles`]: weir_core::snapshot::SnapshotData::WithFiles
struct StorageWriter<'a> {
    storage: &'a FsCheckpointStorage,
    location: &'a SnapshotLocation,
    prefix: &'a str,
    key_groups: Option<weir_core::KeyGroupRange>,
}

impl SnapshotFileWriter for StorageWriter<'_> {
    fn copy_in(
        &mut self,
        local: &std::path::Path,
        name: &str,
        scope: SnapshotFileScope,
    ) -> weir_core::Result<SnapshotFile> {
        let (name, file_scope) = match scope {
            SnapshotFileScope::Exclusive => (format!("{}.files/{name}", self.prefix), FileScope::Exclusive),
            SnapshotFileScope::Shared => (name.to_string(), FileScope::Shared),
        };
        let file = self
            .storage
            .copy_in_file(self.location, local, &name, file_scope, self.key_groups)
            .map_err(|e| weir_core::Error::Internal(e.to_string()))?;
        Ok(SnapshotFile { path: file.path.as_str().to_string(), scope, size: file.size, crc32c: file.crc32c })
    }
}

/// `op<position>-v<vertex>-s<subtask>-<uid>`: unique within a checkpoint (vertex and position
/// name the operator; the uid, with characters unsafe in file names replaced, is for people).
fn state_file_name(uid: &OperatorUid, task: TaskKey, position: usize) -> String {
    let readable: String = uid
        .0
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    format!("op{position}-v{}-s{}-{readable}", task.vertex.0, task.subtask.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_names_are_safe_and_unique_per_operator() {
        let a = state_file_name(&OperatorUid("counts/per key".into()), TaskKey::new(2, 1), 0);
        assert_eq!(a, "op0-v2-s1-counts_per_key");
        let b = state_file_name(&OperatorUid("counts_per key".into()), TaskKey::new(2, 1), 1);
        assert_ne!(a, b);
    }
}
