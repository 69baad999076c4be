//! A state table: one map per key group of the owning subtask's range.

use rustc_hash::FxHashMap;
use std::any::Any;

/// The state `S` of every key, split by key group (index = position in the subtask's range).
pub(crate) struct StateTable<K, S> {
    groups: Vec<FxHashMap<K, S>>,
}

impl<K, S> StateTable<K, S> {
    pub(crate) fn new(key_groups: usize) -> Self {
        StateTable { groups: (0..key_groups).map(|_| FxHashMap::default()).collect() }
    }

    /// The map of one key group; `offset` was checked against the range when the key was set.
    pub(crate) fn group_mut(&mut self, offset: usize) -> &mut FxHashMap<K, S> {
        &mut self.groups[offset]
    }

    pub(crate) fn group(&self, offset: usize) -> &FxHashMap<K, S> {
        &self.groups[offset]
    }
}

/// What the backend needs of a table whose types it no longer knows.
pub(crate) trait ErasedTable: Send {
    fn entry_count(&self) -> usize;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<K: Send + 'static, S: Send + 'static> ErasedTable for StateTable<K, S> {
    fn entry_count(&self) -> usize {
        self.groups.iter().map(FxHashMap::len).sum()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
