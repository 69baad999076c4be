//! Timers in RocksDB (`state.backend.rocksdb.timer-service.factory: rocksdb`, the default).
//!
//! **Why**: a keyed operator's timers are keyed state, and as many as its state entries (a
//! timer per key and window). Kept in memory they would escape the backend's memory bound and
//! be copied whole into every checkpoint; in the database they are bounded like the state,
//! clipped with it on a rescale, and an incremental checkpoint uploads only their new files.
//!
//! **Layout** (module `keys`): one column family per queue (a time domain), each timer a stored
//! key `key group ++ time ++ (key, namespace)` with no value. The key makes the queue a set (a
//! timer registered twice is stored once) and a key group's timers one time-ordered range.
//!
//! **In memory** only the front of each key group: its smallest timers (at most
//! [`GROUP_FRONT`]), read with one seek when the front runs out, and the ordered set of every
//! group's earliest `(time, group)`, whose first is the queue's head. (Flink's RocksDB timer
//! queue works the same way: a cached front per key group under a heap of the groups' heads.)
//! The invariant everything rests on: a group's front holds exactly its smallest registered
//! timers — all of them when it is `complete` — so a timer that sorts before the front's last
//! one is registered if and only if the front holds it, and an empty front means an empty group.
//!
//! **Writes are staged** in a bounded map of pending puts and deletes, written as one batch when
//! it is full, before the database is read (a refill, a lookup), and before a snapshot
//! ([`StoredTimerQueue::flush`]). A timer registered and deleted again in between never reaches
//! RocksDB: a session window moves its end with every record, and each move registers a timer
//! and deletes the previous one.
//!
//! Timers of one time fire by key group, then by their serialized key: an order as stable as
//! the heap queue's registration order, and the same after a restore.

use rocksdb::WriteBatch;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::key_group::assign_key_group;
use weir_core::{KeyGroup, KeyGroupRange, Timestamp};

use super::db::StateDb;
use super::keys;
use super::workdir::WorkDir;
use crate::error::{Result, StateError};

/// The most timers of one key group kept in memory.
pub(crate) const GROUP_FRONT: usize = 128;

/// The most staged writes before they are written down.
const MOST_PENDING: usize = 16 * 1024;

/// The timers of one queue (a time domain) of a keyed operator instance, stored in its
/// backend's RocksDB database.
pub struct StoredTimerQueue<K, N> {
    db: Arc<StateDb>,
    column_family: String,
    range: KeyGroupRange,
    max_parallelism: usize,
    /// By key group offset in `range`.
    fronts: Vec<GroupFront>,
    /// Every non-empty group's earliest timer time, with the group's offset.
    heads: BTreeSet<(Timestamp, u32)>,
    /// Staged writes by stored key: true a put, false a delete.
    pending: FxHashMap<Box<[u8]>, bool>,
    key_buf: Vec<u8>,
    /// After `db`: the working directory goes only once the database is closed.
    _workdir: Arc<WorkDir>,
    _types: PhantomData<fn() -> (K, N)>,
}

/// The smallest timers of one key group, as stored keys without the key-group prefix.
#[derive(Default)]
struct GroupFront {
    timers: BTreeSet<Box<[u8]>>,
    /// The front holds every timer of the group.
    complete: bool,
}

/// Where a timer sorts against its group's front.
enum Place {
    /// The front holds it.
    Held,
    /// Within the front's range but not held: not registered.
    Absent,
    /// After the front's last timer: only the database knows.
    Beyond,
}

impl GroupFront {
    fn place(&self, timer: &[u8]) -> Place {
        if self.timers.contains(timer) {
            Place::Held
        } else if self.complete || self.timers.last().is_some_and(|last| timer < &**last) {
            Place::Absent
        } else {
            Place::Beyond
        }
    }

    fn head(&self) -> Option<Timestamp> {
        self.timers.first().and_then(|first| keys::decode_time(first))
    }
}

impl<K: Serialize + DeserializeOwned, N: Serialize + DeserializeOwned> StoredTimerQueue<K, N> {
    /// The queue in column family `column_family` of `db` (created if missing), its fronts read
    /// from what the database holds (a restored one holds timers already).
    pub(crate) fn open(
        db: Arc<StateDb>,
        workdir: Arc<WorkDir>,
        column_family: String,
        range: KeyGroupRange,
        max_parallelism: usize,
    ) -> Result<Self> {
        db.ensure_column_family(&column_family)?;
        let mut queue = StoredTimerQueue {
            db,
            column_family,
            range,
            max_parallelism,
            fronts: (0..range.len()).map(|_| GroupFront::default()).collect(),
            heads: BTreeSet::new(),
            pending: FxHashMap::default(),
            key_buf: Vec::new(),
            _workdir: workdir,
            _types: PhantomData,
        };
        for offset in 0..range.len() {
            queue.refill(offset)?;
        }
        Ok(queue)
    }

    /// Registers a timer (a timer registered already stays registered once).
    pub fn register(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<()> {
        let offset = self.encode(time, key, namespace)?;
        let front = &mut self.fronts[offset];
        let before = front.head();
        let timer = &self.key_buf[keys::PREFIX_LEN..];
        match front.place(timer) {
            Place::Held => return Ok(()),
            Place::Absent => {
                front.timers.insert(timer.into());
                if front.timers.len() > GROUP_FRONT {
                    front.timers.pop_last();
                    front.complete = false;
                }
            }
            Place::Beyond => {}
        }
        self.stage(true)?;
        self.update_head(offset, before);
        Ok(())
    }

    /// Deletes a timer, if registered.
    pub fn delete(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<()> {
        let offset = self.encode(time, key, namespace)?;
        let front = &mut self.fronts[offset];
        let before = front.head();
        match front.place(&self.key_buf[keys::PREFIX_LEN..]) {
            Place::Absent => return Ok(()),
            Place::Held => {
                front.timers.remove(&self.key_buf[keys::PREFIX_LEN..]);
            }
            Place::Beyond => {}
        }
        self.stage(false)?;
        if self.fronts[offset].timers.is_empty() && !self.fronts[offset].complete {
            self.refill(offset)?;
        }
        self.update_head(offset, before);
        Ok(())
    }

    /// Whether a timer is registered.
    pub fn contains(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<bool> {
        let offset = self.encode(time, key, namespace)?;
        match self.fronts[offset].place(&self.key_buf[keys::PREFIX_LEN..]) {
            Place::Held => Ok(true),
            Place::Absent => Ok(false),
            Place::Beyond => {
                if let Some(&present) = self.pending.get(self.key_buf.as_slice()) {
                    return Ok(present);
                }
                let cf = self.db.cf(&self.column_family)?;
                let found = self
                    .db
                    .db
                    .get_pinned_cf(&cf, &self.key_buf)
                    .map_err(|source| self.db.error("read a timer", source))?;
                Ok(found.is_some())
            }
        }
    }

    /// The earliest timer's time.
    pub fn peek(&self) -> Option<Timestamp> {
        self.heads.first().map(|&(time, _)| time)
    }

    /// Removes and returns the earliest timer at or before `limit`.
    pub fn pop_due(&mut self, limit: Timestamp) -> Result<Option<(Timestamp, K, N)>> {
        let Some(&(time, offset)) = self.heads.first() else { return Ok(None) };
        if time > limit {
            return Ok(None);
        }
        let offset = offset as usize;
        let front = &mut self.fronts[offset];
        let timer = front.timers.pop_first().ok_or_else(|| {
            StateError::Store(format!("timer queue '{}': a key group's head is not in its front", self.column_family))
        })?;
        self.key_buf.clear();
        self.key_buf.extend_from_slice(&keys::prefix(self.range.start + offset as u32));
        self.key_buf.extend_from_slice(&timer);
        self.stage(false)?;
        if self.fronts[offset].timers.is_empty() && !self.fronts[offset].complete {
            self.refill(offset)?;
        }
        self.update_head(offset, Some(time));
        let (key, namespace) = self.decode(&timer)?;
        Ok(Some((time, key, namespace)))
    }

    /// Writes the stored key of a timer into `key_buf`; returns its key group's offset.
    fn encode(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<usize> {
        let group = assign_key_group(key, self.max_parallelism)
            .map_err(|e| StateError::Store(format!("timer queue '{}': {e}", self.column_family)))?;
        let offset = self.range.offset_of(group).ok_or_else(|| {
            StateError::Store(format!(
                "timer queue '{}': a timer of key group {} outside this instance's range {:?}",
                self.column_family, group.0, self.range
            ))
        })?;
        keys::encode_timer(group, time, key, namespace, &mut self.key_buf)
            .map_err(|source| StateError::Encode { state: self.column_family.clone(), source })?;
        Ok(offset)
    }

    fn decode(&self, timer: &[u8]) -> Result<(K, N)> {
        postcard::from_bytes(&timer[keys::TIME_LEN..])
            .map_err(|source| StateError::DecodeStored { state: self.column_family.clone(), source })
    }

    /// Stages a put (`present`) or a delete of the timer whose stored key is in `key_buf`.
    fn stage(&mut self, present: bool) -> Result<()> {
        self.pending.insert(self.key_buf.as_slice().into(), present);
        if self.pending.len() >= MOST_PENDING {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the staged puts and deletes into the database: before a snapshot of it.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let cf = self.db.cf(&self.column_family)?;
        let mut batch = WriteBatch::default();
        for (key, present) in self.pending.drain() {
            if present {
                batch.put_cf(&cf, key, []);
            } else {
                batch.delete_cf(&cf, key);
            }
        }
        self.db.write(batch)
    }

    /// Reads the front of group `offset` from the database (one seek, after the staged writes).
    fn refill(&mut self, offset: usize) -> Result<()> {
        self.flush()?;
        let before = self.fronts[offset].head();
        let group = self.range.start + offset as u32;
        let mut read = rocksdb::ReadOptions::default();
        read.set_iterate_lower_bound(keys::group_start(group));
        read.set_iterate_upper_bound(keys::group_start(group + 1));
        let front = &mut self.fronts[offset];
        front.timers.clear();
        {
            let cf = self.db.cf(&self.column_family)?;
            for item in self.db.db.iterator_cf_opt(&cf, read, rocksdb::IteratorMode::Start).take(GROUP_FRONT) {
                let (stored, _) = item.map_err(|source| self.db.error("read timers", source))?;
                let timer = stored.get(keys::PREFIX_LEN..).filter(|t| t.len() >= keys::TIME_LEN).ok_or_else(|| {
                    StateError::Store(format!("timer queue '{}' holds a malformed key", self.column_family))
                })?;
                front.timers.insert(timer.into());
            }
        }
        front.complete = front.timers.len() < GROUP_FRONT;
        self.update_head(offset, before);
        Ok(())
    }

    /// Moves group `offset`'s entry in `heads` from its earliest time `before` to its current one.
    fn update_head(&mut self, offset: usize, before: Option<Timestamp>) {
        let now = self.fronts[offset].head();
        if now != before {
            if let Some(time) = before {
                self.heads.remove(&(time, offset as u32));
            }
            if let Some(time) = now {
                self.heads.insert((time, offset as u32));
            }
        }
    }

    /// Every timer, in firing order, removed from the queue (to move them into memory).
    pub fn drain(&mut self) -> Result<Vec<(Timestamp, K, N)>> {
        let mut drained = Vec::new();
        while let Some(timer) = self.pop_due(Timestamp::MAX)? {
            drained.push(timer);
        }
        self.flush()?;
        Ok(drained)
    }
}

/// Reads the timers of column family `column_family` of a database opened read-only (a
/// checkpoint taken for a full snapshot), in firing order.
pub(crate) fn read_all<K: DeserializeOwned, N: DeserializeOwned>(
    db: &rocksdb::DB,
    column_family: &str,
) -> Result<Vec<(Timestamp, K, N)>> {
    let Some(cf) = db.cf_handle(column_family) else { return Ok(Vec::new()) };
    let corrupt = || StateError::Store(format!("timer queue '{column_family}' holds a malformed key"));
    let mut timers = Vec::new();
    for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
        let (stored, _) = item.map_err(|source| StateError::RocksDb {
            action: "read timers for a snapshot".into(),
            path: db.path().to_path_buf(),
            source,
        })?;
        let (KeyGroup(group), timer) = keys::split(&stored).ok_or_else(corrupt)?;
        let time = keys::decode_time(timer).ok_or_else(corrupt)?;
        let (key, namespace): (K, N) = postcard::from_bytes(&timer[keys::TIME_LEN..])
            .map_err(|source| StateError::DecodeStored { state: column_family.to_string(), source })?;
        timers.push((time, group, key, namespace));
    }
    // Stored in (group, time) order; a stable sort by time gives the queue's (time, group) order.
    timers.sort_by_key(|&(time, group, _, _)| (time, group));
    Ok(timers.into_iter().map(|(time, _, key, namespace)| (time, key, namespace)).collect())
}
