//! Operator chaining: which edges fuse two operators into one task (DESIGN §1, §4).
//!
//! An edge is chained when all of these hold, as in Flink:
//! - chaining is enabled for the job (`pipeline.operator-chaining.enabled`);
//! - the edge is a forward edge: no partitioning was asked for, or `forward()` was, and both ends
//!   have the same parallelism;
//! - the upstream operator has this one output edge and the downstream operator this one input
//!   edge (weir chains along lines, not trees);
//! - neither end refused chaining (`disable_chaining`), and the downstream operator did not ask
//!   to start a new chain (`start_new_chain`);
//! - the edge carries the main output, not a side output.

use super::stream_graph::ChainingStrategy;
use crate::task::partitioner::PartitionKind;

/// The facts about one edge that decide whether it is chained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChainCandidate {
    pub(crate) enabled: bool,
    pub(crate) partition: PartitionKind,
    pub(crate) upstream_parallelism: usize,
    pub(crate) downstream_parallelism: usize,
    pub(crate) upstream_outputs: usize,
    pub(crate) downstream_inputs: usize,
    pub(crate) upstream: ChainingStrategy,
    pub(crate) downstream: ChainingStrategy,
    pub(crate) side_output: bool,
}

/// Whether the edge fuses its two operators.
pub(crate) fn can_chain(c: &ChainCandidate) -> bool {
    c.enabled
        && matches!(c.partition, PartitionKind::Default | PartitionKind::Forward)
        && c.upstream_parallelism == c.downstream_parallelism
        && c.upstream_outputs == 1
        && c.downstream_inputs == 1
        && c.upstream != ChainingStrategy::Never
        && c.downstream == ChainingStrategy::Always
        && !c.side_output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chainable() -> ChainCandidate {
        ChainCandidate {
            enabled: true,
            partition: PartitionKind::Default,
            upstream_parallelism: 2,
            downstream_parallelism: 2,
            upstream_outputs: 1,
            downstream_inputs: 1,
            upstream: ChainingStrategy::Always,
            downstream: ChainingStrategy::Always,
            side_output: false,
        }
    }

    #[test]
    fn forward_edges_of_equal_parallelism_chain() {
        assert!(can_chain(&chainable()));
        assert!(can_chain(&ChainCandidate { partition: PartitionKind::Forward, ..chainable() }));
    }

    #[test]
    fn each_condition_alone_prevents_chaining() {
        let cases = [
            ChainCandidate { enabled: false, ..chainable() },
            ChainCandidate { partition: PartitionKind::Hash, ..chainable() },
            ChainCandidate { partition: PartitionKind::Rebalance, ..chainable() },
            ChainCandidate { partition: PartitionKind::Rescale, ..chainable() },
            ChainCandidate { partition: PartitionKind::Broadcast, ..chainable() },
            ChainCandidate { downstream_parallelism: 3, ..chainable() },
            ChainCandidate { upstream_outputs: 2, ..chainable() },
            ChainCandidate { downstream_inputs: 2, ..chainable() },
            ChainCandidate { upstream: ChainingStrategy::Never, ..chainable() },
            ChainCandidate { downstream: ChainingStrategy::Never, ..chainable() },
            ChainCandidate { downstream: ChainingStrategy::Head, ..chainable() },
            ChainCandidate { side_output: true, ..chainable() },
        ];
        for case in cases {
            assert!(!can_chain(&case), "{case:?} should not chain");
        }
    }

    #[test]
    fn a_head_can_have_followers() {
        assert!(can_chain(&ChainCandidate { upstream: ChainingStrategy::Head, ..chainable() }));
    }
}
