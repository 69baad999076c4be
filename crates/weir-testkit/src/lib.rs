//! # weir-testkit: helpers for testing weir jobs
//!
//! - [`CollectSink`]: a sink that keeps every record in memory, readable after the job through a
//!   cloneable handle (Flink's `CollectSink` / the `TestSink` of other engines);
//! - [`ManualClock`]: a clock that moves only when the test moves it.
//!
//! Fault injection and the restore-equivalence harness will join them.
//!
//! It is **not** for production jobs: everything collected stays in memory until the handle is
//! dropped. It does no I/O.

mod collect_sink;
mod manual_clock;

pub use collect_sink::CollectSink;
pub use manual_clock::ManualClock;
