//! # Checkpoint storage on the local filesystem
//!
//! Where checkpoints and savepoints are written, read back, verified and deleted (DESIGN §6–§8),
//! in the layout weir-checkpoint's [`paths`](weir_checkpoint::paths) defines:
//!
//! ```text
//! <state.checkpoints.dir>/<job-id>/
//!     chk-<n>/_metadata      written last, atomically: a chk-<n> without it is incomplete
//!     chk-<n>/...            files exclusive to checkpoint n
//!     shared/...             files shared by several checkpoints
//!     taskowned/...          files owned by tasks
//! <state.savepoints.dir>/savepoint-.../_metadata, ...   self-contained
//! ```
//!
//! - [`FsCheckpointStorage`] writes one job's state files and `_metadata` durably (fsync of
//!   files and directories, `_metadata` renamed into place) and deletes what retention discards;
//! - [`load_snapshot`] reads a checkpoint or savepoint and verifies every file before a restore
//!   trusts it ([`open_snapshot`] reads only `_metadata`, for tools that show damaged snapshots);
//!   [`find_latest_restorable`] picks the newest intact checkpoint of a job for
//!   automatic recovery and reports every newer one it skipped;
//! - [`gc`] sweeps a job directory of orphans no retained checkpoint references
//!   ([`sweep_orphans`], `weir checkpoints gc`);
//! - [`StorageError`] names the path and what is wrong in every failure.
//!
//! **Why it lives here, and why it is split this way**: the protocol (what to write, when, what to
//! delete) is pure logic in weir-checkpoint; this module is the I/O edge that executes it, next to
//! the state backends whose bytes it stores (DESIGN §6: backend and checkpoint storage are
//! configured separately but both are state). Only relative paths go into `_metadata`, and every
//! path is resolved against where a snapshot is *now*, so a job or savepoint directory copied
//! elsewhere restores from its new place.
//!
//! It is **not**:
//! - a decider: which checkpoints to keep and which shared files are unreferenced is decided by
//!   weir-checkpoint's coordinator and store; this executes their actions;
//! - an object-store client: S3 and friends come later behind the same operations;
//! - a state format: what is inside a state file is the backend's business.
//!
//! All I/O is synchronous `std::fs`; callers run it off the processing thread (the asynchronous
//! part of a snapshot).

mod durable;
pub mod error;
mod fs_storage;
pub mod gc;
mod recovery;
mod snapshot;

pub use error::StorageError;
pub use fs_storage::{FsCheckpointStorage, JobDirRemoval};
pub use gc::{SweepOptions, SweepReport, sweep_orphans};
pub use recovery::{SkippedSnapshot, find_latest_restorable, list_checkpoint_dirs, open_checkpoint};
pub use snapshot::{LoadedSnapshot, UnverifiedSnapshot, load_snapshot, open_snapshot};
