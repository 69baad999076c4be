//! The broadcast state pattern's functions (Flink's `BroadcastProcessFunction` and
//! `KeyedBroadcastProcessFunction`) and their contexts.
//!
//! One input is broadcast: every subtask sees every one of its records, in the same order, and
//! keeps them in **broadcast state** — maps declared on the [`BroadcastStream`] and identical on
//! every subtask. The other input (a plain or a keyed stream) reads that state but may not
//! change it: a record of it reaches one subtask only, so changing the state there would make
//! the copies drift apart. The types say so: `process_broadcast_element` gets a
//! [`BroadcastContext`] with read-write [`BroadcastState`], `process_element` a
//! [`ReadOnlyContext`] (or a [`KeyedReadOnlyContext`], with keyed state and timers too) with
//! [`ReadOnlyBroadcastState`].
//!
//! Broadcast state is checkpointed with the operator and restored exactly once on every subtask,
//! whatever the parallelism (from one copy, as they are equal). Keeping the copies equal is the
//! function's side of the contract: change broadcast state only from broadcast records, and only
//! as a function of them and of the state.
//!
//! [`BroadcastStream`]: super::broadcast_stream::BroadcastStream

use super::functions::{Collector, KeyedContext};
use crate::timers::TimeDomain;
use weir_core::operator::OperatorContext;
use weir_core::{Data, Error, Key, Result, Timestamp};
use weir_state::{BroadcastState, MapStateDescriptor, OperatorStateBackend, ReadOnlyBroadcastState};

/// A function asked for a broadcast state its broadcast stream did not declare.
#[derive(Debug, thiserror::Error)]
#[error(
    "broadcast state '{name}' was not declared on the broadcast stream (declared: {declared}); pass its descriptor to DataStream::broadcast_state or BroadcastStream::with_state"
)]
pub struct UndeclaredBroadcastState {
    pub name: String,
    /// The declared names, comma-separated.
    pub declared: String,
}

/// A subtask's broadcast states, limited to the declared ones.
pub(crate) struct BroadcastStates<'a> {
    pub(crate) backend: &'a mut OperatorStateBackend,
    pub(crate) declared: &'a [String],
}

impl BroadcastStates<'_> {
    fn get<K: Key, V: Data>(&mut self, descriptor: &MapStateDescriptor<K, V>) -> Result<BroadcastState<'_, K, V>> {
        if !self.declared.iter().any(|name| name == descriptor.name()) {
            return Err(Error::user(UndeclaredBroadcastState {
                name: descriptor.name().to_string(),
                declared: self.declared.join(", "),
            }));
        }
        Ok(self.backend.broadcast_state(descriptor)?)
    }
}

/// The context of `process_broadcast_element`: read-write broadcast state, and everything a
/// [`Collector`] offers (through `Deref`).
pub struct BroadcastContext<'a, O> {
    pub(crate) emit: Collector<'a, O>,
    pub(crate) states: BroadcastStates<'a>,
}

impl<O> BroadcastContext<'_, O> {
    /// The broadcast state `descriptor` names (declared on the broadcast stream), to change.
    pub fn broadcast_state<K: Key, V: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Result<BroadcastState<'_, K, V>> {
        self.states.get(descriptor)
    }
}

impl<'a, O> std::ops::Deref for BroadcastContext<'a, O> {
    type Target = Collector<'a, O>;
    fn deref(&self) -> &Self::Target {
        &self.emit
    }
}

impl<O> std::ops::DerefMut for BroadcastContext<'_, O> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.emit
    }
}

/// The context of a [`BroadcastProcessFunction`]'s `process_element`: read-only broadcast
/// state, and everything a [`Collector`] offers (through `Deref`).
pub struct ReadOnlyContext<'a, O> {
    pub(crate) emit: Collector<'a, O>,
    pub(crate) states: BroadcastStates<'a>,
}

impl<O> ReadOnlyContext<'_, O> {
    /// The broadcast state `descriptor` names (declared on the broadcast stream), to read.
    pub fn broadcast_state<K: Key, V: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<K, V>,
    ) -> Result<ReadOnlyBroadcastState<'_, K, V>> {
        Ok(self.states.get(descriptor)?.into_read_only())
    }
}

impl<'a, O> std::ops::Deref for ReadOnlyContext<'a, O> {
    type Target = Collector<'a, O>;
    fn deref(&self) -> &Self::Target {
        &self.emit
    }
}

impl<O> std::ops::DerefMut for ReadOnlyContext<'_, O> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.emit
    }
}

/// The context of a [`KeyedBroadcastProcessFunction`]'s `process_element` and `on_timer`:
/// read-only broadcast state, and everything a [`KeyedContext`] offers (through `Deref`): keyed
/// state and timers of the current key, `collect`.
pub struct KeyedReadOnlyContext<'a, K, O> {
    pub(crate) keyed: KeyedContext<'a, K, O>,
    pub(crate) states: BroadcastStates<'a>,
}

impl<K, O> KeyedReadOnlyContext<'_, K, O> {
    /// The broadcast state `descriptor` names (declared on the broadcast stream), to read.
    pub fn broadcast_state<BK: Key, BV: Data>(
        &mut self,
        descriptor: &MapStateDescriptor<BK, BV>,
    ) -> Result<ReadOnlyBroadcastState<'_, BK, BV>> {
        Ok(self.states.get(descriptor)?.into_read_only())
    }
}

impl<'a, K, O> std::ops::Deref for KeyedReadOnlyContext<'a, K, O> {
    type Target = KeyedContext<'a, K, O>;
    fn deref(&self) -> &Self::Target {
        &self.keyed
    }
}

impl<K, O> std::ops::DerefMut for KeyedReadOnlyContext<'_, K, O> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.keyed
    }
}

/// A function over a stream (`I`) connected with a broadcast stream (`B`): Flink's
/// `BroadcastProcessFunction`. See the module docs for the contract.
///
/// ```no_run
/// use weir_runtime::prelude::*;
///
/// /// Drops the words a broadcast blocklist names.
/// #[derive(Clone)]
/// struct Blocklist {
///     blocked: MapStateDescriptor<String, ()>,
/// }
///
/// impl BroadcastProcessFunction<String, String, String> for Blocklist {
///     fn process_element(&mut self, word: String, ctx: &mut ReadOnlyContext<'_, String>) -> Result<()> {
///         if !ctx.broadcast_state(&self.blocked)?.contains(&word) {
///             ctx.collect(word);
///         }
///         Ok(())
///     }
///
///     fn process_broadcast_element(&mut self, word: String, ctx: &mut BroadcastContext<'_, String>) -> Result<()> {
///         ctx.broadcast_state(&self.blocked)?.put(word, ());
///         Ok(())
///     }
/// }
///
/// let env = StreamExecutionEnvironment::new();
/// let blocked = MapStateDescriptor::<String, ()>::new("blocked");
/// let blocklist = env.from_collection(vec!["spam".to_string()]).broadcast_state(&blocked);
/// env.from_collection(vec!["ham".to_string(), "spam".to_string()])
///     .connect(&blocklist)
///     .process(Blocklist { blocked })
///     .uid("blocklist")
///     .print();
/// env.execute("blocklist")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BroadcastProcessFunction<I, B, O>: Send + Sync + Clone + 'static {
    /// Called once per subtask before the first record.
    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    /// A record of the non-broadcast input; broadcast state is read only.
    fn process_element(&mut self, value: I, ctx: &mut ReadOnlyContext<'_, O>) -> Result<()>;

    /// A record of the broadcast input (every subtask gets it); broadcast state may change.
    fn process_broadcast_element(&mut self, value: B, ctx: &mut BroadcastContext<'_, O>) -> Result<()>;
}

/// A function over a keyed stream (`I`, key `K`) connected with a broadcast stream (`B`):
/// Flink's `KeyedBroadcastProcessFunction`. The keyed input has keyed state and timers as in a
/// [`KeyedProcessFunction`](super::functions::KeyedProcessFunction) and reads broadcast state;
/// the broadcast input changes broadcast state (and has no current key).
///
/// ```no_run
/// use weir_runtime::prelude::*;
///
/// /// Alerts when a user's amount crosses the threshold broadcast for their country.
/// #[derive(Clone)]
/// struct Thresholds {
///     limits: MapStateDescriptor<String, u64>,
///     total: ValueStateDescriptor<u64>,
/// }
///
/// impl KeyedBroadcastProcessFunction<String, (String, String, u64), (String, u64), String> for Thresholds {
///     fn process_element(
///         &mut self,
///         (user, country, amount): (String, String, u64),
///         ctx: &mut KeyedReadOnlyContext<'_, String, String>,
///     ) -> Result<()> {
///         let limit = ctx.broadcast_state(&self.limits)?.get(&country).copied();
///         let mut total = ctx.value(&self.total)?;
///         let sum = total.value().unwrap_or(0) + amount;
///         total.update(sum);
///         if limit.is_some_and(|limit| sum > limit) {
///             ctx.collect(format!("{user} spent {sum} in {country}"));
///         }
///         Ok(())
///     }
///
///     fn process_broadcast_element(
///         &mut self,
///         (country, limit): (String, u64),
///         ctx: &mut BroadcastContext<'_, String>,
///     ) -> Result<()> {
///         ctx.broadcast_state(&self.limits)?.put(country, limit);
///         Ok(())
///     }
/// }
///
/// let env = StreamExecutionEnvironment::new();
/// let limits = MapStateDescriptor::<String, u64>::new("limits");
/// let rules = env.from_collection(vec![("fr".to_string(), 100u64)]).broadcast_state(&limits);
/// let payments = env.from_collection(vec![("ann".to_string(), "fr".to_string(), 120u64)]);
/// payments
///     .key_by(|(user, _, _): &(String, String, u64)| user.clone())
///     .connect(&rules)
///     .process(Thresholds { limits, total: ValueStateDescriptor::new("total") })
///     .uid("thresholds")
///     .print();
/// env.execute("alerts")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait KeyedBroadcastProcessFunction<K, I, B, O>: Send + Sync + Clone + 'static {
    /// Called once per subtask before the first record.
    fn open(&mut self, _ctx: &OperatorContext) -> Result<()> {
        Ok(())
    }

    /// A record of the keyed input, with the state of its key; broadcast state is read only.
    fn process_element(&mut self, value: I, ctx: &mut KeyedReadOnlyContext<'_, K, O>) -> Result<()>;

    /// A record of the broadcast input (every subtask gets it); broadcast state may change.
    fn process_broadcast_element(&mut self, value: B, ctx: &mut BroadcastContext<'_, O>) -> Result<()>;

    /// A timer of the current key fired; broadcast state is read only. For event-time timers,
    /// emitted records carry the timer's timestamp.
    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        _ctx: &mut KeyedReadOnlyContext<'_, K, O>,
    ) -> Result<()> {
        Ok(())
    }
}
