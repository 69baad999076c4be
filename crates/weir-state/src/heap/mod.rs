//! The heap backend: keyed state as typed values in memory, one hash map per key group.
//!
//! Each registered state is a [`StateTable`]: a vector with one map per key group of the
//! subtask's range, from key to that key's state. Keeping the maps apart per key group is what
//! will let a snapshot write key group by key group and a restore at another parallelism pick
//! exactly the key groups it owns.
//!
//! It is **not** thread-safe and needs not be: one backend belongs to one subtask, used from that
//! subtask's thread only. Snapshots (copy-on-write, so processing pauses only briefly) come with
//! the checkpoint issue.

mod handles;
mod table;

pub use handles::{ListState, MapState, ValueState};

use crate::descriptor::{ListStateDescriptor, MapStateDescriptor, SlotCache, StateKind, ValueStateDescriptor};
use crate::error::{Result, StateError};
use table::{ErasedTable, StateTable};
use weir_core::{Data, Key, KeyGroup, KeyGroupRange};

/// One registered piece of state.
struct RegisteredState {
    name: String,
    kind: StateKind,
    type_name: &'static str,
    table: Box<dyn ErasedTable>,
}

/// The in-memory keyed state of one subtask.
pub struct HeapKeyedStateBackend<K> {
    range: KeyGroupRange,
    states: Vec<RegisteredState>,
    /// The current key and the position of its key group in `range`.
    current: Option<(K, usize)>,
}

impl<K: Key> HeapKeyedStateBackend<K> {
    /// A backend for the key groups of `range`.
    pub fn new(range: KeyGroupRange) -> Self {
        HeapKeyedStateBackend { range, states: Vec::new(), current: None }
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
        let (map, key) = self.table::<V>(descriptor.name(), &descriptor.slot, StateKind::Value)?;
        Ok(ValueState::new(map, key))
    }

    /// The list state of the current key.
    pub fn list<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<ListState<'_, K, V>> {
        let (map, key) = self.table::<Vec<V>>(descriptor.name(), &descriptor.slot, StateKind::List)?;
        Ok(ListState::new(map, key))
    }

    /// The map state of the current key.
    pub fn map<UK: Key, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<'_, K, UK, UV>> {
        let (map, key) =
            self.table::<rustc_hash::FxHashMap<UK, UV>>(descriptor.name(), &descriptor.slot, StateKind::Map)?;
        Ok(MapState::new(map, key))
    }

    /// Reads one entry of the current key's map state without registering anything: `None` if
    /// the state was never written.
    pub fn map_get<UK: Key, UV: Data>(
        &self,
        descriptor: &MapStateDescriptor<UK, UV>,
        user_key: &UK,
    ) -> Result<Option<&UV>> {
        let name = descriptor.name();
        let (key, offset) =
            self.current.as_ref().ok_or_else(|| StateError::NoCurrentKey { state: name.to_string() })?;
        let Some(registered) = self.states.iter().find(|s| s.name == name) else { return Ok(None) };
        let table =
            registered.table.as_any().downcast_ref::<StateTable<K, rustc_hash::FxHashMap<UK, UV>>>().ok_or_else(
                || {
                    StateError::mismatch(
                        name,
                        (registered.kind, registered.type_name),
                        (StateKind::Map, std::any::type_name::<rustc_hash::FxHashMap<UK, UV>>()),
                    )
                },
            )?;
        Ok(table.group(*offset).get(key).and_then(|m| m.get(user_key)))
    }

    /// How many keys hold some state, over all registered states (for tests and metrics).
    pub fn entry_count(&self) -> usize {
        self.states.iter().map(|s| s.table.entry_count()).sum()
    }

    /// Finds (or registers) a state and returns its map for the current key group with the key.
    fn table<S: Send + 'static>(
        &mut self,
        name: &str,
        cache: &SlotCache,
        kind: StateKind,
    ) -> Result<(&mut rustc_hash::FxHashMap<K, S>, &K)> {
        let slot = self.slot_of::<S>(name, cache, kind)?;
        let (key, offset) =
            self.current.as_ref().ok_or_else(|| StateError::NoCurrentKey { state: name.to_string() })?;
        let registered = &mut self.states[slot];
        let table = registered.table.as_any_mut().downcast_mut::<StateTable<K, S>>().ok_or_else(|| {
            StateError::mismatch(name, (registered.kind, registered.type_name), (kind, std::any::type_name::<S>()))
        })?;
        Ok((table.group_mut(*offset), key))
    }

    fn slot_of<S: Send + 'static>(&mut self, name: &str, cache: &SlotCache, kind: StateKind) -> Result<usize> {
        if let Some(slot) = cache.get()
            && self.states.get(slot).is_some_and(|s| s.name == name && s.kind == kind)
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
                self.states.push(RegisteredState {
                    name: name.to_string(),
                    kind,
                    type_name: std::any::type_name::<S>(),
                    table: Box::new(StateTable::<K, S>::new(self.range.len())),
                });
                self.states.len() - 1
            }
        };
        cache.set(slot);
        Ok(slot)
    }
}

#[cfg(test)]
mod tests;
