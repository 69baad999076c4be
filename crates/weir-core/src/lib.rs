//! # weir-core: the vocabulary of weir
//!
//! Every other crate speaks in the types defined here: records and their timestamps, watermarks,
//! ids, key groups, configuration, the traits that operators, sources and sinks implement, and the
//! pure logic of windows (assigners, triggers, merging, slicing; the operator is in `weir-runtime`).
//!
//! It is **not**:
//! - a runtime: nothing here spawns threads, opens channels or schedules anything (`weir-runtime`);
//! - a state backend (`weir-state`) or a connector (`weir-connectors`);
//! - a place for I/O: no file, socket or async framework is touched, and a CI script checks that
//!   `tokio`, `tonic`, `axum`, `hyper` and `object_store` never enter its dependency tree.

pub mod clock;
pub mod config;
pub mod data;
pub mod error;
pub mod faults;
pub mod ids;
pub mod key_group;
pub mod operator;
pub mod output;
pub mod prefetch;
pub mod record;
pub mod sink;
pub mod snapshot;
pub mod source;
pub mod time;
pub mod watermark;
pub mod window;

pub use data::{Data, Key};
pub use error::{Error, ErrorKind, Result};
pub use ids::{JobId, OperatorUid, SubtaskIndex};
pub use key_group::{KeyGroup, KeyGroupRange};
pub use output::Output;
pub use record::Record;
pub use time::{Timestamp, Watermark};
