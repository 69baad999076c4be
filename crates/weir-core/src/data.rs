//! What a record and a key must be.
//!
//! A record type only has to be `Data`: clonable (broadcast and fan-out copy records), sendable
//! between subtasks, shareable read-only between threads (`Sync`: a checkpoint's snapshot thread
//! reads keyed state the subtask keeps using, see weir-state's copy-on-write heap backend), and
//! serializable with serde so that exchange over a network, state and savepoints need no work
//! from the user. Every type that meets the bounds is `Data` automatically.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::hash::Hash;

/// A type that can flow through a weir job.
pub trait Data: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {}

impl<T> Data for T where T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {}

/// A type that can key a stream: `Data` plus equality and hashing for in-memory maps.
///
/// The key group of a key is **not** derived from `Hash` (whose output may change between Rust
/// releases) but from the key's serialized bytes; see [`crate::key_group`].
pub trait Key: Data + Eq + Hash {}

impl<T> Key for T where T: Data + Eq + Hash {}
