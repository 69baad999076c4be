//! Operator state: state of a subtask rather than of a key (a source's offsets, a buffer).
//!
//! Three kinds, distinguished by what a restore at another parallelism does with them
//! ([`OperatorStateMode`], see module `redistribute`):
//! - **list state** (`split`): the elements of all old subtasks are dealt round-robin to the new
//!   ones, so each gets a share and none is lost or duplicated;
//! - **union list state**: every new subtask gets every element of every old subtask;
//! - **broadcast state**: a map meant to be identical on every subtask; every new subtask takes
//!   the copy of the lowest old subtask that has one (subtask 0 normally: as the copies are equal,
//!   any would do, and taking a fixed one keeps restores deterministic).
//!
//! At unchanged parallelism ([`OperatorStateBackend::restore_in_place`]) a subtask keeps its own
//! list and broadcast state, and union list state is still the union of every old subtask's (as
//! Flink's: a union list is "all elements on restore", whatever the parallelism).
//!
//! States are typed on first access, like keyed state: restored elements stay serialized until
//! a descriptor names them, and are written back unchanged if none does. Operator state has no
//! TTL (as in Flink). It is **not** thread-safe (one backend per subtask) and does no I/O.

mod broadcast;
mod list;
mod redistribute;
mod snapshot;

pub use broadcast::{BroadcastState, ReadOnlyBroadcastState};
pub use list::OperatorListState;
pub use snapshot::{OPERATOR_SNAPSHOT_VERSION, OperatorStateMode, OperatorStateSnapshot};

use rustc_hash::FxHashMap;
use std::any::Any;
use std::collections::BTreeMap;
use weir_core::{Data, Key};

use crate::descriptor::{ListStateDescriptor, MapStateDescriptor};
use crate::error::{Result, StateError};
use snapshot::OperatorStateEntries;

/// The operator state of one subtask.
#[derive(Default)]
pub struct OperatorStateBackend {
    states: BTreeMap<String, NamedState>,
}

struct NamedState {
    mode: OperatorStateMode,
    contents: Contents,
}

enum Contents {
    /// Restored and not named by a descriptor yet: one postcard blob per element.
    Serialized(Vec<Vec<u8>>),
    Typed {
        type_name: &'static str,
        state: Box<dyn ErasedOperatorState>,
    },
}

impl OperatorStateBackend {
    pub fn new() -> Self {
        OperatorStateBackend::default()
    }

    /// The list state `descriptor` names, redistributed round-robin on rescale.
    pub fn list_state<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<OperatorListState<'_, V>> {
        check_no_ttl(descriptor.name(), descriptor.ttl().is_some())?;
        let list = self.typed::<Vec<V>>(descriptor.name(), OperatorStateMode::SplitList)?;
        Ok(OperatorListState::new(list))
    }

    /// The union list state `descriptor` names: every subtask gets all elements on restore.
    pub fn union_list_state<V: Data>(
        &mut self,
        descriptor: &ListStateDescriptor<V>,
    ) -> Result<OperatorListState<'_, V>> {
        check_no_ttl(descriptor.name(), descriptor.ttl().is_some())?;
        let list = self.typed::<Vec<V>>(descriptor.name(), OperatorStateMode::UnionList)?;
        Ok(OperatorListState::new(list))
    }

    /// The broadcast state `descriptor` names: a map the same on every subtask.
    pub fn broadcast_state<K: Key, V: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Result<BroadcastState<'_, K, V>> {
        check_no_ttl(descriptor.name(), descriptor.ttl().is_some())?;
        let map = self.typed::<FxHashMap<K, V>>(descriptor.name(), OperatorStateMode::Broadcast)?;
        Ok(BroadcastState::new(map))
    }

    /// Every state, serialized element by element (so a restore can deal elements out without
    /// knowing their type).
    pub fn snapshot(&self) -> Result<OperatorStateSnapshot> {
        let mut states = Vec::with_capacity(self.states.len());
        for (name, state) in &self.states {
            let elements = match &state.contents {
                Contents::Serialized(elements) => elements.clone(),
                Contents::Typed { state, .. } => {
                    state.encode().map_err(|source| StateError::Encode { state: name.clone(), source })?
                }
            };
            states.push(OperatorStateEntries { name: name.clone(), mode: state.mode, elements });
        }
        Ok(OperatorStateSnapshot { states })
    }

    /// Restores subtask `new_subtask` of `new_parallelism` from the snapshots of **all** old
    /// subtasks, in old subtask order: list state round-robin, union state whole, broadcast state
    /// from the lowest old subtask holding it. Replaces all state the backend held.
    pub fn restore(
        &mut self,
        snapshots_of_all_old_subtasks: &[OperatorStateSnapshot],
        new_subtask: usize,
        new_parallelism: usize,
    ) -> Result<()> {
        let shares = redistribute::share_of(snapshots_of_all_old_subtasks, new_subtask, new_parallelism)?;
        self.set_restored(shares);
        Ok(())
    }

    /// Restores a subtask at unchanged parallelism from its own old snapshot (`None` if it kept
    /// no state) and the snapshots of all old subtasks, in old subtask order (its own among
    /// them): list and broadcast state from its own, union list state from all. Replaces all
    /// state the backend held.
    pub fn restore_in_place(
        &mut self,
        own: Option<&OperatorStateSnapshot>,
        snapshots_of_all_old_subtasks: &[OperatorStateSnapshot],
    ) -> Result<()> {
        let shares = redistribute::share_in_place(own, snapshots_of_all_old_subtasks)?;
        self.set_restored(shares);
        Ok(())
    }

    fn set_restored(&mut self, shares: redistribute::Shares) {
        self.states = shares
            .into_iter()
            .map(|(name, (mode, elements))| (name, NamedState { mode, contents: Contents::Serialized(elements) }))
            .collect();
    }

    /// Whether the backend holds no state at all (none named, none restored); a snapshot of it
    /// would be empty.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// How many elements (list elements, broadcast entries) all states hold.
    pub fn element_count(&self) -> usize {
        self.states
            .values()
            .map(|s| match &s.contents {
                Contents::Serialized(elements) => elements.len(),
                Contents::Typed { state, .. } => state.len(),
            })
            .sum()
    }

    /// Finds, decodes or registers the state `name` as a `T`.
    fn typed<T: OperatorStored>(&mut self, name: &str, mode: OperatorStateMode) -> Result<&mut T> {
        if name.is_empty() {
            return Err(StateError::EmptyName);
        }
        let type_name = std::any::type_name::<T>();
        let state = self.states.entry(name.to_string()).or_insert_with(|| NamedState {
            mode,
            contents: Contents::Typed { type_name, state: Box::new(T::default()) },
        });
        if state.mode != mode {
            return Err(StateError::Mismatch {
                name: name.to_string(),
                registered: state.mode.to_string(),
                requested: mode.to_string(),
            });
        }
        if let Contents::Serialized(elements) = &state.contents {
            let decoded = T::decode(elements).map_err(|(element, source)| StateError::DecodeOperatorState {
                state: name.to_string(),
                element,
                source,
            })?;
            state.contents = Contents::Typed { type_name, state: Box::new(decoded) };
        }
        let Contents::Typed { type_name: registered, state } = &mut state.contents else {
            return Err(StateError::Mismatch {
                name: name.to_string(),
                registered: format!("{mode} (serialized)"),
                requested: format!("{mode} of {type_name}"),
            });
        };
        let registered = *registered;
        state.as_any_mut().downcast_mut::<T>().ok_or_else(|| StateError::Mismatch {
            name: name.to_string(),
            registered: format!("{mode} of {registered}"),
            requested: format!("{mode} of {type_name}"),
        })
    }
}

fn check_no_ttl(name: &str, has_ttl: bool) -> Result<()> {
    if has_ttl { Err(StateError::TtlOnOperatorState { name: name.to_string() }) } else { Ok(()) }
}

/// What an operator state holds in memory: a list or a map, encoded element by element.
trait OperatorStored: Default + Send + 'static {
    fn encode(&self) -> Result<Vec<Vec<u8>>, postcard::Error>;
    /// Fails with the index of the element that did not decode.
    fn decode(elements: &[Vec<u8>]) -> Result<Self, (usize, postcard::Error)>;
    fn len(&self) -> usize;
}

impl<V: Data> OperatorStored for Vec<V> {
    fn encode(&self) -> Result<Vec<Vec<u8>>, postcard::Error> {
        self.iter().map(postcard::to_stdvec).collect()
    }

    fn decode(elements: &[Vec<u8>]) -> Result<Self, (usize, postcard::Error)> {
        elements.iter().enumerate().map(|(i, bytes)| decode_exact(bytes).map_err(|e| (i, e))).collect()
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

impl<K: Key, V: Data> OperatorStored for FxHashMap<K, V> {
    fn encode(&self) -> Result<Vec<Vec<u8>>, postcard::Error> {
        self.iter().map(|entry| postcard::to_stdvec(&entry)).collect()
    }

    fn decode(elements: &[Vec<u8>]) -> Result<Self, (usize, postcard::Error)> {
        elements.iter().enumerate().map(|(i, bytes)| decode_exact::<(K, V)>(bytes).map_err(|e| (i, e))).collect()
    }

    fn len(&self) -> usize {
        FxHashMap::len(self)
    }
}

/// Decodes a blob that must hold exactly one `T`.
fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, postcard::Error> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if rest.is_empty() { Ok(value) } else { Err(postcard::Error::DeserializeBadEncoding) }
}

/// An operator state whose type the backend no longer knows.
trait ErasedOperatorState: Send {
    fn encode(&self) -> Result<Vec<Vec<u8>>, postcard::Error>;
    fn len(&self) -> usize;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: OperatorStored> ErasedOperatorState for T {
    fn encode(&self) -> Result<Vec<Vec<u8>>, postcard::Error> {
        OperatorStored::encode(self)
    }

    fn len(&self) -> usize {
        OperatorStored::len(self)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests;
