//! The file connector: text lines in, text lines out.
//!
//! [`FileSource`] reads the lines of one file, or of every regular file under a directory
//! (recursively, sorted by path, skipping entries whose name starts with `.`), as `String`s without
//! their `\n` or `\r\n`. Each file is one [`FileSplit`], named by its path, whose position is the
//! byte offset of the next line, so a snapshot resumes exactly; the files must not change while a
//! job reads them or between a checkpoint and its restore. A reader reads its files one after the
//! other; with per-split watermarks a file not read yet holds the watermark back until it is.
//!
//! [`FileSink`] writes one part file per subtask into a directory, `part-<subtask>-0` (the last
//! number counts part files of one subtask, reserved for rolling; today it is always 0). Records
//! are encoded by a function (one line per record for `T: Display` with [`FileSink::lines`]),
//! buffered, and flushed and fsynced when the input ends.
//!
//! It is **not**:
//! - a `tail -f`: a file is read to its end once; lines appended later are not seen;
//! - an exactly-once sink: `FileSink` truncates and writes its part files directly, so a failed
//!   and restarted job rewrites them. [`ExactlyOnceFileSink`] (also `FileSink::exactly_once`) is
//!   the two-phase-commit version: hidden in-progress files, staged on checkpoint barriers and
//!   made visible when the checkpoint completes (see [`exactly_once`]);
//! - a parser: lines are text; CSV, JSON and friends are a `map` away.
//!
//! All I/O (listing, opening, reading, writing, fsync) happens in the calls of the `Source`,
//! `SourceReader`, `Sink` and `SinkWriter` traits, on the subtask's thread; every error names the
//! path and, when reading, the byte offset.

pub mod exactly_once;
mod listing;
mod sink;
mod source;

#[cfg(test)]
mod tests;

pub use exactly_once::ExactlyOnceFileSink;
pub use sink::FileSink;
pub use source::{FileSource, FileSplit};
