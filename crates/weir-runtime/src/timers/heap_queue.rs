//! The in-memory timer queue: timers of one time domain ordered by time, deduplicated,
//! cancellable (the `hashmap` backend's, and the `rocksdb` backend's with
//! `state.backend.rocksdb.timer-service.factory: heap`).

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;
use weir_core::Timestamp;

/// Registered timers of one domain.
///
/// `by_time` keeps registration order within a timestamp; `live` maps every registered timer to
/// the sequence number of its registration. Deleting a timer only removes it from `live`; its
/// entry in `by_time` goes stale and is skipped when reached — also if the same timer is
/// registered again later, which gets a new entry at its new place in the order. (Flink's heap
/// timer queue dedups the same way, with a set beside a heap.)
#[derive(Debug)]
pub(crate) struct HeapTimerQueue<K, N> {
    /// Per time, in registration order; a deque, because all timers of one time (every key's
    /// window end) are taken from the front.
    by_time: BTreeMap<Timestamp, VecDeque<(u64, K, N)>>,
    /// Fx-hashed: a window operator looks a timer up here for nearly every firing and new
    /// slice or window, and SipHash's resistance to flooding buys nothing for our own keys.
    live: FxHashMap<(Timestamp, K, N), u64>,
    next_seq: u64,
}

impl<K, N> Default for HeapTimerQueue<K, N> {
    fn default() -> Self {
        HeapTimerQueue { by_time: BTreeMap::new(), live: FxHashMap::default(), next_seq: 0 }
    }
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> HeapTimerQueue<K, N> {
    /// Registers a timer; false if it was registered already.
    pub(crate) fn register(&mut self, time: Timestamp, key: K, namespace: N) -> bool {
        let entry = self.live.entry((time, key.clone(), namespace.clone()));
        if matches!(entry, std::collections::hash_map::Entry::Occupied(_)) {
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        entry.or_insert(seq);
        self.by_time.entry(time).or_default().push_back((seq, key, namespace));
        true
    }

    /// Whether a timer is registered.
    pub(crate) fn contains(&self, time: Timestamp, key: &K, namespace: &N) -> bool {
        self.live.contains_key(&(time, key.clone(), namespace.clone()))
    }

    /// Deletes a timer; false if it was not registered.
    pub(crate) fn delete(&mut self, time: Timestamp, key: &K, namespace: &N) -> bool {
        self.live.remove(&(time, key.clone(), namespace.clone())).is_some()
    }

    /// The earliest entry's time. It may be a deleted timer's: callers then wake up early and
    /// find nothing due (`pop_due` drops such stale entries).
    pub(crate) fn peek_lenient(&self) -> Option<Timestamp> {
        self.by_time.keys().next().copied()
    }

    /// Removes and returns the earliest timer at or before `limit`.
    pub(crate) fn pop_due(&mut self, limit: Timestamp) -> Option<(Timestamp, K, N)> {
        loop {
            let mut entry = self.by_time.first_entry()?;
            let time = *entry.key();
            if time > limit {
                return None;
            }
            let timers = entry.get_mut();
            let Some((seq, key, namespace)) = timers.pop_front() else {
                entry.remove();
                continue;
            };
            if timers.is_empty() {
                entry.remove();
            }
            let id = (time, key, namespace);
            if self.live.get(&id) == Some(&seq) {
                self.live.remove(&id);
                return Some(id);
            }
        }
    }

    /// Every registered timer, in firing order (for snapshots).
    pub(crate) fn live_timers(&self) -> impl Iterator<Item = (Timestamp, &K, &N)> {
        self.by_time.iter().flat_map(move |(&time, timers)| {
            timers
                .iter()
                .filter(move |(seq, key, namespace)| {
                    self.live.get(&(time, key.clone(), namespace.clone())) == Some(seq)
                })
                .map(move |(_, key, namespace)| (time, key, namespace))
        })
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fires_in_time_order_once_each() {
        let mut q = HeapTimerQueue::default();
        assert!(q.register(30, "a", ()));
        assert!(q.register(10, "b", ()));
        assert!(q.register(20, "a", ()));
        assert!(!q.register(10, "b", ()), "a duplicate is not registered twice");
        assert!(q.register(10, "a", ()));
        assert_eq!(q.peek_lenient(), Some(10));
        let fired: Vec<_> = std::iter::from_fn(|| q.pop_due(25)).collect();
        assert_eq!(fired, [(10, "b", ()), (10, "a", ()), (20, "a", ())]);
        assert_eq!(q.pop_due(25), None);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn live_timers_are_listed_in_firing_order_without_deleted_ones() {
        let mut q = HeapTimerQueue::default();
        q.register(20, "a", 1u8);
        q.register(10, "b", 0u8);
        q.register(10, "a", 0u8);
        q.delete(20, &"a", &1);
        q.register(20, "a", 1u8);
        q.register(30, "c", 0u8);
        q.delete(30, &"c", &0);
        let listed: Vec<_> = q.live_timers().map(|(t, k, n)| (t, *k, *n)).collect();
        assert_eq!(listed, [(10, "b", 0), (10, "a", 0), (20, "a", 1)]);
    }

    #[test]
    fn deleted_timers_do_not_fire_and_can_be_registered_again() {
        let mut q = HeapTimerQueue::default();
        q.register(10, 1u32, ());
        q.register(20, 1u32, ());
        assert!(q.delete(10, &1, &()));
        assert!(!q.delete(10, &1, &()));
        q.register(10, 1u32, ());
        let fired: Vec<_> = std::iter::from_fn(|| q.pop_due(100)).map(|t| t.0).collect();
        assert_eq!(fired, [10, 20]);
    }

    proptest! {
        /// Against a model: the set of live timers, fired in (time, registration) order.
        #[test]
        fn matches_a_set_model(ops in prop::collection::vec((0u8..3, 0i64..20, 0u8..4), 0..200), limit in 0i64..25) {
            let mut q = HeapTimerQueue::default();
            let mut model: Vec<(i64, u8)> = Vec::new();
            for (op, time, key) in ops {
                match op {
                    0 | 1 => {
                        let fresh = !model.contains(&(time, key));
                        prop_assert_eq!(q.register(time, key, ()), fresh);
                        if fresh { model.push((time, key)); }
                    }
                    _ => {
                        let present = model.contains(&(time, key));
                        prop_assert_eq!(q.delete(time, &key, &()), present);
                        model.retain(|t| *t != (time, key));
                    }
                }
            }
            let mut due: Vec<(i64, u8)> = model.iter().copied().filter(|(t, _)| *t <= limit).collect();
            due.sort_by_key(|(t, _)| *t); // stable: registration order within a time
            let fired: Vec<(i64, u8)> = std::iter::from_fn(|| q.pop_due(limit)).map(|(t, k, _)| (t, k)).collect();
            prop_assert_eq!(fired, due);
            prop_assert_eq!(q.len(), model.iter().filter(|(t, _)| *t > limit).count());
        }
    }
}
