//! [`RestoreCheck`]: a dry run of a restore. What restoring a job from a checkpoint or savepoint
//! would do — which operator takes which state, which state would be dropped, which operators
//! start empty, how key groups and source positions would be dealt out at the new parallelism,
//! and whether the restore would fail — without running anything
//! ([`crate::StreamExecutionEnvironment::check_restore`], `weir checkpoints check-restore`).
//!
//! **Why it lives next to the restore**: it must never disagree with it. It matches operators by
//! the restore's own [`StateMapping`], deals files by [`files_per_instance`] (the rule of the
//! restore's `deal`) and positions by the source's own `restore_splits`, and its verdict is the
//! error the restore would fail with, word for word.
//!
//! It is **not** a restore: no operator is created and no state is handed over. Its I/O is
//! loading the snapshot as a restore does, which reads `_metadata` and checks every state file's
//! size and CRC32C.

use super::restore::{StateMapping, files_per_instance, holds_state, restore_source_splits};
use crate::error::JobError;
use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::{NodeId, NodeKind};
use std::path::{Path, PathBuf};
use weir_checkpoint::{OperatorState, SnapshotKind};
use weir_core::KeyGroupRange;
use weir_state::storage::load_snapshot;

/// What restoring a job from a snapshot would do; see the module docs.
#[derive(Debug)]
pub struct RestoreCheck {
    /// The snapshot's directory.
    pub dir: PathBuf,
    pub kind: SnapshotKind,
    pub checkpoint_id: u64,
    /// The snapshot's number of key groups; the restore requires the job's to be the same.
    pub snapshot_max_parallelism: u32,
    /// The job's number of key groups (`pipeline.max-parallelism`).
    pub job_max_parallelism: usize,
    /// Every operator of the snapshot, in the snapshot's order, with what becomes of its state.
    pub operators: Vec<OperatorRestore>,
    /// The job's operators the snapshot has no state for: they start empty.
    pub fresh: Vec<JobOperator>,
    /// Why the restore would fail, as the restore would say it; `None` when it would succeed.
    pub failure: Option<JobError>,
}

/// An operator of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOperator {
    /// Its name as shown in the plan.
    pub name: String,
    /// The uid its state is matched by (`auto-<n>` when the job set none).
    pub uid: String,
    /// Whether the uid was generated from the operator's position in the graph (the job set
    /// none): such a uid matches the same operator only in an unchanged graph (DESIGN §8).
    pub generated_uid: bool,
    pub parallelism: usize,
}

/// One operator of the snapshot and what becomes of its state.
#[derive(Debug)]
pub struct OperatorRestore {
    pub uid: String,
    /// Its parallelism when the snapshot was taken.
    pub parallelism: usize,
    /// How many state files the snapshot has for it.
    pub files: usize,
    /// Bytes of state: its files plus its source positions.
    pub state_size: u64,
    /// Whether the snapshot kept source positions for it.
    pub has_positions: bool,
    pub target: RestoreTarget,
}

impl OperatorRestore {
    /// Whether the snapshot kept anything for it (a state file or a source position).
    pub fn holds_state(&self) -> bool {
        self.files > 0 || self.has_positions
    }
}

/// Where an operator's state goes.
#[derive(Debug)]
pub enum RestoreTarget {
    /// Into the job's operator with the same uid. `subtasks` says what each of its new subtasks
    /// restores; it is empty when there is nothing to restore or when the max parallelism
    /// changed (key groups cannot be dealt out then).
    Operator { operator: JobOperator, subtasks: Vec<SubtaskRestore> },
    /// No operator of the job has the uid, but the snapshot kept nothing for it: nothing is lost.
    Vanished,
    /// No operator of the job has the uid: its state would be dropped (allowed by
    /// `allow_non_restored`).
    Dropped,
    /// No operator of the job has the uid and dropping state is not allowed: the restore fails.
    Unmatched,
}

/// What one new subtask of an operator restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskRestore {
    /// The new subtask's index.
    pub subtask: usize,
    /// The key groups it owns, if the operator has keyed state.
    pub key_groups: Option<KeyGroupRange>,
    /// The old subtasks whose state files it reads, ascending.
    pub from_subtasks: Vec<usize>,
    /// How many state files it reads.
    pub files: usize,
    /// How many source splits it resumes at their checkpointed positions (sources whose
    /// positions the snapshot kept only).
    pub splits: Option<usize>,
}

impl RestoreCheck {
    /// Whether any operator of the snapshot changes parallelism.
    pub fn rescales(&self) -> bool {
        self.operators.iter().any(|op| match &op.target {
            RestoreTarget::Operator { operator, .. } => operator.parallelism != op.parallelism,
            _ => false,
        })
    }
}

/// The dry run of restoring `job` from the snapshot at `path` (its directory or `_metadata`).
/// Fails, as the restore would, when the snapshot cannot be loaded (missing, incomplete, or a
/// file damaged); every other reason the restore would fail is [`RestoreCheck::failure`].
pub(crate) fn check(path: &Path, job: &JobGraph, allow_non_restored: bool) -> Result<RestoreCheck, JobError> {
    let snapshot = load_snapshot(path).map_err(|e| JobError::Restore(e.to_string()))?;
    let metadata = &snapshot.metadata;
    let dir = snapshot.dir().display().to_string();
    let mapping = StateMapping::new(metadata, &dir, job, allow_non_restored);
    let same_max = metadata.max_parallelism as usize == job.max_parallelism;
    let mut failure = mapping.refusal.map(|e| JobError::Restore(e.to_string()));

    let mut operators = Vec::new();
    for (op, target) in metadata.operators.iter().zip(&mapping.targets) {
        let target = match *target {
            Some(node) => {
                let subtasks = if same_max && holds_state(op) {
                    match subtasks(op, job, node) {
                        Ok(subtasks) => subtasks,
                        Err(e) => {
                            failure.get_or_insert(e);
                            Vec::new()
                        }
                    }
                } else {
                    Vec::new()
                };
                RestoreTarget::Operator { operator: job_operator(job, node), subtasks }
            }
            None if !holds_state(op) => RestoreTarget::Vanished,
            None if allow_non_restored => RestoreTarget::Dropped,
            None => RestoreTarget::Unmatched,
        };
        operators.push(OperatorRestore {
            uid: op.uid.0.clone(),
            parallelism: op.parallelism as usize,
            files: op.subtasks.iter().map(|s| s.files.len()).sum(),
            state_size: op.subtasks.iter().map(|s| s.state_size()).sum(),
            has_positions: op.subtasks.iter().any(|s| s.source_splits.is_some()),
            target,
        });
    }
    Ok(RestoreCheck {
        dir: snapshot.dir().to_path_buf(),
        kind: metadata.kind,
        checkpoint_id: metadata.checkpoint_id.0,
        snapshot_max_parallelism: metadata.max_parallelism,
        job_max_parallelism: job.max_parallelism,
        operators,
        fresh: mapping.fresh.iter().map(|&node| job_operator(job, node)).collect(),
        failure,
    })
}

fn job_operator(job: &JobGraph, node: NodeId) -> JobOperator {
    JobOperator {
        name: job.nodes[node].name.clone(),
        uid: job.uid_of(node).0,
        generated_uid: job.nodes[node].uid.is_none(),
        parallelism: job.node_parallelism[node],
    }
}

/// What each new subtask of `node` restores from `op`, by the restore's own rules; fails as the
/// restore would when the source positions do not fit.
fn subtasks(op: &OperatorState, job: &JobGraph, node: NodeId) -> Result<Vec<SubtaskRestore>, JobError> {
    let parallelism = job.node_parallelism[node];
    let splits = match &job.nodes[node].kind {
        NodeKind::Source(source) => restore_source_splits(source.as_ref(), op, parallelism)
            .map_err(|e| JobError::Restore(e.to_string()))?
            .map(|assignments| assignments.iter().map(|a| a.count()).collect::<Vec<_>>()),
        _ => None,
    };
    // In subtask order, as the restore deals them.
    let mut files: Vec<(usize, Option<KeyGroupRange>)> =
        op.subtasks.iter().flat_map(|s| s.files.iter().map(|f| (s.subtask.0, f.key_groups))).collect();
    files.sort_by_key(|(subtask, _)| *subtask);
    let keyed = files.iter().any(|(_, groups)| groups.is_some());
    let per_instance = files_per_instance(&files, op.parallelism as usize, parallelism, job.max_parallelism);
    Ok(per_instance
        .into_iter()
        .enumerate()
        .map(|(i, indices)| {
            let mut from: Vec<usize> = indices.iter().map(|&f| files[f].0).collect();
            from.dedup();
            SubtaskRestore {
                subtask: i,
                key_groups: keyed.then(|| KeyGroupRange::for_subtask(job.max_parallelism, parallelism, i)),
                from_subtasks: from,
                files: indices.len(),
                splits: splits.as_ref().and_then(|counts| counts.get(i).copied()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests;
