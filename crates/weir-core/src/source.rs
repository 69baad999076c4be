//! The source traits: where a stream's records come from, split into resumable pieces.
//!
//! A [`Source`] divides its work into **splits** (a file, a range of a generator's sequence, a
//! partition of a topic). Each split is a serializable value that also carries its *position*, so
//! that a reader can report, between two records, exactly where it is
//! ([`SourceReader::snapshot_splits`]) and a new reader given those splits resumes there. This is
//! what checkpoints store for sources, and what is redistributed when the parallelism changes.
//!
//! The runtime enumerates the splits once, when the job starts, and assigns them to the source's
//! subtasks round-robin; every subtask's reader is then polled on that subtask's thread.

use crate::data::Data;
use crate::error::Result;
use crate::operator::OperatorContext;
use crate::output::Output;
use std::fmt::Debug;
use std::time::Duration;

/// Whether a source ends on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundedness {
    /// It ends; a job of only bounded sources finishes (batch).
    Bounded,
    /// It runs until cancelled.
    Unbounded,
}

/// A source of records of type `T`.
pub trait Source<T: Data>: Send + Sync + 'static {
    /// A unit of work plus its current position; serializable so it can be checkpointed.
    type Split: Data + Debug;

    /// The source's name, shown in the job graph (e.g. `DataGen`, `FileSource`).
    fn name(&self) -> &str;

    fn boundedness(&self) -> Boundedness;

    /// Enumerates the splits, each at its start position. `parallelism` is a hint for sources
    /// whose work can be cut at will (a generator); others ignore it (one split per file).
    fn create_splits(&self, parallelism: usize) -> Result<Vec<Self::Split>>;

    /// Creates the reader of one subtask; splits are handed to it with `add_splits`.
    fn create_reader(&self, ctx: &OperatorContext) -> Result<Box<dyn SourceReader<T, Self::Split>>>;
}

/// What a poll of a reader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcePoll {
    /// Records were emitted and more may be had at once.
    MoreAvailable,
    /// Nothing is available now (rate limit, no new data): poll again after `retry_after`.
    NothingAvailable { retry_after: Duration },
    /// Every split of this reader is done: the reader will emit nothing more.
    Finished,
}

/// Reads the splits assigned to one subtask.
pub trait SourceReader<T, S>: Send {
    /// Hands splits (at their positions) to this reader. Called before the first poll now;
    /// readers should also accept splits later (dynamic assignment and rescaling will).
    fn add_splits(&mut self, splits: Vec<S>) -> Result<()>;

    /// Emits at most about `max_records` records into `out` and says what comes next.
    /// A poll may emit records and return [`SourcePoll::Finished`] at once; the runtime passes
    /// on everything emitted before it ends the input.
    /// Must return promptly: the runtime interleaves polls with flushing and control work.
    fn poll_next(&mut self, out: &mut Output<T>, max_records: usize) -> Result<SourcePoll>;

    /// Every unfinished split with its position right after the last record emitted.
    fn snapshot_splits(&self) -> Vec<S>;

    /// Called once at the end, after success or failure.
    fn on_close(&mut self) -> Result<()> {
        Ok(())
    }
}
