//! The execution graph: every job vertex expanded into its subtasks, and every job edge into
//! the bounded channels between producer and consumer subtasks.

use super::job_graph::JobGraph;
use super::stream_graph::WriterFactory;
use crate::task::element::ChannelElement;
use crate::task::input_gate::InputChannel;
use crate::task::partitioner::{PartitionKind, connected_consumers};
use crossbeam_channel::{Sender, bounded};
use std::sync::Arc;

/// The producer side of one job edge on one subtask.
pub(crate) struct OutputEdge {
    pub(crate) partition: PartitionKind,
    pub(crate) output_tag: Option<String>,
    pub(crate) writer: Arc<dyn WriterFactory>,
    /// One sender per connected consumer, in consumer order.
    pub(crate) channels: Vec<Sender<ChannelElement>>,
}

/// The channels of one subtask.
#[derive(Default)]
pub(crate) struct SubtaskChannels {
    pub(crate) inputs: Vec<InputChannel>,
    pub(crate) outputs: Vec<OutputEdge>,
}

/// Creates every channel of the job: `result[vertex][subtask]` holds that subtask's ends.
/// Each channel holds at most `capacity` batches.
pub(crate) fn create_channels(job: &JobGraph, capacity: usize) -> Vec<Vec<SubtaskChannels>> {
    let mut channels: Vec<Vec<SubtaskChannels>> =
        job.vertices.iter().map(|v| (0..v.parallelism).map(|_| SubtaskChannels::default()).collect()).collect();
    for edge in &job.edges {
        let producers = job.vertices[edge.from_vertex].parallelism;
        let consumers = job.vertices[edge.to_vertex].parallelism;
        for producer in 0..producers {
            let mut senders = Vec::new();
            for consumer in connected_consumers(edge.partition, producer, producers, consumers) {
                let (sender, receiver) = bounded(capacity);
                senders.push(sender);
                channels[edge.to_vertex][consumer].inputs.push(InputChannel::new(receiver, edge.side));
            }
            channels[edge.from_vertex][producer].outputs.push(OutputEdge {
                partition: edge.partition,
                output_tag: edge.output_tag.clone(),
                writer: Arc::clone(&edge.writer),
                channels: senders,
            });
        }
    }
    channels
}
