//! Tolerable failed checkpoints, failing the job, failover and resuming.

mod common;

use common::*;
use weir_checkpoint::*;

/// A long interval, so the tick that expires a checkpoint triggers no new one.
fn slow(tolerable_failed: usize) -> CheckpointConfig {
    CheckpointConfig { interval: Some(ms(60_000)), tolerable_failed, ..config() }
}

fn expire(h: &mut Harness) -> Vec<Action> {
    let id = h.trigger();
    h.advance(ms(10_000));
    let actions = h.tick();
    assert!(aborts(&actions).contains(&(id, AbortReason::Expired { timeout: ms(10_000) })), "{actions:?}");
    actions
}

#[test]
fn the_job_fails_when_consecutive_failures_exceed_the_tolerable_number() {
    let mut h = Harness::new(slow(2));
    assert!(!fails_job(&expire(&mut h)));
    assert!(!fails_job(&expire(&mut h)));
    assert_eq!(h.coordinator.consecutive_failures(), 2);
    let actions = expire(&mut h);
    let failure = actions.iter().find_map(|a| match a {
        Action::FailJob { reason } => Some(reason.clone()),
        _ => None,
    });
    let Some(JobFailure::TooManyFailedCheckpoints { consecutive: 3, tolerable: 2, last, .. }) = failure else {
        panic!("expected FailJob, got {actions:?}")
    };
    assert_eq!(last, CheckpointId(3));
    assert!(failure.is_some_and(|f| f.to_string().contains("tolerable-failed-checkpoints")));
    assert_eq!(h.coordinator.state(), CoordinatorState::Suspended);
    assert_eq!(h.coordinator.consecutive_failures(), 0, "the count starts again after failing the job");
}

#[test]
fn a_success_resets_the_count() {
    let mut h = Harness::new(slow(1));
    expire(&mut h);
    let id = h.trigger();
    h.complete(id);
    assert_eq!(h.coordinator.consecutive_failures(), 0);
    assert!(!fails_job(&expire(&mut h)));
    assert!(fails_job(&expire(&mut h)));
}

#[test]
fn declines_count_only_when_the_snapshot_failed() {
    let mut h = Harness::new(config()); // tolerable 0
    for reason in
        [DeclineReason::TaskNotReady, DeclineReason::TaskClosing, DeclineReason::Subsumed, DeclineReason::InputEnded]
    {
        let id = h.trigger();
        assert!(!fails_job(&h.coordinator.decline(id, TaskKey::new(0, 0), reason)));
    }
    let id = h.trigger();
    let failed = DeclineReason::SnapshotFailed { message: "boom".into() };
    assert!(fails_job(&h.coordinator.decline(id, TaskKey::new(0, 0), failed)));
}

#[test]
fn failing_the_job_aborts_the_other_pending_checkpoints() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 3, ..config() });
    let first = h.trigger();
    let second = h.trigger();
    let actions =
        h.coordinator.decline(first, TaskKey::new(0, 0), DeclineReason::SnapshotFailed { message: "x".into() });
    assert!(fails_job(&actions));
    assert_eq!(aborts(&actions).last(), Some(&(second, AbortReason::Suspended)));
    assert_eq!(h.coordinator.pending_ids().count(), 0);
}

#[test]
fn savepoint_failures_never_fail_the_job() {
    let mut h = Harness::new(config());
    let id = triggered(&h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, 5))).expect("savepoint");
    let actions = h.coordinator.decline(id, TaskKey::new(1, 0), DeclineReason::SnapshotFailed { message: "x".into() });
    assert_eq!(aborts(&actions).len(), 1);
    assert!(!fails_job(&actions));
}

#[test]
fn a_task_failure_aborts_pending_checkpoints_without_counting_and_suspends() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let first = h.trigger();
    h.ack_all(first); // writing its metadata
    let second = h.trigger();
    let task = TaskKey::new(1, 1);
    let actions = h.coordinator.task_failed(task);
    assert_eq!(aborts(&actions), vec![(second, AbortReason::TaskFailure { task })]);
    assert!(!fails_job(&actions));
    assert_eq!(h.coordinator.state(), CoordinatorState::Suspended);
    assert!(h.coordinator.task_failed(task).is_empty(), "already suspended");

    h.advance(ms(5_000));
    assert!(triggered(&h.tick()).is_none(), "no triggers while failing over");
    assert_eq!(
        notified(&h.coordinator.metadata_written(first)),
        vec![first.0],
        "fully acknowledged: still a good restore point"
    );

    h.coordinator.resume();
    assert_eq!(h.coordinator.state(), CoordinatorState::Running);
    h.advance(ms(999));
    assert!(h.tick().is_empty(), "the interval counts from the resume");
    h.advance(ms(1));
    assert_eq!(triggered(&h.tick()), Some(CheckpointId(3)), "ids are never reused");
}

#[test]
fn failures_of_checkpoints_older_than_the_last_success_do_not_count() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let older = h.trigger();
    let newer = h.trigger();
    h.ack_all(older);
    h.complete(newer);
    // The older one's metadata write fails after the newer completed: overtaken, not counted.
    let actions = h.coordinator.metadata_failed(older, "EIO".into());
    assert_eq!(aborts(&actions).len(), 1);
    assert!(!fails_job(&actions));
}

#[test]
fn recovered_coordinators_continue_the_ids_and_the_store() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    h.complete(id);
    let store = h.coordinator.store().clone();
    let clock = weir_testkit::ManualClock::new(START);
    let coordinator = CheckpointCoordinator::new(config(), plan(), std::sync::Arc::new(clock.clone()))
        .expect("valid")
        .with_recovered(store, CheckpointIdCounter::starting_after(CheckpointId(4)));
    let mut h = Harness { clock, coordinator };
    assert_eq!(h.coordinator.latest_completed_id(), Some(id));
    assert_eq!(h.trigger(), CheckpointId(5), "after the highest id seen, not only the latest completed");
}

#[test]
fn an_invalid_configuration_or_plan_is_refused() {
    let clock = std::sync::Arc::new(weir_testkit::ManualClock::new(START));
    let bad = CheckpointConfig { num_retained: 0, ..config() };
    let err = CheckpointCoordinator::new(bad, plan(), clock.clone()).expect_err("invalid config").to_string();
    assert!(err.contains("state.checkpoints.num-retained"), "{err}");
    let mut bad_plan = plan();
    bad_plan.vertices[1].parallelism = 500;
    let err = CheckpointCoordinator::new(config(), bad_plan, clock).expect_err("invalid plan").to_string();
    assert!(err.contains("parallelism 500"), "{err}");
}
