//! Incremental checkpoints of the `rocksdb` backend (`execution.checkpointing.incremental`).
//!
//! On the barrier the cache is written down and RocksDB takes a checkpoint (a memtable flush and
//! hard links: milliseconds). The asynchronous part then uploads: an SST file is immutable and
//! named uniquely within the database, so one that a **completed** checkpoint already uploaded is
//! only referenced again; a new one is copied once into the job's `shared/` directory under
//! `<instance>-<name>` (unique across instances and restarts). The small mutable files
//! (`MANIFEST-*`, `CURRENT`, `OPTIONS-*`) go to the checkpoint's own directory. The snapshot's
//! bytes — an [`IncrementalHandle`] — list every file with the name RocksDB gives it, so a
//! restore can lay the database out again.
//!
//! Which uploads count as done is decided by the checkpoint coordinator: the files of a
//! checkpoint become the base of later ones only when `notify_checkpoint_complete` says it
//! completed (a declined or aborted checkpoint's uploads may be deleted by the coordinator). The
//! coordinator counts references and deletes a shared file when no retained checkpoint names it.
//!
//! After a restore the base starts empty: the first checkpoint uploads every file again, since
//! the restored files may belong to another job's directory (Flink's no-claim mode).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use weir_core::snapshot::{SnapshotFile, SnapshotFileScope, SnapshotFileWriter};
use weir_core::{Key, KeyGroupRange};

use super::full::CheckpointDir;
use super::{RocksDbStore, StateMeta};
use crate::envelope;
use crate::error::{Result, StateError};
use crate::heap::{FrozenKeyedState, FrozenState, RegisteredState};

/// The magic of an incremental snapshot's bytes.
pub const INCREMENTAL_SNAPSHOT_MAGIC: &[u8; 8] = b"WEIRRDBI";
const VERSION: u16 = 1;
const WHAT: &str = "rocksdb incremental snapshot";

/// The bytes of an incremental snapshot: what a restore needs to open the database again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct IncrementalHandle {
    pub(crate) range: KeyGroupRange,
    /// Every file of the database: its name in the database directory and where it was
    /// uploaded.
    pub(crate) files: Vec<(String, SnapshotFile)>,
    pub(crate) states: Vec<(String, StateMeta)>,
    /// Restored states no descriptor named yet, in the canonical format (empty if none).
    #[serde(with = "crate::raw_bytes")]
    pub(crate) leftovers: Vec<u8>,
}

impl IncrementalHandle {
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        let body = postcard::to_stdvec(self)
            .map_err(|source| StateError::Encode { state: "(incremental snapshot handle)".into(), source })?;
        Ok(envelope::seal(INCREMENTAL_SNAPSHOT_MAGIC, VERSION, &body))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let body = envelope::open(bytes, INCREMENTAL_SNAPSHOT_MAGIC, VERSION, WHAT)?;
        postcard::from_bytes(body)
            .map_err(|e| StateError::CorruptSnapshot { what: WHAT, problem: format!("cannot decode the body: {e}") })
    }
}

/// The files uploaded by completed checkpoints, and those of checkpoints still pending.
pub(crate) struct Uploads {
    /// Names this backend instance's new shared files.
    instance: String,
    /// SST files of the latest completed checkpoint, by their name in the database.
    base: BTreeMap<String, SnapshotFile>,
    /// Written by the snapshot thread when a checkpoint's upload is done.
    pending: Arc<Mutex<BTreeMap<u64, BTreeMap<String, SnapshotFile>>>>,
}

impl Uploads {
    pub(crate) fn new() -> Self {
        Uploads {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            base: BTreeMap::new(),
            pending: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// Checkpoint `id` completed: its SST files are the base of the next checkpoints; older
    /// pending ones are forgotten (they will never complete after a newer one did).
    pub(crate) fn completed(&mut self, id: u64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(files) = pending.remove(&id) {
            self.base = files;
        }
        pending.retain(|&pending_id, _| pending_id > id);
    }
}

/// An incremental snapshot waiting for its asynchronous part: [`IncrementalSnapshot::upload`].
pub struct IncrementalSnapshot {
    checkpoint: CheckpointDir,
    id: u64,
    range: KeyGroupRange,
    instance: String,
    base: BTreeMap<String, SnapshotFile>,
    pending: Arc<Mutex<BTreeMap<u64, BTreeMap<String, SnapshotFile>>>>,
    states: Vec<(String, StateMeta)>,
    leftovers: FrozenKeyedState,
}

impl<K: Key> RocksDbStore<K> {
    /// The synchronous part of an incremental snapshot: the cache written down and a RocksDB
    /// checkpoint.
    pub(crate) fn incremental_snapshot(
        &mut self,
        states: &mut [RegisteredState<K>],
        leftovers: Vec<FrozenState>,
        id: u64,
    ) -> Result<IncrementalSnapshot> {
        let checkpoint = self.checkpoint(states, id)?;
        Ok(IncrementalSnapshot {
            checkpoint,
            id,
            range: self.range,
            instance: self.uploads.instance.clone(),
            base: self.uploads.base.clone(),
            pending: Arc::clone(&self.uploads.pending),
            states: self.state_list(),
            leftovers: FrozenKeyedState { range: self.range, states: leftovers },
        })
    }

    pub(crate) fn checkpoint_complete(&mut self, id: u64) {
        self.uploads.completed(id);
    }
}

impl IncrementalSnapshot {
    /// Uploads the files not uploaded before and returns the snapshot's bytes and every file it
    /// references.
    pub fn upload(self, writer: &mut dyn SnapshotFileWriter) -> weir_core::Result<(Vec<u8>, Vec<SnapshotFile>)> {
        let dir = self.checkpoint.path();
        let io = |source| StateError::Io { action: "list the files of", path: dir.to_path_buf(), source };
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if entry.file_type().map_err(io)?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        let mut uploaded_ssts = BTreeMap::new();
        for name in names {
            let local = dir.join(&name);
            let file = if name.ends_with(".sst") {
                let file = match self.base.get(&name) {
                    Some(file) => file.clone(),
                    None => writer.copy_in(&local, &format!("{}-{name}", self.instance), SnapshotFileScope::Shared)?,
                };
                uploaded_ssts.insert(name.clone(), file.clone());
                file
            } else {
                writer.copy_in(&local, &name, SnapshotFileScope::Exclusive)?
            };
            files.push((name, file));
        }
        let leftovers = self.leftovers.encode()?;
        let leftovers = if leftovers.groups.is_empty() { Vec::new() } else { leftovers.to_bytes() };
        let handle = IncrementalHandle { range: self.range, files, states: self.states, leftovers };
        let bytes = handle.to_bytes()?;
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(self.id, uploaded_ssts);
        Ok((bytes, handle.files.into_iter().map(|(_, file)| file).collect()))
    }
}
