//! Property tests: random sequences of ticks, acknowledgements, declines, metadata outcomes,
//! savepoints, failures and shutdowns, checking the protocol's invariants after every step.

mod common;

use common::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use weir_checkpoint::*;

#[derive(Debug, Clone)]
enum Op {
    Tick {
        advance_ms: u64,
    },
    /// An acknowledgement: usually one a pending checkpoint is owed, sometimes (`stray`) any
    /// id from any task, so duplicates, unknown and late ones happen too.
    Ack {
        pick: usize,
        task: usize,
        stray: bool,
    },
    Decline {
        pick: usize,
        task: usize,
        counts: bool,
    },
    MetadataWritten {
        pick: usize,
        stray: bool,
    },
    MetadataFailed {
        pick: usize,
    },
    Savepoint,
    TaskFailed,
    Resume,
    Shutdown,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        60 => prop_oneof![3 => 0u64..300, 1 => 0u64..3_000].prop_map(|advance_ms| Op::Tick { advance_ms }),
        120 => (any::<usize>(), any::<usize>(), prop::bool::weighted(0.15)).prop_map(|(pick, task, stray)| Op::Ack { pick, task, stray }),
        10 => (any::<usize>(), 0usize..4, any::<bool>()).prop_map(|(pick, task, counts)| Op::Decline { pick, task, counts }),
        40 => (any::<usize>(), prop::bool::weighted(0.15)).prop_map(|(pick, stray)| Op::MetadataWritten { pick, stray }),
        10 => any::<usize>().prop_map(|pick| Op::MetadataFailed { pick }),
        10 => Just(Op::Savepoint),
        10 => Just(Op::TaskFailed),
        20 => Just(Op::Resume),
        1 => Just(Op::Shutdown),
    ]
}

fn config_strategy() -> impl Strategy<Value = CheckpointConfig> {
    (100u64..2_000, 500u64..5_000, 0u64..1_000, 1usize..4, 0usize..4, 1usize..4).prop_map(
        |(interval, timeout, min_pause, max_concurrent, tolerable_failed, num_retained)| CheckpointConfig {
            interval: Some(ms(interval)),
            timeout: ms(timeout),
            min_pause: ms(min_pause),
            max_concurrent,
            tolerable_failed,
            num_retained,
            ..CheckpointConfig::default()
        },
    )
}

/// What the test has seen of each checkpoint.
#[derive(Debug, Default)]
struct Seen {
    kind: BTreeMap<CheckpointId, SnapshotKind>,
    triggered_at_ms: BTreeMap<CheckpointId, u64>,
    acked: BTreeMap<CheckpointId, BTreeSet<TaskKey>>,
    written: BTreeSet<CheckpointId>,
    completed: Vec<CheckpointId>,
    aborted: BTreeSet<CheckpointId>,
    discarded: BTreeSet<CheckpointId>,
    // The failure count as Flink's CheckpointFailureManager keeps it.
    counted: BTreeSet<CheckpointId>,
    last_success: Option<CheckpointId>,
}

struct Run {
    h: Harness,
    seen: Seen,
    config: CheckpointConfig,
    now_ms: u64,
    savepoints: u64,
    shut_down: bool,
}

impl Run {
    fn ids(&self) -> Vec<CheckpointId> {
        self.seen.kind.keys().copied().collect()
    }

    /// One of `ids`, or an id never issued when there is none.
    fn pick_from(&self, ids: Vec<CheckpointId>, pick: usize) -> CheckpointId {
        if ids.is_empty() { CheckpointId(self.ids().len() as u64 + 1) } else { ids[pick % ids.len()] }
    }

    fn pick(&self, pick: usize) -> CheckpointId {
        let ids = self.ids();
        ids.get(pick % (ids.len() + 1)).copied().unwrap_or(CheckpointId(ids.len() as u64 + 1))
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let all = tasks();
        let task = |i: usize| all.get(i).copied().unwrap_or(TaskKey::new(7, 0));
        let actions = match op {
            Op::Tick { advance_ms } => {
                self.h.advance(ms(*advance_ms));
                self.now_ms += advance_ms;
                self.h.tick()
            }
            Op::Ack { pick, task: t, stray } => {
                let (id, task) = if *stray {
                    (self.pick(*pick), task(*t % 4))
                } else {
                    let id = self.pick_from(self.h.coordinator.pending_ids().collect(), *pick);
                    let owed: Vec<TaskKey> = self
                        .h
                        .coordinator
                        .pending(id)
                        .map(|p| p.not_yet_acknowledged().iter().copied().collect())
                        .unwrap_or_default();
                    (id, owed.get(*t % owed.len().max(1)).copied().unwrap_or(task(*t % 4)))
                };
                let owed = self.h.coordinator.pending(id).is_some_and(|p| p.not_yet_acknowledged().contains(&task));
                // Checkpoints reference a shared file; savepoints must be self-contained.
                let is_savepoint = self.seen.kind.get(&id) == Some(&SnapshotKind::Savepoint);
                let shared: &[&str] = if is_savepoint { &[] } else { &["s.sst"] };
                let (outcome, actions) = self.h.coordinator.acknowledge(id, task, handle(id, task, shared));
                prop_assert_eq!(outcome == AckOutcome::Success, owed, "ack of {} by {}: {:?}", id, task, outcome);
                if outcome == AckOutcome::Success {
                    self.seen.acked.entry(id).or_default().insert(task);
                }
                actions
            }
            Op::Decline { pick, task: t, counts } => {
                let reason = if *counts {
                    DeclineReason::SnapshotFailed { message: "boom".into() }
                } else {
                    DeclineReason::TaskNotReady
                };
                self.h.coordinator.decline(self.pick(*pick), task(*t), reason)
            }
            Op::MetadataWritten { pick, stray } => {
                let id = if *stray {
                    self.pick(*pick)
                } else {
                    self.pick_from(self.h.coordinator.finalizing_ids().collect(), *pick)
                };
                self.h.coordinator.metadata_written(id)
            }
            Op::MetadataFailed { pick } => self.h.coordinator.metadata_failed(self.pick(*pick), "EIO".into()),
            Op::Savepoint => {
                self.savepoints += 1;
                self.h.coordinator.trigger_savepoint(paths::savepoint_dir_name(JOB, self.savepoints))
            }
            Op::TaskFailed => self.h.coordinator.task_failed(TaskKey::new(1, 0)),
            Op::Resume => self.h.coordinator.resume(),
            Op::Shutdown => {
                self.shut_down = true;
                self.h.coordinator.shutdown(JobTermination::Cancelled)
            }
        };
        self.check(&actions)
    }

    fn check(&mut self, actions: &[Action]) -> Result<(), TestCaseError> {
        let num_tasks = tasks().len();
        let mut i = 0;
        while i < actions.len() {
            match &actions[i] {
                Action::TriggerCheckpoint { id, kind, .. } => {
                    prop_assert!(!self.seen.kind.contains_key(id), "id {} triggered twice", id);
                    prop_assert!(!self.shut_down || *kind == SnapshotKind::Savepoint, "trigger after shutdown");
                    prop_assert!(self.seen.kind.keys().all(|old| old < id), "ids must grow");
                    self.seen.kind.insert(*id, *kind);
                    self.seen.triggered_at_ms.insert(*id, self.now_ms);
                }
                Action::WriteMetadata { id, metadata, .. } => {
                    let acked = self.seen.acked.get(id).map_or(0, BTreeSet::len);
                    prop_assert_eq!(acked, num_tasks, "metadata of {} asked before every ack", id);
                    prop_assert!(self.seen.written.insert(*id), "metadata of {} asked twice", id);
                    prop_assert!(metadata::encode(metadata).is_ok());
                }
                Action::NotifyComplete { id, kind } => {
                    prop_assert!(self.seen.written.contains(id), "{} completed without its metadata", id);
                    prop_assert!(!self.seen.aborted.contains(id), "{} completed after an abort", id);
                    prop_assert!(!self.seen.completed.contains(id), "{} completed twice", id);
                    if *kind == SnapshotKind::Checkpoint {
                        let last =
                            self.seen.completed.iter().filter(|c| self.seen.kind[c] == SnapshotKind::Checkpoint).max();
                        prop_assert!(last.is_none_or(|last| last < id), "completed checkpoint ids must increase");
                        prop_assert!(!self.shut_down, "checkpoint completed after shutdown");
                    }
                    self.seen.completed.push(*id);
                    self.seen.last_success = Some(self.seen.last_success.map_or(*id, |l| l.max(*id)));
                    self.seen.counted.clear();
                }
                Action::Abort { id, kind, reason, .. } => {
                    prop_assert!(self.seen.aborted.insert(*id), "{} aborted twice", id);
                    prop_assert!(!self.seen.completed.contains(id), "{} aborted after completing", id);
                    if let AbortReason::Expired { timeout } = reason {
                        let age = self.now_ms - self.seen.triggered_at_ms[id];
                        prop_assert!(age >= timeout.as_millis() as u64, "{} expired early", id);
                        prop_assert!(!self.seen.written.contains(id), "{} expired while writing metadata", id);
                    }
                    let overtaken = self.seen.last_success.is_some_and(|l| *id < l);
                    let counts = reason.counts_as_failure() && *kind == SnapshotKind::Checkpoint && !overtaken;
                    let next_is_fail = matches!(actions.get(i + 1), Some(Action::FailJob { .. }));
                    if counts
                        && !self.shut_down
                        && self.seen.counted.insert(*id)
                        && self.seen.counted.len() > self.config.tolerable_failed
                    {
                        prop_assert!(
                            next_is_fail,
                            "{} consecutive failures, {} tolerated, but no FailJob",
                            self.seen.counted.len(),
                            self.config.tolerable_failed
                        );
                        self.seen.counted.clear();
                        i += 1;
                    } else {
                        prop_assert!(
                            !next_is_fail,
                            "FailJob after abort of {} ({}) which does not exceed the tolerable failures",
                            id,
                            reason
                        );
                    }
                }
                Action::FailJob { .. } => prop_assert!(false, "FailJob not right after the abort that caused it"),
                Action::Discard { checkpoints, .. } => {
                    for c in checkpoints {
                        prop_assert!(self.seen.discarded.insert(c.id()), "{} discarded twice", c.id());
                        prop_assert!(self.seen.completed.contains(&c.id()), "discarded {} never completed", c.id());
                    }
                }
                Action::DiscardLateState { id, .. } => prop_assert!(self.seen.aborted.contains(id)),
                Action::RejectSavepoint { .. } => {}
            }
            i += 1;
        }

        let coordinator = &self.h.coordinator;
        prop_assert!(coordinator.in_flight() <= self.config.max_concurrent, "in flight {}", coordinator.in_flight());
        let retained: Vec<CheckpointId> = coordinator.store().checkpoints().map(|c| c.id()).collect();
        prop_assert!(retained.len() <= self.config.num_retained);
        prop_assert!(retained.windows(2).all(|w| w[0] < w[1]), "store out of order: {:?}", retained);
        // Every completed checkpoint is either retained or was discarded, never both.
        for id in self.seen.completed.iter().filter(|c| self.seen.kind[c] == SnapshotKind::Checkpoint) {
            prop_assert!(retained.contains(id) != self.seen.discarded.contains(id), "{} leaked or double-counted", id);
        }
        prop_assert_eq!(coordinator.consecutive_failures(), self.seen.counted.len());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_protocol_keeps_its_invariants(config in config_strategy(), ops in proptest::collection::vec(op(), 1..120)) {
        let mut run = Run { h: Harness::new(config.clone()), seen: Seen::default(), config, now_ms: 0, savepoints: 0, shut_down: false };
        for op in &ops {
            run.step(op)?;
        }
    }

    /// With acknowledgements that always come and storage that always writes, periodic
    /// checkpoints keep completing whatever the timing.
    #[test]
    fn a_healthy_job_completes_checkpoints(config in config_strategy(), advances in proptest::collection::vec(1u64..500, 50..200)) {
        let mut h = Harness::new(config.clone());
        let mut completed = 0;
        for advance in advances {
            h.advance(ms(advance));
            let mut queue = h.tick();
            while let Some(action) = queue.pop() {
                match action {
                    Action::TriggerCheckpoint { id, .. } => {
                        for task in tasks() {
                            queue.extend(h.ack(id, task).1);
                        }
                    }
                    Action::WriteMetadata { id, .. } => queue.extend(h.coordinator.metadata_written(id)),
                    Action::NotifyComplete { .. } => completed += 1,
                    Action::FailJob { .. } => prop_assert!(false, "a healthy job failed"),
                    _ => {}
                }
            }
        }
        prop_assert!(completed > 0);
        prop_assert_eq!(h.coordinator.stats().counts().failed, 0);
    }
}
