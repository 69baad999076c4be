//! The dry run against snapshots written by hand: it maps, deals and refuses exactly as
//! [`RestorePlan::build`] does for the same snapshot and job (the refusal word for word).

use super::*;
use crate::StreamExecutionEnvironment;
use crate::checkpointing::restore::RestorePlan;
use crate::graph::job_graph::GraphSettings;
use weir_checkpoint::{CheckpointId, Metadata, OpaqueBytes, SnapshotLocation, SubtaskState};
use weir_connectors::{BlackholeSink, DataGenSource, DataGenSplit};
use weir_core::{JobId, OperatorUid, SubtaskIndex};
use weir_state::storage::FsCheckpointStorage;

const JOB: JobId = JobId([7; 16]);

/// Writes checkpoint 3 of a job whose source `numbers` and keyed `counts` ran at parallelism 2,
/// plus, if `gone`, an operator `gone` with operator state that later jobs no longer have, and
/// always an operator `stateless` that kept nothing. Returns the checkpoint's directory.
fn write_snapshot(base: &Path, gone: bool) -> PathBuf {
    let storage = FsCheckpointStorage::new(base, JOB);
    let location = SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(3) };
    let file = |name: &str, key_groups| {
        storage.write_exclusive_file(&location, name, name.as_bytes(), key_groups).expect("write state file")
    };
    let positions = |i: u64| OpaqueBytes(postcard::to_allocvec(&vec![DataGenSplit::range(i, 2, 1000)]).expect("split"));
    let operator =
        |uid: &str, parallelism, subtasks| OperatorState { uid: OperatorUid(uid.into()), parallelism, subtasks };
    let subtask = |i: usize, files, source_splits| SubtaskState { subtask: SubtaskIndex(i), files, source_splits };
    let mut operators = vec![
        operator("numbers", 2, vec![subtask(0, vec![], Some(positions(0))), subtask(1, vec![], Some(positions(1)))]),
        operator(
            "counts",
            2,
            vec![
                subtask(0, vec![file("counts/0", Some(KeyGroupRange { start: 0, end: 64 }))], None),
                subtask(1, vec![file("counts/1", Some(KeyGroupRange { start: 64, end: 128 }))], None),
            ],
        ),
        operator("stateless", 1, vec![]),
    ];
    if gone {
        operators.push(operator("gone", 1, vec![subtask(0, vec![file("gone/0", None)], None)]));
    }
    let metadata = Metadata {
        job_id: JOB,
        checkpoint_id: CheckpointId(3),
        timestamp: 1_735_689_600_000,
        kind: SnapshotKind::Checkpoint,
        max_parallelism: 128,
        operators,
    };
    storage.write_metadata(&location, &metadata).expect("write _metadata");
    storage.location_dir(&location)
}

/// source `numbers` → key_by → reduce `counts` → map (no uid) → sink, at `parallelism`.
fn job(parallelism: usize, max_parallelism: usize) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(parallelism).set_max_parallelism(max_parallelism);
    env.from_source(DataGenSource::new(|i| i).with_count(1000), "numbers")
        .uid("numbers")
        .key_by(|x: &u64| x % 10)
        .reduce(|a, b| a + b)
        .name("Count")
        .uid("counts")
        .map(|x| x + 1)
        .sink_to(BlackholeSink::new());
    env
}

/// What the real restore says for the same snapshot and job.
fn restore(env: &StreamExecutionEnvironment, dir: &Path, allow_non_restored: bool) -> Result<(), String> {
    let conf = env.config();
    let settings = GraphSettings {
        default_parallelism: conf.get(&crate::config::PARALLELISM).expect("parallelism"),
        max_parallelism: conf.get(&crate::config::MAX_PARALLELISM).expect("max parallelism"),
        chaining_enabled: true,
    };
    let graph = JobGraph::build(env.state.borrow().graph.clone(), settings).expect("job graph");
    let snapshot = load_snapshot(dir).expect("loads");
    RestorePlan::build(&snapshot, &graph, allow_non_restored)
        .map(|_| ())
        .map_err(|e| JobError::Restore(e.to_string()).to_string())
}

fn target<'a>(check: &'a RestoreCheck, uid: &str) -> &'a RestoreTarget {
    &check.operators.iter().find(|op| op.uid == uid).unwrap_or_else(|| panic!("no operator {uid}")).target
}

#[test]
fn a_rescaled_restore_deals_key_groups_and_positions_by_the_restore_rules() {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = write_snapshot(base.path(), false);
    let env = job(3, 128);
    let check = env.check_restore(&dir, false).expect("dry run");
    assert!(check.failure.is_none(), "{:?}", check.failure);
    assert_eq!(restore(&env, &dir, false), Ok(()));
    assert!(check.rescales());
    assert_eq!((check.checkpoint_id, check.kind, check.snapshot_max_parallelism), (3, SnapshotKind::Checkpoint, 128));

    let RestoreTarget::Operator { operator, subtasks } = target(&check, "counts") else { panic!("counts is restored") };
    assert_eq!((operator.name.as_str(), operator.parallelism), ("Count", 3));
    let dealt: Vec<(Option<KeyGroupRange>, Vec<usize>)> =
        subtasks.iter().map(|s| (s.key_groups, s.from_subtasks.clone())).collect();
    let range = |start, end| Some(KeyGroupRange { start, end });
    assert_eq!(dealt, [(range(0, 43), vec![0]), (range(43, 86), vec![0, 1]), (range(86, 128), vec![1])]);

    let RestoreTarget::Operator { subtasks, .. } = target(&check, "numbers") else { panic!("numbers is restored") };
    let splits: Vec<Option<usize>> = subtasks.iter().map(|s| s.splits).collect();
    assert_eq!(splits, [Some(1), Some(1), Some(0)], "two splits dealt round-robin over three subtasks");
    assert!(subtasks.iter().all(|s| s.key_groups.is_none() && s.files == 0));

    let RestoreTarget::Vanished = target(&check, "stateless") else { panic!("stateless kept nothing") };
    let fresh: Vec<&str> = check.fresh.iter().map(|op| op.uid.as_str()).collect();
    assert_eq!(fresh.len(), 2, "the map and the sink have no state in the snapshot: {fresh:?}");
    assert!(fresh.iter().all(|uid| uid.starts_with("auto-")), "{fresh:?}");
    assert!(check.fresh.iter().all(|op| op.generated_uid), "{:?}", check.fresh);
    let RestoreTarget::Operator { operator, .. } = target(&check, "counts") else { panic!("counts is restored") };
    assert!(!operator.generated_uid, "counts has the uid the job set");
}

#[test]
fn unchanged_parallelism_gives_every_subtask_its_own_state_back() {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = write_snapshot(base.path(), false);
    let check = job(2, 128).check_restore(&dir, false).expect("dry run");
    assert!(!check.rescales());
    let RestoreTarget::Operator { subtasks, .. } = target(&check, "counts") else { panic!("counts is restored") };
    let from: Vec<Vec<usize>> = subtasks.iter().map(|s| s.from_subtasks.clone()).collect();
    assert_eq!(from, [vec![0], vec![1]]);
    let RestoreTarget::Operator { subtasks, .. } = target(&check, "numbers") else { panic!("numbers is restored") };
    assert_eq!(subtasks.iter().map(|s| s.splits).collect::<Vec<_>>(), [Some(1), Some(1)]);
}

#[test]
fn state_without_an_operator_fails_as_the_restore_does_unless_dropping_is_allowed() {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = write_snapshot(base.path(), true);
    let env = job(2, 128);

    let check = env.check_restore(&dir, false).expect("dry run");
    let RestoreTarget::Unmatched = target(&check, "gone") else { panic!("gone is unmatched") };
    let failure = check.failure.as_ref().map(ToString::to_string);
    assert_eq!(failure.clone().map(Err), Some(restore(&env, &dir, false)), "the restore's own message");
    let failure = failure.unwrap_or_default();
    assert!(failure.contains("uids: gone") && failure.contains("--allow-non-restored-state"), "{failure}");

    let check = env.check_restore(&dir, true).expect("dry run");
    let RestoreTarget::Dropped = target(&check, "gone") else { panic!("gone is dropped") };
    assert!(check.failure.is_none(), "{:?}", check.failure);
    assert_eq!(restore(&env, &dir, true), Ok(()));
}

#[test]
fn a_changed_max_parallelism_fails_as_the_restore_does() {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = write_snapshot(base.path(), false);
    let env = job(2, 64);
    let check = env.check_restore(&dir, false).expect("dry run");
    let failure = check.failure.as_ref().map(ToString::to_string);
    assert_eq!(failure.clone().map(Err), Some(restore(&env, &dir, false)));
    assert!(failure.unwrap_or_default().contains("max parallelism 128, the job has 64"));
    assert_eq!((check.snapshot_max_parallelism, check.job_max_parallelism), (128, 64));
    let RestoreTarget::Operator { subtasks, .. } = target(&check, "counts") else { panic!("counts is matched") };
    assert!(subtasks.is_empty(), "key groups cannot be dealt out under another max parallelism");
}

#[test]
fn a_snapshot_that_cannot_be_loaded_fails_naming_it() {
    let base = tempfile::tempdir().expect("tempdir");
    let dir = write_snapshot(base.path(), false);
    std::fs::remove_file(dir.join("counts").join("1")).expect("rm");
    let error = job(2, 128).check_restore(&dir, false).expect_err("a file is missing").to_string();
    assert!(
        error.starts_with("cannot restore: ") && error.contains("counts/1") && error.contains("missing"),
        "{error}"
    );
}
