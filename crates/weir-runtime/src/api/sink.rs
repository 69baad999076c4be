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
        let mut state = self.env.state.borrow_mut();
        match state.graph.nodes.get_mut(self.node) {
            Some(node) => f(node),
            None => state.graph.errors.push("a sink of a job that was already executed was changed".into()),
        }
        drop(state);
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
