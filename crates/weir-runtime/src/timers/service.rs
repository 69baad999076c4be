//! The timer service of one keyed operator instance, and the handle a function uses.

use super::queue::TimerQueue;
use weir_core::clock::Clock;
use weir_core::{Error, Key, Result, Timestamp, Watermark};
use weir_state::KeyedStateBackend;

/// The names of the two queues in a backend that stores timers.
const EVENT_TIME: &str = "event-time";
const PROCESSING_TIME: &str = "processing-time";

/// Event-time and processing-time timers of one operator instance, with its current watermark.
#[derive(Debug)]
pub(crate) struct InternalTimerService<K, N> {
    pub(crate) event_time: TimerQueue<K, N>,
    pub(crate) processing_time: TimerQueue<K, N>,
    pub(crate) watermark: Watermark,
    /// The first failure of a [`TimerService`] call (which cannot return one), for the operator
    /// to raise when the function returns ([`Self::check`]).
    failure: Option<Error>,
}

impl<K, N> Default for InternalTimerService<K, N> {
    fn default() -> Self {
        InternalTimerService {
            event_time: TimerQueue::default(),
            processing_time: TimerQueue::default(),
            watermark: Watermark::MIN,
            failure: None,
        }
    }
}

impl<K: Key, N: Key> InternalTimerService<K, N> {
    /// Puts the timers where `state` keeps them: in its database if it stores timers, else in
    /// memory, taking along any a restored database stored. Called once the state is restored
    /// and before any timer is registered.
    pub(crate) fn use_backend(&mut self, state: &KeyedStateBackend<K>, max_parallelism: usize) -> Result<()> {
        for (name, queue) in [(EVENT_TIME, &mut self.event_time), (PROCESSING_TIME, &mut self.processing_time)] {
            match state.timer_queue(name, max_parallelism)? {
                Some(stored) => *queue = TimerQueue::Stored(stored),
                None => {
                    for (time, key, namespace) in state.take_stored_timers(name, max_parallelism)? {
                        queue.register(time, key, namespace)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the timers live in the state backend's database.
    pub(crate) fn is_stored(&self) -> bool {
        self.event_time.is_stored()
    }

    /// The names of the queues (event time, processing time) in a backend that stores timers.
    pub(crate) fn queue_names() -> [&'static str; 2] {
        [EVENT_TIME, PROCESSING_TIME]
    }

    /// Raises the failure of a [`TimerService`] call since the last check.
    #[inline]
    pub(crate) fn check(&mut self) -> Result<()> {
        match self.failure.take() {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    fn keep_failure(&mut self, result: Result<()>) {
        if let Err(error) = result {
            self.failure.get_or_insert(Error::Internal(format!("a timer could not be stored: {error}")));
        }
    }
}

/// What a keyed function can do with timers, for the current key. A timer that cannot be
/// stored (the `rocksdb` backend's database failed) fails the task before the operator goes on
/// (to its next record, timer, watermark or checkpoint).
pub struct TimerService<'a, K: Key> {
    pub(crate) timers: &'a mut InternalTimerService<K, ()>,
    pub(crate) key: &'a K,
    pub(crate) clock: Option<&'a dyn Clock>,
}

impl<K: Key> TimerService<'_, K> {
    /// Asks for `on_timer` when the watermark reaches `time`.
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        let result = self.timers.event_time.register(time, self.key.clone(), ());
        self.timers.keep_failure(result);
    }

    /// Asks for `on_timer` when processing time reaches `time`.
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        let result = self.timers.processing_time.register(time, self.key.clone(), ());
        self.timers.keep_failure(result);
    }

    /// Cancels an event-time timer of the current key.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        let result = self.timers.event_time.delete(time, self.key, &());
        self.timers.keep_failure(result);
    }

    /// Cancels a processing-time timer of the current key.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        let result = self.timers.processing_time.delete(time, self.key, &());
        self.timers.keep_failure(result);
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
