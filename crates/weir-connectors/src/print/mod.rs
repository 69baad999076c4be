//! The print connector: `{:?}` of every record on stdout or stderr, like Flink's `print()`.
//!
//! Each line is prefixed as in Flink: with `"<subtask+1>> "` when the sink runs with parallelism
//! greater than 1, with `"<identifier>:<subtask+1>> "` or `"<identifier>> "` when an identifier is
//! set ([`PrintSink::with_identifier`]), and not at all otherwise. The formatting is the pure
//! functions [`prefix`] and [`format_batch`].
//!
//! It is **not** a logging facility (use `tracing`) nor meant for volume: it exists for
//! examples, debugging and tests that read a job's output.
//!
//! I/O: each batch is formatted into a buffer, then written to the locked stream in one
//! `write_all` and flushed, on the subtask's thread. A closed stream (e.g. `| head`) ends the job
//! with an I/O error naming the stream; it never panics.

mod sink;

#[cfg(test)]
mod tests;

pub use sink::{PrintSink, PrintTarget, format_batch, prefix};
