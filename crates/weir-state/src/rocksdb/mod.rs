//! The `rocksdb` backend's store: an embedded RocksDB under the typed tables of
//! [`KeyedStateBackend`](crate::KeyedStateBackend), which then act as a bounded write-back cache
//! of the keys in use.
//!
//! **Why a cache of typed values in front of RocksDB**: the state API hands out references
//! (`ValueState::get_mut`, `MapState::iter`), and a record usually touches the same key's state
//! several times (a window operator reads and writes its contents, its trigger state, its
//! timers' keys). Decoding the key's state once when it is first used, keeping it typed while it
//! is hot and writing it back once (when the cache is full or a snapshot needs the database
//! current) costs one RocksDB read and one write per key and cache period instead of per access,
//! and keeps the API and every operator the same for both backends. The cache is bounded (a
//! quarter of `state.backend.rocksdb.memory.fixed-per-slot`, estimated from the size of the
//! entries written); when it is full it is written down and emptied.
//!
//! Layout (module `keys`): one column family per state, keys prefixed by key group. Snapshots:
//! - **full** (module `full`): the canonical [`KeyedStateSnapshot`](crate::KeyedStateSnapshot)
//!   format, which either backend restores: for savepoints, and for checkpoints without
//!   `execution.checkpointing.incremental`;
//! - **incremental** (module `incremental`): RocksDB's own files; new SST files go to the job's
//!   `shared/` directory once and later checkpoints reference them.
//!
//! Restores (module `restore`): the canonical format through the typed tables; incremental
//! snapshots by opening their files, clipping to this instance's key groups with range deletes
//! and copying in only the key groups other old instances held.
//!
//! Timers (module `timers`) are stored here too, in column families of their own, unless
//! `state.backend.rocksdb.timer-service.factory` is `heap`. TTL is checked when a value is read
//! (expired values stay in RocksDB until their key is next used).

mod db;
mod full;
mod incremental;
mod keys;
mod restore;
mod timers;
mod workdir;

pub use full::FullSnapshot;
pub use incremental::{INCREMENTAL_SNAPSHOT_MAGIC, IncrementalSnapshot};
pub use timers::StoredTimerQueue;
pub(crate) use timers::read_all as read_stored_timers;

/// Decodes the bytes of an incremental snapshot.
pub(crate) fn incremental_handle(bytes: &[u8]) -> Result<incremental::IncrementalHandle> {
    incremental::IncrementalHandle::from_bytes(bytes)
}

use rocksdb::WriteBatch;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use weir_core::{Key, KeyGroup, KeyGroupRange, Timestamp};

use crate::config::{RocksDbOptions, TimerStore};
use crate::descriptor::StateKind;
use crate::error::{Result, StateError};
use crate::heap::RegisteredState;
use db::StateDb;
use workdir::WorkDir;

/// Below this many cached keys the cache is never emptied, whatever the estimate says.
const MIN_CACHED_KEYS: usize = 1_024;

/// What the database records about each state (in the `weir:states` column family), so that a
/// restored database knows its states before any descriptor names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateMeta {
    pub(crate) kind: StateKind,
    pub(crate) ttl: bool,
}

/// Which keys of one state are in the cache.
struct Residency<K> {
    column_family: String,
    keys: FxHashMap<K, Resident>,
}

#[derive(Debug, Clone, Copy)]
struct Resident {
    /// The key group's position in the range.
    offset: u32,
    /// Handed out since it was last written down.
    dirty: bool,
}

/// The database of one `rocksdb` backend instance and its cache bookkeeping.
pub(crate) struct RocksDbStore<K> {
    db: Arc<StateDb>,
    range: KeyGroupRange,
    options: RocksDbOptions,
    /// By state slot, in step with the backend's registered states.
    residency: Vec<Residency<K>>,
    /// Keys in the cache, over all states.
    cached: usize,
    /// How many keys the cache may hold (re-estimated whenever it is written down).
    capacity: usize,
    /// Bytes of the cache's share of the memory bound.
    cache_budget: u64,
    /// Serialized bytes and entries written down so far, for the size estimate.
    written: (u64, u64),
    /// States the database holds (restored or registered), by name.
    known: BTreeMap<String, StateMeta>,
    key_buf: Vec<u8>,
    value_buf: Vec<u8>,
    /// Numbers the RocksDB checkpoints taken for snapshots.
    snapshots_taken: u64,
    uploads: incremental::Uploads,
    /// Last: removed after the database is closed, and only once no snapshot still reads a
    /// checkpoint inside it (they hold it too).
    workdir: Arc<WorkDir>,
}

impl<K: Key> RocksDbStore<K> {
    /// Creates a working directory and an empty database in it.
    pub(crate) fn open(range: KeyGroupRange, options: &RocksDbOptions, name: &str) -> Result<Self> {
        if range.end > keys::MAX_KEY_GROUPS {
            return Err(StateError::Config(format!(
                "the rocksdb backend supports at most {} key groups (pipeline.max-parallelism), not {}",
                keys::MAX_KEY_GROUPS,
                range.end
            )));
        }
        let workdir = Arc::new(WorkDir::create(&options.local_dir, name)?);
        let db = Arc::new(StateDb::open(
            &workdir.path().join("db"),
            db::options(options.memory, options.write_buffer_ratio),
        )?);
        let cache_budget = (options.memory as f64 * (1.0 - db::ROCKSDB_SHARE)) as u64;
        Ok(RocksDbStore {
            db,
            range,
            options: options.clone(),
            residency: Vec::new(),
            cached: 0,
            capacity: MIN_CACHED_KEYS.max((cache_budget / 256) as usize),
            cache_budget,
            written: (0, 0),
            known: BTreeMap::new(),
            key_buf: Vec::new(),
            value_buf: Vec::new(),
            snapshots_taken: 0,
            uploads: incremental::Uploads::new(),
            workdir,
        })
    }

    pub(crate) fn incremental(&self) -> bool {
        self.options.incremental
    }

    /// A state was registered at `slot`: gives it a column family (or finds the restored one,
    /// checking kind and TTL) and writes down the entries its table was given by a restore.
    pub(crate) fn register(&mut self, states: &mut [RegisteredState<K>], slot: usize) -> Result<()> {
        let state = &states[slot];
        let meta = StateMeta { kind: state.kind, ttl: state.ttl.is_some() };
        let column_family = keys::column_family(&state.name);
        if let Some(found) = self.known.get(&state.name) {
            crate::heap::check_restorable(&state.name, (meta.kind, meta.ttl), (found.kind, found.ttl))?;
        } else {
            let encoded = postcard::to_stdvec(&meta)
                .map_err(|source| StateError::Encode { state: state.name.clone(), source })?;
            let meta_cf = self.db.cf(keys::META_COLUMN_FAMILY)?;
            let mut batch = WriteBatch::default();
            batch.put_cf(&meta_cf, state.name.as_bytes(), encoded);
            self.db.write(batch)?;
            self.known.insert(state.name.clone(), meta);
        }
        self.db.ensure_column_family(&column_family)?;
        debug_assert_eq!(self.residency.len(), slot, "states register in slot order");
        self.residency.push(Residency { column_family, keys: FxHashMap::default() });
        for offset in 0..self.range.len() {
            self.write_down_group(states, slot, offset)?;
        }
        Ok(())
    }

    /// Moves every entry of key group `offset` of state `slot`'s table into the database (entries
    /// a restore decoded into the table; none of them is cached).
    pub(crate) fn write_down_group(
        &mut self,
        states: &mut [RegisteredState<K>],
        slot: usize,
        offset: usize,
    ) -> Result<()> {
        let state = &mut states[slot];
        if state.table.entry_count() == 0 {
            return Ok(());
        }
        let group = KeyGroup(self.range.start + offset as u32);
        let cf = self.db.cf(&self.residency[slot].column_family)?;
        let mut batch = WriteBatch::default();
        let mut failed = None;
        let key_buf = &mut self.key_buf;
        let codec = state.codec;
        (codec.drain_group)(&mut *state.table, offset, &mut |key, value| match keys::encode(group, key, key_buf) {
            Ok(()) => batch.put_cf(&cf, &key_buf[..], value),
            Err(error) => failed = Some(error),
        })
        .map_err(|source| StateError::Encode { state: state.name.clone(), source })?;
        if let Some(source) = failed {
            return Err(StateError::Encode { state: state.name.clone(), source });
        }
        self.db.write(batch)
    }

    /// Makes the state of `key` (in key group `offset`) of state `slot` present in its table,
    /// reading it from the database if it is not cached, and marks it to be written back (a
    /// handle may change it).
    #[inline]
    pub(crate) fn make_resident(
        &mut self,
        states: &mut [RegisteredState<K>],
        slot: usize,
        key: &K,
        offset: usize,
    ) -> Result<()> {
        if let Some(resident) = self.residency[slot].keys.get_mut(key) {
            resident.dirty = true;
            return Ok(());
        }
        self.load(states, slot, key, offset)
    }

    #[cold]
    fn load(&mut self, states: &mut [RegisteredState<K>], slot: usize, key: &K, offset: usize) -> Result<()> {
        if self.cached >= self.capacity {
            self.evict(states)?;
        }
        let state = &mut states[slot];
        let group = KeyGroup(self.range.start + offset as u32);
        keys::encode(group, key, &mut self.key_buf)
            .map_err(|source| StateError::Encode { state: state.name.clone(), source })?;
        let cf = self.db.cf(&self.residency[slot].column_family)?;
        let found = self.db.db.get_pinned_cf(&cf, &self.key_buf).map_err(|source| self.db.error("read", source))?;
        if let Some(bytes) = found {
            (state.codec.decode)(&mut *state.table, offset, key.clone(), &bytes)
                .map_err(|source| StateError::DecodeStored { state: state.name.clone(), source })?;
        }
        self.residency[slot].keys.insert(key.clone(), Resident { offset: offset as u32, dirty: true });
        self.cached += 1;
        Ok(())
    }

    /// Makes every key of state `slot` present in its table (for operations over all keys);
    /// the cache may exceed its bound until the next key is loaded.
    pub(crate) fn make_all_resident(&mut self, states: &mut [RegisteredState<K>], slot: usize) -> Result<()> {
        let state = &mut states[slot];
        let cf = self.db.cf(&self.residency[slot].column_family)?;
        let residency = &mut self.residency[slot];
        for item in self.db.db.iterator_cf(&cf, rocksdb::IteratorMode::Start) {
            let (stored_key, value) = item.map_err(|source| self.db.error("read", source))?;
            let corrupt = |source| StateError::DecodeStored { state: state.name.clone(), source };
            let (group, key_bytes) =
                keys::split(&stored_key).ok_or(corrupt(postcard::Error::DeserializeUnexpectedEnd))?;
            let key: K = postcard::from_bytes(key_bytes).map_err(corrupt)?;
            if residency.keys.contains_key(&key) {
                continue; // the cached state is newer
            }
            let Some(offset) = self.range.offset_of(group) else { continue };
            (state.codec.decode)(&mut *state.table, offset, key.clone(), &value).map_err(corrupt)?;
            residency.keys.insert(key, Resident { offset: offset as u32, dirty: true });
            self.cached += 1;
        }
        Ok(())
    }

    /// Writes every cached key handed out since the last write-down back to the database (its
    /// state, or a delete if the handle removed it).
    pub(crate) fn flush(&mut self, states: &[RegisteredState<K>]) -> Result<()> {
        let mut batch = WriteBatch::default();
        for (slot, residency) in self.residency.iter_mut().enumerate() {
            let state = &states[slot];
            let cf = self.db.cf(&residency.column_family)?;
            for (key, resident) in residency.keys.iter_mut().filter(|(_, r)| r.dirty) {
                let group = KeyGroup(self.range.start + resident.offset);
                let encode_error = |source| StateError::Encode { state: state.name.clone(), source };
                keys::encode(group, key, &mut self.key_buf).map_err(encode_error)?;
                let present = (state.codec.encode)(&*state.table, resident.offset as usize, key, &mut self.value_buf)
                    .map_err(encode_error)?;
                if present {
                    batch.put_cf(&cf, &self.key_buf, &self.value_buf);
                    self.written.0 += (self.key_buf.len() + self.value_buf.len()) as u64;
                    self.written.1 += 1;
                } else {
                    batch.delete_cf(&cf, &self.key_buf);
                }
                resident.dirty = false;
            }
        }
        self.db.write(batch)
    }

    /// Writes the cache down and empties it, and re-estimates how many keys it may hold.
    fn evict(&mut self, states: &mut [RegisteredState<K>]) -> Result<()> {
        self.flush(states)?;
        for (state, residency) in states.iter_mut().zip(&mut self.residency) {
            state.table.clear();
            residency.keys = FxHashMap::default();
        }
        self.cached = 0;
        if let Some(serialized) = self.written.0.checked_div(self.written.1) {
            // A typed entry in a hash map takes about twice its serialized size plus the map's
            // own slot and the residency entry.
            let per_key = 2 * serialized + 2 * std::mem::size_of::<K>() as u64 + 48;
            self.capacity = MIN_CACHED_KEYS.max((self.cache_budget / per_key.max(1)) as usize);
        }
        Ok(())
    }

    /// Drops all state: the cache and every state's entries in the database.
    pub(crate) fn clear(&mut self, states: &mut [RegisteredState<K>]) -> Result<()> {
        for (state, residency) in states.iter_mut().zip(&mut self.residency) {
            state.table.clear();
            residency.keys = FxHashMap::default();
        }
        self.cached = 0;
        let (from, to) = keys::bounds(KeyGroupRange { start: 0, end: keys::MAX_KEY_GROUPS });
        for name in self.known.keys() {
            let cf = self.db.cf(&keys::column_family(name))?;
            self.db.db.delete_range_cf(&cf, &from, &to).map_err(|source| self.db.error("delete", source))?;
        }
        Ok(())
    }

    /// How many keys hold state, over all states: the database's keys not cached plus the cached
    /// keys that hold state. Reads every key (for tests and metrics).
    pub(crate) fn count_entries(&self, states: &[RegisteredState<K>]) -> usize {
        let mut count = 0;
        for (state, residency) in states.iter().zip(&self.residency) {
            count += state.table.entry_count();
            let Ok(cf) = self.db.cf(&residency.column_family) else { continue };
            for (stored_key, _) in self.db.db.iterator_cf(&cf, rocksdb::IteratorMode::Start).flatten() {
                let cached = keys::split(&stored_key)
                    .and_then(|(_, key)| postcard::from_bytes::<K>(key).ok())
                    .is_some_and(|key| residency.keys.contains_key(&key));
                if !cached {
                    count += 1;
                }
            }
        }
        count
    }

    /// Writes the cache down and takes a RocksDB checkpoint (hard links to the database's
    /// immutable files, after a memtable flush) into a fresh directory of the working directory:
    /// the synchronous part of every snapshot.
    fn checkpoint(&mut self, states: &[RegisteredState<K>], id: u64) -> Result<full::CheckpointDir> {
        self.flush(states)?;
        self.snapshots_taken += 1;
        let parent = self.workdir.path().join("snapshots");
        std::fs::create_dir_all(&parent).map_err(|source| StateError::Io {
            action: "create the snapshot directory",
            path: parent.clone(),
            source,
        })?;
        let path = parent.join(format!("chk-{id}-{}", self.snapshots_taken));
        let checkpoint =
            rocksdb::checkpoint::Checkpoint::new(&self.db.db).map_err(|source| self.db.error("checkpoint", source))?;
        checkpoint.create_checkpoint(&path).map_err(|source| self.db.error("take a checkpoint", source))?;
        Ok(full::CheckpointDir::new(path, Arc::clone(&self.workdir)))
    }

    /// Timer queue `name` in the database, or `None` where timers stay in memory
    /// (`timer-service.factory: heap`). Open queues only after a restore: it replaces the
    /// database.
    pub(crate) fn timer_queue<N>(&self, name: &str, max_parallelism: usize) -> Result<Option<StoredTimerQueue<K, N>>>
    where
        N: serde::Serialize + serde::de::DeserializeOwned,
    {
        if self.options.timers == TimerStore::Heap {
            return Ok(None);
        }
        let queue = StoredTimerQueue::open(
            Arc::clone(&self.db),
            Arc::clone(&self.workdir),
            keys::timer_column_family(name),
            self.range,
            max_parallelism,
        )?;
        Ok(Some(queue))
    }

    /// The timers of queue `name` a restored database holds, removed from it: for timers kept
    /// in memory (`timer-service.factory: heap`) restored from a snapshot that stored them.
    pub(crate) fn take_stored_timers<N>(&self, name: &str, max_parallelism: usize) -> Result<Vec<(Timestamp, K, N)>>
    where
        N: serde::Serialize + serde::de::DeserializeOwned,
    {
        let column_family = keys::timer_column_family(name);
        if !self.db.column_family_names().contains(&column_family) {
            return Ok(Vec::new());
        }
        let db = Arc::clone(&self.db);
        StoredTimerQueue::open(db, Arc::clone(&self.workdir), column_family, self.range, max_parallelism)?.drain()
    }

    /// The states the database holds, for a snapshot: name, kind, TTL.
    fn state_list(&self) -> Vec<(String, StateMeta)> {
        self.known.iter().map(|(name, meta)| (name.clone(), *meta)).collect()
    }
}
