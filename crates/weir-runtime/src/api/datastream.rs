//! `DataStream<T>`: a stream of records of type `T`, and the transformations on it.

use super::connected::ConnectWith;
use super::environment::StreamExecutionEnvironment;
use super::functions::ProcessFunction;
use super::keyed_stream::KeyedStream;
use super::output_tag::OutputTag;
use super::sink::DataStreamSink;
use super::watermark_strategy::WatermarkStrategy;
use crate::graph::stream_graph::{ChainingStrategy, NodeId, NodeKind, StreamEdge, TypedWriterFactory, WriterFactory};
use crate::operators::filter::FilterOperator;
use crate::operators::flat_map::FlatMapOperator;
use crate::operators::map::{MapOperator, TryMapOperator};
use crate::operators::process::ProcessOperator;
use crate::operators::sink::SinkOperator;
use crate::operators::timestamps_watermarks::TimestampsAndWatermarksOperator;
use crate::task::erased_operator::{OneInput, OperatorFactory};
use crate::task::partitioner::PartitionKind;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_connectors::PrintSink;
use weir_core::key_group::assign_key_group;
use weir_core::operator::{InputSide, OneInputOperator};
use weir_core::sink::Sink;
use weir_core::{Data, Key};

/// A stream of `T` records: the output of one operator, the union of several, or either with a
/// partitioning (`rebalance`, `broadcast`, ...) applied to what comes next.
/// One operator output feeding a stream: its main output, or one of its side outputs.
#[derive(Debug, Clone)]
pub(crate) struct StreamInput {
    pub(crate) node: NodeId,
    pub(crate) output_tag: Option<String>,
}

pub struct DataStream<T> {
    pub(crate) env: StreamExecutionEnvironment,
    /// The operator outputs that form this stream (several after `union`).
    pub(crate) inputs: Vec<StreamInput>,
    /// How the next operator receives the records.
    pub(crate) partition: PartitionKind,
    pub(crate) writer: Arc<dyn WriterFactory>,
    pub(crate) _records: PhantomData<fn() -> T>,
}

impl<T> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        DataStream {
            env: self.env.clone(),
            inputs: self.inputs.clone(),
            partition: self.partition,
            writer: Arc::clone(&self.writer),
            _records: PhantomData,
        }
    }
}

impl<T: Data> DataStream<T> {
    pub(crate) fn from_node(env: StreamExecutionEnvironment, node: NodeId) -> Self {
        DataStream {
            env,
            inputs: vec![StreamInput { node, output_tag: None }],
            partition: PartitionKind::Default,
            writer: TypedWriterFactory::<T>::plain(),
            _records: PhantomData,
        }
    }

    /// The edges from this stream into a new operator's input `side`.
    pub(crate) fn edges(&self, side: InputSide) -> Vec<StreamEdge> {
        self.inputs
            .iter()
            .map(|input| StreamEdge {
                from: input.node,
                side,
                partition: self.partition,
                output_tag: input.output_tag.clone(),
                writer: Arc::clone(&self.writer),
            })
            .collect()
    }

    /// Adds an operator fed by `edges` and returns its output stream.
    pub(crate) fn add_operator<U: Data>(
        &self,
        name: &str,
        factory: OperatorFactory,
        edges: Vec<StreamEdge>,
    ) -> DataStream<U> {
        let node =
            self.env.state.borrow_mut().graph.add_node(name.to_string(), NodeKind::Operator(factory), edges, false);
        DataStream::from_node(self.env.clone(), node)
    }

    /// Adds a one-input operator whose instances are clones of `operator`.
    pub fn transform<U: Data, O>(&self, name: &str, operator: O) -> DataStream<U>
    where
        O: OneInputOperator<T, U> + Clone + Sync + 'static,
    {
        let factory: OperatorFactory = Arc::new(move || OneInput::boxed(operator.clone()));
        self.add_operator(name, factory, self.edges(InputSide::First))
    }

    fn one_input<U: Data, O>(&self, name: &str, make: impl Fn() -> O + Send + Sync + 'static) -> DataStream<U>
    where
        O: OneInputOperator<T, U> + 'static,
    {
        let factory: OperatorFactory = Arc::new(move || OneInput::boxed(make()));
        self.add_operator(name, factory, self.edges(InputSide::First))
    }

    /// One output per record.
    pub fn map<U: Data, F>(&self, f: F) -> DataStream<U>
    where
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let function = Arc::new(f);
        self.one_input("Map", move || MapOperator { function: Arc::clone(&function) })
    }

    /// One output per record from a function that may fail; an error fails the job, naming
    /// this operator and the subtask.
    pub fn try_map<U: Data, E, F>(&self, f: F) -> DataStream<U>
    where
        F: Fn(T) -> Result<U, E> + Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let function = Arc::new(f);
        self.one_input("Map", move || TryMapOperator { function: Arc::clone(&function) })
    }

    /// Keeps the records for which `predicate` is true.
    pub fn filter<F>(&self, predicate: F) -> DataStream<T>
    where
        F: Fn(&T) -> bool + Send + Sync + 'static,
    {
        let predicate = Arc::new(predicate);
        self.one_input("Filter", move || FilterOperator { predicate: Arc::clone(&predicate) })
    }

    /// Zero or more outputs per record.
    pub fn flat_map<U: Data, I, F>(&self, f: F) -> DataStream<U>
    where
        F: Fn(T) -> I + Send + Sync + 'static,
        I: IntoIterator<Item = U> + 'static,
    {
        let function = Arc::new(f);
        self.one_input("Flat Map", move || FlatMapOperator { function: Arc::clone(&function) })
    }

    /// A process function per record, with operator state (see [`ProcessContext`]).
    ///
    /// [`ProcessContext`]: super::functions::ProcessContext
    pub fn process<U: Data, F>(&self, function: F) -> DataStream<U>
    where
        F: ProcessFunction<T, U>,
    {
        self.one_input("Process", move || ProcessOperator::new(function.clone()))
    }

    /// Stamps records with event timestamps and generates watermarks (Flink's
    /// `assignTimestampsAndWatermarks`), with one generator per subtask of this operator.
    /// Watermarks from upstream are replaced, except the final one of a bounded input. For a
    /// source, prefer the strategy at the source
    /// ([`StreamExecutionEnvironment::from_source_with_watermarks`](crate::StreamExecutionEnvironment::from_source_with_watermarks)):
    /// it generates per split, so a subtask reading several splits makes none of them late.
    pub fn assign_timestamps_and_watermarks(&self, strategy: WatermarkStrategy<T>) -> DataStream<T> {
        self.one_input("Timestamps/Watermarks", move || TimestampsAndWatermarksOperator::new(strategy.clone()))
    }

    /// Partitions the stream by key: records with equal keys go to the same subtask, whose
    /// operators then have keyed state. The key's key group is a stable hash of its bytes.
    pub fn key_by<K: Key, F>(&self, key_selector: F) -> KeyedStream<K, T>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        let key_selector: Arc<dyn Fn(&T) -> K + Send + Sync> = Arc::new(key_selector);
        let for_partitioning = Arc::clone(&key_selector);
        let mut stream = self.clone();
        stream.partition = PartitionKind::Hash;
        stream.writer = TypedWriterFactory::<T>::keyed(Arc::new(move |value: &T, max_parallelism| {
            assign_key_group(&for_partitioning(value), max_parallelism)
        }));
        KeyedStream { stream, key_selector }
    }

    /// This stream and others of the same type as one stream.
    pub fn union(&self, others: &[&DataStream<T>]) -> DataStream<T> {
        let mut union = self.clone();
        for other in others {
            if other.partition != self.partition {
                self.record_error(format!(
                    "union of streams with different partitionings ({} and {}); partition after the union instead",
                    self.partition, other.partition
                ));
            }
            union.inputs.extend(other.inputs.iter().cloned());
        }
        union
    }

    /// The records the operator of this stream emitted to the side output `tag`.
    pub fn get_side_output<S: Data>(&self, tag: &OutputTag<S>) -> DataStream<S> {
        let node = match (self.inputs.as_slice(), self.partition) {
            ([StreamInput { node, output_tag: None }], PartitionKind::Default) => *node,
            _ => {
                self.record_error(format!(
                    "get_side_output('{}') applies to one operator's stream, not to a union, a partitioning or another side output",
                    tag.id()
                ));
                self.inputs.first().map_or(0, |i| i.node)
            }
        };
        DataStream {
            env: self.env.clone(),
            inputs: vec![StreamInput { node, output_tag: Some(tag.key().to_string()) }],
            partition: PartitionKind::Default,
            writer: TypedWriterFactory::<S>::plain(),
            _records: PhantomData,
        }
    }

    /// This stream and `other` for an operator with two inputs: with another [`DataStream`],
    /// of possibly another type, [`ConnectedStreams`] for a co-process function; with a
    /// [`BroadcastStream`] (from [`broadcast_state`](Self::broadcast_state)), a
    /// [`BroadcastConnectedStream`] for a broadcast process function.
    ///
    /// [`ConnectedStreams`]: super::connected::ConnectedStreams
    /// [`BroadcastStream`]: super::broadcast_stream::BroadcastStream
    /// [`BroadcastConnectedStream`]: super::broadcast_stream::BroadcastConnectedStream
    pub fn connect<S: ConnectWith<DataStream<T>>>(&self, other: &S) -> S::Connected {
        other.connected_to(self)
    }

    fn partitioned(&self, partition: PartitionKind) -> DataStream<T> {
        let mut stream = self.clone();
        stream.partition = partition;
        stream.writer = TypedWriterFactory::<T>::plain();
        stream
    }

    /// Round-robin to all downstream subtasks.
    pub fn rebalance(&self) -> DataStream<T> {
        self.partitioned(PartitionKind::Rebalance)
    }

    /// Round-robin to a local subset of downstream subtasks (pointwise).
    pub fn rescale(&self) -> DataStream<T> {
        self.partitioned(PartitionKind::Rescale)
    }

    /// Every record to every downstream subtask.
    pub fn broadcast(&self) -> DataStream<T> {
        self.partitioned(PartitionKind::Broadcast)
    }

    /// Subtask `i` to subtask `i`; needs equal parallelism.
    pub fn forward(&self) -> DataStream<T> {
        self.partitioned(PartitionKind::Forward)
    }

    /// Writes the stream to a sink.
    pub fn sink_to<S: Sink<T>>(&self, sink: S) -> DataStreamSink {
        let name = format!("Sink: {}", sink.name());
        let sink: Arc<dyn Sink<T>> = Arc::new(sink);
        let factory: OperatorFactory =
            Arc::new(move || OneInput::boxed(SinkOperator { sink: Arc::clone(&sink), writer: None }));
        let node = self.env.state.borrow_mut().graph.add_node(
            name,
            NodeKind::Operator(factory),
            self.edges(InputSide::First),
            true,
        );
        DataStreamSink { env: self.env.clone(), node }
    }

    /// Prints every record to stdout, prefixed by its subtask when the parallelism is above 1.
    pub fn print(&self) -> DataStreamSink
    where
        T: Debug,
    {
        self.sink_to(PrintSink::new())
    }

    // ---- properties of the operator that produced this stream ----

    /// A stable id for the operator, which matches its state on restore. Set it on every
    /// stateful operator of a job that will be restored.
    pub fn uid(self, uid: &str) -> Self {
        self.with_node("uid", |node| node.uid = Some(uid.to_string()));
        self
    }

    /// The operator's display name.
    pub fn name(self, name: &str) -> Self {
        self.with_node("name", |node| node.name = name.to_string());
        self
    }

    /// The operator's parallelism.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.with_node("set_parallelism", |node| node.parallelism = Some(parallelism));
        self
    }

    /// Keeps the operator out of any chain.
    pub fn disable_chaining(self) -> Self {
        self.with_node("disable_chaining", |node| node.chaining = ChainingStrategy::Never);
        self
    }

    /// Starts a new chain at this operator.
    pub fn start_new_chain(self) -> Self {
        self.with_node("start_new_chain", |node| node.chaining = ChainingStrategy::Head);
        self
    }

    fn with_node(&self, what: &str, change: impl FnOnce(&mut crate::graph::stream_graph::StreamNode)) {
        match (self.inputs.as_slice(), self.partition) {
            ([StreamInput { node, output_tag: None }], PartitionKind::Default) => {
                let mut state = self.env.state.borrow_mut();
                match state.graph.nodes.get_mut(*node) {
                    Some(node) => change(node),
                    None => state.graph.errors.push(format!("{what}() on a stream of a job that was already executed")),
                }
            }
            _ => self.record_error(format!(
                "{what}() applies to one operator, but this stream is a union, a partitioning or a side output; call it on the operator's own stream"
            )),
        }
    }

    fn record_error(&self, message: String) {
        self.env.state.borrow_mut().graph.errors.push(message);
    }
}
