//! The stream graph: what the DataStream API records, one node per operator.
//!
//! Node ids are assigned in creation order, and an operator can only be created from streams
//! that already exist, so ids are a topological order: every edge goes from a lower id to a
//! higher one. Chaining and deployment rely on that.

use crate::task::element::ChannelElement;
use crate::task::erased_operator::OperatorFactory;
use crate::task::partitioner::PartitionKind;
use crate::task::record_writer::{ChannelWriter, KeyGroupFn, RecordWriter, WriterSetup};
use crate::task::source_task::ErasedSource;
use crossbeam_channel::Sender;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::InputSide;
use weir_core::{Data, KeyGroup, Result};

pub(crate) type NodeId = usize;

/// Whether a node may be fused with its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainingStrategy {
    /// Chain with the upstream and downstream operators where the edges allow it.
    Always,
    /// Start a new chain here (`start_new_chain`), but let downstream operators chain to it.
    Head,
    /// Never chain (`disable_chaining`).
    Never,
}

#[derive(Clone)]
pub(crate) enum NodeKind {
    Source(Arc<dyn ErasedSource>),
    Operator(OperatorFactory),
}

#[derive(Clone)]
pub(crate) struct StreamNode {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) uid: Option<String>,
    /// `None` means the job's default parallelism.
    pub(crate) parallelism: Option<usize>,
    pub(crate) kind: NodeKind,
    pub(crate) inputs: Vec<StreamEdge>,
    pub(crate) chaining: ChainingStrategy,
    pub(crate) is_sink: bool,
}

impl StreamNode {
    pub(crate) fn is_source(&self) -> bool {
        matches!(self.kind, NodeKind::Source(_))
    }
}

/// An edge into a node.
#[derive(Clone)]
pub(crate) struct StreamEdge {
    pub(crate) from: NodeId,
    pub(crate) side: InputSide,
    pub(crate) partition: PartitionKind,
    /// The producer's side output this edge carries; `None` for its main output.
    pub(crate) output_tag: Option<String>,
    /// Creates the producer's writer for this edge; it knows the record type.
    pub(crate) writer: Arc<dyn WriterFactory>,
}

/// Creates record writers for an edge, knowing the record type the API erased.
pub(crate) trait WriterFactory: Send + Sync {
    fn create(
        &self,
        kind: PartitionKind,
        channels: Vec<Sender<ChannelElement>>,
        setup: &WriterSetup,
    ) -> Result<Box<dyn RecordWriter>>;
}

/// Computes the key group of a record for a max parallelism.
pub(crate) type KeyGroupSelector<T> = Arc<dyn Fn(&T, usize) -> Result<KeyGroup> + Send + Sync>;

pub(crate) struct TypedWriterFactory<T> {
    pub(crate) key_group: Option<KeyGroupSelector<T>>,
    pub(crate) _records: PhantomData<fn(T)>,
}

impl<T: Data> TypedWriterFactory<T> {
    pub(crate) fn plain() -> Arc<dyn WriterFactory> {
        Arc::new(TypedWriterFactory::<T> { key_group: None, _records: PhantomData })
    }

    pub(crate) fn keyed(key_group: KeyGroupSelector<T>) -> Arc<dyn WriterFactory> {
        Arc::new(TypedWriterFactory::<T> { key_group: Some(key_group), _records: PhantomData })
    }
}

impl<T: Data> WriterFactory for TypedWriterFactory<T> {
    fn create(
        &self,
        kind: PartitionKind,
        channels: Vec<Sender<ChannelElement>>,
        setup: &WriterSetup,
    ) -> Result<Box<dyn RecordWriter>> {
        let key_group = self.key_group.clone().map(|select| {
            let max_parallelism = setup.max_parallelism;
            Arc::new(move |value: &T| select(value, max_parallelism)) as KeyGroupFn<T>
        });
        Ok(Box::new(ChannelWriter::<T>::new(kind, channels, key_group, setup)?))
    }
}

/// The stream graph under construction.
#[derive(Default, Clone)]
pub(crate) struct StreamGraph {
    pub(crate) nodes: Vec<StreamNode>,
    /// Misuses of the API found while building; `execute` reports them all.
    pub(crate) errors: Vec<String>,
}

impl StreamGraph {
    pub(crate) fn add_node(&mut self, name: String, kind: NodeKind, inputs: Vec<StreamEdge>, is_sink: bool) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(StreamNode {
            id,
            name,
            uid: None,
            parallelism: None,
            kind,
            inputs,
            chaining: ChainingStrategy::Always,
            is_sink,
        });
        id
    }

    /// The edges leaving `node`.
    pub(crate) fn out_degree(&self, node: NodeId) -> usize {
        self.nodes.iter().flat_map(|n| &n.inputs).filter(|e| e.from == node).count()
    }
}
