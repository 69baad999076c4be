//! The heap backend: keyed state as typed values in memory, one hash map per key group.
//!
//! Each registered state is a `StateTable`: a vector with one map per key group of the
//! subtask's range, from key to that key's state. Keeping the maps apart per key group is what
//! lets a snapshot write key group by key group ([`KeyedStateSnapshot`]) and a restore at another
//! parallelism pick exactly the key groups it owns.
//!
//! States register lazily, typed by the descriptor of their first access. A restore therefore
//! keeps each state's entries serialized until a descriptor names it (module `restored`), and a
//! snapshot writes such untouched states back as they came.
//!
//! TTL state (see [`crate::ttl`]) stores a timestamp beside each value, read from the backend's
//! [`Clock`] only when a TTL state is accessed or snapshotted.
//!
//! It is **not** thread-safe and needs not be: one backend belongs to one subtask, used from that
//! subtask's thread only. A snapshot is taken in two parts: [`freeze`](KeyedStateBackend::freeze)
//! on the subtask's thread, which costs about one allocation per state and key group whatever
//! the size of the state (copy-on-write, module `table`), then [`FrozenKeyedState::encode`] on any
//! thread. It does no I/O: the bytes go to checkpoint storage elsewhere.

mod aggregating;
mod frozen;
mod list;
mod map;
mod reducing;
mod restored;
mod snapshot;
mod table;
mod value;

pub use aggregating::AggregatingState;
pub use frozen::FrozenKeyedState;
pub use list::ListState;
pub use map::MapState;
pub use reducing::ReducingState;
pub use snapshot::{KEYED_SNAPSHOT_VERSION, KeyedStateSnapshot};
pub use value::ValueState;

pub(crate) use frozen::FrozenState;
pub(crate) use snapshot::{KeyGroupSnapshot, StateEntries};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;
use weir_core::clock::{Clock, SystemClock};
use weir_core::snapshot::RestoredFile;
use weir_core::{Data, Key, KeyGroup, KeyGroupRange, Timestamp};

use crate::descriptor::{
    AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, SlotCache, StateKind,
    ValueStateDescriptor, next_backend_id,
};
use crate::error::{Result, StateError};
use crate::ttl::{Stamped, StateTtlConfig, TtlList};
use frozen::FrozenContents;
use restored::{RestoredGroup, RestoredState};

use crate::rocksdb::RocksDbStore;
pub(crate) use table::EntryCodec;
use table::{ErasedTable, StateTable};

/// One registered piece of state.
pub(crate) struct RegisteredState<K> {
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    type_name: &'static str,
    pub(crate) ttl: Option<StateTtlConfig>,
    pub(crate) table: Box<dyn ErasedTable>,
    /// Moves single keys' states between the table and bytes (for the RocksDB store).
    pub(crate) codec: EntryCodec<K>,
}

/// What a descriptor asks for when it is first used.
struct Registration<'d> {
    name: &'d str,
    cache: &'d SlotCache,
    kind: StateKind,
    ttl: Option<StateTtlConfig>,
}

/// The keyed state of one subtask: typed tables in memory (the `hashmap` backend), or, with a
/// RocksDB store under them (the `rocksdb` backend, [`Self::rocksdb`]), the same tables as a
/// bounded write-back cache of the keys in use.
pub struct KeyedStateBackend<K> {
    range: KeyGroupRange,
    states: Vec<RegisteredState<K>>,
    /// Restored states no descriptor has registered yet, by name.
    restored: BTreeMap<String, RestoredState>,
    /// The current key and the position of its key group in `range`.
    current: Option<(K, usize)>,
    /// Processing time for TTL.
    clock: Arc<dyn Clock>,
    /// Tags the slots descriptors cache (states are only ever appended to `states`, so a slot
    /// cached for this backend stays valid).
    id: u64,
    /// The `rocksdb` backend's database, under the tables; `None` for the `hashmap` backend.
    pub(crate) store: Option<RocksDbStore<K>>,
}

impl<K: Key> KeyedStateBackend<K> {
    /// A `hashmap` backend (all state in memory) for the key groups of `range`, with the system
    /// clock for TTL.
    pub fn new(range: KeyGroupRange) -> Self {
        KeyedStateBackend {
            range,
            states: Vec::new(),
            restored: BTreeMap::new(),
            current: None,
            clock: Arc::new(SystemClock::default()),
            id: next_backend_id(),
            store: None,
        }
    }

    /// A `rocksdb` backend for the key groups of `range`: state in an embedded RocksDB under
    /// `options.local_dir`, the keys in use cached in typed tables within the memory bound of
    /// `options`. `name` names the working directory (the operator and subtask, for people).
    pub fn rocksdb(range: KeyGroupRange, options: &crate::config::RocksDbOptions, name: &str) -> Result<Self> {
        let store = RocksDbStore::open(range, options, name)?;
        Ok(KeyedStateBackend { store: Some(store), ..KeyedStateBackend::new(range) })
    }

    /// The backend `config` chooses (`state.backend.type`, see [`crate::config`]).
    pub fn from_config(range: KeyGroupRange, config: &crate::config::StateBackendConfig, name: &str) -> Result<Self> {
        match &config.rocksdb {
            None => Ok(KeyedStateBackend::new(range)),
            Some(options) => KeyedStateBackend::rocksdb(range, options, name),
        }
    }

    /// Whether state lives in RocksDB (the `rocksdb` backend).
    pub fn is_rocksdb(&self) -> bool {
        self.store.is_some()
    }

    /// Uses `clock` for TTL timestamps (a manual clock in tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// Sets the key that state accesses are scoped to. Fails if this subtask does not own `group`.
    pub fn set_current_key(&mut self, key: K, group: KeyGroup) -> Result<()> {
        let offset = self.range.offset_of(group).ok_or(StateError::KeyGroupOutOfRange { group, range: self.range })?;
        self.current = Some((key, offset));
        Ok(())
    }

    /// The key state accesses are scoped to, if any.
    pub fn current_key(&self) -> Option<&K> {
        self.current.as_ref().map(|(key, _)| key)
    }

    /// The value state of the current key.
    pub fn value<V: Data>(&mut self, descriptor: &ValueStateDescriptor<V>) -> Result<ValueState<'_, K, V>> {
        let registration = Registration::new(descriptor.name(), &descriptor.slot, StateKind::Value, descriptor.ttl());
        self.value_of(registration)
    }

    /// The value of `key`'s value state `descriptor` if it is in memory, without scoping state to
    /// the key and without registering anything: for looking ahead at what the next records
    /// will touch (prefetching). `None` when the state is not registered yet or has a TTL, when
    /// state lives in RocksDB (the `rocksdb` backend), or when `group` is not this backend's.
    #[inline]
    pub fn peek_value<V: Data>(&self, descriptor: &ValueStateDescriptor<V>, key: &K, group: KeyGroup) -> Option<&V> {
        if self.store.is_some() || descriptor.ttl().is_some() {
            return None;
        }
        let registered = self.states.get(descriptor.slot.get(self.id)?)?;
        if registered.kind != StateKind::Value {
            return None;
        }
        let table = registered.table.as_any().downcast_ref::<StateTable<K, V>>()?;
        table.group(self.range.offset_of(group)?).get(key)
    }

    /// The list state of the current key.
    pub fn list<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<ListState<'_, K, V>> {
        let registration = Registration::new(descriptor.name(), &descriptor.slot, StateKind::List, descriptor.ttl());
        match registration.ttl {
            None => {
                let (map, key) = self.table::<Vec<V>>(registration, StateTable::new)?;
                Ok(ListState::new(map, key))
            }
            Some(ttl) => {
                let expiry = ttl.expiry(self.clock.now_millis(), true);
                let (map, key) = self.table::<TtlList<V>>(registration, StateTable::expiring)?;
                Ok(ListState::with_ttl(map, key, expiry))
            }
        }
    }

    /// The map state of the current key.
    pub fn map<UK: Key, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<'_, K, UK, UV>> {
        let registration = Registration::new(descriptor.name(), &descriptor.slot, StateKind::Map, descriptor.ttl());
        match registration.ttl {
            None => {
                let (map, key) = self.table::<FxHashMap<UK, UV>>(registration, StateTable::new)?;
                Ok(MapState::new(map, key))
            }
            Some(ttl) => {
                let expiry = ttl.expiry(self.clock.now_millis(), true);
                let (map, key) = self.table::<FxHashMap<UK, Stamped<UV>>>(registration, StateTable::expiring)?;
                Ok(MapState::with_ttl(map, key, expiry))
            }
        }
    }

    /// The reducing state of the current key.
    pub fn reducing<'s, V: Data>(
        &'s mut self,
        descriptor: &'s ReducingStateDescriptor<V>,
    ) -> Result<ReducingState<'s, K, V>> {
        let registration =
            Registration::new(descriptor.name(), &descriptor.slot, StateKind::Reducing, descriptor.ttl());
        Ok(ReducingState::new(self.value_of(registration)?, &*descriptor.reduce))
    }

    /// The aggregating state of the current key.
    pub fn aggregating<'s, IN, ACC: Data, OUT>(
        &'s mut self,
        descriptor: &'s AggregatingStateDescriptor<IN, ACC, OUT>,
    ) -> Result<AggregatingState<'s, K, IN, ACC, OUT>> {
        let registration =
            Registration::new(descriptor.name(), &descriptor.slot, StateKind::Aggregating, descriptor.ttl());
        Ok(AggregatingState::new(self.value_of(registration)?, &*descriptor.aggregate))
    }

    /// Drops the entries of map state `descriptor` whose user key `keep` rejects, for **every**
    /// key of the range (not only the current one), and the keys left with no entry; returns
    /// how many entries went. For cleanups that no key's own records drive (Flink's
    /// `applyToAllKeys`): the window operator drops with it the per-window state of windows
    /// cleaned up before the state's descriptor was first used. Registers the state as any
    /// access does; a key group with nothing to drop is only read (so not copied while a
    /// snapshot reads it). The cost is the state's size: not for per-record use.
    pub fn retain_map_entries<UK: Key, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
        keep: impl FnMut(&UK) -> bool,
    ) -> Result<usize> {
        let registration = Registration::new(descriptor.name(), &descriptor.slot, StateKind::Map, descriptor.ttl());
        Ok(match registration.ttl {
            None => retain_entries(self.whole_table::<FxHashMap<UK, UV>>(registration, StateTable::new)?, keep),
            Some(_) => retain_entries(
                self.whole_table::<FxHashMap<UK, Stamped<UV>>>(registration, StateTable::expiring)?,
                keep,
            ),
        })
    }

    /// Reads one entry of the current key's map state: `None` if the state was never written.
    /// The `hashmap` backend registers nothing for it and sees restored state too (decoding it
    /// on first use); the `rocksdb` backend reads through the state's cache as any access does.
    pub fn map_get<UK: Key, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
        user_key: &UK,
    ) -> Result<Option<UV>> {
        if self.store.is_some() {
            return Ok(self.map(descriptor)?.get(user_key).cloned());
        }
        let name = descriptor.name();
        let (key, offset) =
            self.current.as_ref().ok_or_else(|| StateError::NoCurrentKey { state: name.to_string() })?;
        match descriptor.ttl() {
            None => {
                let Some(table) = self.readable::<FxHashMap<UK, UV>>(name, None, StateTable::new)? else {
                    return Ok(None);
                };
                Ok(table.group(*offset).get(key).and_then(|m| m.get(user_key)).cloned())
            }
            Some(ttl) => {
                let Some(table) =
                    self.readable::<FxHashMap<UK, Stamped<UV>>>(name, Some(*ttl), StateTable::expiring)?
                else {
                    return Ok(None);
                };
                let expiry = ttl.expiry(self.clock.now_millis(), true);
                let entry = table.group(*offset).get(key).and_then(|m| m.get(user_key));
                Ok(entry.filter(|v| !expiry.is_expired(v.stamp.get())).map(|v| {
                    expiry.read(&v.stamp);
                    v.value.clone()
                }))
            }
        }
    }

    /// How many keys hold some state, over all registered states (for tests and metrics); with
    /// the `rocksdb` backend, RocksDB's estimate.
    pub fn entry_count(&self) -> usize {
        match &self.store {
            None => self.states.iter().map(|s| s.table.entry_count()).sum(),
            Some(store) => store.count_entries(&self.states),
        }
    }

    /// How many entries (keys per state) a snapshot would write, restored states not yet
    /// accessed included; TTL values that expired but were not dropped yet count too.
    pub fn snapshot_size_hint(&self) -> usize {
        self.entry_count() + self.restored.values().map(|r| r.entry_count() as usize).sum::<usize>()
    }

    /// A snapshot of every registered state of every key group of the range in the canonical
    /// format, serialized now (on this thread): a full [`snapshot_job`](Self::snapshot_job), run
    /// at once.
    pub fn snapshot(&mut self) -> Result<KeyedStateSnapshot> {
        self.snapshot_job(0, true)?.encode()
    }

    /// The synchronous part of a snapshot for checkpoint `id`; the returned job does the rest on
    /// another thread. The `hashmap` backend freezes its tables ([`Self::freeze`]); the
    /// `rocksdb` backend writes its cache down and takes a RocksDB checkpoint (hard links), which
    /// the job then turns into the canonical format or, when `incremental` is set and this is no
    /// savepoint, uploads as it is: only files not uploaded before (see `crate::rocksdb`).
    pub fn snapshot_job(&mut self, id: u64, savepoint: bool) -> Result<crate::KeyedSnapshotJob> {
        if self.store.is_none() {
            return Ok(crate::KeyedSnapshotJob::Frozen(self.freeze()));
        }
        let restored = self.frozen_restored();
        match &mut self.store {
            None => Ok(crate::KeyedSnapshotJob::Frozen(self.freeze())),
            Some(store) if store.incremental() && !savepoint => {
                Ok(crate::KeyedSnapshotJob::Incremental(store.incremental_snapshot(&mut self.states, restored, id)?))
            }
            Some(store) => Ok(crate::KeyedSnapshotJob::Full(store.full_snapshot(&mut self.states, restored, id)?)),
        }
    }

    /// Timer queue `name` (a time domain) stored in this backend's database, for the keyed
    /// operator instance's timers: `None` for the `hashmap` backend and with
    /// `state.backend.rocksdb.timer-service.factory: heap`, where the operator keeps timers in
    /// memory. Open it after any restore (a restore replaces the database; the queue reads the
    /// restored timers), and [`flush`](crate::rocksdb::StoredTimerQueue::flush) it before every
    /// [`Self::snapshot_job`]: it stages its writes.
    pub fn timer_queue<N>(
        &self,
        name: &str,
        max_parallelism: usize,
    ) -> Result<Option<crate::rocksdb::StoredTimerQueue<K, N>>>
    where
        N: serde::Serialize + serde::de::DeserializeOwned,
    {
        match &self.store {
            Some(store) => store.timer_queue(name, max_parallelism),
            None => Ok(None),
        }
    }

    /// Timers of queue `name` that a restored database holds, taken out of it: for an operator
    /// that keeps timers in memory restoring a snapshot whose database stored them.
    pub fn take_stored_timers<N>(&self, name: &str, max_parallelism: usize) -> Result<Vec<(Timestamp, K, N)>>
    where
        N: serde::Serialize + serde::de::DeserializeOwned,
    {
        match &self.store {
            Some(store) => store.take_stored_timers(name, max_parallelism),
            None => Ok(Vec::new()),
        }
    }

    /// Tells the backend that checkpoint `id` completed: an incremental backend takes its files
    /// as the base the next snapshots reference.
    pub fn notify_checkpoint_complete(&mut self, id: u64) {
        if let Some(store) = &mut self.store {
            store.checkpoint_complete(id);
        }
    }

    /// The synchronous part of a snapshot: the state as it is now, frozen without copying any
    /// entry (see module `table`), to be serialized by [`FrozenKeyedState::encode`] on another
    /// thread while this backend goes on. TTL values expired now are left out. Restored states
    /// not accessed since are written as they were restored (their types are unknown, so values
    /// that expired in the meantime are only dropped once a descriptor names them).
    ///
    /// One thing a later access can still change in a frozen table: a read-only
    /// [`map_get`](Self::map_get) of TTL state under `OnReadAndWrite` refreshes the entry's
    /// timestamp in place, so the snapshot may carry that later access time.
    ///
    /// The `hashmap` backend's snapshot only: with the `rocksdb` backend use
    /// [`snapshot_job`](Self::snapshot_job).
    pub fn freeze(&mut self) -> FrozenKeyedState {
        // The clock is read only when some state has a TTL.
        let now = if self.has_ttl() { self.clock.now_millis() } else { 0 };
        let mut states = Vec::with_capacity(self.states.len() + self.restored.len());
        for s in &mut self.states {
            let expiry = s.ttl.map(|ttl| ttl.expiry(now, false));
            let contents = FrozenContents::Table(s.table.freeze(expiry));
            states.push(FrozenState { name: s.name.clone(), kind: s.kind, ttl: s.ttl.is_some(), contents });
        }
        states.extend(freeze_restored(&mut self.restored, now));
        FrozenKeyedState { range: self.range, states }
    }

    /// The restored states no descriptor named yet, frozen for a snapshot.
    fn frozen_restored(&mut self) -> Vec<FrozenState> {
        let now = if self.restored.values().any(|r| r.ttl) { self.clock.now_millis() } else { 0 };
        freeze_restored(&mut self.restored, now)
    }

    /// Restores from the snapshots of one or more previous subtasks (after rescaling their ranges
    /// may overlap this range only partly): keeps exactly the key groups of this backend's range,
    /// ignores the others. Replaces all state the backend held.
    ///
    /// States registered already are decoded at once; the others stay serialized until their
    /// descriptor is first used (see the module docs). A key group found in two snapshots is an
    /// error. After an error the backend's contents are unspecified: the task should fail.
    pub fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<()> {
        if let Some(store) = &mut self.store {
            store.clear(&mut self.states)?;
        }
        self.states.iter_mut().for_each(|s| s.table.clear());
        self.restored.clear();
        self.restore_into(snapshots)
    }

    /// Restores from snapshot bytes as operators hand them over — the canonical format of
    /// either backend, or the `rocksdb` backend's incremental snapshots with their files — each
    /// with the files its checkpoint listed for it. Keeps exactly this range's key groups
    /// (see [`Self::restore`]); the backend must be fresh. An incremental snapshot needs the
    /// `rocksdb` backend.
    pub fn restore_snapshots(&mut self, snapshots: &[(&[u8], Arc<Vec<RestoredFile>>)]) -> Result<()> {
        let mut canonical = Vec::new();
        let mut incremental = Vec::new();
        for (bytes, files) in snapshots {
            if bytes.starts_with(crate::rocksdb::INCREMENTAL_SNAPSHOT_MAGIC) {
                incremental.push((crate::rocksdb::incremental_handle(bytes)?, Arc::clone(files)));
            } else {
                let snapshot = KeyedStateSnapshot::from_bytes(bytes)?;
                if snapshot.key_group_range().intersects(&self.range) {
                    canonical.push(snapshot);
                }
            }
        }
        if !incremental.is_empty() {
            let Some(store) = &mut self.store else {
                return Err(StateError::Unrestorable(
                    "the state was written by an incremental checkpoint of the rocksdb backend, which only that \
                     backend reads: restore it with state.backend.type: rocksdb, or take a savepoint (always in \
                     the canonical format) with it and restore that"
                        .into(),
                ));
            };
            canonical.extend(store.restore_incremental(incremental)?);
        }
        self.restore_into(&canonical)
    }

    /// Adds the key groups of `snapshots` in this range to what the backend holds.
    fn restore_into(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<()> {
        let mut decoded: FxHashSet<(usize, usize)> = FxHashSet::default();
        for snapshot in snapshots {
            for group in &snapshot.groups {
                let Some(offset) = self.range.offset_of(group.group) else { continue };
                for state in &group.states {
                    self.restore_entries(group.group, offset, state, &mut decoded)?;
                }
            }
        }
        Ok(())
    }

    fn restore_entries(
        &mut self,
        group: KeyGroup,
        offset: usize,
        state: &StateEntries,
        decoded: &mut FxHashSet<(usize, usize)>,
    ) -> Result<()> {
        let duplicate = || StateError::DuplicateKeyGroup { name: state.name.clone(), group };
        if let Some(slot) = self.states.iter().position(|s| s.name == state.name) {
            let registered = &mut self.states[slot];
            check_restorable(&state.name, (registered.kind, registered.ttl.is_some()), (state.kind, state.ttl))?;
            if !decoded.insert((slot, offset)) {
                return Err(duplicate());
            }
            registered.table.decode_group(offset, &state.bytes).map_err(|source| StateError::Decode {
                state: state.name.clone(),
                group,
                source,
            })?;
            if let Some(store) = &mut self.store {
                store.write_down_group(&mut self.states, slot, offset)?;
            }
            return Ok(());
        }
        let len = self.range.len();
        let restored =
            self.restored.entry(state.name.clone()).or_insert_with(|| RestoredState::new(state.kind, state.ttl, len));
        check_restorable(&state.name, (restored.kind, restored.ttl), (state.kind, state.ttl))?;
        let slot = &mut restored.groups[offset];
        if slot.is_some() {
            return Err(duplicate());
        }
        *slot = Some(RestoredGroup { entries: state.entries, bytes: Arc::new(state.bytes.clone()) });
        Ok(())
    }

    fn has_ttl(&self) -> bool {
        self.states.iter().any(|s| s.ttl.is_some()) || self.restored.values().any(|r| r.ttl)
    }

    /// A value-like state (value, reducing, aggregating) of the current key.
    fn value_of<V: Data>(&mut self, registration: Registration<'_>) -> Result<ValueState<'_, K, V>> {
        match registration.ttl {
            None => {
                let (map, key) = self.table::<V>(registration, StateTable::new)?;
                Ok(ValueState::new(map, key))
            }
            Some(ttl) => {
                let expiry = ttl.expiry(self.clock.now_millis(), true);
                let (map, key) = self.table::<Stamped<V>>(registration, StateTable::expiring)?;
                Ok(ValueState::with_ttl(map, key, expiry))
            }
        }
    }

    /// Finds (or registers) a state and returns its map for the current key group with the key.
    fn table<S: Stored>(
        &mut self,
        registration: Registration<'_>,
        make: fn(usize) -> StateTable<K, S>,
    ) -> Result<(&mut FxHashMap<K, S>, &K)> {
        let (name, kind) = (registration.name, registration.kind);
        let slot = self.slot_of::<S>(registration, make)?;
        let (key, offset) =
            self.current.as_ref().ok_or_else(|| StateError::NoCurrentKey { state: name.to_string() })?;
        if let Some(store) = &mut self.store {
            store.make_resident(&mut self.states, slot, key, *offset)?;
        }
        let table = typed_table::<K, S>(&mut self.states[slot], name, kind)?;
        Ok((table.group_mut(*offset), key))
    }

    /// Finds (or registers) a state and returns its table, every key group.
    fn whole_table<S: Stored>(
        &mut self,
        registration: Registration<'_>,
        make: fn(usize) -> StateTable<K, S>,
    ) -> Result<&mut StateTable<K, S>> {
        let (name, kind) = (registration.name, registration.kind);
        let slot = self.slot_of::<S>(registration, make)?;
        if let Some(store) = &mut self.store {
            store.make_all_resident(&mut self.states, slot)?;
        }
        typed_table::<K, S>(&mut self.states[slot], name, kind)
    }

    fn slot_of<S: Stored>(
        &mut self,
        registration: Registration<'_>,
        make: fn(usize) -> StateTable<K, S>,
    ) -> Result<usize> {
        let Registration { name, cache, kind, ttl } = registration;
        if let Some(slot) = cache.get(self.id)
            && self.states.get(slot).is_some_and(|s| s.kind == kind)
        {
            return Ok(slot);
        }
        if name.is_empty() {
            return Err(StateError::EmptyName);
        }
        let slot = match self.states.iter().position(|s| s.name == name) {
            Some(slot) => {
                let s = &self.states[slot];
                if s.kind != kind {
                    return Err(StateError::mismatch(name, (s.kind, s.type_name), (kind, std::any::type_name::<S>())));
                }
                slot
            }
            None => {
                let table = self.new_table(name, kind, ttl, make)?;
                self.restored.remove(name);
                self.states.push(RegisteredState {
                    name: name.to_string(),
                    kind,
                    type_name: std::any::type_name::<S>(),
                    ttl,
                    table,
                    codec: EntryCodec::of::<S>(),
                });
                let slot = self.states.len() - 1;
                if let Some(store) = &mut self.store {
                    store.register(&mut self.states, slot)?;
                }
                slot
            }
        };
        cache.set(self.id, slot);
        Ok(slot)
    }

    /// A table for a state registered now: empty, or holding what was restored for its name.
    fn new_table<S: Stored>(
        &mut self,
        name: &str,
        kind: StateKind,
        ttl: Option<StateTtlConfig>,
        make: fn(usize) -> StateTable<K, S>,
    ) -> Result<Box<dyn ErasedTable>> {
        let Some(restored) = self.restored.get_mut(name) else { return Ok(Box::new(make(self.range.len()))) };
        check_restorable(name, (kind, ttl.is_some()), (restored.kind, restored.ttl))?;
        if let Some((table, _)) = restored.decoded.take()
            && table.as_any().is::<StateTable<K, S>>()
        {
            return Ok(table);
        }
        let mut table = make(self.range.len());
        restored.decode_into(name, self.range, &mut table)?;
        Ok(Box::new(table))
    }

    /// A registered or restored state's table for reading, `None` if neither exists.
    fn readable<S: Stored>(
        &self,
        name: &str,
        ttl: Option<StateTtlConfig>,
        make: fn(usize) -> StateTable<K, S>,
    ) -> Result<Option<&StateTable<K, S>>> {
        let requested = (StateKind::Map, std::any::type_name::<S>());
        if let Some(registered) = self.states.iter().find(|s| s.name == name) {
            let table = registered.table.as_any().downcast_ref::<StateTable<K, S>>();
            return table
                .map(Some)
                .ok_or_else(|| StateError::mismatch(name, (registered.kind, registered.type_name), requested));
        }
        let Some(restored) = self.restored.get(name) else { return Ok(None) };
        check_restorable(name, (StateKind::Map, ttl.is_some()), (restored.kind, restored.ttl))?;
        if restored.decoded.get().is_none() {
            let mut table = make(self.range.len());
            restored.decode_into(name, self.range, &mut table)?;
            let _ = restored.decoded.set((Box::new(table), ttl));
        }
        let table = restored.decoded.get().and_then(|(table, _)| table.as_any().downcast_ref::<StateTable<K, S>>());
        table.map(Some).ok_or_else(|| StateError::mismatch(name, (restored.kind, "restored entries"), requested))
    }
}

/// Restored states no descriptor named yet, as a snapshot at `now` writes them.
fn freeze_restored(restored: &mut BTreeMap<String, RestoredState>, now: i64) -> Vec<FrozenState> {
    let mut states = Vec::with_capacity(restored.len());
    for (name, r) in restored {
        let contents = match r.decoded.get_mut() {
            // Read since the restore: its reads may have refreshed TTL timestamps.
            Some((table, ttl)) => FrozenContents::Table(table.freeze(ttl.map(|ttl| ttl.expiry(now, false)))),
            None => FrozenContents::Restored(
                r.groups.iter().map(|g| g.as_ref().map(|g| (g.entries, Arc::clone(&g.bytes)))).collect(),
            ),
        };
        states.push(FrozenState { name: name.clone(), kind: r.kind, ttl: r.ttl, contents });
    }
    states
}

/// The table of a registered state as the type `S` a descriptor asks for.
fn typed_table<'r, K: Key, S: Stored>(
    registered: &'r mut RegisteredState<K>,
    name: &str,
    kind: StateKind,
) -> Result<&'r mut StateTable<K, S>> {
    let (registered_kind, type_name) = (registered.kind, registered.type_name);
    registered
        .table
        .as_any_mut()
        .downcast_mut::<StateTable<K, S>>()
        .ok_or_else(|| StateError::mismatch(name, (registered_kind, type_name), (kind, std::any::type_name::<S>())))
}

/// Drops the map entries `keep` rejects from every key of every key group of `table`, and the
/// keys left empty; a key group with nothing to drop is only read. Returns how many went.
fn retain_entries<K: Eq + std::hash::Hash + Clone, UK: Clone, S: Clone>(
    table: &mut StateTable<K, FxHashMap<UK, S>>,
    mut keep: impl FnMut(&UK) -> bool,
) -> usize {
    let mut removed = 0;
    for offset in 0..table.group_count() {
        if table.group(offset).values().all(|map| map.keys().all(&mut keep)) {
            continue;
        }
        table.group_mut(offset).retain(|_, map| {
            let before = map.len();
            map.retain(|user_key, _| keep(user_key));
            removed += before - map.len();
            !map.is_empty()
        });
    }
    removed
}

/// What a state table may hold: serializable, cloneable (copy-on-write and TTL snapshots) and
/// shareable with the thread that serializes a frozen snapshot.
trait Stored: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}

impl<S: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> Stored for S {}

/// Checks that restored entries (`found`: kind, has TTL) fit the state they are restored into.
pub(crate) fn check_restorable(name: &str, expected: (StateKind, bool), found: (StateKind, bool)) -> Result<()> {
    if expected.0 != found.0 {
        return Err(StateError::Mismatch {
            name: name.to_string(),
            registered: format!("{} (restored)", found.0),
            requested: expected.0.to_string(),
        });
    }
    if expected.1 != found.1 {
        return Err(StateError::TtlMismatch { name: name.to_string(), snapshot_ttl: found.1 });
    }
    Ok(())
}

impl<'d> Registration<'d> {
    fn new(name: &'d str, cache: &'d SlotCache, kind: StateKind, ttl: Option<&StateTtlConfig>) -> Self {
        Registration { name, cache, kind, ttl: ttl.copied() }
    }
}

#[cfg(test)]
mod tests;
