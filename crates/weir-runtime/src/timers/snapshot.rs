//! Timers in snapshots: every registered timer of an operator instance, in firing order, so a
//! restored instance fires them in the same order; on restore only the timers of keys the
//! instance owns are kept (after rescaling, one old instance's timers spread over several).
//!
//! Timers in memory are copied on the barrier. Timers stored in the `rocksdb` backend's
//! database are in its checkpoint: an incremental snapshot uploads them with the state's files
//! (the list here stays empty), a full one reads them out of the checkpoint into this list
//! while the operator goes on ([`TimersSnapshot::complete`]).

use super::InternalTimerService;
use serde::{Deserialize, Serialize};
use weir_core::{Key, Result, Timestamp};
use weir_state::KeyedSnapshotJob;

/// The timers of one operator instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TimersSnapshot<K, N> {
    pub(crate) event_time: Vec<(Timestamp, K, N)>,
    pub(crate) processing_time: Vec<(Timestamp, K, N)>,
}

impl<K: Key, N: Key> InternalTimerService<K, N> {
    /// A copy of every timer kept in memory (all of them, unless the backend stores them); the
    /// stored ones written down, for the backend's snapshot to hold them.
    pub(crate) fn snapshot(&mut self) -> Result<TimersSnapshot<K, N>> {
        self.event_time.flush()?;
        self.processing_time.flush()?;
        Ok(TimersSnapshot {
            event_time: self.event_time.timers_in_memory(),
            processing_time: self.processing_time.timers_in_memory(),
        })
    }

    /// Registers the timers of `snapshot` whose key `keep` accepts.
    pub(crate) fn restore(&mut self, snapshot: TimersSnapshot<K, N>, keep: impl Fn(&K) -> bool) -> Result<()> {
        for (time, key, namespace) in snapshot.event_time {
            if keep(&key) {
                self.event_time.register(time, key, namespace)?;
            }
        }
        for (time, key, namespace) in snapshot.processing_time {
            if keep(&key) {
                self.processing_time.register(time, key, namespace)?;
            }
        }
        Ok(())
    }
}

impl<K: Key, N: Key> TimersSnapshot<K, N> {
    /// Adds the timers the backend stored, where `job` must list them (a `rocksdb` full
    /// snapshot); the asynchronous part of the snapshot.
    pub(crate) fn complete(&mut self, job: &KeyedSnapshotJob) -> Result<()> {
        let [event_time, processing_time] = InternalTimerService::<K, N>::queue_names();
        self.event_time.extend(job.stored_timers::<K, N>(event_time)?);
        self.processing_time.extend(job.stored_timers::<K, N>(processing_time)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_service_fires_the_kept_timers_in_the_same_order() {
        let mut timers: InternalTimerService<u32, ()> = InternalTimerService::default();
        for (time, key) in [(30, 1), (10, 2), (10, 1), (20, 3)] {
            timers.event_time.register(time, key, ()).expect("in memory");
        }
        timers.processing_time.register(5, 4, ()).expect("in memory");
        let snapshot = timers.snapshot().expect("in memory");
        let mut restored: InternalTimerService<u32, ()> = InternalTimerService::default();
        restored.restore(snapshot, |key| *key != 3).expect("in memory");
        let fired: Vec<_> = std::iter::from_fn(|| restored.event_time.pop_due(100).expect("in memory"))
            .map(|(t, k, _)| (t, k))
            .collect();
        assert_eq!(fired, [(10, 2), (10, 1), (30, 1)]);
        assert_eq!(restored.processing_time.pop_due(100).expect("in memory"), Some((5, 4, ())));
    }
}
