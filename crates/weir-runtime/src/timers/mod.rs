//! Timers: callbacks a keyed function asks for at an event time or a processing time, per key
//! (and namespace: a window, for window operators).
//!
//! Timers are deduplicated — registering the same (time, key, namespace) twice fires once — and
//! fire in timestamp order: event-time timers when the watermark reaches them, processing-time
//! timers when the clock does. A timer's callback may emit and register further timers; one at
//! or below the current time fires in the same pass.
//!
//! Timers are keyed state. With the `hashmap` backend (and the `rocksdb` one with
//! `state.backend.rocksdb.timer-service.factory: heap`) they live in memory ([`heap_queue`])
//! and every snapshot lists them ([`snapshot`]); with the `rocksdb` backend they live in its
//! database (weir-state's `StoredTimerQueue`), bounded in memory like the state and uploaded
//! with its files. Either way, on restore each instance keeps the timers of the keys whose key
//! groups it owns.

mod heap_queue;
mod queue;
mod service;
pub(crate) mod snapshot;

pub(crate) use service::InternalTimerService;
pub use service::TimerService;

/// Which clock a timer follows.
pub use weir_core::time::TimeDomain;
