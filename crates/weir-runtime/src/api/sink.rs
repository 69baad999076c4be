//! `DataStreamSink`: the end of a stream, with the sink operator's properties.

use super::environment::StreamExecutionEnvironment;
use crate::graph::stream_graph::{ChainingStrategy, NodeId};

/// A sink added to the job.
pub struct DataStreamSink {
    pub(crate) env: StreamExecutionEnvironment,
    pub(crate) node: NodeId,
}

impl DataStreamSink {
    fn change(self, f: impl FnOnce(&mut crate::graph::stream_graph::StreamNode)) -> Self {
        f(&mut self.env.state.borrow_mut().graph.nodes[self.node]);
        self
    }

    pub fn uid(self, uid: &str) -> Self {
        self.change(|n| n.uid = Some(uid.to_string()))
    }

    pub fn name(self, name: &str) -> Self {
        self.change(|n| n.name = name.to_string())
    }

    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.change(|n| n.parallelism = Some(parallelism))
    }

    pub fn disable_chaining(self) -> Self {
        self.change(|n| n.chaining = ChainingStrategy::Never)
    }
}
