//! [`sweep_orphans`]: the executor of the orphan sweep — scan ([`super::scan_job_dir`]), decide
//! ([`super::plan_sweep`]) and, unless it is a dry run, delete what the plan names.
//!
//! Deleting is careful in two ways. An incomplete checkpoint directory is deleted only if it
//! still has no `_metadata` right before (its checkpoint may have completed since the scan).
//! Directories under `shared/` are removed only if they are really empty by then
//! (`remove_dir`, never recursive), so a file written into one after the scan keeps it.
//! A failure to delete one orphan does not stop the others; each is reported.

use super::plan::{Orphan, SweepDecision, SweepPlan, plan_sweep};
use super::scan::scan_job_dir;
use crate::storage::durable;
use crate::storage::error::StorageError;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use weir_checkpoint::paths::METADATA_FILE_NAME;

/// How an orphan sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Orphans younger than this are kept: a running job may be writing them. It must be longer
    /// than the job's checkpoint timeout (`execution.checkpointing.timeout`).
    pub grace: Duration,
    /// Only report what would be deleted.
    pub dry_run: bool,
}

impl SweepOptions {
    /// The default grace period: an hour, far beyond the default checkpoint timeout (10 min).
    pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);
}

/// Why an orphan of the plan is still there after a sweep.
#[derive(Debug)]
pub enum NotDeleted {
    /// Its `_metadata` appeared after the scan: the checkpoint completed, so it is no orphan.
    CompletedMeanwhile,
    /// Deleting it failed.
    Failed(StorageError),
}

/// What a sweep found and did.
#[derive(Debug)]
pub struct SweepReport {
    pub job_dir: PathBuf,
    pub options: SweepOptions,
    /// What the sweep decided; in a dry run, nothing of it was carried out.
    pub plan: SweepPlan,
    /// The orphans deleted (empty in a dry run).
    pub deleted: Vec<Orphan>,
    /// The orphans of the plan that were not deleted, and why.
    pub not_deleted: Vec<(Orphan, NotDeleted)>,
    /// Empty directories removed under `shared/`.
    pub removed_dirs: usize,
}

impl SweepReport {
    /// Whether every orphan planned was deleted (or it was a dry run) — at most a checkpoint
    /// completed meanwhile.
    pub fn is_complete(&self) -> bool {
        self.not_deleted.iter().all(|(_, why)| matches!(why, NotDeleted::CompletedMeanwhile))
    }
}

/// Sweeps the orphans of the job directory `job_dir` (DESIGN §7 layout): files and directories
/// no retained checkpoint references, at least `options.grace` old. Refuses
/// ([`StorageError::SweepRefused`], nothing deleted) when a `_metadata` cannot be read, and
/// ([`StorageError::NotAJobDirectory`]) when `job_dir` is not a job directory.
pub fn sweep_orphans(job_dir: &Path, options: SweepOptions) -> Result<SweepReport, StorageError> {
    let scan = scan_job_dir(job_dir)?;
    let plan = match plan_sweep(&scan, options.grace, SystemTime::now()) {
        SweepDecision::Sweep(plan) => plan,
        SweepDecision::Refuse { unreadable } => {
            return Err(StorageError::SweepRefused { job_dir: job_dir.to_path_buf(), unreadable });
        }
    };
    let mut report = SweepReport {
        job_dir: job_dir.to_path_buf(),
        options,
        plan,
        deleted: Vec::new(),
        not_deleted: Vec::new(),
        removed_dirs: 0,
    };
    if options.dry_run {
        return Ok(report);
    }
    for orphan in report.plan.orphans.clone() {
        match delete(job_dir, &orphan) {
            Ok(()) => report.deleted.push(orphan),
            Err(why) => report.not_deleted.push((orphan, why)),
        }
    }
    for dir in &report.plan.empty_dirs {
        // A directory no longer empty (a job wrote into it), already gone or not removable stays.
        if std::fs::remove_dir(under(job_dir, dir)).is_ok() {
            report.removed_dirs += 1;
        }
    }
    Ok(report)
}

fn delete(job_dir: &Path, orphan: &Orphan) -> Result<(), NotDeleted> {
    let path = under(job_dir, &orphan.path);
    if !orphan.is_dir {
        return durable::remove_file_if_exists(&path).map(|_| ()).map_err(NotDeleted::Failed);
    }
    match std::fs::symlink_metadata(path.join(METADATA_FILE_NAME)) {
        Ok(_) => return Err(NotDeleted::CompletedMeanwhile),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(NotDeleted::Failed(StorageError::Io { action: "inspect", path, source })),
    }
    durable::remove_dir_all_if_exists(&path).map_err(NotDeleted::Failed)
}

/// `relative` (components joined by `/`) under `job_dir`.
fn under(job_dir: &Path, relative: &str) -> PathBuf {
    let mut path = job_dir.to_path_buf();
    path.extend(relative.split('/'));
    path
}
