//! The orphan sweep: the planner's rules on job directories written with the real
//! [`FsCheckpointStorage`] and [`Metadata`] (files aged with `File::set_modified`), on hand-made
//! scans for what a disk rarely shows (clocks in the future, links, checkpoints vanishing
//! mid-scan), and the executor end to end.

use super::*;
use crate::storage::{FsCheckpointStorage, StorageError, load_snapshot};
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use weir_checkpoint::{
    CheckpointId, FileScope, Metadata, OperatorState, RelativePath, SnapshotKind, SnapshotLocation, StateFile,
    SubtaskState, paths,
};
use weir_core::{JobId, OperatorUid, SubtaskIndex};

const JOB: JobId = JobId([0x6c; 16]);
const HOUR: Duration = Duration::from_secs(3600);

fn checkpoint(id: u64) -> SnapshotLocation {
    SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(id) }
}

fn metadata(id: u64, kind: SnapshotKind, files: Vec<StateFile>) -> Metadata {
    Metadata {
        job_id: JOB,
        checkpoint_id: CheckpointId(id),
        timestamp: 1_735_689_600_000 + id as i64,
        kind,
        max_parallelism: 128,
        operators: vec![OperatorState {
            uid: OperatorUid("counter".into()),
            parallelism: 1,
            subtasks: vec![SubtaskState { subtask: SubtaskIndex(0), files, source_splits: None }],
        }],
    }
}

/// Writes a shared file as an incremental backend would, and describes it.
fn write_shared(storage: &FsCheckpointStorage, path: &str, bytes: &[u8]) -> StateFile {
    let relative = RelativePath::new(path).expect("valid");
    let on_disk = relative.to_path_under(&storage.shared_dir());
    fs::create_dir_all(on_disk.parent().expect("parent")).expect("mkdir");
    fs::write(&on_disk, bytes).expect("write");
    StateFile {
        path: relative,
        scope: FileScope::Shared,
        size: bytes.len() as u64,
        crc32c: crc32c::crc32c(bytes),
        key_groups: None,
    }
}

/// Writes checkpoint `id` completely: one exclusive file, these shared files, `_metadata`.
fn write_checkpoint(storage: &FsCheckpointStorage, id: u64, shared: &[&StateFile]) {
    let exclusive = storage.write_exclusive_file(&checkpoint(id), "counter/0.state", b"state", None).expect("write");
    let mut files = vec![exclusive];
    files.extend(shared.iter().map(|f| (*f).clone()));
    storage.write_metadata(&checkpoint(id), &metadata(id, SnapshotKind::Checkpoint, files)).expect("_metadata");
}

/// Sets the mtime of `path` (and of everything in it, for a directory) to `by` ago.
fn age(path: &Path, by: Duration) {
    let when = SystemTime::now() - by;
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("list") {
            age(&entry.expect("entry").path(), by);
        }
    }
    let file = if path.is_dir() { fs::File::open(path) } else { fs::File::options().write(true).open(path) };
    file.expect("open").set_modified(when).expect("set mtime");
}

fn plan_of(job_dir: &Path) -> SweepPlan {
    match plan_sweep(&scan_job_dir(job_dir).expect("scan"), HOUR, SystemTime::now()) {
        SweepDecision::Sweep(plan) => plan,
        SweepDecision::Refuse { unreadable } => panic!("refused: {unreadable:?}"),
    }
}

fn paths_of(orphans: &[Orphan]) -> Vec<&str> {
    orphans.iter().map(|o| o.path.as_str()).collect()
}

/// A job with two retained checkpoints sharing files, plus every kind of orphan, old and young:
/// `shared/counter/{a,b,c}.sst` referenced, `shared/counter/old.sst` and
/// `shared/dead/deep/x.sst` unreferenced and old, `shared/counter/new.sst` unreferenced and
/// young, an old incomplete `chk-3`, a young incomplete `chk-4`, an old stray file in `chk-2`,
/// and an old task-owned file.
fn job_with_orphans(base: &Path) -> FsCheckpointStorage {
    let storage = FsCheckpointStorage::new(base, JOB);
    let a = write_shared(&storage, "counter/a.sst", b"a");
    let b = write_shared(&storage, "counter/b.sst", b"bb");
    let c = write_shared(&storage, "counter/c.sst", b"ccc");
    write_checkpoint(&storage, 1, &[&a, &b]);
    write_checkpoint(&storage, 2, &[&b, &c]);
    write_shared(&storage, "counter/old.sst", b"old!");
    write_shared(&storage, "dead/deep/x.sst", b"xxxxx");
    storage.write_exclusive_file(&checkpoint(3), "counter/0.state", b"aborted", None).expect("write");
    fs::write(storage.location_dir(&checkpoint(2)).join("stray.tmp"), b"stray").expect("write");
    fs::create_dir_all(storage.task_owned_dir()).expect("mkdir");
    fs::write(storage.task_owned_dir().join("sink-0.pending"), b"pending").expect("write");
    age(&storage.job_dir(), 2 * HOUR);
    // Young: written after the aging.
    write_shared(&storage, "counter/new.sst", b"new");
    storage.write_exclusive_file(&checkpoint(4), "counter/0.state", b"in progress", None).expect("write");
    storage
}

#[test]
fn referenced_files_stay_and_old_orphans_go() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    let plan = plan_of(&storage.job_dir());

    assert_eq!(plan.retained, vec![CheckpointId(1), CheckpointId(2)]);
    assert_eq!(plan.referenced_shared, 3);
    assert_eq!(
        paths_of(&plan.orphans),
        ["chk-2/stray.tmp", "chk-3", "shared/counter/old.sst", "shared/dead/deep/x.sst"]
    );
    let reasons: Vec<OrphanReason> = plan.orphans.iter().map(|o| o.reason).collect();
    assert_eq!(
        reasons,
        [
            OrphanReason::NotInMetadata { checkpoint: CheckpointId(2) },
            OrphanReason::IncompleteCheckpoint,
            OrphanReason::UnreferencedShared,
            OrphanReason::UnreferencedShared,
        ]
    );
    let sizes: Vec<u64> = plan.orphans.iter().map(|o| o.size).collect();
    assert_eq!(sizes, [5, 7, 4, 5], "a directory's size is its files'");
    assert!(plan.orphans.iter().all(|o| o.age >= 2 * HOUR - Duration::from_secs(60)), "{plan:?}");
    assert!(plan.orphans[1].is_dir && !plan.orphans[0].is_dir);
    assert_eq!(plan.orphan_bytes(), 21);
    assert_eq!(paths_of(&plan.too_young), ["chk-4", "shared/counter/new.sst"]);
    assert_eq!(plan.empty_dirs, ["shared/dead/deep", "shared/dead"], "deepest first; shared/counter keeps files");
    assert!(plan.left_alone.is_empty(), "{:?}", plan.left_alone);
}

#[test]
fn young_orphans_are_kept_until_the_grace_period_passed() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    let scan = scan_job_dir(&storage.job_dir()).expect("scan");
    let SweepDecision::Sweep(plan) = plan_sweep(&scan, 3 * HOUR, SystemTime::now()) else { panic!("refused") };
    assert!(plan.orphans.is_empty() && plan.empty_dirs.is_empty(), "{plan:?}");
    assert_eq!(plan.too_young.len(), 6);
    // The same directory a day later: everything unreferenced goes, nothing referenced does.
    let SweepDecision::Sweep(plan) = plan_sweep(&scan, HOUR, SystemTime::now() + 24 * HOUR) else { panic!() };
    assert_eq!(
        paths_of(&plan.orphans),
        [
            "chk-2/stray.tmp",
            "chk-3",
            "chk-4",
            "shared/counter/new.sst",
            "shared/counter/old.sst",
            "shared/dead/deep/x.sst"
        ]
    );
    assert!(plan.too_young.is_empty());
}

#[test]
fn an_incomplete_checkpoint_is_as_young_as_its_newest_file() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    storage.write_exclusive_file(&checkpoint(5), "op/0.state", b"zero", None).expect("write");
    age(&storage.job_dir(), 2 * HOUR);
    // A subtask still writing op/1.state makes the whole checkpoint young.
    storage.write_exclusive_file(&checkpoint(5), "op/1.state", b"one", None).expect("write");
    let plan = plan_of(&storage.job_dir());
    assert_eq!(paths_of(&plan.too_young), ["chk-5"]);
    assert!(plan.orphans.is_empty());
    age(&storage.location_dir(&checkpoint(5)), 2 * HOUR);
    let plan = plan_of(&storage.job_dir());
    assert_eq!(paths_of(&plan.orphans), ["chk-5"]);
    assert_eq!(plan.orphans[0].reason, OrphanReason::IncompleteCheckpoint);
}

#[test]
fn an_unreadable_metadata_refuses_the_sweep_and_nothing_is_deleted() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    let metadata = storage.location_dir(&checkpoint(1)).join(paths::METADATA_FILE_NAME);
    let mut bytes = fs::read(&metadata).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&metadata, bytes).expect("corrupt");

    let decision = plan_sweep(&scan_job_dir(&storage.job_dir()).expect("scan"), HOUR, SystemTime::now());
    let SweepDecision::Refuse { unreadable } = decision else { panic!("must refuse: {decision:?}") };
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].0, metadata);

    let error = sweep_orphans(&storage.job_dir(), SweepOptions { grace: HOUR, dry_run: false }).expect_err("refused");
    assert!(matches!(error, StorageError::SweepRefused { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&metadata.display().to_string()) && message.contains("nothing was deleted"), "{message}");
    assert!(storage.shared_dir().join("counter").join("old.sst").exists());
    assert!(storage.location_dir(&checkpoint(3)).exists());
}

#[test]
fn a_metadata_that_cannot_be_read_at_all_refuses_too() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    // A directory where _metadata should be: reading it fails (not "missing").
    fs::create_dir_all(storage.location_dir(&checkpoint(7)).join(paths::METADATA_FILE_NAME)).expect("mkdir");
    let decision = plan_sweep(&scan_job_dir(&storage.job_dir()).expect("scan"), HOUR, SystemTime::now());
    assert!(matches!(decision, SweepDecision::Refuse { .. }), "{decision:?}");
}

#[test]
fn the_sweep_deletes_the_plan_and_keeps_every_retained_checkpoint_restorable() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    let job_dir = storage.job_dir();
    let before = files_under(&job_dir);

    let dry = sweep_orphans(&job_dir, SweepOptions { grace: HOUR, dry_run: true }).expect("dry run");
    assert_eq!(dry.plan.orphans.len(), 4);
    assert!(dry.deleted.is_empty() && dry.removed_dirs == 0);
    assert_eq!(files_under(&job_dir), before, "a dry run deletes nothing");

    let report = sweep_orphans(&job_dir, SweepOptions { grace: HOUR, dry_run: false }).expect("sweep");
    assert_eq!(paths_of(&report.deleted), paths_of(&dry.plan.orphans));
    assert!(report.not_deleted.is_empty() && report.is_complete());
    assert_eq!(report.removed_dirs, 2);
    assert_eq!(
        files_under(&job_dir),
        [
            "chk-1/_metadata",
            "chk-1/counter/0.state",
            "chk-2/_metadata",
            "chk-2/counter/0.state",
            "chk-4/counter/0.state",
            "shared/counter/a.sst",
            "shared/counter/b.sst",
            "shared/counter/c.sst",
            "shared/counter/new.sst",
            "taskowned/sink-0.pending",
        ]
    );
    assert!(!storage.shared_dir().join("dead").exists(), "emptied directories under shared/ go");
    for id in [1, 2] {
        load_snapshot(&storage.location_dir(&checkpoint(id))).expect("every retained checkpoint still loads");
    }
    let again = sweep_orphans(&job_dir, SweepOptions { grace: HOUR, dry_run: false }).expect("sweep again");
    assert!(again.plan.orphans.is_empty() && again.deleted.is_empty());
}

#[test]
fn only_job_directories_are_swept() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = job_with_orphans(base.path());
    let savepoint = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 1) };
    let file = storage.write_exclusive_file(&savepoint, "state", b"mine", None).expect("write");
    storage.write_metadata(&savepoint, &metadata(9, SnapshotKind::Savepoint, vec![file])).expect("write");
    let empty = base.path().join("empty");
    fs::create_dir(&empty).expect("mkdir");
    let scratch = base.path().join("scratch");
    fs::create_dir_all(scratch.join("shared")).expect("mkdir");
    fs::write(scratch.join("shared").join("notes"), b"mine").expect("write");
    age(&scratch, 2 * HOUR);
    let chk = storage.location_dir(&checkpoint(1));
    let parent = storage.job_dir().display().to_string();
    let cases: [(PathBuf, &[&str]); 8] = [
        (chk.clone(), &["checkpoint 1's directory", &parent]),
        (chk.join(paths::METADATA_FILE_NAME), &["_metadata file", &parent]),
        (storage.location_dir(&savepoint), &["savepoint", "never swept", "<state.checkpoints.dir>/<job-id>"]),
        (storage.shared_dir(), &["shared/ directory", &parent]),
        (base.path().to_path_buf(), &["state.checkpoints.dir", &parent]),
        (empty, &["holds no chk-<n>/, shared/ or taskowned/"]),
        (scratch.clone(), &["its name is not a job id"]),
        (base.path().join("missing"), &["does not exist"]),
    ];
    for (path, needles) in cases {
        let error = sweep_orphans(&path, SweepOptions { grace: HOUR, dry_run: true }).expect_err("not a job dir");
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        for needle in needles {
            assert!(message.contains(needle), "{path:?}: expected {needle:?} in {message}");
        }
    }
    assert!(storage.location_dir(&savepoint).join("state").exists());
    assert!(scratch.join("shared").join("notes").exists());

    // A job directory whose checkpoints are all gone is still one: it is named by the job id.
    for id in [1, 2, 3, 4] {
        storage.discard_location(&checkpoint(id)).expect("discard");
    }
    let report = sweep_orphans(&storage.job_dir(), SweepOptions { grace: HOUR, dry_run: true }).expect("a job dir");
    assert!(report.plan.retained.is_empty());
    assert_eq!(report.plan.orphans.len(), 5, "every old shared file: {:?}", report.plan.orphans);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_neither_followed_nor_deleted() {
    let base = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("precious"), b"precious").expect("write");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let a = write_shared(&storage, "counter/a.sst", b"a");
    write_checkpoint(&storage, 1, &[&a]);
    std::os::unix::fs::symlink(outside.path(), storage.shared_dir().join("elsewhere")).expect("link");
    std::os::unix::fs::symlink(outside.path().join("precious"), storage.shared_dir().join("file-link")).expect("link");
    age(&storage.job_dir(), 2 * HOUR);

    let report = sweep_orphans(&storage.job_dir(), SweepOptions { grace: HOUR, dry_run: false }).expect("sweep");
    assert!(report.deleted.is_empty(), "{:?}", report.deleted);
    let left: Vec<&str> = report.plan.left_alone.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(left, ["shared/elsewhere", "shared/file-link"]);
    assert!(storage.shared_dir().join("elsewhere").exists() && outside.path().join("precious").exists());
}

/// Every file under `dir`, relative to it with `/` separators, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).expect("under base");
                out.push(relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// Hand-made scans: what a disk rarely shows.

fn at(hours_ago: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000 * 3600 - hours_ago * 3600)
}

fn now() -> SystemTime {
    at(0)
}

fn file(path: &str, hours_ago: u64) -> FoundEntry {
    FoundEntry { path: path.into(), kind: EntryKind::File, size: 1, modified: at(hours_ago) }
}

fn dir(path: &str, hours_ago: u64) -> FoundEntry {
    FoundEntry { path: path.into(), kind: EntryKind::Dir, size: 0, modified: at(hours_ago) }
}

fn shared_ref(path: &str) -> StateFile {
    StateFile {
        path: RelativePath::new(path).expect("valid"),
        scope: FileScope::Shared,
        size: 1,
        crc32c: 0,
        key_groups: None,
    }
}

fn complete(id: u64, kind: SnapshotKind, shared: &[&str]) -> CheckpointDirScan {
    let files = shared.iter().map(|p| shared_ref(p)).collect();
    CheckpointDirScan {
        id: CheckpointId(id),
        metadata: MetadataRead::Read(Box::new(metadata(id, kind, files))),
        tree: Some(FoundTree { modified: at(5), entries: vec![file("_metadata", 5), file("stray", 5)] }),
    }
}

fn scan(checkpoints: Vec<CheckpointDirScan>, shared: Vec<FoundEntry>) -> JobDirScan {
    JobDirScan {
        checkpoints,
        shared: Some(FoundTree { modified: at(10), entries: shared }),
        vanished: Vec::new(),
        not_entered: Vec::new(),
    }
}

fn sweep_plan(scan: &JobDirScan) -> SweepPlan {
    match plan_sweep(scan, HOUR, now()) {
        SweepDecision::Sweep(plan) => plan,
        SweepDecision::Refuse { unreadable } => panic!("refused: {unreadable:?}"),
    }
}

#[test]
fn a_file_from_the_future_is_young() {
    let future = FoundEntry { modified: now() + HOUR, ..file("skewed.sst", 0) };
    let plan = sweep_plan(&scan(vec![], vec![future, file("old.sst", 3)]));
    assert_eq!(paths_of(&plan.orphans), ["shared/old.sst"]);
    assert_eq!(paths_of(&plan.too_young), ["shared/skewed.sst"]);
    assert_eq!(plan.too_young[0].age, Duration::ZERO);
}

#[test]
fn references_of_checkpoints_deleted_during_the_scan_still_count() {
    let mut scanned = scan(vec![complete(2, SnapshotKind::Checkpoint, &["b"])], vec![file("a", 3), file("b", 3)]);
    scanned.vanished.push(metadata(1, SnapshotKind::Checkpoint, vec![shared_ref("a")]));
    let plan = sweep_plan(&scanned);
    assert!(paths_of(&plan.orphans).iter().all(|p| p.starts_with("chk-")), "{:?}", plan.orphans);
    assert_eq!(plan.referenced_shared, 2);
    assert_eq!(plan.retained, vec![CheckpointId(2)]);
}

#[test]
fn a_savepoint_in_a_checkpoint_directory_is_left_alone() {
    let plan = sweep_plan(&scan(vec![complete(3, SnapshotKind::Savepoint, &[])], vec![]));
    assert!(plan.orphans.is_empty(), "its stray file is not touched: {:?}", plan.orphans);
    assert_eq!(plan.left_alone.len(), 1);
    assert!(plan.left_alone[0].why.contains("savepoint"), "{:?}", plan.left_alone);
}

#[test]
fn a_young_directory_under_shared_keeps_its_parents() {
    let entries = vec![
        dir("op", 3),
        dir("op/young", 0),
        dir("op/old", 3),
        file("op/old/x", 3),
        dir("gone", 3),
        dir("gone/er", 3),
    ];
    let plan = sweep_plan(&scan(vec![], entries));
    assert_eq!(plan.empty_dirs, ["gone/er", "op/old", "gone"].map(|d| format!("shared/{d}")));
}

#[test]
fn a_linked_checkpoint_directory_counts_but_is_never_entered() {
    let mut linked = complete(4, SnapshotKind::Checkpoint, &["a"]);
    linked.tree = None;
    let incomplete_link = CheckpointDirScan { id: CheckpointId(5), metadata: MetadataRead::Missing, tree: None };
    let plan = sweep_plan(&scan(vec![linked, incomplete_link], vec![file("a", 3)]));
    assert!(plan.orphans.is_empty(), "{:?}", plan.orphans);
    assert_eq!(plan.retained, vec![CheckpointId(4)]);
    assert_eq!(plan.left_alone.iter().map(|l| l.path.as_str()).collect::<Vec<_>>(), ["chk-5"]);
}

proptest! {
    /// Whatever the files, references and ages: nothing referenced is ever an orphan, every
    /// unreferenced shared file is one (old enough to go, or too young), and what goes is old.
    #[test]
    fn referenced_files_are_never_orphans(
        files in prop::collection::btree_map("[a-c]{1,2}(/[a-c]{1,2})?", 0u64..4, 0..12),
        references in prop::collection::vec(prop::collection::btree_set("[a-c]{1,2}(/[a-c]{1,2})?", 0..6), 0..4),
    ) {
        // A path cannot be both a file and a directory: drop files that are another's parent.
        let paths: Vec<&String> = files.keys().collect();
        let entries: Vec<FoundEntry> = files
            .iter()
            .filter(|(p, _)| !paths.iter().any(|q| q.starts_with(&format!("{p}/"))))
            .map(|(p, hours)| file(p, *hours))
            .collect();
        let checkpoints: Vec<CheckpointDirScan> = references
            .iter()
            .enumerate()
            .map(|(i, refs)| complete(i as u64 + 1, SnapshotKind::Checkpoint, &refs.iter().map(String::as_str).collect::<Vec<_>>()))
            .collect();
        let plan = sweep_plan(&scan(checkpoints, entries.clone()));
        let referenced: std::collections::BTreeSet<&str> = references.iter().flatten().map(String::as_str).collect();
        for entry in &entries {
            let shown = format!("shared/{}", entry.path);
            let orphan = plan.orphans.iter().find(|o| o.path == shown);
            let young = plan.too_young.iter().find(|o| o.path == shown);
            if referenced.contains(entry.path.as_str()) {
                prop_assert!(orphan.is_none() && young.is_none(), "{} is referenced", shown);
            } else if entry.modified <= now() - HOUR {
                prop_assert!(orphan.is_some(), "{} is unreferenced and old", shown);
            } else {
                prop_assert!(young.is_some(), "{} is unreferenced and young", shown);
            }
        }
        prop_assert!(plan.orphans.iter().all(|o| o.age >= HOUR));
    }
}
