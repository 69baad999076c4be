//! # weir-connectors: where a job's records come from and go to
//!
//! One folder per connector, each with the source and/or sink it offers:
//!
//! | connector | source | sink | what it is |
//! |---|---|---|---|
//! | [`datagen`] | [`DataGenSource`] | | records computed from a sequence index, optionally rate-limited (Flink's `DataGeneratorSource`) |
//! | [`mod@file`] | [`FileSource`] | [`FileSink`], [`ExactlyOnceFileSink`] | text lines of a file or directory; part files per subtask, plain or committed on checkpoint completion |
//! | [`collection`] | [`CollectionSource`] | | the elements of an in-memory `Vec` (Flink's `fromCollection`) |
//! | [`mod@print`] | | [`PrintSink`] | `{:?}` of every record on stdout or stderr (Flink's `print()`) |
//! | [`blackhole`] | | [`BlackholeSink`] | discards everything, for benchmarks (Flink's `blackhole`) |
//!
//! Every source cuts its work into serializable splits that carry their position, so a reader
//! reports exactly where it is between two records and a new reader resumes there, and that have
//! a stable id: readers tag every batch with its split and report finished splits, which is what
//! per-split watermarks need (see [`weir_core::source`]; a shared contract test checks both).
//!
//! This crate is **not**:
//! - a runtime: nothing here spawns threads or schedules work; the runtime polls readers and
//!   calls writers on each subtask's thread, and all I/O happens inside those calls;
//! - the collecting sink for tests: that is `weir-testkit`'s `CollectSink`.

pub mod blackhole;
pub mod collection;
pub mod datagen;
pub mod file;
pub mod print;

#[cfg(test)]
mod testing;

pub use blackhole::BlackholeSink;
pub use collection::{CollectionSource, CollectionSplit};
pub use datagen::{DataGenSource, DataGenSplit, random_f64, random_range, random_u64};
pub use file::{ExactlyOnceFileSink, FileSink, FileSource, FileSplit};
pub use print::PrintSink;
