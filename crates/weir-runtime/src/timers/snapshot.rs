//! Timers in snapshots: every registered timer of an operator instance, in firing order, so a
//! restored instance fires them in the same order; on restore only the timers of keys the
//! instance owns are kept (after rescaling, one old instance's timers spread over several).

use super::InternalTimerService;
use serde::{Deserialize, Serialize};
use std::hash::Hash;
use weir_core::Timestamp;

/// The timers of one operator instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TimersSnapshot<K, N> {
    pub(crate) event_time: Vec<(Timestamp, K, N)>,
    pub(crate) processing_time: Vec<(Timestamp, K, N)>,
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> InternalTimerService<K, N> {
    /// A copy of every registered timer.
    pub(crate) fn snapshot(&self) -> TimersSnapshot<K, N> {
        let copy = |(time, key, namespace): (Timestamp, &K, &N)| (time, key.clone(), namespace.clone());
        TimersSnapshot {
            event_time: self.event_time.live_timers().map(copy).collect(),
            processing_time: self.processing_time.live_timers().map(copy).collect(),
        }
    }

    /// Registers the timers of `snapshot` whose key `keep` accepts.
    pub(crate) fn restore(&mut self, snapshot: TimersSnapshot<K, N>, keep: impl Fn(&K) -> bool) {
        for (time, key, namespace) in snapshot.event_time {
            if keep(&key) {
                self.event_time.register(time, key, namespace);
            }
        }
        for (time, key, namespace) in snapshot.processing_time {
            if keep(&key) {
                self.processing_time.register(time, key, namespace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_service_fires_the_kept_timers_in_the_same_order() {
        let mut timers: InternalTimerService<u32, ()> = InternalTimerService::default();
        for (time, key) in [(30, 1), (10, 2), (10, 1), (20, 3)] {
            timers.event_time.register(time, key, ());
        }
        timers.processing_time.register(5, 4, ());
        let snapshot = timers.snapshot();
        let mut restored: InternalTimerService<u32, ()> = InternalTimerService::default();
        restored.restore(snapshot, |key| *key != 3);
        let fired: Vec<_> = std::iter::from_fn(|| restored.event_time.pop_due(100)).map(|(t, k, _)| (t, k)).collect();
        assert_eq!(fired, [(10, 2), (10, 1), (30, 1)]);
        assert_eq!(restored.processing_time.pop_due(100), Some((5, 4, ())));
    }
}
