//! From a loaded checkpoint to what every operator instance and source subtask of the job
//! starts from (DESIGN §8).
//!
//! State is matched to operators by uid. At unchanged parallelism every instance gets back the
//! snapshot of its own subtask index; at another parallelism a keyed instance gets every old
//! snapshot whose key groups overlap its range, and a non-keyed one gets all of them (it takes
//! its share by its index; it also gets all of them at unchanged parallelism, next to its own,
//! for union list state); source positions are dealt out by split. Every file is read and
//! checked (size, CRC32C) before the job is deployed, so a damaged checkpoint fails here, with
//! its name, and never half-restores.
//!
//! The rules — [`StateMapping`] (matching by uid, and when to refuse), [`files_per_instance`]
//! (which files a new instance gets) and [`restore_source_splits`] — are the only copy: the dry
//! run ([`super::restore_check`]) uses them too.

use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::{NodeId, NodeKind};
use crate::task::source_task::{ErasedSource, SplitAssignment};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use weir_checkpoint::{FileScope, Metadata, OperatorState};
use weir_core::KeyGroupRange;
use weir_core::snapshot::{RestoredFile, RestoredState, SnapshotFileScope};
use weir_state::storage::LoadedSnapshot;

/// Why a snapshot cannot be restored into this job.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the snapshot at {dir} was taken with max parallelism {snapshot}, the job has {job}; changing the max parallelism (pipeline.max-parallelism) would move every key to another key group"
    )]
    MaxParallelismChanged { dir: String, snapshot: u32, job: usize },
    #[error(
        "the snapshot at {dir} has state for operators this job does not have (uids: {}); give those operators the same uid, or allow dropping their state (--allow-non-restored-state)",
        uids.join(", ")
    )]
    UnmatchedState { dir: String, uids: Vec<String> },
    #[error("cannot read the state of operator '{uid}' from the snapshot at {dir}: {cause}")]
    Read { dir: String, uid: String, cause: String },
    #[error("the checkpointed positions of source '{uid}' do not fit the job: {cause}")]
    Splits { uid: String, cause: weir_core::Error },
}

/// One state file an old subtask of an operator wrote.
pub(crate) struct OldState {
    pub(crate) subtask: usize,
    /// The key groups of its keyed state; `None` for operator state.
    pub(crate) key_groups: Option<KeyGroupRange>,
    pub(crate) bytes: Arc<Vec<u8>>,
    /// The other files the old subtask's snapshot listed (incremental RocksDB state).
    pub(crate) files: Arc<Vec<RestoredFile>>,
}

/// Which of an operator's old state files each of its `parallelism` new instances restores: the
/// rule of [`deal`], on the files' origins alone (old subtask, key groups), so that the restore
/// and its dry run ([`super::restore_check`]) apply the same rule. `files` must be sorted by
/// subtask; the result holds indices into it, per new instance.
///
/// At unchanged parallelism an instance gets its own old subtask's files; otherwise a keyed
/// instance gets the files whose key groups overlap its range and a non-keyed one every file.
pub(crate) fn files_per_instance(
    files: &[(usize, Option<KeyGroupRange>)],
    old_parallelism: usize,
    parallelism: usize,
    max_parallelism: usize,
) -> Vec<Vec<usize>> {
    let rescaled = old_parallelism != parallelism;
    (0..parallelism)
        .map(|i| {
            let range = KeyGroupRange::for_subtask(max_parallelism, parallelism, i);
            (0..files.len())
                .filter(|&f| match (rescaled, files[f]) {
                    (false, (subtask, _)) => subtask == i,
                    (true, (_, Some(groups))) => groups.intersects(&range),
                    (true, (_, None)) => true,
                })
                .collect()
        })
        .collect()
}

/// What each of the `parallelism` new instances of one operator restores from the files its
/// `old_parallelism` old subtasks wrote: the pure part of [`RestorePlan::build`].
///
/// Which files an instance gets is [`files_per_instance`]'s rule. Non-keyed instances also get
/// every file as [`RestoredState::all_subtasks`], so union list state is whole at any
/// parallelism.
pub(crate) fn deal(
    checkpoint_id: u64,
    mut files: Vec<OldState>,
    old_parallelism: usize,
    parallelism: usize,
    max_parallelism: usize,
) -> Vec<Option<Arc<RestoredState>>> {
    files.sort_by_key(|f| f.subtask);
    let rescaled = old_parallelism != parallelism;
    let all_operator_state: Vec<Arc<Vec<u8>>> =
        files.iter().filter(|f| f.key_groups.is_none()).map(|f| Arc::clone(&f.bytes)).collect();
    let origins: Vec<(usize, Option<KeyGroupRange>)> = files.iter().map(|f| (f.subtask, f.key_groups)).collect();
    files_per_instance(&origins, old_parallelism, parallelism, max_parallelism)
        .into_iter()
        .map(|indices| {
            Some(Arc::new(RestoredState {
                checkpoint_id,
                snapshots: indices.iter().map(|&f| Arc::clone(&files[f].bytes)).collect(),
                rescaled,
                all_subtasks: all_operator_state.clone(),
                files: indices.iter().map(|&f| Arc::clone(&files[f].files)).collect(),
            }))
        })
        .collect()
}

/// How the operators of a snapshot meet the operators of a job, by uid (DESIGN §8), and whether
/// the restore may go ahead: computed here once, for the restore ([`RestorePlan::build`]) and for
/// its dry run ([`super::restore_check`]).
pub(crate) struct StateMapping {
    /// Per operator of the snapshot, in the snapshot's order: the job's node with its uid.
    pub(crate) targets: Vec<Option<NodeId>>,
    /// The job's nodes whose uid the snapshot does not have: they start empty.
    pub(crate) fresh: Vec<NodeId>,
    /// The first reason the restore cannot go ahead, in the order the restore checks: the max
    /// parallelism, then state that no operator takes.
    pub(crate) refusal: Option<RestoreError>,
}

impl StateMapping {
    /// Matches `metadata`'s operators (the snapshot at `dir`) to `job`'s nodes.
    pub(crate) fn new(metadata: &Metadata, dir: &str, job: &JobGraph, allow_non_restored: bool) -> Self {
        let node_of: HashMap<String, NodeId> = job.nodes.iter().map(|n| (job.uid_of(n.id).0, n.id)).collect();
        let targets: Vec<Option<NodeId>> =
            metadata.operators.iter().map(|op| node_of.get(&op.uid.0).copied()).collect();
        let in_snapshot: BTreeSet<&str> = metadata.operators.iter().map(|op| op.uid.0.as_str()).collect();
        let fresh =
            job.nodes.iter().map(|n| n.id).filter(|&n| !in_snapshot.contains(job.uid_of(n).0.as_str())).collect();
        // An operator that kept no state and no position may vanish freely.
        let unmatched_with_state: BTreeSet<String> = metadata
            .operators
            .iter()
            .zip(&targets)
            .filter(|(op, target)| target.is_none() && holds_state(op))
            .map(|(op, _)| op.uid.0.clone())
            .collect();
        let refusal = if metadata.max_parallelism as usize != job.max_parallelism {
            Some(RestoreError::MaxParallelismChanged {
                dir: dir.to_string(),
                snapshot: metadata.max_parallelism,
                job: job.max_parallelism,
            })
        } else if !unmatched_with_state.is_empty() && !allow_non_restored {
            Some(RestoreError::UnmatchedState {
                dir: dir.to_string(),
                uids: unmatched_with_state.into_iter().collect(),
            })
        } else {
            None
        };
        StateMapping { targets, fresh, refusal }
    }
}

/// Whether the snapshot kept anything for an operator: a state file or a source position.
pub(crate) fn holds_state(op: &OperatorState) -> bool {
    op.subtasks.iter().any(|s| !s.files.is_empty() || s.source_splits.is_some())
}

/// The split assignment of every new subtask of a source from the positions the snapshot kept
/// for it; `None` when it kept none (the source then enumerates its splits afresh).
pub(crate) fn restore_source_splits(
    source: &dyn ErasedSource,
    op: &OperatorState,
    parallelism: usize,
) -> Result<Option<Vec<SplitAssignment>>, RestoreError> {
    let positions: Vec<&[u8]> =
        op.subtasks.iter().filter_map(|s| s.source_splits.as_ref()).map(|b| b.0.as_slice()).collect();
    if positions.is_empty() {
        return Ok(None);
    }
    source
        .restore_splits(parallelism, &positions)
        .map(Some)
        .map_err(|cause| RestoreError::Splits { uid: op.uid.0.clone(), cause })
}

/// What every node's instances start from.
#[derive(Default)]
pub(crate) struct RestorePlan {
    pub(crate) checkpoint_id: u64,
    /// The snapshot's directory and whether it is a savepoint.
    pub(crate) dir: std::path::PathBuf,
    pub(crate) is_savepoint: bool,
    /// Per node: per subtask, the state to restore (absent: the node starts empty).
    operators: HashMap<usize, Vec<Option<Arc<RestoredState>>>>,
    /// Per source node: the split assignment of every subtask.
    sources: HashMap<usize, Vec<SplitAssignment>>,
}

impl RestorePlan {
    /// What every restore of a job does with the snapshot it chose: says which one, and builds
    /// the plan (the initial snapshot of `-s` and the newest checkpoint after a failure alike).
    pub(crate) fn announce_and_build(
        snapshot: &LoadedSnapshot,
        job: &JobGraph,
        allow_non_restored: bool,
    ) -> Result<Self, RestoreError> {
        let metadata = &snapshot.metadata;
        tracing::info!("restoring from {} {} at {}", metadata.kind, metadata.checkpoint_id, snapshot.dir().display());
        Self::build(snapshot, job, allow_non_restored)
    }

    /// Builds the plan for `job` from `snapshot`, reading and checking every file it needs.
    pub(crate) fn build(
        snapshot: &LoadedSnapshot,
        job: &JobGraph,
        allow_non_restored: bool,
    ) -> Result<Self, RestoreError> {
        let metadata = &snapshot.metadata;
        let dir = snapshot.dir().display().to_string();
        let mapping = StateMapping::new(metadata, &dir, job, allow_non_restored);
        if let Some(refusal) = mapping.refusal {
            return Err(refusal);
        }

        let mut plan = RestorePlan {
            checkpoint_id: metadata.checkpoint_id.0,
            dir: snapshot.dir().to_path_buf(),
            is_savepoint: metadata.kind == weir_checkpoint::SnapshotKind::Savepoint,
            ..RestorePlan::default()
        };
        for (op, target) in metadata.operators.iter().zip(mapping.targets) {
            let Some(node) = target else { continue };
            let parallelism = job.node_parallelism[node];
            let read_err = |cause: String| RestoreError::Read { dir: dir.clone(), uid: op.uid.0.clone(), cause };

            if let NodeKind::Source(source) = &job.nodes[node].kind
                && let Some(assignment) = restore_source_splits(source.as_ref(), op, parallelism)?
            {
                plan.sources.insert(node, assignment);
            }

            // Every file once, shared by the instances that need it. A subtask's first file is
            // its snapshot's bytes; the others are files those bytes name (RocksDB's own files
            // of an incremental checkpoint), found where they are now, read by the backend.
            let mut files = Vec::new();
            for subtask in &op.subtasks {
                let Some((first, others)) = subtask.files.split_first() else { continue };
                let bytes = snapshot.read_file(first).map_err(|e| read_err(e.to_string()))?;
                let mut listed = Vec::with_capacity(others.len());
                for file in others {
                    let location = snapshot.file_path(file).map_err(|e| read_err(e.to_string()))?;
                    let scope = match file.scope {
                        FileScope::Shared => SnapshotFileScope::Shared,
                        _ => SnapshotFileScope::Exclusive,
                    };
                    listed.push(RestoredFile { path: file.path.as_str().to_string(), scope, location });
                }
                files.push(OldState {
                    subtask: subtask.subtask.0,
                    key_groups: first.key_groups,
                    bytes: Arc::new(bytes),
                    files: Arc::new(listed),
                });
            }
            if files.is_empty() {
                continue;
            }
            let per_subtask =
                deal(plan.checkpoint_id, files, op.parallelism as usize, parallelism, job.max_parallelism);
            plan.operators.insert(node, per_subtask);
        }
        Ok(plan)
    }

    /// The state of one instance of `node`, if the snapshot has its operator.
    pub(crate) fn operator_state(&self, node: usize, subtask: usize) -> Option<Arc<RestoredState>> {
        self.operators.get(&node).and_then(|s| s.get(subtask)).cloned().flatten()
    }

    /// The split assignments of a source node, if the snapshot recorded its positions.
    pub(crate) fn take_source_splits(&mut self, node: usize) -> Option<Vec<SplitAssignment>> {
        self.sources.remove(&node)
    }
}

#[cfg(test)]
mod tests;
