//! A timer queue of one time domain, wherever its timers live: in memory
//! ([`HeapTimerQueue`]) or in the `rocksdb` backend's database ([`StoredTimerQueue`]).
//!
//! Both are sets ordered by time; they differ only in the order of timers of the same time
//! (registration order in memory; key group, then serialized key, in RocksDB), which no
//! watermark or clock can tell apart.

use super::heap_queue::HeapTimerQueue;
use weir_core::{Key, Result, Timestamp};
use weir_state::rocksdb::StoredTimerQueue;

pub(crate) enum TimerQueue<K, N> {
    Heap(HeapTimerQueue<K, N>),
    Stored(StoredTimerQueue<K, N>),
}

impl<K, N> Default for TimerQueue<K, N> {
    fn default() -> Self {
        TimerQueue::Heap(HeapTimerQueue::default())
    }
}

impl<K, N> std::fmt::Debug for TimerQueue<K, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimerQueue::Heap(_) => "TimerQueue::Heap",
            TimerQueue::Stored(_) => "TimerQueue::Stored",
        })
    }
}

impl<K: Key, N: Key> TimerQueue<K, N> {
    /// Registers a timer (once: registering it again changes nothing).
    #[inline]
    pub(crate) fn register(&mut self, time: Timestamp, key: K, namespace: N) -> Result<()> {
        match self {
            TimerQueue::Heap(heap) => {
                heap.register(time, key, namespace);
                Ok(())
            }
            TimerQueue::Stored(stored) => Ok(stored.register(time, &key, &namespace)?),
        }
    }

    /// Whether a timer is registered.
    pub(crate) fn contains(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<bool> {
        match self {
            TimerQueue::Heap(heap) => Ok(heap.contains(time, key, namespace)),
            TimerQueue::Stored(stored) => Ok(stored.contains(time, key, namespace)?),
        }
    }

    /// Deletes a timer, if registered.
    pub(crate) fn delete(&mut self, time: Timestamp, key: &K, namespace: &N) -> Result<()> {
        match self {
            TimerQueue::Heap(heap) => {
                heap.delete(time, key, namespace);
                Ok(())
            }
            TimerQueue::Stored(stored) => Ok(stored.delete(time, key, namespace)?),
        }
    }

    /// The earliest timer's time; in memory possibly a deleted timer's (callers then wake up
    /// early and find nothing due).
    pub(crate) fn peek_lenient(&self) -> Option<Timestamp> {
        match self {
            TimerQueue::Heap(heap) => heap.peek_lenient(),
            TimerQueue::Stored(stored) => stored.peek(),
        }
    }

    /// Removes and returns the earliest timer at or before `limit`.
    #[inline]
    pub(crate) fn pop_due(&mut self, limit: Timestamp) -> Result<Option<(Timestamp, K, N)>> {
        match self {
            TimerQueue::Heap(heap) => Ok(heap.pop_due(limit)),
            TimerQueue::Stored(stored) => Ok(stored.pop_due(limit)?),
        }
    }

    /// Every timer kept in memory, in firing order (a stored queue's timers are in the
    /// database's snapshot instead).
    pub(crate) fn timers_in_memory(&self) -> Vec<(Timestamp, K, N)> {
        match self {
            TimerQueue::Heap(heap) => heap.live_timers().map(|(t, k, n)| (t, k.clone(), n.clone())).collect(),
            TimerQueue::Stored(_) => Vec::new(),
        }
    }

    /// Writes staged timers down into the backend's database (before a snapshot of it).
    pub(crate) fn flush(&mut self) -> Result<()> {
        match self {
            TimerQueue::Heap(_) => Ok(()),
            TimerQueue::Stored(stored) => Ok(stored.flush()?),
        }
    }

    pub(crate) fn is_stored(&self) -> bool {
        matches!(self, TimerQueue::Stored(_))
    }
}
