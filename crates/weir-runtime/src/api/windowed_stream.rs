//! `WindowedStream`: a keyed stream cut into windows, waiting for its window function.

use super::datastream::DataStream;
use super::datastream::StreamInput;
use super::keyed_stream::KeyedStream;
use super::output_tag::OutputTag;
use super::window_function::ProcessWindowFunction;
use crate::config::{WINDOW_LOCAL_AGGREGATION, WINDOW_SLICE_SHARING};
use crate::graph::stream_graph::TypedWriterFactory;
use crate::operators::window::contents::{AggregateAll, EmitEach, EmitSome, Full, Incremental, WindowCore};
use crate::operators::window::local_aggregate::{LocalPartial, LocalWindowAggregateOperator, MergePartials};
use crate::operators::window::slicing::SlicingWindowOperator;
use crate::operators::window::{WindowOperator, WindowSpec};
use crate::task::erased_operator::{OneInput, OperatorFactory};
use crate::task::partitioner::PartitionKind;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use weir_core::config::ConfigOption;
use weir_core::operator::InputSide;
use weir_core::time::TimeDomain;
use weir_core::window::assigner::check_trigger;
use weir_core::window::{
    AggregateFunction, CountEvictor, CountTrigger, Evictor, GlobalWindow, GlobalWindows, NeverTrigger, PurgingTrigger,
    ReduceAggregate, Trigger, Window, WindowAssigner,
};
use weir_core::window::{Slicing, SlidingWindows, TumblingWindows};
use weir_core::{Data, Key};

/// A keyed stream with a window assigner (from `KeyedStream::window`), plus optional trigger,
/// evictor, allowed lateness and late-data side output.
pub struct WindowedStream<K, T, W> {
    keyed: KeyedStream<K, T>,
    assigner: Arc<dyn WindowAssigner<T, Window = W>>,
    trigger: Option<Arc<dyn Trigger<T, W>>>,
    evictor: Option<Arc<dyn Evictor<T, W>>>,
    allowed_lateness: Duration,
    late_tag: Option<String>,
    /// `window_all`: one subtask sees every record.
    non_parallel: bool,
    /// How the windows cut into shared slices, for tumbling and sliding event-time assigners.
    slicing: Option<Slicing>,
}

/// The slices of an assigner whose windows can share them: tumbling or sliding, in event time.
fn slicing_of<T, A: WindowAssigner<T> + Any>(assigner: &A) -> Option<Slicing> {
    if assigner.time_domain() != TimeDomain::EventTime {
        return None;
    }
    let any = assigner as &dyn Any;
    // Slices are cut at window starts and ends (at most two per slide), so every slide shares
    // them, whether or not it divides the size.
    match any.downcast_ref::<TumblingWindows>() {
        Some(tumbling) => Slicing::for_tumbling(tumbling).ok(),
        None => any.downcast_ref::<SlidingWindows>().and_then(|sliding| Slicing::for_sliding(sliding).ok()),
    }
}

impl<K: Key, T: Data> KeyedStream<K, T> {
    /// Windows per key (tumbling, sliding, session, global, or a custom assigner).
    pub fn window<A>(&self, assigner: A) -> WindowedStream<K, T, A::Window>
    where
        A: WindowAssigner<T> + 'static,
    {
        let slicing = slicing_of::<T, A>(&assigner);
        WindowedStream::new(self.clone(), Arc::new(assigner), false, slicing)
    }

    /// A window per key of `size` records, fired and purged when full.
    pub fn count_window(&self, size: u64) -> WindowedStream<K, T, GlobalWindow> {
        let windows = self.window(GlobalWindows);
        match CountTrigger::of(size) {
            Ok(count) => windows.trigger(PurgingTrigger::of(count)),
            Err(e) => windows.invalid(format!("count_window({size}): {e}")),
        }
    }

    /// A window per key of the last `size` records, fired every `slide` records.
    pub fn count_window_sliding(&self, size: u64, slide: u64) -> WindowedStream<K, T, GlobalWindow> {
        let windows = self.window(GlobalWindows);
        if size == 0 {
            return windows.invalid(format!("count_window_sliding({size}, {slide}): the size must be at least 1"));
        }
        match CountTrigger::of(slide) {
            Ok(count) => windows.evictor(CountEvictor::of(size as usize)).trigger(count),
            Err(e) => windows.invalid(format!("count_window_sliding({size}, {slide}): {e}")),
        }
    }
}

impl<T: Data> DataStream<T> {
    /// Windows over the whole stream (not keyed): runs at parallelism 1, as in Flink.
    pub fn window_all<A>(&self, assigner: A) -> WindowedStream<(), T, A::Window>
    where
        A: WindowAssigner<T> + 'static,
    {
        let slicing = slicing_of::<T, A>(&assigner);
        WindowedStream::new(self.key_by(|_| ()), Arc::new(assigner), true, slicing)
    }
}

impl<K: Key, T: Data, W: Window> WindowedStream<K, T, W> {
    fn new(
        keyed: KeyedStream<K, T>,
        assigner: Arc<dyn WindowAssigner<T, Window = W>>,
        non_parallel: bool,
        slicing: Option<Slicing>,
    ) -> Self {
        WindowedStream {
            keyed,
            assigner,
            trigger: None,
            evictor: None,
            allowed_lateness: Duration::ZERO,
            late_tag: None,
            non_parallel,
            slicing,
        }
    }

    /// Records a misuse (reported by `execute`) and never fires.
    fn invalid(self, problem: String) -> Self {
        self.keyed.stream.env.state.borrow_mut().graph.errors.push(problem);
        self.trigger(NeverTrigger)
    }

    /// When windows fire (default: the assigner's, e.g. at the end of event time).
    pub fn trigger(mut self, trigger: impl Trigger<T, W> + 'static) -> Self {
        self.trigger = Some(Arc::new(trigger));
        self
    }

    /// Removes records from a window before or after its function runs.
    pub fn evictor(mut self, evictor: impl Evictor<T, W> + 'static) -> Self {
        self.evictor = Some(Arc::new(evictor));
        self
    }

    /// Keeps a window's state this long past the watermark; a late record re-fires it.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = lateness;
        self
    }

    /// Records later than the allowed lateness go to this side output instead of being dropped.
    pub fn side_output_late_data(mut self, tag: &OutputTag<T>) -> Self {
        self.late_tag = Some(tag.key().to_string());
        self
    }

    /// Reduces each window incrementally; emits the reduced value when it fires.
    pub fn reduce<F>(&self, f: F) -> DataStream<T>
    where
        F: Fn(T, T) -> T + Send + Sync + 'static,
    {
        self.reduce_with_process(f, EmitSome)
    }

    /// Aggregates each window incrementally; emits the aggregate's result when it fires.
    pub fn aggregate<A, ACC, R>(&self, aggregate: A) -> DataStream<R>
    where
        A: AggregateFunction<T, ACC, R> + 'static,
        ACC: Data,
        R: Data,
    {
        self.aggregate_with_process(aggregate, EmitEach)
    }

    /// Gives every record of the window to a process function when it fires. The function's
    /// context also holds per-window and per-key state (see `WindowContext`).
    pub fn process<O, P>(&self, process: P) -> DataStream<O>
    where
        O: Data,
        P: ProcessWindowFunction<K, T, O, W>,
    {
        let evictor = self.evictor.clone();
        self.build("Window(process)", move || Full { evictor: evictor.clone(), process: process.clone() })
    }

    /// Reduces incrementally, then gives the one result to a process function with the window.
    pub fn reduce_with_process<F, O, P>(&self, f: F, process: P) -> DataStream<O>
    where
        F: Fn(T, T) -> T + Send + Sync + 'static,
        O: Data,
        P: ProcessWindowFunction<K, Option<T>, O, W>,
    {
        self.aggregate_with_process(ReduceAggregate(f), process)
    }

    /// Aggregates incrementally, then gives the one result to a process function with the window.
    pub fn aggregate_with_process<A, ACC, R, O, P>(&self, aggregate: A, process: P) -> DataStream<O>
    where
        A: AggregateFunction<T, ACC, R> + 'static,
        ACC: Data,
        R: 'static,
        O: Data,
        P: ProcessWindowFunction<K, R, O, W>,
    {
        let aggregate = Arc::new(aggregate);
        if let Some(slicing) =
            self.slicing.filter(|_| self.trigger.is_none() && self.evictor.is_none() && self.slice_sharing_enabled())
        {
            let key_selector = Arc::clone(&self.keyed.key_selector);
            let lateness = i64::try_from(self.allowed_lateness.as_millis()).unwrap_or(i64::MAX);
            if let Some(upstream) = self.local_aggregation_input() {
                return self.aggregate_locally_then_globally(upstream, slicing, aggregate, process, lateness);
            }
            let late_tag = self.late_tag.clone();
            let factory: OperatorFactory = Arc::new(move || {
                OneInput::boxed(SlicingWindowOperator::new(
                    Arc::clone(&key_selector),
                    slicing,
                    Arc::clone(&aggregate),
                    process.clone(),
                    lateness,
                    late_tag.clone(),
                ))
            });
            return self.add("Window(sliced aggregate)", factory);
        }
        match self.evictor.clone() {
            // An evictor chooses among all records: keep them, aggregate when firing.
            Some(evictor) => self.build("Window(aggregate, evictor)", move || Full {
                evictor: Some(Arc::clone(&evictor)),
                process: AggregateAll { aggregate: Arc::clone(&aggregate), then: process.clone(), _types: PhantomData },
            }),
            None => self.build("Window(aggregate)", move || Incremental {
                aggregate: Arc::clone(&aggregate),
                process: process.clone(),
                _types: PhantomData,
            }),
        }
    }

    /// The stream a local pre-aggregation reads, if the sliced aggregate may take one: the
    /// config allows it, no late-data side output wants records, and the keyed stream comes from
    /// one operator's main output (so the pre-aggregation chains to it).
    fn local_aggregation_input(&self) -> Option<DataStream<T>> {
        if self.late_tag.is_some() || !self.config_flag(&WINDOW_LOCAL_AGGREGATION) {
            return None;
        }
        let keyed = &self.keyed.stream;
        match keyed.inputs.as_slice() {
            [StreamInput { output_tag: None, .. }] => Some(DataStream {
                env: keyed.env.clone(),
                inputs: keyed.inputs.clone(),
                partition: PartitionKind::Default,
                writer: TypedWriterFactory::<T>::plain(),
                _records: PhantomData,
            }),
            _ => None,
        }
    }

    /// The sliced aggregate as local-global aggregation (module `local_aggregate`): records are
    /// folded per key and slice before the exchange, at the parallelism of the operator feeding
    /// them, and the slice-sharing operator merges the partials.
    fn aggregate_locally_then_globally<A, ACC, R, O, P>(
        &self,
        upstream: DataStream<T>,
        slicing: Slicing,
        aggregate: Arc<A>,
        process: P,
        lateness: i64,
    ) -> DataStream<O>
    where
        A: AggregateFunction<T, ACC, R> + 'static,
        ACC: Data,
        R: 'static,
        O: Data,
        P: ProcessWindowFunction<K, R, O, W>,
    {
        let key_selector = Arc::clone(&self.keyed.key_selector);
        let local_aggregate = Arc::clone(&aggregate);
        let local: OperatorFactory = Arc::new(move || {
            OneInput::boxed(LocalWindowAggregateOperator::new(
                Arc::clone(&key_selector),
                slicing,
                Arc::clone(&local_aggregate),
            ))
        });
        let upstream_parallelism = upstream.inputs.first().and_then(|input| {
            self.keyed.stream.env.state.borrow().graph.nodes.get(input.node).and_then(|node| node.parallelism)
        });
        let mut partials: DataStream<LocalPartial<K, ACC>> =
            upstream.add_operator("LocalWindowAggregate", local, upstream.edges(InputSide::First));
        if let Some(parallelism) = upstream_parallelism {
            partials = partials.set_parallelism(parallelism);
        }
        let keyed = partials.key_by(LocalPartial::key);
        let global_key_selector = Arc::clone(&keyed.key_selector);
        let merge = Arc::new(MergePartials::new(aggregate));
        let factory: OperatorFactory = Arc::new(move || {
            OneInput::boxed(SlicingWindowOperator::new(
                Arc::clone(&global_key_selector),
                slicing,
                Arc::clone(&merge),
                process.clone(),
                lateness,
                None,
            ))
        });
        let stream =
            keyed.stream.add_operator("Window(sliced aggregate)", factory, keyed.stream.edges(InputSide::First));
        if self.non_parallel { stream.set_parallelism(1) } else { stream }
    }

    fn build<O, C>(&self, name: &str, core: impl Fn() -> C + Send + Sync + 'static) -> DataStream<O>
    where
        O: Data,
        C: WindowCore<K, T, W, O>,
    {
        let trigger: Arc<dyn Trigger<T, W>> = match &self.trigger {
            Some(trigger) => Arc::clone(trigger),
            None => Arc::from(self.assigner.default_trigger()),
        };
        if let Err(e) = check_trigger(self.assigner.as_ref(), trigger.as_ref()) {
            self.keyed.stream.env.state.borrow_mut().graph.errors.push(format!("{name}: {e}"));
        }
        let spec = WindowSpec {
            key_selector: Arc::clone(&self.keyed.key_selector),
            assigner: Arc::clone(&self.assigner),
            trigger,
            allowed_lateness: i64::try_from(self.allowed_lateness.as_millis()).unwrap_or(i64::MAX),
            late_tag: self.late_tag.clone(),
        };
        let factory: OperatorFactory = Arc::new(move || OneInput::boxed(WindowOperator::new(spec.clone(), core())));
        self.add(name, factory)
    }

    fn add<O: Data>(&self, name: &str, factory: OperatorFactory) -> DataStream<O> {
        let stream = self.keyed.stream.add_operator(name, factory, self.keyed.stream.edges(InputSide::First));
        if self.non_parallel { stream.set_parallelism(1) } else { stream }
    }

    fn slice_sharing_enabled(&self) -> bool {
        self.config_flag(&WINDOW_SLICE_SHARING)
    }

    /// A boolean option of the job's configuration; a bad value is reported by `execute`.
    fn config_flag(&self, option: &ConfigOption<bool>) -> bool {
        let state = self.keyed.stream.env.state.borrow();
        match state.config.get(option) {
            Ok(enabled) => enabled,
            Err(e) => {
                drop(state);
                self.keyed.stream.env.state.borrow_mut().graph.errors.push(e.to_string());
                option.default
            }
        }
    }
}
