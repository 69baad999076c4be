//! # weir-testkit: helpers for testing weir jobs
//!
//! - [`CollectSink`]: a sink that keeps every record in memory, readable after the job through a
//!   cloneable handle (Flink's `CollectSink` / the `TestSink` of other engines).
//!
//! Manual clocks, fault injection and the restore-equivalence harness will join it.
//!
//! It is **not** for production jobs: everything collected stays in memory until the handle is
//! dropped. It does no I/O.

mod collect_sink;

pub use collect_sink::CollectSink;
