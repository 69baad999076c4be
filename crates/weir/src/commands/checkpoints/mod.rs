//! `weir checkpoints`: the tools for snapshots on disk (DESIGN §10), one module per verb —
//! [`list`], [`inspect`], [`verify`], [`check_restore`] and [`gc`] — plus [`format`], the pure
//! helpers they print with.
//!
//! They read checkpoints and savepoints only through weir-state's loader and the runtime's
//! restore rules, never by re-implementing them, so what they call intact or restorable is what
//! a restore would accept. They are **not** for running jobs and change nothing on disk, except
//! `gc`, which deletes a job directory's orphans through weir-state's sweep; their I/O is reading
//! the snapshot directories given (and those deletions) and printing.
//!
//! Exit status: 0 on success; 1 on an error, a damaged file (`verify`), a restore that would
//! fail (`check-restore`) or an orphan that could not be deleted (`gc`); 2 on a usage error; 3
//! when `verify` cannot read `_metadata` at all.

pub mod check_restore;
pub mod format;
pub mod gc;
pub mod inspect;
pub mod list;
pub mod verify;

use crate::cli::{CheckpointsArgs, CheckpointsCommand};
use std::process::ExitCode;

/// Runs one `weir checkpoints` verb.
pub fn execute(args: CheckpointsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CheckpointsCommand::List { path } => list::execute(&path).map(|()| ExitCode::SUCCESS),
        CheckpointsCommand::Inspect { path, json } => inspect::execute(&path, json).map(|()| ExitCode::SUCCESS),
        CheckpointsCommand::Verify { path } => verify::execute(&path),
        CheckpointsCommand::CheckRestore(args) => check_restore::execute(args),
        CheckpointsCommand::Gc { path, dry_run, grace } => gc::execute(&path, dry_run, grace),
    }
}
