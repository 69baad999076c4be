//! # The orphan sweep (`weir checkpoints gc`)
//!
//! Files in a job directory that no retained checkpoint references — shared files a crash kept
//! the coordinator from deleting, checkpoint directories of aborted checkpoints, files a task
//! wrote into a checkpoint's directory that its `_metadata` does not name — are found and, when
//! they are older than a grace period, deleted (issue 6, item 3). The coordinator deletes shared
//! files itself as retention discards checkpoints ([`weir_checkpoint::CompletedCheckpointStore`]);
//! this sweep is for what it could not: a process that died between writing a file and
//! recording it, an interrupted delete, the shared files of aborted checkpoints.
//!
//! Three parts, pure logic in the middle (STYLE):
//! - [`scan_job_dir`] (I/O): checks the path is a job directory, reads every
//!   `chk-<n>/_metadata` and walks `shared/` and the `chk-<n>/` directories;
//! - [`plan_sweep`] (pure): decides what is an orphan, what is old enough, and whether sweeping
//!   is safe at all — a `_metadata` that cannot be read refuses the sweep ([`SweepDecision`]);
//! - [`sweep_orphans`] (I/O): runs both and deletes the plan, or only reports it (dry run).
//!
//! **Safe next to a running job** when two things hold: the grace period is longer than the
//! checkpoint timeout (so nothing a checkpoint in progress wrote is old enough), and a state
//! backend only re-uses shared files of a completed checkpoint (Flink's incremental backends
//! re-use what `checkpoint_complete` confirmed), so that every old shared file a new checkpoint
//! can reference is referenced by a `_metadata` the scan reads; the scan reads the checkpoints
//! before and after walking the files for that reason ([`scan_job_dir`]).
//!
//! **Why here and not in weir-checkpoint**: the coordinator decides from what it was told; the
//! sweep decides from what is on disk — names, sizes, modification times, directories without
//! `_metadata` — which is storage's knowledge, next to the writer that made that layout.
//!
//! It is **not**:
//! - for savepoints: they belong to the user; a path that is one is refused, and a `chk-<n>`
//!   holding a savepoint's `_metadata` is left alone;
//! - for `taskowned/`: task-owned files are never deleted by weir;
//! - a verifier: it does not check sizes or checksums (`weir checkpoints verify` does).

mod plan;
mod scan;
mod sweep;

pub use plan::{
    CheckpointDirScan, EntryKind, FoundEntry, FoundTree, JobDirScan, LeftAlone, MetadataRead, Orphan, OrphanReason,
    SweepDecision, SweepPlan, plan_sweep,
};
pub use scan::{check_job_dir, scan_job_dir};
pub use sweep::{NotDeleted, SweepOptions, SweepReport, sweep_orphans};

#[cfg(test)]
mod tests;
