//! Unit tests of the coordinator's internals; the protocol is tested end to end in
//! `tests/coordinator_*.rs`.

use super::*;
use crate::abort::DeclineReason;
use crate::pending::AckOutcome;
use crate::plan::VertexPlan;
use crate::task::VertexId;
use weir_core::{JobId, OperatorUid};
use weir_testkit::ManualClock;

fn coordinator(config: CheckpointConfig) -> (CheckpointCoordinator, ManualClock) {
    let plan = CheckpointPlan {
        job_id: JobId([1; 16]),
        max_parallelism: 8,
        vertices: vec![VertexPlan { id: VertexId(0), parallelism: 1, operators: vec![OperatorUid("op".into())] }],
    };
    let clock = ManualClock::new(0);
    let coordinator = CheckpointCoordinator::new(config, plan, Arc::new(clock.clone())).expect("valid");
    (coordinator, clock)
}

#[test]
fn handle_dispatches_every_event() {
    let config =
        CheckpointConfig { interval: Some(Duration::from_millis(10)), tolerable_failed: 9, ..Default::default() };
    let (mut c, clock) = coordinator(config);
    clock.set(10);
    let actions = c.handle(Event::Tick);
    assert!(matches!(actions.as_slice(), [Action::TriggerCheckpoint { id: CheckpointId(1), .. }]));
    let task = TaskKey::new(0, 0);
    let handle = crate::handle::SubtaskStateHandle::default();
    let actions = c.handle(Event::Acknowledge { id: CheckpointId(1), task, handle });
    assert!(matches!(actions.as_slice(), [Action::WriteMetadata { .. }]));
    let actions = c.handle(Event::MetadataWritten { id: CheckpointId(1) });
    assert!(matches!(actions.as_slice(), [Action::NotifyComplete { .. }]));
    clock.set(20);
    c.handle(Event::Tick);
    let actions = c.handle(Event::Decline { id: CheckpointId(2), task, reason: DeclineReason::TaskNotReady });
    assert!(matches!(actions.as_slice(), [Action::Abort { id: CheckpointId(2), .. }]));
    assert!(c.handle(Event::MetadataFailed { id: CheckpointId(2), message: "x".into() }).is_empty());
    c.handle(Event::TaskFailed { task });
    assert_eq!(c.state(), CoordinatorState::Suspended);
    c.handle(Event::Resume);
    assert_eq!(c.state(), CoordinatorState::Running);
    let dir = crate::paths::savepoint_dir_name(JobId([1; 16]), 1);
    assert!(matches!(c.handle(Event::TriggerSavepoint { dir }).as_slice(), [Action::TriggerCheckpoint { .. }]));
    c.handle(Event::Shutdown { termination: crate::config::JobTermination::Finished });
    assert_eq!(c.state(), CoordinatorState::ShutDown);
}

#[test]
fn only_the_newest_aborts_are_remembered() {
    let (mut c, _clock) = coordinator(CheckpointConfig { tolerable_failed: 1_000, ..Default::default() });
    let task = TaskKey::new(0, 0);
    for n in 0..(REMEMBERED_ABORTS + 5) {
        let dir = crate::paths::savepoint_dir_name(JobId([1; 16]), n as u64);
        c.trigger_savepoint(dir);
        c.decline(CheckpointId(n as u64 + 1), task, DeclineReason::TaskNotReady);
    }
    assert_eq!(c.recently_aborted.len(), REMEMBERED_ABORTS);
    let handle = crate::handle::SubtaskStateHandle::default();
    let (outcome, actions) = c.acknowledge(CheckpointId(1), task, handle.clone());
    assert_eq!(outcome, AckOutcome::Discarded);
    assert!(actions.is_empty(), "forgotten: nothing to discard");
    let (outcome, actions) = c.acknowledge(CheckpointId(REMEMBERED_ABORTS as u64 + 5), task, handle);
    assert_eq!(outcome, AckOutcome::Discarded);
    assert!(matches!(actions.as_slice(), [Action::DiscardLateState { .. }]));
}

#[test]
fn a_checkpoint_requested_soon_is_triggered_on_the_next_tick() {
    let config = CheckpointConfig { interval: Some(Duration::from_secs(60)), ..Default::default() };
    let (mut c, clock) = coordinator(config);
    clock.set(5);
    assert!(c.tick().is_empty(), "not due for a minute");
    c.request_checkpoint_soon();
    assert!(matches!(c.tick().as_slice(), [Action::TriggerCheckpoint { id: CheckpointId(1), .. }]));
    assert!(c.tick().is_empty(), "the next one is an interval away again");
}

#[test]
fn requesting_soon_does_nothing_without_periodic_checkpoints() {
    let (mut c, clock) = coordinator(CheckpointConfig::default());
    c.request_checkpoint_soon();
    clock.set(1_000);
    assert!(c.tick().is_empty());
}
