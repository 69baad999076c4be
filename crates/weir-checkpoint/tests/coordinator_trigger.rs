//! When the coordinator triggers: the interval, min pause, max concurrent checkpoints and
//! savepoints, stepped with a manual clock.

mod common;

use common::*;
use weir_checkpoint::*;

#[test]
fn the_first_checkpoint_comes_one_interval_after_the_start() {
    let mut h = Harness::new(config());
    assert!(h.tick().is_empty());
    h.advance(ms(999));
    assert!(h.tick().is_empty());
    h.advance(ms(1));
    let actions = h.tick();
    assert_eq!(
        actions,
        vec![Action::TriggerCheckpoint {
            id: CheckpointId(1),
            timestamp: START + 1_000,
            kind: SnapshotKind::Checkpoint,
            location: SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(1) },
        }]
    );
    assert_eq!(h.coordinator.in_flight(), 1);
}

#[test]
fn no_periodic_checkpoints_without_an_interval() {
    let mut h = Harness::new(CheckpointConfig { interval: None, ..config() });
    h.advance(ms(3_600_000));
    assert!(h.tick().is_empty());
    assert_eq!(h.coordinator.next_periodic_at(), None);
}

#[test]
fn ids_grow_by_one_per_trigger() {
    let mut h = Harness::new(config());
    for expected in 1..=5 {
        let id = h.trigger();
        assert_eq!(id, CheckpointId(expected));
        h.complete(id);
    }
}

#[test]
fn max_concurrent_holds_periodic_triggers_back_until_one_ends() {
    let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
    let first = h.trigger();
    let second = h.trigger();
    h.advance(ms(5_000));
    assert!(h.tick().is_empty(), "two are in flight");
    assert_eq!(h.coordinator.in_flight(), 2);
    // Finalizing still counts as in flight.
    h.ack_all(first);
    assert!(h.tick().is_empty(), "the first is writing its metadata");
    h.coordinator.metadata_written(first);
    assert_eq!(triggered(&h.tick()), Some(CheckpointId(3)), "a slot freed: the overdue trigger fires at once");
    assert_eq!(h.coordinator.pending_ids().collect::<Vec<_>>(), vec![second, CheckpointId(3)]);
}

#[test]
fn an_abort_frees_a_slot_too() {
    let mut h = Harness::new(CheckpointConfig { tolerable_failed: 5, ..config() });
    let id = h.trigger();
    h.advance(ms(1_500));
    assert!(h.tick().is_empty());
    let reason = DeclineReason::SnapshotFailed { message: "disk full".into() };
    h.coordinator.decline(id, TaskKey::new(1, 0), reason);
    assert_eq!(triggered(&h.tick()), Some(CheckpointId(2)));
}

#[test]
fn min_pause_counts_from_the_last_completion() {
    let mut h = Harness::new(CheckpointConfig { min_pause: ms(800), ..config() });
    let id = h.trigger(); // at 1000
    h.advance(ms(900)); // 1900: completes
    h.complete(id);
    h.advance(ms(100)); // 2000: the interval is due but only 100 ms passed since completion
    assert!(h.tick().is_empty());
    assert_eq!(h.coordinator.next_periodic_at(), Some(ms(2_700)));
    h.advance(ms(699));
    assert!(h.tick().is_empty());
    h.advance(ms(1));
    assert_eq!(triggered(&h.tick()), Some(CheckpointId(2)));
    assert_eq!(h.coordinator.next_periodic_at(), Some(ms(3_700)), "the next interval counts from this trigger");
}

#[test]
fn min_pause_does_not_delay_the_first_checkpoint() {
    let mut h = Harness::new(CheckpointConfig { min_pause: ms(60_000), ..config() });
    h.advance(ms(1_000));
    assert_eq!(triggered(&h.tick()), Some(CheckpointId(1)));
}

#[test]
fn a_savepoint_is_forced_past_interval_min_pause_and_max_concurrent() {
    let mut h = Harness::new(CheckpointConfig { min_pause: ms(60_000), ..config() });
    let checkpoint = h.trigger();
    let dir = paths::savepoint_dir_name(JOB, 0xabc);
    let actions = h.coordinator.trigger_savepoint(dir.clone());
    assert_eq!(
        actions,
        vec![Action::TriggerCheckpoint {
            id: CheckpointId(2),
            timestamp: START + 1_000,
            kind: SnapshotKind::Savepoint,
            location: SnapshotLocation::Savepoint { dir },
        }]
    );
    assert_eq!(h.coordinator.in_flight(), 1, "savepoints do not count against max concurrent");
    assert_eq!(h.coordinator.pending_ids().collect::<Vec<_>>(), vec![checkpoint, CheckpointId(2)]);
}

#[test]
fn savepoints_are_rejected_while_failing_over_or_after_the_end() {
    let mut h = Harness::new(config());
    h.coordinator.task_failed(TaskKey::new(0, 0));
    let dir = paths::savepoint_dir_name(JOB, 1);
    assert_eq!(
        h.coordinator.trigger_savepoint(dir.clone()),
        vec![Action::RejectSavepoint { dir: dir.clone(), reason: SavepointRejection::Suspended }]
    );
    h.coordinator.shutdown(JobTermination::Cancelled);
    assert_eq!(
        h.coordinator.trigger_savepoint(dir.clone()),
        vec![Action::RejectSavepoint { dir, reason: SavepointRejection::ShutDown }]
    );
}

#[test]
fn a_savepoint_completes_without_joining_the_store() {
    let mut h = Harness::new(config());
    let actions = h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, 2));
    let id = triggered(&actions).expect("triggered");
    let actions = h.complete(id);
    assert_eq!(actions, vec![Action::NotifyComplete { id, kind: SnapshotKind::Savepoint }]);
    assert!(h.coordinator.store().is_empty(), "savepoints belong to the user");
    assert_eq!(h.coordinator.latest_completed_id(), Some(id));
}

#[test]
fn the_trigger_timestamp_is_wall_clock_and_reaches_the_metadata() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    h.advance(ms(250));
    let actions = h.ack_all(id);
    let metadata = write_metadata(&actions).expect("write metadata");
    assert_eq!(metadata.timestamp, START + 1_000);
    assert_eq!(metadata.job_id, JOB);
    assert_eq!(metadata.checkpoint_id, id);
    assert_eq!(metadata.max_parallelism, 128);
}
