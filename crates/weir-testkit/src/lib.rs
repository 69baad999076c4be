//! # weir-testkit: helpers for testing weir jobs
//!
//! - [`CollectSink`]: a sink that keeps every record in memory, readable after the job through a
//!   cloneable handle (Flink's `CollectSink` / the `TestSink` of other engines);
//! - [`ManualClock`]: a clock that moves only when the test moves it;
//! - [`RandomFaults`]: a seeded fault injector failing random subtasks at random fault points;
//! - [`files_under`]: the files a test expects on disk, listed;
//! - [`Average`]: an incremental aggregate (integer average of `u64`s) for aggregating state.
//!
//! It is **not** for production jobs: everything collected stays in memory until the handle is
//! dropped. Its only I/O is reading directories for [`files_under`].

mod average;
mod collect_sink;
mod files;
mod manual_clock;
mod random_faults;

pub use average::Average;
pub use collect_sink::CollectSink;
pub use files::files_under;
pub use manual_clock::ManualClock;
pub use random_faults::{ALL_FAULT_POINTS, InjectedFault, RandomFaults};
