//! A coordinator on a manual clock, a small plan, and helpers to drive it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;
use weir_checkpoint::*;
use weir_core::{JobId, KeyGroupRange, OperatorUid};
use weir_testkit::ManualClock;

pub const JOB: JobId = JobId([0x42; 16]);
pub const START: i64 = 1_700_000_000_000;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A source (vertex 0, parallelism 1) and a keyed counter chained with a sink (vertex 1,
/// parallelism 2): three tasks acknowledge every checkpoint.
pub fn plan() -> CheckpointPlan {
    CheckpointPlan {
        job_id: JOB,
        max_parallelism: 128,
        vertices: vec![
            VertexPlan { id: VertexId(0), parallelism: 1, operators: vec![OperatorUid("source".into())] },
            VertexPlan {
                id: VertexId(1),
                parallelism: 2,
                operators: vec![OperatorUid("counts".into()), OperatorUid("sink".into())],
            },
        ],
    }
}

pub fn tasks() -> Vec<TaskKey> {
    plan().tasks().into_iter().collect()
}

pub fn config() -> CheckpointConfig {
    CheckpointConfig { interval: Some(ms(1_000)), timeout: ms(10_000), ..CheckpointConfig::default() }
}

/// The handle `task` sends for checkpoint `id`: a state file per keyed subtask, split positions
/// for the source, and optionally shared files.
pub fn handle(id: CheckpointId, task: TaskKey, shared: &[&str]) -> SubtaskStateHandle {
    let file = |path: String, scope| StateFile {
        path: RelativePath::new(path).expect("valid"),
        scope,
        size: 100,
        crc32c: 7,
        key_groups: Some(KeyGroupRange::for_subtask(128, 2, task.subtask.0)),
    };
    let operators = if task.vertex == VertexId(0) {
        vec![OperatorSnapshot {
            uid: OperatorUid("source".into()),
            files: vec![],
            source_splits: Some(OpaqueBytes(id.0.to_le_bytes().to_vec())),
        }]
    } else {
        let mut files = vec![file(format!("counts-{}", task.subtask), FileScope::Exclusive)];
        files.extend(shared.iter().map(|s| file(s.to_string(), FileScope::Shared)));
        vec![OperatorSnapshot { uid: OperatorUid("counts".into()), files, source_splits: None }]
    };
    SubtaskStateHandle {
        operators,
        metrics: SnapshotMetrics { sync_duration: ms(1), async_duration: ms(5), alignment_duration: ms(2) },
    }
}

pub struct Harness {
    pub clock: ManualClock,
    pub coordinator: CheckpointCoordinator,
}

impl Harness {
    pub fn new(config: CheckpointConfig) -> Self {
        let clock = ManualClock::new(START);
        let coordinator =
            CheckpointCoordinator::new(config, plan(), Arc::new(clock.clone())).expect("valid coordinator");
        Harness { clock, coordinator }
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn tick(&mut self) -> Vec<Action> {
        self.coordinator.tick()
    }

    /// Advances to the next periodic trigger and ticks; returns the id triggered.
    pub fn trigger(&mut self) -> CheckpointId {
        let due = self.coordinator.next_periodic_at().expect("periodic checkpoints on");
        let now = self.clock_monotonic();
        if due > now {
            self.advance(due - now);
        }
        let actions = self.tick();
        triggered(&actions).unwrap_or_else(|| panic!("expected a trigger, got {actions:?}"))
    }

    pub fn clock_monotonic(&self) -> Duration {
        use weir_core::clock::Clock;
        self.clock.monotonic()
    }

    pub fn ack(&mut self, id: CheckpointId, task: TaskKey) -> (AckOutcome, Vec<Action>) {
        self.coordinator.acknowledge(id, task, handle(id, task, &[]))
    }

    /// Every task acknowledges `id`; returns the actions of the last acknowledgement.
    pub fn ack_all(&mut self, id: CheckpointId) -> Vec<Action> {
        let mut last = Vec::new();
        for task in tasks() {
            let (outcome, actions) = self.ack(id, task);
            assert_eq!(outcome, AckOutcome::Success, "{task} acknowledging {id}");
            last = actions;
        }
        last
    }

    /// Every task acknowledges `id` and storage writes the metadata; returns the completion's actions.
    pub fn complete(&mut self, id: CheckpointId) -> Vec<Action> {
        let actions = self.ack_all(id);
        assert!(write_metadata(&actions).is_some(), "expected WriteMetadata, got {actions:?}");
        self.coordinator.metadata_written(id)
    }
}

pub fn triggered(actions: &[Action]) -> Option<CheckpointId> {
    actions.iter().find_map(|a| match a {
        Action::TriggerCheckpoint { id, .. } => Some(*id),
        _ => None,
    })
}

pub fn write_metadata(actions: &[Action]) -> Option<&Metadata> {
    actions.iter().find_map(|a| match a {
        Action::WriteMetadata { metadata, .. } => Some(metadata.as_ref()),
        _ => None,
    })
}

pub fn aborts(actions: &[Action]) -> Vec<(CheckpointId, AbortReason)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Abort { id, reason, .. } => Some((*id, reason.clone())),
            _ => None,
        })
        .collect()
}

pub fn discarded(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .flat_map(|a| match a {
            Action::Discard { checkpoints, .. } => checkpoints.iter().map(|c| c.id().0).collect(),
            _ => Vec::new(),
        })
        .collect()
}

pub fn fails_job(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::FailJob { .. }))
}

pub fn notified(actions: &[Action]) -> Vec<u64> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::NotifyComplete { id, .. } => Some(id.0),
            _ => None,
        })
        .collect()
}
