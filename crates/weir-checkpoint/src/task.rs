//! [`TaskKey`]: which subtask of which job vertex (chained task) an acknowledgement comes from.
//!
//! A job vertex is a chain of operators fused into one task; each of its parallel subtasks
//! acknowledges a checkpoint once, for every operator of its chain. It is **not** an operator id:
//! the operators' state inside an acknowledgement is keyed by [`weir_core::OperatorUid`].

use std::fmt;
use weir_core::SubtaskIndex;

/// The index of a job vertex (a chained task) in the job graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VertexId(pub u32);

impl fmt::Display for VertexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One subtask of one job vertex: the unit that acknowledges or declines a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    pub vertex: VertexId,
    pub subtask: SubtaskIndex,
}

impl TaskKey {
    pub fn new(vertex: u32, subtask: usize) -> Self {
        TaskKey { vertex: VertexId(vertex), subtask: SubtaskIndex(subtask) }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vertex {} subtask {}", self.vertex, self.subtask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_vertex_and_subtask() {
        assert_eq!(TaskKey::new(2, 1).to_string(), "vertex 2 subtask 1");
        assert!(TaskKey::new(0, 5) < TaskKey::new(1, 0));
    }
}
