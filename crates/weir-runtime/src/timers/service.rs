//! The timer service of one keyed operator instance, and the handle a function uses.

use super::queue::TimerQueue;
use std::hash::Hash;
use weir_core::clock::Clock;
use weir_core::{Timestamp, Watermark};

/// Event-time and processing-time timers of one operator instance, with its current watermark.
#[derive(Debug)]
pub(crate) struct InternalTimerService<K, N> {
    pub(crate) event_time: TimerQueue<K, N>,
    pub(crate) processing_time: TimerQueue<K, N>,
    pub(crate) watermark: Watermark,
}

impl<K, N> Default for InternalTimerService<K, N> {
    fn default() -> Self {
        InternalTimerService {
            event_time: TimerQueue::default(),
            processing_time: TimerQueue::default(),
            watermark: Watermark::MIN,
        }
    }
}

/// What a keyed function can do with timers, for the current key.
pub struct TimerService<'a, K: Hash + Eq + Clone> {
    pub(crate) timers: &'a mut InternalTimerService<K, ()>,
    pub(crate) key: &'a K,
    pub(crate) clock: Option<&'a dyn Clock>,
}

impl<K: Hash + Eq + Clone> TimerService<'_, K> {
    /// Asks for `on_timer` when the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.register(time, self.key.clone(), ());
    }

    /// Asks for `on_timer` when processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.register(time, self.key.clone(), ());
    }

    /// Cancels an event-time timer of the current key.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event_time.delete(time, self.key, &());
    }

    /// Cancels a processing-time timer of the current key.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing_time.delete(time, self.key, &());
    }

    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Watermark {
        self.timers.watermark
    }

    /// The current processing time (milliseconds since the epoch).
    pub fn current_processing_time(&self) -> Timestamp {
        self.clock.map_or(0, |c| c.now_millis())
    }
}
