//! [`CheckpointPlan`]: the shape of the job the coordinator checkpoints — its id, max
//! parallelism, and every job vertex with its parallelism and the uids of its chained operators.
//!
//! From it the coordinator knows which subtasks must acknowledge and which operators the
//! `_metadata` lists. It is **not** the job graph: it holds nothing the protocol does not need.

use crate::error::{CheckpointError, Result};
use crate::task::{TaskKey, VertexId};
use std::collections::BTreeSet;
use weir_core::key_group::UPPER_BOUND_MAX_PARALLELISM;
use weir_core::{JobId, OperatorUid, SubtaskIndex};

/// One job vertex (chained task).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VertexPlan {
    pub id: VertexId,
    pub parallelism: u32,
    /// The uids of the operators chained in this vertex, head first.
    pub operators: Vec<OperatorUid>,
}

/// The job as the checkpoint coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointPlan {
    pub job_id: JobId,
    pub max_parallelism: u32,
    pub vertices: Vec<VertexPlan>,
}

impl CheckpointPlan {
    /// Checks that there is at least one vertex, vertex ids and operator uids are unique, and
    /// every parallelism is within `1..=max_parallelism`.
    pub fn validate(&self) -> Result<()> {
        let bad = |problem: String| Err(CheckpointError::InvalidPlan { problem });
        let max = self.max_parallelism;
        if max == 0 || max as usize > UPPER_BOUND_MAX_PARALLELISM {
            return bad(format!("max parallelism {max} is outside 1..={UPPER_BOUND_MAX_PARALLELISM}"));
        }
        if self.vertices.is_empty() {
            return bad("the job has no vertices".into());
        }
        let mut ids = BTreeSet::new();
        let mut uids = BTreeSet::new();
        for v in &self.vertices {
            if !ids.insert(v.id) {
                return bad(format!("vertex {} appears twice", v.id));
            }
            if v.parallelism == 0 || v.parallelism > max {
                return bad(format!("vertex {} has parallelism {}, outside 1..={max}", v.id, v.parallelism));
            }
            for uid in &v.operators {
                if !uids.insert(uid) {
                    return bad(format!("operator uid '{uid}' appears twice"));
                }
            }
        }
        Ok(())
    }

    /// Every subtask that must acknowledge a checkpoint.
    pub fn tasks(&self) -> BTreeSet<TaskKey> {
        self.vertices
            .iter()
            .flat_map(|v| (0..v.parallelism as usize).map(move |i| TaskKey { vertex: v.id, subtask: SubtaskIndex(i) }))
            .collect()
    }

    pub fn vertex(&self, id: VertexId) -> Option<&VertexPlan> {
        self.vertices.iter().find(|v| v.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(vertices: Vec<(u32, u32, &[&str])>) -> CheckpointPlan {
        CheckpointPlan {
            job_id: JobId([1; 16]),
            max_parallelism: 4,
            vertices: vertices
                .into_iter()
                .map(|(id, parallelism, uids)| VertexPlan {
                    id: VertexId(id),
                    parallelism,
                    operators: uids.iter().map(|u| OperatorUid(u.to_string())).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn tasks_are_every_subtask_of_every_vertex() {
        let p = plan(vec![(0, 1, &["src"]), (1, 2, &["map", "sink"])]);
        p.validate().expect("valid");
        let tasks: Vec<_> = p.tasks().into_iter().collect();
        assert_eq!(tasks, vec![TaskKey::new(0, 0), TaskKey::new(1, 0), TaskKey::new(1, 1)]);
    }

    #[test]
    fn inconsistent_plans_are_refused() {
        for (p, needle) in [
            (plan(vec![]), "no vertices"),
            (plan(vec![(0, 1, &["a"]), (0, 1, &["b"])]), "vertex 0 appears twice"),
            (plan(vec![(0, 1, &["a"]), (1, 1, &["a"])]), "'a' appears twice"),
            (plan(vec![(0, 5, &["a"])]), "parallelism 5"),
            (plan(vec![(0, 0, &["a"])]), "parallelism 0"),
        ] {
            let err = p.validate().expect_err(needle).to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }
}
