//! Full snapshots of the `rocksdb` backend in the canonical format ([`KeyedStateSnapshot`]),
//! which both backends restore: savepoints always, checkpoints unless they are incremental.
//!
//! The synchronous part takes a RocksDB checkpoint (hard links); the asynchronous part opens it
//! read-only and walks each state's column family in key order, which is key-group order, so
//! every key group's entries come out together. Stored keys and values are already the
//! canonical per-entry bytes (module `keys`): they are copied, never decoded.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use weir_core::{Key, KeyGroup, KeyGroupRange, Timestamp};

use super::workdir::WorkDir;
use super::{RocksDbStore, StateMeta, db, keys};
use crate::error::{Result, StateError};
use crate::heap::{FrozenKeyedState, FrozenState, KeyGroupSnapshot, KeyedStateSnapshot, RegisteredState, StateEntries};

/// A RocksDB checkpoint taken for a snapshot, removed when dropped. It keeps the backend's
/// working directory alive: the operator may close (a cancel) while the snapshot thread still
/// uploads from it.
#[derive(Debug)]
pub(crate) struct CheckpointDir {
    path: PathBuf,
    _workdir: Arc<WorkDir>,
}

impl CheckpointDir {
    pub(crate) fn new(path: PathBuf, workdir: Arc<WorkDir>) -> Self {
        CheckpointDir { path, _workdir: workdir }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for CheckpointDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the rocksdb snapshot directory {}: {error}", self.path.display());
        }
    }
}

/// A full snapshot waiting for its asynchronous part: [`FullSnapshot::encode`].
pub struct FullSnapshot {
    checkpoint: CheckpointDir,
    range: KeyGroupRange,
    states: Vec<(String, StateMeta)>,
    /// Restored states no descriptor named yet (kept in memory, as the `hashmap` backend does).
    leftovers: FrozenKeyedState,
}

impl<K: Key> RocksDbStore<K> {
    /// The synchronous part of a full snapshot: the cache written down and a RocksDB checkpoint.
    pub(crate) fn full_snapshot(
        &mut self,
        states: &mut [RegisteredState<K>],
        leftovers: Vec<FrozenState>,
        id: u64,
    ) -> Result<FullSnapshot> {
        let checkpoint = self.checkpoint(states, id)?;
        Ok(FullSnapshot {
            checkpoint,
            range: self.range,
            states: self.state_list(),
            leftovers: FrozenKeyedState { range: self.range, states: leftovers },
        })
    }
}

impl FullSnapshot {
    /// The timers of queue `name` in the checkpoint, in firing order (they go into the snapshot
    /// in the canonical timer format of the operator, beside the state).
    pub fn stored_timers<K, N>(&self, name: &str) -> Result<Vec<(Timestamp, K, N)>>
    where
        K: serde::de::DeserializeOwned,
        N: serde::de::DeserializeOwned,
    {
        let (db, _) = db::open_read_only(self.checkpoint.path())?;
        super::read_stored_timers(&db, &keys::timer_column_family(name))
    }

    /// Reads the checkpoint into the canonical format (then removes it).
    pub fn encode(self) -> Result<KeyedStateSnapshot> {
        let (db, _) = db::open_read_only(self.checkpoint.path())?;
        let read_error = |source| StateError::RocksDb {
            action: "read a snapshot".into(),
            path: self.checkpoint.path().to_path_buf(),
            source,
        };
        let mut groups: BTreeMap<u32, Vec<StateEntries>> = BTreeMap::new();
        for (name, meta) in &self.states {
            let Some(cf) = db.cf_handle(&keys::column_family(name)) else { continue };
            let mut current: Option<GroupEntries> = None;
            for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
                let (stored_key, value) = item.map_err(read_error)?;
                let (group, key) = keys::split(&stored_key).ok_or_else(|| {
                    StateError::Store(format!("state '{name}' holds a key without a key-group prefix"))
                })?;
                if current.as_ref().is_some_and(|c| c.group != group.0) {
                    let done = current.take().expect("checked to be some just above");
                    groups.entry(done.group).or_default().push(done.finish(name, *meta)?);
                }
                let entries = current.get_or_insert_with(|| GroupEntries::new(group.0));
                entries.body.extend_from_slice(key);
                entries.body.extend_from_slice(&value);
                entries.count += 1;
            }
            if let Some(done) = current {
                groups.entry(done.group).or_default().push(done.finish(name, *meta)?);
            }
        }
        drop(db);
        for group in self.leftovers.encode()?.groups {
            groups.entry(group.group.0).or_default().extend(group.states);
        }
        let groups =
            groups.into_iter().map(|(group, states)| KeyGroupSnapshot { group: KeyGroup(group), states }).collect();
        Ok(KeyedStateSnapshot { range: self.range, groups })
    }
}

/// One state's entries of one key group, as the canonical format's postcard sequence of
/// `(key, state)` pairs without its length prefix yet.
struct GroupEntries {
    group: u32,
    count: u64,
    body: Vec<u8>,
}

impl GroupEntries {
    fn new(group: u32) -> Self {
        GroupEntries { group, count: 0, body: Vec::new() }
    }

    fn finish(self, name: &str, meta: StateMeta) -> Result<StateEntries> {
        // A postcard sequence: its length as a varint, then the elements.
        let mut bytes = postcard::to_stdvec(&self.count)
            .map_err(|source| StateError::Encode { state: name.to_string(), source })?;
        bytes.extend_from_slice(&self.body);
        Ok(StateEntries { name: name.to_string(), kind: meta.kind, ttl: meta.ttl, entries: self.count, bytes })
    }
}
