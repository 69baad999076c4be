//! # weir-runtime: the DataStream API and the engine that runs it
//!
//! - [`api`]: how a job is described — environment, streams, keyed streams, functions;
//! - [`graph`](crate::graph): stream graph → job graph (operator chaining) → execution graph;
//! - `task`: what runs on a subtask's thread — the operator chain, input gate, record writers,
//!   partitioners;
//! - `operators`: the built-in operators, one per file;
//! - `checkpointing`: barriers, alignment and snapshots on the subtasks, and the driver of the
//!   checkpoint coordinator on the job manager;
//! - [`recovery`]: restart strategies;
//! - `cluster`: the embedded mini-cluster (job manager + task manager in one process), which
//!   restarts failed jobs from their latest checkpoint;
//! - [`faults`]: named fault points for recovery tests.
//!
//! It is **not** where connectors live (`weir-connectors`), nor state backends (`weir-state`),
//! nor the CLI (`weir`). Its I/O is limited to threads, bounded in-memory channels, reading a
//! configuration file, and progress lines on stderr; connectors do their own I/O on subtask
//! threads.

pub mod api;
pub(crate) mod checkpointing;
pub mod cluster;
pub mod config;
pub mod error;
pub mod faults;
pub(crate) mod graph;
pub(crate) mod operators;
pub mod recovery;
pub(crate) mod task;
pub mod timers;

pub use api::broadcast_functions::{
    BroadcastContext, BroadcastProcessFunction, KeyedBroadcastProcessFunction, KeyedReadOnlyContext, ReadOnlyContext,
    UndeclaredBroadcastState,
};
pub use api::broadcast_stream::{BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream};
pub use api::checkpoint_config::CheckpointConfigBuilder;
pub use api::connected::{ConnectWith, ConnectedStreams, KeyedConnectedStreams};
pub use api::datastream::DataStream;
pub use api::environment::StreamExecutionEnvironment;
pub use api::functions::{
    CoProcessFunction, Collector, InitContext, KeyedCoProcessFunction, KeyedContext, KeyedProcessFunction,
    ProcessContext, ProcessFunction,
};
pub use api::keyed_stream::KeyedStream;
pub use api::output_tag::OutputTag;
pub use api::sink::DataStreamSink;
pub use api::watermark_strategy::WatermarkStrategy;
pub use api::window_function::{ProcessWindowFunction, WindowContext};
pub use api::window_state::{
    GlobalState, PerWindowState, WindowAggregatingState, WindowListState, WindowMapState, WindowReducingState,
    WindowValueState,
};
pub use api::windowed_stream::WindowedStream;
pub use checkpointing::restore::RestoreError;
pub use checkpointing::restore_check::{JobOperator, OperatorRestore, RestoreCheck, RestoreTarget, SubtaskRestore};
pub use cluster::{
    AfterSavepoint, CancelOutcome, CheckpointCounts, CheckpointSummary, CheckpointsOverview, JobClient,
    JobExecutionResult, JobStatus, OperatorResult, RestoredSnapshot, SavepointError, SavepointStatus,
    SavepointTriggerId, limit_malloc_arenas,
};
pub use error::{FailureCause, JobError, TaskFailure};
pub use faults::{FaultInjector, FaultPoint};
pub use graph::job_graph::{JobPlan, PlanEdge, PlanVertex};
pub use weir_checkpoint::{CheckpointConfig, CheckpointingMode, RetentionPolicy};

/// Everything a job needs, in one import.
pub mod prelude {
    pub use crate::timers::TimeDomain;
    pub use crate::{
        BroadcastConnectedStream, BroadcastContext, BroadcastProcessFunction, BroadcastStream, CoProcessFunction,
        Collector, ConnectedStreams, DataStream, InitContext, JobClient, JobError, JobExecutionResult, JobStatus,
        KeyedBroadcastConnectedStream, KeyedBroadcastProcessFunction, KeyedCoProcessFunction, KeyedContext,
        KeyedProcessFunction, KeyedReadOnlyContext, KeyedStream, OutputTag, ProcessContext, ProcessFunction,
        ProcessWindowFunction, ReadOnlyContext, StreamExecutionEnvironment, WatermarkStrategy, WindowContext,
        WindowedStream,
    };
    pub use weir_core::operator::OperatorContext;
    pub use weir_core::window::{
        AggregateFunction, CountEvictor, CountTrigger, GlobalWindows, PurgingTrigger, SessionWindows, SlidingWindows,
        TimeWindow, TumblingWindows, Window,
    };
    pub use weir_core::{Error, Record, Result, Timestamp, Watermark};
    pub use weir_state::{
        AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateTtlConfig,
        ValueStateDescriptor,
    };
}
