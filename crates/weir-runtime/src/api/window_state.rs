//! The keyed state a [`ProcessWindowFunction`](super::window_function::ProcessWindowFunction)
//! reaches through its [`WindowContext`](super::window_function::WindowContext):
//!
//! - [`PerWindowState`] (`ctx.window_state()`): state scoped to the current key **and** the
//!   window that fired (Flink's `windowState()`): a count of the window's firings, what an early
//!   firing emitted. It lives as long as the window: weir drops it when the window is cleaned up
//!   (at its end plus the allowed lateness), right after the function's `clear`.
//! - [`GlobalState`] (`ctx.global_state()`): plain keyed state of the current key, across all
//!   its windows (Flink's `globalState()`): a running total per key.
//!
//! Both take the descriptors keyed functions use (`ValueStateDescriptor`, ...), hand out
//! handles with the methods of weir-state's, and are snapshotted, restored and rescaled by key
//! group with the rest of the window operator's keyed state.
//!
//! **Layout.** Global state is stored under the descriptor's own name, as a keyed function's
//! would be. Per-window state named `n` is a map state of the key, from window to the state's
//! value, named `window-state:n` (a value or reducing state of `V` is a `MapState<W, V>`, an
//! aggregating one a `MapState<W, ACC>`, a list state a `MapState<W, Vec<V>>`, a map state a
//! `MapState<W, FxHashMap<UK, UV>>`): nothing new in the snapshot format. Names starting with
//! `window-` belong to the window operator (its contents, trigger state, sessions, slices) and
//! are refused for global state. A TTL on a per-window descriptor applies to the window's whole
//! value (for a list or a map, the whole list or map of the window).
//!
//! It is **not** available with merging (session) windows: the windows it would be scoped to
//! merge away (Flink refuses it too); global state is.

use crate::operators::window::window_state::WindowStateRegistry;
use rustc_hash::FxHashMap;
use std::hash::Hash;
use weir_core::window::{AggregateFunction, Window};
use weir_core::{Data, Error, Key, Result};
use weir_state::{
    AggregatingState, AggregatingStateDescriptor, KeyedStateBackend, ListState, ListStateDescriptor, MapState,
    MapStateDescriptor, ReduceFn, ReducingState, ReducingStateDescriptor, StateKind, ValueState, ValueStateDescriptor,
};

/// Names with this prefix are the window operator's own state.
pub(crate) const RESERVED_PREFIX: &str = "window-";

/// State scoped to the current key and window (from `WindowContext::window_state`). Each
/// method hands out one handle; call `ctx.window_state()` again for another.
pub struct PerWindowState<'a, K, W> {
    pub(crate) backend: &'a mut KeyedStateBackend<K>,
    pub(crate) registry: &'a mut WindowStateRegistry<K, W>,
    pub(crate) window: &'a W,
}

impl<'a, K: Key, W: Window> PerWindowState<'a, K, W> {
    /// The window's value state.
    pub fn value<V: Data>(self, descriptor: &ValueStateDescriptor<V>) -> Result<WindowValueState<'a, K, W, V>> {
        let window = self.window;
        let map = self.map_of::<V>(descriptor.name(), StateKind::Value, descriptor.ttl())?;
        Ok(WindowValueState { map, window })
    }

    /// The window's list state.
    pub fn list<V: Data>(self, descriptor: &ListStateDescriptor<V>) -> Result<WindowListState<'a, K, W, V>> {
        let window = self.window;
        let map = self.map_of::<Vec<V>>(descriptor.name(), StateKind::List, descriptor.ttl())?;
        Ok(WindowListState { map, window })
    }

    /// The window's map state.
    pub fn map<UK: Key, UV: Data>(
        self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<WindowMapState<'a, K, W, UK, UV>> {
        let window = self.window;
        let map = self.map_of::<FxHashMap<UK, UV>>(descriptor.name(), StateKind::Map, descriptor.ttl())?;
        Ok(WindowMapState { map, window })
    }

    /// The window's reducing state: values added are folded with the descriptor's function.
    pub fn reducing<'s, V: Data>(
        self,
        descriptor: &'s ReducingStateDescriptor<V>,
    ) -> Result<WindowReducingState<'s, K, W, V>>
    where
        'a: 's,
    {
        let window = self.window;
        let map = self.map_of::<V>(descriptor.name(), StateKind::Reducing, descriptor.ttl())?;
        Ok(WindowReducingState { value: WindowValueState { map, window }, reduce: descriptor.reduce_function() })
    }

    /// The window's aggregating state: inputs added go into the descriptor's accumulator.
    pub fn aggregating<'s, IN, ACC: Data, OUT>(
        self,
        descriptor: &'s AggregatingStateDescriptor<IN, ACC, OUT>,
    ) -> Result<WindowAggregatingState<'s, K, W, IN, ACC, OUT>>
    where
        'a: 's,
    {
        let window = self.window;
        let map = self.map_of::<ACC>(descriptor.name(), StateKind::Aggregating, descriptor.ttl())?;
        Ok(WindowAggregatingState {
            accumulator: WindowValueState { map, window },
            aggregate: descriptor.aggregate_function(),
        })
    }

    /// The map from window to `S` that holds the per-window state `name` of the current key.
    fn map_of<S: Data>(
        self,
        name: &str,
        kind: StateKind,
        ttl: Option<&weir_state::StateTtlConfig>,
    ) -> Result<MapState<'a, K, W, S>> {
        let descriptor = self.registry.descriptor::<S>(self.backend, name, kind, ttl)?;
        Ok(self.backend.map(descriptor)?)
    }
}

/// The current key's state across its windows (from `WindowContext::global_state`): the same
/// handles a keyed function gets. Each method hands out one handle.
pub struct GlobalState<'a, K> {
    pub(crate) backend: &'a mut KeyedStateBackend<K>,
}

impl<'a, K: Key> GlobalState<'a, K> {
    /// The value state of the current key.
    pub fn value<V: Data>(self, descriptor: &ValueStateDescriptor<V>) -> Result<ValueState<'a, K, V>> {
        check_global_name(descriptor.name())?;
        Ok(self.backend.value(descriptor)?)
    }

    /// The list state of the current key.
    pub fn list<V: Data>(self, descriptor: &ListStateDescriptor<V>) -> Result<ListState<'a, K, V>> {
        check_global_name(descriptor.name())?;
        Ok(self.backend.list(descriptor)?)
    }

    /// The map state of the current key.
    pub fn map<UK: Key, UV: Data>(self, descriptor: &MapStateDescriptor<UK, UV>) -> Result<MapState<'a, K, UK, UV>> {
        check_global_name(descriptor.name())?;
        Ok(self.backend.map(descriptor)?)
    }

    /// The reducing state of the current key.
    pub fn reducing<'s, V: Data>(self, descriptor: &'s ReducingStateDescriptor<V>) -> Result<ReducingState<'s, K, V>>
    where
        'a: 's,
    {
        check_global_name(descriptor.name())?;
        Ok(self.backend.reducing(descriptor)?)
    }

    /// The aggregating state of the current key.
    pub fn aggregating<'s, IN, ACC: Data, OUT>(
        self,
        descriptor: &'s AggregatingStateDescriptor<IN, ACC, OUT>,
    ) -> Result<AggregatingState<'s, K, IN, ACC, OUT>>
    where
        'a: 's,
    {
        check_global_name(descriptor.name())?;
        Ok(self.backend.aggregating(descriptor)?)
    }
}

fn check_global_name(name: &str) -> Result<()> {
    if name.starts_with(RESERVED_PREFIX) {
        return Err(Error::user(format!(
            "state '{name}': names starting with '{RESERVED_PREFIX}' belong to the window operator's own state; \
             name the global state otherwise"
        )));
    }
    Ok(())
}

/// The value state of the current key and window.
pub struct WindowValueState<'a, K, W, V> {
    map: MapState<'a, K, W, V>,
    window: &'a W,
}

impl<K: Eq + Hash + Clone, W: Eq + Hash + Clone, V: Clone> WindowValueState<'_, K, W, V> {
    /// The value, if one was set.
    pub fn get(&self) -> Option<&V> {
        self.map.get(self.window)
    }

    /// A copy of the value, if one was set.
    pub fn value(&self) -> Option<V> {
        self.get().cloned()
    }

    /// The value, to change in place.
    pub fn get_mut(&mut self) -> Option<&mut V> {
        self.map.get_mut(self.window)
    }

    /// The value, created with `init` if there is none, to change in place.
    pub fn get_or_insert_with(&mut self, init: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains(self.window) {
            self.map.put(self.window.clone(), init());
        }
        self.map.get_mut(self.window).expect("the value was inserted above")
    }

    /// Sets the value.
    pub fn update(&mut self, value: V) {
        match self.map.get_mut(self.window) {
            Some(slot) => *slot = value,
            None => self.map.put(self.window.clone(), value),
        }
    }

    /// Removes the value and returns it.
    pub fn take(&mut self) -> Option<V> {
        self.map.remove(self.window)
    }

    /// Removes the value.
    pub fn clear(&mut self) {
        self.take();
    }
}

/// The list state of the current key and window.
pub struct WindowListState<'a, K, W, V> {
    map: MapState<'a, K, W, Vec<V>>,
    window: &'a W,
}

impl<K: Eq + Hash + Clone, W: Eq + Hash + Clone, V: Clone> WindowListState<'_, K, W, V> {
    /// The list; empty if nothing was added.
    pub fn get(&self) -> &[V] {
        self.map.get(self.window).map_or(&[], Vec::as_slice)
    }

    /// Appends a value.
    pub fn add(&mut self, value: V) {
        match self.map.get_mut(self.window) {
            Some(list) => list.push(value),
            None => self.map.put(self.window.clone(), vec![value]),
        }
    }

    /// Replaces the list (an empty list clears it).
    pub fn update(&mut self, values: Vec<V>) {
        if values.is_empty() {
            self.clear();
        } else {
            self.map.put(self.window.clone(), values);
        }
    }

    /// Removes the list and returns it.
    pub fn take(&mut self) -> Vec<V> {
        self.map.remove(self.window).unwrap_or_default()
    }

    pub fn clear(&mut self) {
        self.take();
    }
}

/// The map state of the current key and window.
pub struct WindowMapState<'a, K, W, UK, UV> {
    map: MapState<'a, K, W, FxHashMap<UK, UV>>,
    window: &'a W,
}

impl<K: Eq + Hash + Clone, W: Eq + Hash + Clone, UK: Eq + Hash + Clone, UV: Clone> WindowMapState<'_, K, W, UK, UV> {
    pub fn get(&self, user_key: &UK) -> Option<&UV> {
        self.map.get(self.window).and_then(|m| m.get(user_key))
    }

    pub fn contains(&self, user_key: &UK) -> bool {
        self.get(user_key).is_some()
    }

    /// One entry, to change in place.
    pub fn get_mut(&mut self, user_key: &UK) -> Option<&mut UV> {
        self.map.get_mut(self.window).and_then(|m| m.get_mut(user_key))
    }

    pub fn put(&mut self, user_key: UK, value: UV) {
        match self.map.get_mut(self.window) {
            Some(m) => {
                m.insert(user_key, value);
            }
            None => {
                let mut m = FxHashMap::default();
                m.insert(user_key, value);
                self.map.put(self.window.clone(), m);
            }
        }
    }

    /// Removes one entry; the window's map goes away with its last entry.
    pub fn remove(&mut self, user_key: &UK) -> Option<UV> {
        let m = self.map.get_mut(self.window)?;
        let removed = m.remove(user_key);
        if m.is_empty() {
            self.map.remove(self.window);
        }
        removed
    }

    pub fn iter(&self) -> impl Iterator<Item = (&UK, &UV)> {
        self.map.get(self.window).into_iter().flat_map(|m| m.iter())
    }

    pub fn len(&self) -> usize {
        self.map.get(self.window).map_or(0, FxHashMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.map.remove(self.window);
    }
}

/// The reducing state of the current key and window: `add(v)` stores `reduce(stored, v)`.
pub struct WindowReducingState<'a, K, W, V> {
    value: WindowValueState<'a, K, W, V>,
    reduce: &'a ReduceFn<V>,
}

impl<K: Eq + Hash + Clone, W: Eq + Hash + Clone, V: Clone> WindowReducingState<'_, K, W, V> {
    /// Reduces `value` into the stored one.
    pub fn add(&mut self, value: V) {
        match self.value.get_mut() {
            Some(stored) => *stored = (self.reduce)(stored, &value),
            None => self.value.update(value),
        }
    }

    /// The reduced value, if anything was added.
    pub fn get(&self) -> Option<&V> {
        self.value.get()
    }

    pub fn clear(&mut self) {
        self.value.clear();
    }
}

/// The aggregating state of the current key and window.
pub struct WindowAggregatingState<'a, K, W, IN, ACC, OUT> {
    accumulator: WindowValueState<'a, K, W, ACC>,
    aggregate: &'a dyn AggregateFunction<IN, ACC, OUT>,
}

impl<K: Eq + Hash + Clone, W: Eq + Hash + Clone, IN, ACC: Clone, OUT> WindowAggregatingState<'_, K, W, IN, ACC, OUT> {
    /// Folds `value` into the accumulator.
    pub fn add(&mut self, value: &IN) {
        let aggregate = self.aggregate;
        aggregate.add(self.accumulator.get_or_insert_with(|| aggregate.create_accumulator()), value);
    }

    /// The result of what was added, `None` if nothing was.
    pub fn get(&self) -> Option<OUT> {
        self.accumulator.get().map(|acc| self.aggregate.get_result(acc))
    }

    pub fn clear(&mut self) {
        self.accumulator.clear();
    }
}
