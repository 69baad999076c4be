//! The exactly-once file sink: part files made visible by two-phase commit, as Flink's
//! `FileSink` does it (DESIGN §7 step 4, §8).
//!
//! On every subtask `i` a part file goes through three names (see [`PartFile`]):
//!
//! 1. `.part-<i>-<seq>.inprogress`: records are appended to it, from the first record after a
//!    checkpoint barrier; hidden (the leading `.`) from [`crate::file::FileSource`] and readers;
//! 2. `.part-<i>-<seq>.pending`: on the barrier of checkpoint *n* it is flushed, fsynced and
//!    renamed, still hidden, and the writer state returned for *n* lists it;
//! 3. `part-<i>-<seq>`: when checkpoint *n* completes (`notify_checkpoint_complete(n)`), the
//!    pending files of *n* and every earlier checkpoint are renamed to their visible names.
//!
//! `seq` counts the part files of one subtask and never repeats, so reading the visible files of a
//! subtask in `seq` order gives its records in order. When the job takes no checkpoints, the
//! in-progress file is committed directly when the input ends; when it does, the input's end only
//! flushes, and the job's final checkpoint commits.
//!
//! After a failure the runtime restores the last completed checkpoint and creates new writers
//! with its state; recovery (`recovery.rs`) commits the pending files that state lists (the checkpoint
//! completed, even if the failed writer never heard of it) and deletes every other hidden file of
//! the subtask, whose records the source replays. So the visible files hold every record exactly
//! once, whatever failed when. After a change of parallelism, every new subtask commits the
//! pending files of every old subtask's state (idempotently, by their recorded names).
//!
//! The writer state ([`WriterState`]) is versioned: magic, version byte, postcard.
//!
//! It is **not**:
//! - a rolling sink: a part file spans exactly the records between two barriers, with no size or
//!   time limit; a job that takes no checkpoints writes one part file per subtask;
//! - safe for two jobs writing the same directory: recovery deletes hidden part files it does not
//!   know, and commits refuse (rather than overwrite) a visible file of the same name;
//! - a reader-side guarantee on file systems without atomic rename (most object stores).
//!
//! All I/O (listing, creating, writing, fsync, renaming, deleting) happens in `create_writer` and
//! the [`weir_core::sink::SinkWriter`] calls, on the subtask's thread; naming, the state format,
//! `recovery::plan` and `commit::decide` are pure. Every error names the path.

mod commit;
mod naming;
mod recovery;
mod sink;
mod state;
mod writer;

#[cfg(test)]
mod tests;

pub use naming::{PartFile, Stage};
pub use sink::ExactlyOnceFileSink;
pub use state::{PendingCheckpoint, WriterState};
