//! Shared files across completions, retention, failures and restarts: the coordinator deletes a
//! shared file exactly when no retained checkpoint and no checkpoint in flight references it, and
//! a coordinator recovered at restart from the retained checkpoints' metadata
//! ([`CompletedCheckpointStore::recover`]) knows every reference again, so it never deletes a
//! file a retained checkpoint still needs — also when the restart lowers `num-retained`.
//!
//! The disk is modelled as the set of shared files present: a task uploads its files before it
//! acknowledges, the coordinator's [`Action::Discard`] deletes. Shared files of checkpoints that
//! were aborted or lost in flight at a restart are left behind by design; collecting those is
//! the orphan sweep's job (`weir checkpoints gc`).

mod common;

use common::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use weir_checkpoint::*;
use weir_testkit::ManualClock;

const FILES: [&str; 6] = ["s0.sst", "s1.sst", "s2.sst", "s3.sst", "s4.sst", "s5.sst"];

#[derive(Debug, Clone)]
enum Op {
    /// Time passes to the next periodic trigger, which happens if `max_concurrent` allows.
    Trigger,
    /// A task owed an acknowledgement of an in-flight checkpoint uploads `files` and acknowledges.
    Ack { pick: usize, task: usize, files: BTreeSet<usize> },
    /// Storage wrote the `_metadata` of a fully acknowledged checkpoint.
    MetadataWritten { pick: usize },
    /// A task fails (in-flight checkpoints are aborted), and the job resumes.
    Fail,
    /// The job manager restarts: a new coordinator recovers the retained checkpoints with this
    /// `num-retained`; what was in flight is lost.
    Restart { num_retained: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Trigger),
        8 => (any::<usize>(), any::<usize>(), prop::collection::btree_set(0..FILES.len(), 0..4))
            .prop_map(|(pick, task, files)| Op::Ack { pick, task, files }),
        3 => any::<usize>().prop_map(|pick| Op::MetadataWritten { pick }),
        1 => Just(Op::Fail),
        1 => (1usize..4).prop_map(|num_retained| Op::Restart { num_retained }),
    ]
}

struct Model {
    h: Harness,
    config: CheckpointConfig,
    /// The shared files on disk.
    disk: BTreeSet<String>,
    /// The shared files each checkpoint's acknowledgements named.
    acked: BTreeMap<CheckpointId, BTreeSet<String>>,
    /// Files deleted over the run, to tell the run did delete something.
    deleted: usize,
}

fn shared_path(file: &RelativePath) -> String {
    let prefix = format!("{JOB}/shared/");
    file.as_str().strip_prefix(&prefix).unwrap_or_else(|| panic!("{file} is not under {prefix}")).to_string()
}

impl Model {
    fn new(config: CheckpointConfig) -> Self {
        Model { h: Harness::new(config.clone()), config, disk: BTreeSet::new(), acked: BTreeMap::new(), deleted: 0 }
    }

    fn in_flight(&self) -> BTreeSet<String> {
        let coordinator = &self.h.coordinator;
        let ids: BTreeSet<CheckpointId> = coordinator.pending_ids().chain(coordinator.finalizing_ids()).collect();
        ids.iter().flat_map(|id| self.acked.get(id)).flatten().cloned().collect()
    }

    fn retained(&self) -> BTreeSet<String> {
        self.h.coordinator.store().checkpoints().flat_map(|c| c.shared_files()).map(|p| p.to_string()).collect()
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let actions = match op {
            Op::Trigger => {
                self.h.advance(self.config.interval.unwrap_or(ms(1_000)));
                self.h.tick()
            }
            Op::Ack { pick, task, files } => {
                let pending: Vec<CheckpointId> = self.h.coordinator.pending_ids().collect();
                let Some(&id) = pending.get(pick % pending.len().max(1)) else { return Ok(()) };
                let owed: Vec<TaskKey> = self
                    .h
                    .coordinator
                    .pending(id)
                    .map(|p| p.not_yet_acknowledged().iter().copied().collect())
                    .unwrap_or_default();
                let Some(&task) = owed.get(task % owed.len().max(1)) else { return Ok(()) };
                let names: Vec<&str> = files.iter().map(|i| FILES[*i]).collect();
                if task.vertex == VertexId(1) {
                    self.disk.extend(names.iter().map(|n| n.to_string()));
                    self.acked.entry(id).or_default().extend(names.iter().map(|n| n.to_string()));
                }
                let (outcome, actions) = self.h.coordinator.acknowledge(id, task, handle(id, task, &names));
                prop_assert_eq!(outcome, AckOutcome::Success);
                actions
            }
            Op::MetadataWritten { pick } => {
                let finalizing: Vec<CheckpointId> = self.h.coordinator.finalizing_ids().collect();
                let Some(&id) = finalizing.get(pick % finalizing.len().max(1)) else { return Ok(()) };
                self.h.coordinator.metadata_written(id)
            }
            Op::Fail => {
                let mut actions = self.h.coordinator.task_failed(TaskKey::new(1, 0));
                actions.extend(self.h.coordinator.resume());
                actions
            }
            Op::Restart { num_retained } => return self.restart(*num_retained),
        };
        for action in &actions {
            if let Action::Discard { checkpoints, shared_files } = action {
                let deleted: BTreeSet<String> = shared_files.iter().map(shared_path).collect();
                self.check_deletion(checkpoints, &deleted)?;
            }
        }
        self.check_references()
    }

    /// A new coordinator from the retained checkpoints (as a restart reads them from their
    /// `_metadata`, in directory order), with a possibly different `num-retained`.
    fn restart(&mut self, num_retained: usize) -> Result<(), TestCaseError> {
        let found: Vec<CompletedCheckpoint> = self.h.coordinator.store().checkpoints().rev().cloned().collect();
        let highest = self.acked.keys().chain(found.iter().map(|c| &c.metadata.checkpoint_id)).max().copied();
        let (store, excess) = CompletedCheckpointStore::recover(num_retained, found);
        let deleted: BTreeSet<String> =
            store.unreferenced_shared_files(&excess, &BTreeSet::new()).into_iter().map(|p| p.to_string()).collect();
        self.config.num_retained = num_retained;
        let clock = ManualClock::new(START);
        let counter = highest.map_or_else(CheckpointIdCounter::new, CheckpointIdCounter::starting_after);
        let coordinator = CheckpointCoordinator::new(self.config.clone(), plan(), Arc::new(clock.clone()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .with_recovered(store, counter);
        self.h = Harness { clock, coordinator };
        self.check_deletion(&excess, &deleted)?;
        self.check_references()
    }

    /// `deleted` are exactly the shared files of `discarded` that no retained and no in-flight
    /// checkpoint references; each was on disk.
    fn check_deletion(
        &mut self,
        discarded: &[CompletedCheckpoint],
        deleted: &BTreeSet<String>,
    ) -> Result<(), TestCaseError> {
        let (retained, in_flight) = (self.retained(), self.in_flight());
        let candidates: BTreeSet<String> =
            discarded.iter().flat_map(CompletedCheckpoint::shared_files).map(|p| p.to_string()).collect();
        let expected: BTreeSet<String> =
            candidates.iter().filter(|f| !retained.contains(*f) && !in_flight.contains(*f)).cloned().collect();
        prop_assert_eq!(deleted, &expected, "retained {:?}, in flight {:?}", retained, in_flight);
        for file in deleted {
            prop_assert!(self.disk.remove(file), "{} deleted but not on disk", file);
        }
        self.deleted += deleted.len();
        Ok(())
    }

    /// Every file a retained or in-flight checkpoint references is on disk.
    fn check_references(&self) -> Result<(), TestCaseError> {
        for file in self.retained().iter().chain(&self.in_flight()) {
            prop_assert!(self.disk.contains(file), "{} is referenced but was deleted", file);
        }
        Ok(())
    }
}

fn config_strategy() -> impl Strategy<Value = CheckpointConfig> {
    (1usize..4, 1usize..4).prop_map(|(num_retained, max_concurrent)| CheckpointConfig {
        num_retained,
        max_concurrent,
        tolerable_failed: usize::MAX / 2,
        ..config()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_shared_file_is_deleted_exactly_when_nothing_references_it(
        config in config_strategy(),
        ops in prop::collection::vec(op(), 1..150),
    ) {
        let mut model = Model::new(config);
        for op in &ops {
            model.step(op)?;
        }
    }
}

/// The property above, on one run long enough to be sure it deletes, restarts and keeps files.
#[test]
fn a_long_run_deletes_and_keeps_shared_files_across_restarts() -> Result<(), TestCaseError> {
    let mut model = Model::new(CheckpointConfig { num_retained: 2, max_concurrent: 2, ..config() });
    for round in 0..30 {
        model.step(&Op::Trigger)?;
        for task in 0..3 {
            let files: BTreeSet<usize> = [round % FILES.len(), (round / 2) % FILES.len()].into();
            model.step(&Op::Ack { pick: 0, task, files })?;
        }
        model.step(&Op::MetadataWritten { pick: 0 })?;
        if round % 7 == 6 {
            model.step(&Op::Restart { num_retained: 1 + round % 3 })?;
        }
    }
    prop_assert!(model.deleted > 10, "deleted {}", model.deleted);
    prop_assert!(!model.retained().is_empty());
    Ok(())
}

#[test]
fn a_restart_with_fewer_retained_deletes_only_what_the_kept_checkpoints_do_not_reference() {
    let shared = |files: &[&str]| files.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>();
    let mut model = Model::new(CheckpointConfig { num_retained: 3, ..config() });
    for files in [&["a.sst", "b.sst"][..], &["b.sst", "c.sst"], &["c.sst"]] {
        let id = model.h.trigger();
        for task in tasks() {
            let names: Vec<&str> = if task.vertex == VertexId(1) { files.to_vec() } else { vec![] };
            model.disk.extend(names.iter().map(|n| n.to_string()));
            model.h.coordinator.acknowledge(id, task, handle(id, task, &names));
        }
        assert!(discarded(&model.h.coordinator.metadata_written(id)).is_empty());
    }
    let found: Vec<CompletedCheckpoint> = model.h.coordinator.store().checkpoints().cloned().collect();
    let (store, excess) = CompletedCheckpointStore::recover(1, found);
    assert_eq!(excess.iter().map(|c| c.id().0).collect::<Vec<_>>(), [1, 2]);
    let deleted: BTreeSet<String> =
        store.unreferenced_shared_files(&excess, &BTreeSet::new()).into_iter().map(|p| p.to_string()).collect();
    assert_eq!(deleted, shared(&["a.sst", "b.sst"]), "c.sst is still checkpoint 3's");
    assert!(store.references_shared(&RelativePath::new("c.sst").expect("valid")));
}
