//! The functions users implement for `process` on streams, keyed streams and connected streams,
//! and the contexts those functions receive.
//!
//! A function value is cloned once per parallel subtask (as Flink deserializes one copy of a
//! function per subtask), so fields hold per-subtask state. State that must survive a failure
//! lives behind the contexts: keyed state in the [`KeyedContext`], scoped to the current key;
//! operator state (a subtask's list, or a union list every subtask restores whole) in the
//! [`ProcessContext`] of non-keyed functions and the [`InitContext`] they are initialized with.
//! Both are snapshotted at every checkpoint and restored after a failure. (Broadcast state is in
//! `broadcast_functions`.)
//!
//! Every context derefs to a [`Collector`], so `ctx.collect(value)` works in all of them.

use super::output_tag::OutputTag;
use crate::timers::{InternalTimerService, TimeDomain, TimerService};
use weir_core::clock::Clock;
use weir_core::operator::{InputSide, OperatorContext};
use weir_core::{Data, Key, Output, Record, Result, Timestamp};
use weir_state::{
    AggregatingState, AggregatingStateDescriptor, KeyedStateBackend, ListState, ListStateDescriptor, MapState,
    MapStateDescriptor, OperatorListState, OperatorStateBackend, ReducingState, ReducingStateDescriptor, ValueState,
    ValueStateDescriptor,
};

/// What a function emits into — the main output and side outputs — with the timestamp of the
/// record being processed (Flink's `Collector` and the emitting half of its contexts).
pub struct Collector<'a, O> {
    pub(crate) out: &'a mut Output<O>,
    pub(crate) timestamp: Option<Timestamp>,
}

impl<O> Collector<'_, O> {
    /// Emits a value with the current record's timestamp.
    pub fn collect(&mut self, value: O) {
        match self.timestamp {
            Some(ts) => self.out.collect_with_timestamp(value, ts),
            None => self.out.collect(value),
        }
    }

    /// Emits a value with a timestamp of its own.
    pub fn collect_with_timestamp(&mut self, value: O, timestamp: Timestamp) {
        self.out.collect_with_timestamp(value, timestamp);
    }

    /// The current record's event timestamp, if it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }

    /// Emits a value to a side output, with the current record's timestamp.
    pub fn output<S: Send + 'static>(&mut self, tag: &OutputTag<S>, value: S) {
        self.out.emit_side(tag.key(), Record { value, timestamp: self.timestamp });
    }
}

/// The context of a non-keyed process function ([`ProcessFunction`], [`CoProcessFunction`]):
/// everything a [`Collector`] offers (through `Deref`), and the subtask's operator state.
///
/// Operator state is the state of the subtask, not of a key: a buffer, an offset, a counter.
/// It is snapshotted as it is when a checkpoint barrier passes, so keep it current rather than
/// in fields of the function. On a restore at another parallelism, list state is dealt out
/// round-robin and union list state goes whole to every subtask.
///
/// ```no_run
/// use weir_runtime::prelude::*;
///
/// /// Emits records in groups of 10; the group being filled survives failures.
/// #[derive(Clone)]
/// struct Batcher {
///     buffer: ListStateDescriptor<u64>,
/// }
///
/// impl ProcessFunction<u64, Vec<u64>> for Batcher {
///     fn process_element(&mut self, value: u64, ctx: &mut ProcessContext<'_, Vec<u64>>) -> Result<()> {
///         let mut buffer = ctx.list_state(&self.buffer)?;
///         buffer.add(value);
///         if buffer.get().len() == 10 {
///             let full = buffer.take();
///             ctx.collect(full);
///         }
///         Ok(())
///     }
///
///     fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, Vec<u64>>) -> Result<()> {
///         let rest = ctx.list_state(&self.buffer)?.take();
///         if !rest.is_empty() {
///             ctx.collect(rest);
///         }
///         Ok(())
///     }
/// }
///
/// let env = StreamExecutionEnvironment::new();
/// env.from_collection((0..100u64).collect())
///     .process(Batcher { buffer: ListStateDescriptor::new("buffer") })
///     .uid("batcher")
///     .print();
/// env.execute("batches")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProcessContext<'a, O> {
    pub(crate) emit: Collector<'a, O>,
    pub(crate) state: &'a mut OperatorStateBackend,
}

impl<'a, O> std::ops::Deref for ProcessContext<'a, O> {
    type Target = Collector<'a, O>;
    fn deref(&self) -> &Self::Target {
        &self.emit
    }
}

impl<O> std::ops::DerefMut for ProcessContext<'_, O> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.emit
    }
}

impl<O> ProcessContext<'_, O> {
    /// The subtask's list state `descriptor` names; on a restore at another parallelism its
    /// elements are dealt out round-robin (Flink's `getListState` of operator state).
    pub fn list_state<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<OperatorListState<'_, V>> {
        Ok(self.state.list_state(descriptor)?)
    }

    /// The subtask's union list state `descriptor` names: on every restore, each subtask gets
    /// the elements of all subtasks (Flink's `getUnionListState`).
    pub fn union_list_state<V: Data>(
        &mut self,
        descriptor: &ListStateDescriptor<V>,
    ) -> Result<OperatorListState<'_, V>> {
        Ok(self.state.union_list_state(descriptor)?)
    }
}

/// What a non-keyed process function is initialized with, before `open` (Flink's
/// `FunctionInitializationContext` of `CheckpointedFunction::initializeState`): the subtask's
/// operator state, restored when the job restores, and whether it was.
pub struct InitContext<'a> {
    pub(crate) state: &'a mut OperatorStateBackend,
    pub(crate) operator: &'a OperatorContext,
}

impl InitContext<'_> {
    /// Whether the job restored this operator's state from a checkpoint (false on a fresh
    /// start, and when the checkpoint held no state of this operator).
    pub fn is_restored(&self) -> bool {
        self.operator.restored.is_some()
    }

    /// Where the subtask runs: its index, the parallelism, the operator's name.
    pub fn operator(&self) -> &OperatorContext {
        self.operator
    }

    /// As [`ProcessContext::list_state`].
    pub fn list_state<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<OperatorListState<'_, V>> {
        Ok(self.state.list_state(descriptor)?)
    }

    /// As [`ProcessContext::union_list_state`].
    pub fn union_list_state<V: Data>(
        &mut self,
        descriptor: &ListStateDescriptor<V>,
    ) -> Result<OperatorListState<'_, V>> {
        Ok(self.state.union_list_state(descriptor)?)
    }
}

/// A function called for every record of a (non-keyed) stream.
pub trait ProcessFunction<I, O>: Send + Sync + Clone + 'static {
    /// Called once per subtask, before `open`, with its operator state (restored when the job
    /// restores): read what fields need from state here.
    fn initialize_state(&mut self, _ctx: &mut InitContext<'_>) -> Result<()> {
        Ok(())
    }

    /// Called once per subtask before the first record.
    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    fn process_element(&mut self, value: I, ctx: &mut ProcessContext<'_, O>) -> Result<()>;

    /// The (bounded) input ended.
    fn on_end_of_input(&mut self, _ctx: &mut ProcessContext<'_, O>) -> Result<()> {
        Ok(())
    }
}

/// The context of a keyed function: state and timers scoped to the current key, plus everything
/// a [`Collector`] offers (`collect`, `output`, `timestamp`, through `Deref`).
pub struct KeyedContext<'a, K, O> {
    pub(crate) state: &'a mut KeyedStateBackend<K>,
    pub(crate) timers: &'a mut InternalTimerService<K, ()>,
    /// Read only when a function asks for processing time (not per record).
    pub(crate) clock: Option<&'a dyn Clock>,
    pub(crate) emit: Collector<'a, O>,
}

impl<'a, K, O> std::ops::Deref for KeyedContext<'a, K, O> {
    type Target = Collector<'a, O>;
    fn deref(&self) -> &Self::Target {
        &self.emit
    }
}

impl<K, O> std::ops::DerefMut for KeyedContext<'_, K, O> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.emit
    }
}

impl<K: Key, O> KeyedContext<'_, K, O> {
    /// The key of the record being processed.
    pub fn current_key(&self) -> &K {
        // The operator sets the key before every call into the function.
        self.state.current_key().expect("the keyed operator sets the current key before calling the function")
    }

    /// Timers of the current key: register and delete, read the watermark and processing time.
    pub fn timer_service(&mut self) -> TimerService<'_, K> {
        let key =
            self.state.current_key().expect("the keyed operator sets the current key before calling the function");
        TimerService { timers: &mut *self.timers, key, clock: self.clock }
    }

    /// The value state of the current key.
    pub fn value<V: Data>(&mut self, descriptor: &ValueStateDescriptor<V>) -> Result<ValueState<'_, K, V>> {
        Ok(self.state.value(descriptor)?)
    }

    /// The list state of the current key.
    pub fn list<V: Data>(&mut self, descriptor: &ListStateDescriptor<V>) -> Result<ListState<'_, K, V>> {
        Ok(self.state.list(descriptor)?)
    }

    /// The map state of the current key.
    pub fn map<UK: Key, UV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<UK, UV>,
    ) -> Result<MapState<'_, K, UK, UV>> {
        Ok(self.state.map(descriptor)?)
    }

    /// The reducing state of the current key: values added are folded with the descriptor's
    /// function.
    pub fn reducing<'s, V: Data>(
        &'s mut self,
        descriptor: &'s ReducingStateDescriptor<V>,
    ) -> Result<ReducingState<'s, K, V>> {
        Ok(self.state.reducing(descriptor)?)
    }

    /// The aggregating state of the current key: inputs added go into the descriptor's
    /// accumulator.
    pub fn aggregating<'s, IN, ACC: Data, OUT>(
        &'s mut self,
        descriptor: &'s AggregatingStateDescriptor<IN, ACC, OUT>,
    ) -> Result<AggregatingState<'s, K, IN, ACC, OUT>> {
        Ok(self.state.aggregating(descriptor)?)
    }
}

/// A function called for every record of a keyed stream, with keyed state.
pub trait KeyedProcessFunction<K, I, O>: Send + Sync + Clone + 'static {
    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    fn process_element(&mut self, value: I, ctx: &mut KeyedContext<'_, K, O>) -> Result<()>;

    /// A timer of the current key fired. For event-time timers, emitted records carry the
    /// timer's timestamp.
    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        _ctx: &mut KeyedContext<'_, K, O>,
    ) -> Result<()> {
        Ok(())
    }
}

/// A function over two connected streams.
pub trait CoProcessFunction<I1, I2, O>: Send + Sync + Clone + 'static {
    /// As [`ProcessFunction::initialize_state`].
    fn initialize_state(&mut self, _ctx: &mut InitContext<'_>) -> Result<()> {
        Ok(())
    }

    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    fn process_element1(&mut self, value: I1, ctx: &mut ProcessContext<'_, O>) -> Result<()>;

    fn process_element2(&mut self, value: I2, ctx: &mut ProcessContext<'_, O>) -> Result<()>;

    /// One input ended.
    fn on_end_of_input(&mut self, _side: InputSide, _ctx: &mut ProcessContext<'_, O>) -> Result<()> {
        Ok(())
    }
}

/// A function over two connected keyed streams that share keyed state.
pub trait KeyedCoProcessFunction<K, I1, I2, O>: Send + Sync + Clone + 'static {
    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    fn process_element1(&mut self, value: I1, ctx: &mut KeyedContext<'_, K, O>) -> Result<()>;

    fn process_element2(&mut self, value: I2, ctx: &mut KeyedContext<'_, K, O>) -> Result<()>;

    /// A timer of the current key fired.
    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        _ctx: &mut KeyedContext<'_, K, O>,
    ) -> Result<()> {
        Ok(())
    }
}

/// Two map functions over connected streams, as a co-process function (Flink's `CoMapFunction`).
pub(crate) struct CoMap<F1, F2> {
    pub(crate) map1: std::sync::Arc<F1>,
    pub(crate) map2: std::sync::Arc<F2>,
}

impl<F1, F2> Clone for CoMap<F1, F2> {
    fn clone(&self) -> Self {
        CoMap { map1: std::sync::Arc::clone(&self.map1), map2: std::sync::Arc::clone(&self.map2) }
    }
}

impl<I1, I2, O, F1, F2> CoProcessFunction<I1, I2, O> for CoMap<F1, F2>
where
    F1: Fn(I1) -> O + Send + Sync + 'static,
    F2: Fn(I2) -> O + Send + Sync + 'static,
{
    fn process_element1(&mut self, value: I1, ctx: &mut ProcessContext<'_, O>) -> Result<()> {
        ctx.collect((self.map1)(value));
        Ok(())
    }

    fn process_element2(&mut self, value: I2, ctx: &mut ProcessContext<'_, O>) -> Result<()> {
        ctx.collect((self.map2)(value));
        Ok(())
    }
}
