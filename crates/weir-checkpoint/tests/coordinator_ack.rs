//! Acknowledgements, declines, timeouts and metadata writes in every order that matters.

mod common;

use common::*;
use weir_checkpoint::*;
use weir_core::OperatorUid;

fn tolerant() -> CheckpointConfig {
    CheckpointConfig { tolerable_failed: 100, ..config() }
}

#[test]
fn the_happy_path_acks_write_metadata_complete() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    let [a, b, c] = tasks().try_into().expect("three tasks");
    assert_eq!(h.ack(id, b), (AckOutcome::Success, vec![]));
    assert_eq!(h.ack(id, a), (AckOutcome::Success, vec![]));
    let (outcome, actions) = h.ack(id, c);
    assert_eq!(outcome, AckOutcome::Success);
    let [Action::WriteMetadata { id: written, location, metadata }] = actions.as_slice() else {
        panic!("expected one WriteMetadata, got {actions:?}")
    };
    assert_eq!((*written, location), (id, &SnapshotLocation::Checkpoint { job_id: JOB, id }));
    assert_eq!(metadata.operators.len(), 3);
    assert_eq!(metadata.state_size(), 8 + 100 + 100);
    assert_eq!(h.coordinator.finalizing_ids().collect::<Vec<_>>(), vec![id]);

    h.advance(ms(20));
    let actions = h.coordinator.metadata_written(id);
    assert_eq!(actions, vec![Action::NotifyComplete { id, kind: SnapshotKind::Checkpoint }]);
    assert_eq!(h.coordinator.store().latest().map(|c| c.id()), Some(id));
    let stats = h.coordinator.stats().latest_completed().expect("stats");
    assert_eq!(stats.duration(), Some(ms(20)));
    assert_eq!(stats.tasks.len(), 3);
    assert_eq!(stats.max_async_duration(), ms(5));
}

#[test]
fn the_metadata_the_coordinator_asks_for_encodes_and_decodes() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    let actions = h.ack_all(id);
    let metadata = write_metadata(&actions).expect("write metadata");
    let bytes = metadata::encode(metadata).expect("encode");
    assert_eq!(&metadata::decode(&bytes).expect("decode"), metadata);
}

#[test]
fn duplicate_unknown_and_discarded_acknowledgements() {
    let mut h = Harness::new(tolerant());
    let id = h.trigger();
    let task = TaskKey::new(1, 1);
    assert_eq!(h.ack(id, task).0, AckOutcome::Success);
    assert_eq!(h.ack(id, task), (AckOutcome::Duplicate, vec![]));
    assert_eq!(h.ack(id, TaskKey::new(1, 7)), (AckOutcome::Unknown, vec![]), "no such subtask");
    assert_eq!(h.ack(CheckpointId(99), task), (AckOutcome::Unknown, vec![]), "never issued");

    h.coordinator.decline(id, TaskKey::new(0, 0), DeclineReason::TaskNotReady);
    let (outcome, actions) = h.ack(id, TaskKey::new(1, 0));
    assert_eq!(outcome, AckOutcome::Discarded);
    let late = format!("{JOB}/chk-1/counts-0");
    assert_eq!(
        actions,
        vec![Action::DiscardLateState {
            id,
            task: TaskKey::new(1, 0),
            files: vec![RelativePath::new(late).expect("valid")]
        }]
    );
}

#[test]
fn acknowledgements_while_the_metadata_is_written_change_nothing() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    h.ack_all(id);
    assert_eq!(h.ack(id, TaskKey::new(0, 0)), (AckOutcome::Duplicate, vec![]));
    assert_eq!(h.ack(id, TaskKey::new(5, 0)), (AckOutcome::Unknown, vec![]));
    assert!(h.coordinator.decline(id, TaskKey::new(0, 0), DeclineReason::TaskClosing).is_empty());
    assert_eq!(notified(&h.coordinator.metadata_written(id)), vec![1]);
    assert_eq!(h.ack(id, TaskKey::new(0, 0)).0, AckOutcome::Discarded, "late for a completed checkpoint");
}

#[test]
fn a_decline_aborts_at_any_point_before_the_last_ack() {
    for acks_before in 0..tasks().len() {
        let mut h = Harness::new(tolerant());
        let id = h.trigger();
        for task in tasks().into_iter().take(acks_before) {
            h.ack(id, task);
        }
        let task = TaskKey::new(1, 1);
        let reason = DeclineReason::SnapshotFailed { message: "upload failed".into() };
        let actions = h.coordinator.decline(id, task, reason.clone());
        assert_eq!(aborts(&actions), vec![(id, AbortReason::Declined { task, reason })], "after {acks_before} acks");
        assert!(matches!(&actions[0], Action::Abort { location: SnapshotLocation::Checkpoint { .. }, .. }));
        assert_eq!(h.coordinator.pending_ids().count(), 0);
        assert!(h.coordinator.metadata_written(id).is_empty(), "never completes");
        assert!(h.coordinator.store().is_empty());
    }
}

#[test]
fn declines_of_unknown_checkpoints_or_from_unknown_tasks_are_ignored() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    assert!(h.coordinator.decline(CheckpointId(9), TaskKey::new(0, 0), DeclineReason::TaskNotReady).is_empty());
    assert!(h.coordinator.decline(id, TaskKey::new(3, 0), DeclineReason::TaskNotReady).is_empty());
    assert_eq!(h.coordinator.pending_ids().collect::<Vec<_>>(), vec![id]);
}

#[test]
fn a_checkpoint_expires_on_the_first_tick_at_its_timeout() {
    let mut h = Harness::new(CheckpointConfig { interval: Some(ms(60_000)), ..tolerant() });
    let id = h.trigger(); // at 60 s, timeout 10 s
    h.ack(id, TaskKey::new(0, 0));
    h.advance(ms(9_999));
    assert!(h.tick().is_empty());
    h.advance(ms(1));
    let actions = h.tick();
    assert_eq!(aborts(&actions), vec![(id, AbortReason::Expired { timeout: ms(10_000) })]);
    assert_eq!(h.ack(id, TaskKey::new(1, 0)).0, AckOutcome::Discarded, "an expired checkpoint never completes");
    assert!(h.coordinator.store().is_empty());
    let stats = h.coordinator.stats().latest_failed().expect("failed stats");
    assert_eq!(stats.status, CheckpointStatus::Failed { reason: AbortReason::Expired { timeout: ms(10_000) } });
}

#[test]
fn a_checkpoint_writing_its_metadata_does_not_expire() {
    let mut h = Harness::new(CheckpointConfig { interval: Some(ms(60_000)), ..config() });
    let id = h.trigger();
    h.ack_all(id);
    h.advance(ms(30_000));
    assert!(aborts(&h.tick()).is_empty());
    assert_eq!(notified(&h.coordinator.metadata_written(id)), vec![id.0]);
}

#[test]
fn a_failed_metadata_write_aborts_and_counts() {
    let mut h = Harness::new(config());
    let id = h.trigger();
    h.ack_all(id);
    let actions = h.coordinator.metadata_failed(id, "No space left on device".into());
    let reason = AbortReason::MetadataWriteFailed { message: "No space left on device".into() };
    assert_eq!(aborts(&actions), vec![(id, reason)]);
    assert!(fails_job(&actions), "tolerable is 0");
    assert!(h.coordinator.metadata_written(id).is_empty(), "too late");
}

#[test]
fn an_acknowledgement_with_state_the_task_does_not_own_is_rejected() {
    let mut h = Harness::new(tolerant());
    let id = h.trigger();
    let task = TaskKey::new(0, 0);
    let mut bad = handle(id, TaskKey::new(1, 0), &[]);
    bad.operators[0].uid = OperatorUid("counts".into());
    let (outcome, actions) = h.coordinator.acknowledge(id, task, bad);
    assert_eq!(outcome, AckOutcome::Rejected);
    let aborted = aborts(&actions);
    let [(aborted, AbortReason::InvalidAcknowledgement { task: t, problem })] = aborted.as_slice() else {
        panic!("expected one invalid acknowledgement abort, got {aborted:?}")
    };
    assert_eq!((*aborted, *t), (id, task));
    assert!(problem.contains("not chained in vertex 0"), "{problem}");
}

#[test]
fn savepoints_refuse_shared_files() {
    let mut h = Harness::new(tolerant());
    let id = triggered(&h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, 3))).expect("savepoint");
    let task = TaskKey::new(1, 0);
    let (outcome, _) = h.coordinator.acknowledge(id, task, handle(id, task, &["x.sst"]));
    assert_eq!(outcome, AckOutcome::Rejected);
}

#[test]
fn every_interleaving_of_three_acks_and_a_tick_completes_once() {
    // All 4! orders of the three acknowledgements and a tick past the interval.
    let steps = ["a0", "a1", "a2", "tick"];
    let mut orders: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..steps.len() {
        let mut longer = Vec::new();
        for order in &orders {
            for next in (0..steps.len()).filter(|i| !order.contains(i)) {
                longer.push([order.as_slice(), &[next]].concat());
            }
        }
        orders = longer;
    }
    assert_eq!(orders.len(), 24);
    for order in orders {
        let mut h = Harness::new(CheckpointConfig { max_concurrent: 2, ..config() });
        let id = h.trigger();
        let mut writes = 0;
        for &step in &order {
            let actions = if step == 3 {
                h.advance(ms(1_000));
                h.tick()
            } else {
                h.ack(id, tasks()[step]).1
            };
            writes += actions.iter().filter(|a| matches!(a, Action::WriteMetadata { id: w, .. } if *w == id)).count();
        }
        assert_eq!(writes, 1, "order {order:?}");
        assert_eq!(notified(&h.coordinator.metadata_written(id)), vec![1], "order {order:?}");
    }
}
