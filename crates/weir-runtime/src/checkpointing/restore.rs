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

use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::NodeKind;
use crate::task::source_task::SplitAssignment;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use weir_core::KeyGroupRange;
use weir_core::snapshot::RestoredState;
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
}

/// What each of the `parallelism` new instances of one operator restores from the files its
/// `old_parallelism` old subtasks wrote: the pure part of [`RestorePlan::build`].
///
/// At unchanged parallelism an instance gets its own old subtask's file; otherwise a keyed
/// instance gets the files whose key groups overlap its range and a non-keyed one every file.
/// Non-keyed instances also get every file as [`RestoredState::all_subtasks`], so union list
/// state is whole at any parallelism.
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
    (0..parallelism)
        .map(|i| {
            let range = KeyGroupRange::for_subtask(max_parallelism, parallelism, i);
            let snapshots: Vec<Arc<Vec<u8>>> = files
                .iter()
                .filter(|f| match (rescaled, f.key_groups) {
                    (false, _) => f.subtask == i,
                    (true, Some(groups)) => groups.intersects(&range),
                    (true, None) => true,
                })
                .map(|f| Arc::clone(&f.bytes))
                .collect();
            Some(Arc::new(RestoredState {
                checkpoint_id,
                snapshots,
                rescaled,
                all_subtasks: all_operator_state.clone(),
            }))
        })
        .collect()
}

/// What every node's instances start from.
#[derive(Default)]
pub(crate) struct RestorePlan {
    pub(crate) checkpoint_id: u64,
    /// Per node: per subtask, the state to restore (absent: the node starts empty).
    operators: HashMap<usize, Vec<Option<Arc<RestoredState>>>>,
    /// Per source node: the split assignment of every subtask.
    sources: HashMap<usize, Vec<SplitAssignment>>,
}

impl RestorePlan {
    /// Builds the plan for `job` from `snapshot`, reading and checking every file it needs.
    pub(crate) fn build(
        snapshot: &LoadedSnapshot,
        job: &JobGraph,
        allow_non_restored: bool,
    ) -> Result<Self, RestoreError> {
        let metadata = &snapshot.metadata;
        let dir = snapshot.dir().display().to_string();
        if metadata.max_parallelism as usize != job.max_parallelism {
            return Err(RestoreError::MaxParallelismChanged {
                dir,
                snapshot: metadata.max_parallelism,
                job: job.max_parallelism,
            });
        }
        let node_of: HashMap<String, usize> = job.nodes.iter().map(|n| (job.uid_of(n.id).0, n.id)).collect();
        let unmatched: BTreeSet<String> =
            metadata.operators.iter().map(|op| op.uid.0.clone()).filter(|uid| !node_of.contains_key(uid)).collect();
        if !unmatched.is_empty() && !allow_non_restored {
            // An operator that kept no state and no position may vanish freely.
            let with_state: Vec<String> = unmatched
                .into_iter()
                .filter(|uid| {
                    metadata.operators.iter().any(|op| {
                        &op.uid.0 == uid && op.subtasks.iter().any(|s| !s.files.is_empty() || s.source_splits.is_some())
                    })
                })
                .collect();
            if !with_state.is_empty() {
                return Err(RestoreError::UnmatchedState { dir, uids: with_state });
            }
        }

        let mut plan = RestorePlan { checkpoint_id: metadata.checkpoint_id.0, ..RestorePlan::default() };
        for op in &metadata.operators {
            let Some(&node) = node_of.get(&op.uid.0) else { continue };
            let parallelism = job.node_parallelism[node];
            let read_err = |cause: String| RestoreError::Read { dir: dir.clone(), uid: op.uid.0.clone(), cause };

            if let NodeKind::Source(source) = &job.nodes[node].kind {
                let positions: Vec<&[u8]> =
                    op.subtasks.iter().filter_map(|s| s.source_splits.as_ref()).map(|b| b.0.as_slice()).collect();
                if !positions.is_empty() {
                    let assignment = source
                        .restore_splits(parallelism, &positions)
                        .map_err(|cause| RestoreError::Splits { uid: op.uid.0.clone(), cause })?;
                    plan.sources.insert(node, assignment);
                }
            }

            // Every file once, shared by the instances that need it.
            let mut files = Vec::new();
            for subtask in &op.subtasks {
                for file in &subtask.files {
                    let bytes = snapshot.read_file(file).map_err(|e| read_err(e.to_string()))?;
                    files.push(OldState {
                        subtask: subtask.subtask.0,
                        key_groups: file.key_groups,
                        bytes: Arc::new(bytes),
                    });
                }
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
