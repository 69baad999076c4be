//! [`plan_sweep`]: the pure half of the orphan sweep. Given what a scan of one job directory
//! found ([`JobDirScan`]), the grace period and the time now, it decides what is an orphan old
//! enough to delete, what is an orphan still too young, and whether sweeping is safe at all
//! ([`SweepDecision`]). It never touches the disk, so every rule is tested without sleeping or
//! aging files.
//!
//! The rules (DESIGN §7 layout; issue 6, item 3):
//! - the references are those of every `chk-<n>/_metadata` found: shared files by path under
//!   `shared/`, exclusive files by path under their own `chk-<n>/`;
//! - an orphan is a file under `shared/` no `_metadata` references, a `chk-<n>/` without
//!   `_metadata` (aborted, or its deletion was interrupted), or a file in a `chk-<n>/` with
//!   `_metadata` that it does not name (`_metadata` itself excepted);
//! - an orphan goes only when it is at least the grace period old: a file by its mtime, a
//!   directory by the newest mtime in it (its own included), because a running job may be
//!   writing it right now; a time in the future counts as age zero;
//! - a `_metadata` that cannot be read or decoded refuses the whole sweep: the files its
//!   checkpoint references are unknown, so no file can be called unreferenced;
//! - a `chk-<n>/` whose `_metadata` describes a savepoint is left alone entirely (savepoints
//!   belong to the user), as is every symbolic link: weir never writes one, and following it
//!   could leave the job directory;
//! - `taskowned/` and anything else weir does not write in a job directory are never looked at.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use weir_checkpoint::paths::{METADATA_FILE_NAME, SHARED_DIR_NAME};
use weir_checkpoint::{CheckpointId, FileScope, Metadata, SnapshotKind};

/// What kind of filesystem entry was found (symbolic links are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
}

/// One entry found under a directory the sweep walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundEntry {
    /// Relative to the walked directory (`shared/` or `chk-<n>/`), components joined by `/`.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes, for files; 0 otherwise.
    pub size: u64,
    pub modified: SystemTime,
}

/// A directory walked recursively: its own mtime and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTree {
    pub modified: SystemTime,
    /// Every entry below it, in no particular order; symbolic links are listed, not entered.
    pub entries: Vec<FoundEntry>,
}

impl FoundTree {
    /// The newest mtime in the tree, its own included.
    pub fn newest_modified(&self) -> SystemTime {
        self.entries.iter().map(|e| e.modified).fold(self.modified, SystemTime::max)
    }

    /// Bytes of every file in the tree.
    pub fn size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

/// What reading a checkpoint directory's `_metadata` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataRead {
    /// It decoded: a completed checkpoint (or something put there by hand) whose references count.
    Read(Box<Metadata>),
    /// There is none: the checkpoint never completed, or its deletion was interrupted.
    Missing,
    /// It exists but cannot be read or decoded; `reason` says why.
    Unreadable { path: PathBuf, reason: String },
}

/// One `chk-<n>` directory of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointDirScan {
    /// The id its name gives.
    pub id: CheckpointId,
    pub metadata: MetadataRead,
    /// Its content; `None` when the directory is a symbolic link (its `_metadata` is read
    /// through it, but nothing in it is ever deleted).
    pub tree: Option<FoundTree>,
}

impl CheckpointDirScan {
    /// `chk-<n>`.
    pub fn name(&self) -> String {
        self.id.dir_name()
    }
}

/// What a scan of one job directory found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDirScan {
    /// Every `chk-<n>` directory, with its `_metadata` as read.
    pub checkpoints: Vec<CheckpointDirScan>,
    /// `shared/`, if it exists and is a real directory.
    pub shared: Option<FoundTree>,
    /// Metadata of checkpoints read during the scan whose directory was gone by its end
    /// (retention deleted them meanwhile); their references still count.
    pub vanished: Vec<Metadata>,
    /// Entries of the job directory the sweep does not enter, relative to it, and why.
    pub not_entered: Vec<(String, &'static str)>,
}

/// Why an orphan is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrphanReason {
    /// A file under `shared/` that no checkpoint's `_metadata` references.
    UnreferencedShared,
    /// A `chk-<n>/` without `_metadata`: aborted, never completed, or half deleted.
    IncompleteCheckpoint,
    /// A file in a completed checkpoint's directory that its `_metadata` does not name.
    NotInMetadata { checkpoint: CheckpointId },
}

impl std::fmt::Display for OrphanReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrphanReason::UnreferencedShared => f.write_str("shared file no retained checkpoint references"),
            OrphanReason::IncompleteCheckpoint => {
                f.write_str("checkpoint directory without _metadata (aborted or never completed)")
            }
            OrphanReason::NotInMetadata { checkpoint } => {
                write!(f, "in checkpoint {checkpoint}'s directory, not named by its _metadata")
            }
        }
    }
}

/// A file or directory no retained checkpoint needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// Relative to the job directory, components joined by `/` (`shared/op/7.sst`, `chk-9`).
    pub path: String,
    /// A whole directory (an incomplete checkpoint), deleted with everything in it.
    pub is_dir: bool,
    /// Bytes (of every file in it, for a directory).
    pub size: u64,
    /// Since its mtime (the newest in it, for a directory).
    pub age: Duration,
    pub reason: OrphanReason,
}

/// Something the sweep does not touch, and why (reported, never deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftAlone {
    /// Relative to the job directory.
    pub path: String,
    pub why: &'static str,
}

/// What to delete and what to keep, for a job directory whose references are all known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepPlan {
    /// The checkpoints whose `_metadata` was read: their files are kept.
    pub retained: Vec<CheckpointId>,
    /// Distinct shared files they reference.
    pub referenced_shared: usize,
    /// Orphans at least the grace period old: to delete, in path order.
    pub orphans: Vec<Orphan>,
    /// Orphans younger than the grace period: kept for now (a job may be writing them).
    pub too_young: Vec<Orphan>,
    /// Directories under `shared/` that are empty once the orphans are gone and at least the
    /// grace period old, relative to the job directory, deepest first.
    pub empty_dirs: Vec<String>,
    /// Entries left alone: symbolic links, savepoints in `chk-<n>`, names that are not UTF-8.
    pub left_alone: Vec<LeftAlone>,
}

impl SweepPlan {
    /// Bytes the orphans to delete hold.
    pub fn orphan_bytes(&self) -> u64 {
        self.orphans.iter().map(|o| o.size).sum()
    }
}

/// What [`plan_sweep`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepDecision {
    /// Every `_metadata` was read: sweep as planned.
    Sweep(SweepPlan),
    /// Some `_metadata` cannot be read or decoded, so the files of its checkpoint are unknown:
    /// nothing may be deleted. Each unreadable file with the reason.
    Refuse { unreadable: Vec<(PathBuf, String)> },
}

/// Decides the sweep of a scanned job directory: orphans at least `grace` old at `now` go.
pub fn plan_sweep(scan: &JobDirScan, grace: Duration, now: SystemTime) -> SweepDecision {
    let unreadable: Vec<(PathBuf, String)> = scan
        .checkpoints
        .iter()
        .filter_map(|c| match &c.metadata {
            MetadataRead::Unreadable { path, reason } => Some((path.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    if !unreadable.is_empty() {
        return SweepDecision::Refuse { unreadable };
    }
    let age = |modified: SystemTime| now.duration_since(modified).unwrap_or(Duration::ZERO);
    let mut plan = SweepPlan {
        left_alone: scan.not_entered.iter().map(|(path, why)| LeftAlone { path: path.clone(), why }).collect(),
        ..SweepPlan::default()
    };
    let mut candidates = Vec::new();

    let read = scan.checkpoints.iter().filter_map(|c| match &c.metadata {
        MetadataRead::Read(metadata) => Some(metadata.as_ref()),
        _ => None,
    });
    let referenced: BTreeSet<&str> = read
        .chain(&scan.vanished)
        .flat_map(Metadata::files)
        .filter(|(_, _, f)| f.scope == FileScope::Shared)
        .map(|(_, _, f)| f.path.as_str())
        .collect();
    plan.referenced_shared = referenced.len();

    for checkpoint in &scan.checkpoints {
        let name = checkpoint.name();
        let Some(tree) = &checkpoint.tree else {
            if checkpoint.metadata == MetadataRead::Missing {
                plan.left_alone.push(LeftAlone { path: name, why: "symbolic link to a directory without _metadata" });
            } else if let MetadataRead::Read(_) = checkpoint.metadata {
                plan.retained.push(checkpoint.id);
            }
            continue;
        };
        match &checkpoint.metadata {
            MetadataRead::Missing if tree.entries.iter().any(|e| e.kind == EntryKind::Symlink) => {
                plan.left_alone.push(LeftAlone { path: name, why: "incomplete checkpoint holding a symbolic link" });
            }
            MetadataRead::Missing => candidates.push(Orphan {
                path: name,
                is_dir: true,
                size: tree.size(),
                age: age(tree.newest_modified()),
                reason: OrphanReason::IncompleteCheckpoint,
            }),
            MetadataRead::Read(metadata) if metadata.kind == SnapshotKind::Savepoint => {
                plan.retained.push(checkpoint.id);
                plan.left_alone.push(LeftAlone {
                    path: name,
                    why: "its _metadata is a savepoint's, and savepoints belong to the user",
                });
            }
            MetadataRead::Read(metadata) => {
                plan.retained.push(checkpoint.id);
                let named: BTreeSet<&str> = metadata
                    .files()
                    .filter(|(_, _, f)| f.scope == FileScope::Exclusive)
                    .map(|(_, _, f)| f.path.as_str())
                    .chain([METADATA_FILE_NAME])
                    .collect();
                for entry in &tree.entries {
                    let path = format!("{name}/{}", entry.path);
                    match entry.kind {
                        EntryKind::Dir => {}
                        EntryKind::Symlink => plan.left_alone.push(LeftAlone { path, why: "symbolic link" }),
                        EntryKind::File if named.contains(entry.path.as_str()) => {}
                        EntryKind::File => candidates.push(Orphan {
                            path,
                            is_dir: false,
                            size: entry.size,
                            age: age(entry.modified),
                            reason: OrphanReason::NotInMetadata { checkpoint: checkpoint.id },
                        }),
                    }
                }
            }
            MetadataRead::Unreadable { .. } => {}
        }
    }

    // Paths under shared/ that stay: referenced or young files, links, young directories.
    let mut staying: BTreeSet<&str> = BTreeSet::new();
    if let Some(shared) = &scan.shared {
        for entry in &shared.entries {
            let path = format!("{SHARED_DIR_NAME}/{}", entry.path);
            match entry.kind {
                EntryKind::Dir => {
                    if age(entry.modified) < grace {
                        staying.insert(&entry.path);
                    }
                }
                EntryKind::Symlink => {
                    staying.insert(&entry.path);
                    plan.left_alone.push(LeftAlone { path, why: "symbolic link" });
                }
                EntryKind::File if referenced.contains(entry.path.as_str()) => {
                    staying.insert(&entry.path);
                }
                EntryKind::File => {
                    if age(entry.modified) < grace {
                        staying.insert(&entry.path);
                    }
                    candidates.push(Orphan {
                        path,
                        is_dir: false,
                        size: entry.size,
                        age: age(entry.modified),
                        reason: OrphanReason::UnreferencedShared,
                    });
                }
            }
        }
        let mut empty: Vec<&FoundEntry> = shared
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Dir && !staying.contains(e.path.as_str()))
            .filter(|e| {
                let prefix = format!("{}/", e.path);
                !staying.range(prefix.as_str()..).next().is_some_and(|s| s.starts_with(&prefix))
            })
            .collect();
        empty.sort_by_key(|e| (std::cmp::Reverse(e.path.matches('/').count()), e.path.as_str()));
        plan.empty_dirs = empty.into_iter().map(|e| format!("{SHARED_DIR_NAME}/{}", e.path)).collect();
    }

    for orphan in candidates {
        if orphan.age >= grace { plan.orphans.push(orphan) } else { plan.too_young.push(orphan) }
    }
    plan.orphans.sort_by(|a, b| a.path.cmp(&b.path));
    plan.too_young.sort_by(|a, b| a.path.cmp(&b.path));
    plan.retained.sort();
    plan.left_alone.sort_by(|a, b| a.path.cmp(&b.path));
    plan.left_alone.dedup();
    SweepDecision::Sweep(plan)
}
