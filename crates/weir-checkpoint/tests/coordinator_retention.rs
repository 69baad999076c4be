//! Subsumption, num-retained, shared files and what happens to checkpoints when the job ends.

mod common;

use common::*;
use weir_checkpoint::*;

#[test]
fn completing_subsumes_checkpoints_beyond_num_retained() {
    let mut h = Harness::new(CheckpointConfig { num_retained: 2, ..config() });
    for _ in 1..=2 {
        let id = h.trigger();
        assert!(discarded(&h.complete(id)).is_empty(), "checkpoint {id}");
    }
    let id = h.trigger();
    let actions = h.complete(id);
    assert_eq!(notified(&actions), vec![3]);
    assert_eq!(discarded(&actions), vec![1]);
    let retained: Vec<u64> = h.coordinator.store().checkpoints().map(|c| c.id().0).collect();
    assert_eq!(retained, vec![2, 3]);
}

#[test]
fn a_completion_aborts_older_pending_checkpoints_as_subsumed() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 3, ..config() });
    let first = h.trigger();
    let second = h.trigger();
    let third = h.trigger();
    let actions = h.complete(second);
    assert_eq!(notified(&actions), vec![second.0]);
    assert_eq!(aborts(&actions), vec![(first, AbortReason::Subsumed { by: second })]);
    assert_eq!(h.coordinator.pending_ids().collect::<Vec<_>>(), vec![third]);
    assert_eq!(h.coordinator.consecutive_failures(), 0, "subsumption is no failure");
}

#[test]
fn older_savepoints_are_not_subsumed() {
    let mut h = Harness::new(config());
    let savepoint = triggered(&h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, 1))).expect("savepoint");
    let checkpoint = h.trigger();
    let actions = h.complete(checkpoint);
    assert!(aborts(&actions).is_empty(), "{actions:?}");
    assert_eq!(notified(&h.complete(savepoint)), vec![savepoint.0]);
}

#[test]
fn metadata_landing_after_a_newer_completion_is_aborted_so_completed_ids_increase() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let older = h.trigger();
    let newer = h.trigger();
    h.ack_all(older); // older's metadata is being written ...
    h.complete(newer); // ... while newer completes first
    let actions = h.coordinator.metadata_written(older);
    assert_eq!(aborts(&actions), vec![(older, AbortReason::Subsumed { by: newer })]);
    assert!(notified(&actions).is_empty());
    let retained: Vec<u64> = h.coordinator.store().checkpoints().map(|c| c.id().0).collect();
    assert_eq!(retained, vec![newer.0]);
}

#[test]
fn shared_files_are_discarded_only_when_no_checkpoint_references_them() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let shared = |id: CheckpointId, files: &[&str]| -> Vec<(TaskKey, SubtaskStateHandle)> {
        tasks().into_iter().map(|t| (t, handle(id, t, if t.vertex == VertexId(1) { files } else { &[] }))).collect()
    };
    let c1 = h.trigger();
    for (task, handle) in shared(c1, &["a.sst", "b.sst", "c.sst"]) {
        h.coordinator.acknowledge(c1, task, handle);
    }
    h.coordinator.metadata_written(c1);
    let c2 = h.trigger();
    let c3 = h.trigger();
    // c3, still in flight, already references c.sst.
    h.coordinator.acknowledge(c3, TaskKey::new(1, 0), handle(c3, TaskKey::new(1, 0), &["c.sst"]));
    for (task, handle) in shared(c2, &["b.sst"]) {
        h.coordinator.acknowledge(c2, task, handle);
    }
    let actions = h.coordinator.metadata_written(c2);
    let Some(Action::Discard { checkpoints, shared_files }) =
        actions.iter().find(|a| matches!(a, Action::Discard { .. }))
    else {
        panic!("expected a discard, got {actions:?}")
    };
    assert_eq!(checkpoints.iter().map(|c| c.id()).collect::<Vec<_>>(), vec![c1]);
    let expected = RelativePath::new(format!("{JOB}/shared/a.sst")).expect("valid");
    assert_eq!(shared_files, &vec![expected]);
}

fn end_with(retention: RetentionPolicy, termination: JobTermination) -> Vec<u64> {
    let mut h = Harness::new(CheckpointConfig { retention, num_retained: 2, ..config() });
    for _ in 0..3 {
        let id = h.trigger();
        h.complete(id);
    }
    let pending = h.trigger();
    let actions = h.coordinator.shutdown(termination);
    assert_eq!(aborts(&actions), vec![(pending, AbortReason::Shutdown)]);
    assert_eq!(h.coordinator.state(), CoordinatorState::ShutDown);
    assert!(h.coordinator.shutdown(termination).is_empty(), "shutting down twice does nothing");
    discarded(&actions)
}

#[test]
fn retention_on_cancellation() {
    assert_eq!(end_with(RetentionPolicy::RetainOnCancellation, JobTermination::Cancelled), Vec::<u64>::new());
    assert_eq!(end_with(RetentionPolicy::RetainOnCancellation, JobTermination::Failed), Vec::<u64>::new());
    assert_eq!(end_with(RetentionPolicy::RetainOnCancellation, JobTermination::Finished), vec![2, 3]);
    assert_eq!(end_with(RetentionPolicy::DeleteOnCancellation, JobTermination::Cancelled), vec![2, 3]);
    assert_eq!(end_with(RetentionPolicy::DeleteOnCancellation, JobTermination::Failed), Vec::<u64>::new());
    assert_eq!(end_with(RetentionPolicy::NoExternalizedCheckpoints, JobTermination::Failed), vec![2, 3]);
    assert_eq!(end_with(RetentionPolicy::NoExternalizedCheckpoints, JobTermination::Suspended), Vec::<u64>::new());
}

#[test]
fn after_shutdown_only_savepoints_still_complete() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let checkpoint = h.trigger();
    let savepoint = triggered(&h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, 9))).expect("savepoint");
    h.ack_all(checkpoint);
    h.ack_all(savepoint);
    h.coordinator.shutdown(JobTermination::Finished);
    assert_eq!(aborts(&h.coordinator.metadata_written(checkpoint)), vec![(checkpoint, AbortReason::Shutdown)]);
    assert_eq!(notified(&h.coordinator.metadata_written(savepoint)), vec![savepoint.0], "stop --savepoint");
    h.advance(ms(60_000));
    assert!(h.tick().is_empty());
}
