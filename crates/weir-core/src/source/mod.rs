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
//!
//! Every split has a stable [`SplitId`] ([`SourceSplit::split_id`]), and a reader says which
//! split each record comes from ([`ReaderOutput::split`]) and when a split is done
//! ([`ReaderOutput::finish_split`]). With a watermark strategy given at the source
//! (`from_source_with_watermarks` in `weir-runtime`, Flink's `fromSource(source, strategy, name)`)
//! the runtime generates watermarks per split from that and a subtask's watermark is the minimum
//! over its unfinished, non-idle splits, so a reader of several splits at different event times
//! makes none of them late (Flink's FLIP-27 split-local watermarks).
//!
//! This module is **not** where watermarks are generated (`crate::watermark` and the runtime) and
//! does no I/O itself: readers do theirs inside their calls, on the subtask's thread.

mod reader_output;

pub use reader_output::{ReaderEmitted, ReaderOutput, SplitOutput};

use crate::data::Data;
use crate::error::Result;
use crate::operator::OperatorContext;
use std::fmt::{self, Debug};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// Whether a source ends on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundedness {
    /// It ends; a job of only bounded sources finishes (batch).
    Bounded,
    /// It runs until cancelled.
    Unbounded,
}

/// The stable name of a split: the same for a split at every position, distinct from every other
/// split of the same source (a file's path, a generator range's number, a topic partition).
/// Cheap to clone, and cheap to compare with a clone of itself.
#[derive(Clone)]
pub struct SplitId(Arc<str>);

impl PartialEq for SplitId {
    /// Readers tag every record or batch with the id they hold: the same `Arc` compares at once.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for SplitId {}

impl Hash for SplitId {
    /// The text's hash, as equality compares the text.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialOrd for SplitId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SplitId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl SplitId {
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        SplitId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SplitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl fmt::Display for SplitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A split of a source: a unit of work plus its current position (Flink's `SourceSplit`).
///
/// Contract: [`split_id`](Self::split_id) does not depend on the position, so a split read from
/// a checkpoint has the id it had when it was taken, and no two splits of one source share an id.
pub trait SourceSplit: Data + Debug {
    fn split_id(&self) -> SplitId;
}

/// A source of records of type `T`.
pub trait Source<T: Data>: Send + Sync + 'static {
    /// A unit of work plus its current position; serializable so it can be checkpointed.
    type Split: SourceSplit;

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
///
/// Contract, for per-split watermarks to be right:
/// - every record is emitted through [`ReaderOutput::split`] with the id of the split it comes
///   from (a split's records are in its own order; splits may interleave at will);
/// - every split handed to [`add_splits`](Self::add_splits) is eventually reported done with
///   [`ReaderOutput::finish_split`], also one that was handed over already finished (report it
///   in a later poll); until then it holds back the subtask's watermark. Returning
///   [`SourcePoll::Finished`] finishes all of them.
pub trait SourceReader<T, S>: Send {
    /// Hands splits (at their positions) to this reader. Called before the first poll now;
    /// readers should also accept splits later (dynamic assignment and rescaling will).
    fn add_splits(&mut self, splits: Vec<S>) -> Result<()>;

    /// Emits at most about `max_records` records into `out`, each tagged with its split, and
    /// says what comes next. A poll may emit records and return [`SourcePoll::Finished`] at
    /// once; the runtime passes on everything emitted before it ends the input.
    /// Must return promptly: the runtime interleaves polls with flushing and control work.
    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max_records: usize) -> Result<SourcePoll>;

    /// Every unfinished split with its position right after the last record emitted.
    fn snapshot_splits(&self) -> Vec<S>;

    /// Called once at the end, after success or failure.
    fn on_close(&mut self) -> Result<()> {
        Ok(())
    }
}
