//! The DataStream API: how a job is described.
//!
//! A [`StreamExecutionEnvironment`] creates source streams; [`DataStream`] methods add operators;
//! `key_by` gives a [`KeyedStream`] whose operators have keyed state; `connect` gives
//! [`ConnectedStreams`], or with a [`BroadcastStream`](broadcast_stream::BroadcastStream)
//! (`broadcast_state`) the broadcast state pattern; `sink_to`/`print` end a stream. Nothing
//! runs until [`StreamExecutionEnvironment::execute`], which chains, deploys and runs the job.
//!
//! Builder methods never panic on misuse: a problem (say, naming a union) is recorded and
//! reported by `execute` together with every other problem found.

pub mod broadcast_functions;
pub mod broadcast_stream;
pub mod checkpoint_config;
pub mod connected;
pub mod datastream;
pub mod environment;
pub mod functions;
pub mod keyed_stream;
pub mod output_tag;
pub mod sink;
pub mod watermark_strategy;
pub mod window_function;
pub mod window_state;
pub mod windowed_stream;
