//! The per-window state a window operator's function declared: where each piece lives in keyed
//! state, and dropping it when its window is cleaned up.
//!
//! The function names per-window state by the descriptors it passes to
//! `ctx.window_state()` (layout: `api::window_state`). The first use of a name in a subtask
//! registers a map state from window to value under the derived name `window-state:<name>`;
//! from then on, every window cleanup (after the function's `clear`) drops the window's entry
//! of every registered name, so per-window state never outlives its window even when `clear`
//! is left empty. Flink leaves that to `clear`; weir does it because forgetting it leaks
//! state for ever, one entry per window.
//!
//! A restored subtask knows a name only once the function uses it again (state is typed by
//! its descriptor). Windows cleaned up before that cannot drop their entries then, so the first
//! use of a name also sweeps every key of the subtask once for entries of windows already
//! cleaned up — those whose cleanup time has passed on a timer pass that completed — and drops
//! them. Functions that never touch per-window state pay nothing: no name, no sweep, nothing
//! per record or per cleanup but a loop over an empty list.

use crate::api::window_state::RESERVED_PREFIX;
use std::any::Any;
use weir_core::time::TimeDomain;
use weir_core::window::Window;
use weir_core::window::late::cleanup_time_in;
use weir_core::{Data, Error, Key, Result, Timestamp};
use weir_state::{KeyedStateBackend, MapStateDescriptor, StateError, StateKind, StateTtlConfig};

/// The per-window states of one window operator instance, by the name the function gave them.
pub(crate) struct WindowStateRegistry<K, W> {
    /// In order of first use; few, so found by a scan of names.
    states: Vec<Box<dyn Registered<K, W>>>,
    domain: TimeDomain,
    /// Milliseconds.
    allowed_lateness: i64,
    /// Every timer of the windows' time domain at or before this time has fired: a window whose
    /// cleanup time is not after it was cleaned up.
    settled: Timestamp,
    /// Merging windows: per-window state is refused.
    merging: bool,
}

/// The derived state of one name, typed.
struct Derived<W, S> {
    name: String,
    kind: StateKind,
    descriptor: MapStateDescriptor<W, S>,
}

/// A derived state with its types erased, for cleanups.
trait Registered<K, W>: Send {
    fn name(&self) -> &str;
    fn kind(&self) -> StateKind;
    fn type_name(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
    /// Drops `window`'s entry of the current key.
    fn clear(&self, backend: &mut KeyedStateBackend<K>, window: &W) -> Result<()>;
}

impl<K: Key, W: Window, S: Data> Registered<K, W> for Derived<W, S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> StateKind {
        self.kind
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<S>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn clear(&self, backend: &mut KeyedStateBackend<K>, window: &W) -> Result<()> {
        backend.map(&self.descriptor)?.remove(window);
        Ok(())
    }
}

/// The prefix of the names per-window states are stored under.
pub(crate) const WINDOW_STATE_PREFIX: &str = "window-state:";

impl<K: Key, W: Window> WindowStateRegistry<K, W> {
    pub(crate) fn new(domain: TimeDomain, allowed_lateness: i64, merging: bool) -> Self {
        debug_assert!(WINDOW_STATE_PREFIX.starts_with(RESERVED_PREFIX));
        WindowStateRegistry { states: Vec::new(), domain, allowed_lateness, settled: Timestamp::MIN, merging }
    }

    /// Every timer of `domain` up to `time` has fired.
    pub(crate) fn settle(&mut self, domain: TimeDomain, time: Timestamp) {
        if domain == self.domain {
            self.settled = self.settled.max(time);
        }
    }

    /// The map state (window → `S`) holding per-window state `name` of `kind`; registered (and
    /// swept, see the module docs) on the name's first use.
    pub(crate) fn descriptor<S: Data>(
        &mut self,
        backend: &mut KeyedStateBackend<K>,
        name: &str,
        kind: StateKind,
        ttl: Option<&StateTtlConfig>,
    ) -> Result<&MapStateDescriptor<W, S>> {
        if self.merging {
            return Err(Error::user(format!(
                "per-window state '{name}': merging (session) windows have no per-window state, their windows \
                 merge away; use global state"
            )));
        }
        let index = match self.states.iter().position(|s| s.name() == name) {
            Some(index) => index,
            None => self.register::<S>(backend, name, kind, ttl)?,
        };
        let registered = &self.states[index];
        let mismatch = || StateError::Mismatch {
            name: name.to_string(),
            registered: format!("per-window {} of {}", registered.kind(), registered.type_name()),
            requested: format!("per-window {kind} of {}", std::any::type_name::<S>()),
        };
        if registered.kind() != kind {
            return Err(mismatch().into());
        }
        match registered.as_any().downcast_ref::<Derived<W, S>>() {
            Some(derived) => Ok(&derived.descriptor),
            None => Err(mismatch().into()),
        }
    }

    fn register<S: Data>(
        &mut self,
        backend: &mut KeyedStateBackend<K>,
        name: &str,
        kind: StateKind,
        ttl: Option<&StateTtlConfig>,
    ) -> Result<usize> {
        if name.is_empty() {
            return Err(StateError::EmptyName.into());
        }
        let mut descriptor = MapStateDescriptor::<W, S>::new(format!("{WINDOW_STATE_PREFIX}{name}"));
        if let Some(ttl) = ttl {
            descriptor = descriptor.with_ttl(*ttl);
        }
        let (domain, lateness, settled) = (self.domain, self.allowed_lateness, self.settled);
        backend.retain_map_entries(&descriptor, |window| !cleaned_up(domain, window, lateness, settled))?;
        self.states.push(Box::new(Derived { name: name.to_string(), kind, descriptor }));
        Ok(self.states.len() - 1)
    }

    /// Drops `window`'s entry of the current key in every per-window state registered.
    pub(crate) fn clear_window(&self, backend: &mut KeyedStateBackend<K>, window: &W) -> Result<()> {
        self.states.iter().try_for_each(|state| state.clear(backend, window))
    }
}

/// Whether `window` was cleaned up once every timer up to `settled` fired.
fn cleaned_up<W: Window>(domain: TimeDomain, window: &W, allowed_lateness: i64, settled: Timestamp) -> bool {
    let cleanup = cleanup_time_in(domain, window, allowed_lateness);
    cleanup != Timestamp::MAX && cleanup <= settled
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_core::KeyGroupRange;
    use weir_core::key_group::assign_key_group;
    use weir_core::window::TimeWindow;

    fn backend() -> KeyedStateBackend<u32> {
        KeyedStateBackend::new(KeyGroupRange { start: 0, end: 128 })
    }

    fn set(backend: &mut KeyedStateBackend<u32>, key: u32) {
        backend.set_current_key(key, assign_key_group(&key, 128).expect("hash")).expect("in range");
    }

    fn window(start: i64) -> TimeWindow {
        TimeWindow::new(start, start + 10)
    }

    #[test]
    fn per_window_state_lives_under_a_derived_name_and_is_dropped_with_its_window() {
        let mut registry = WindowStateRegistry::<u32, TimeWindow>::new(TimeDomain::EventTime, 0, false);
        let mut b = backend();
        set(&mut b, 1);
        let derived = registry.descriptor::<u64>(&mut b, "fires", StateKind::Value, None).expect("registered").clone();
        assert_eq!(derived.name(), "window-state:fires");
        b.map(&derived).expect("map").put(window(0), 1);
        b.map(&derived).expect("map").put(window(10), 2);
        registry.clear_window(&mut b, &window(0)).expect("cleared");
        assert_eq!(b.map(&derived).expect("map").iter().collect::<Vec<_>>(), [(&window(10), &2)]);
    }

    #[test]
    fn one_name_is_one_kind_and_type_of_per_window_state() {
        let mut registry = WindowStateRegistry::<u32, TimeWindow>::new(TimeDomain::EventTime, 0, false);
        let mut b = backend();
        set(&mut b, 1);
        registry.descriptor::<u64>(&mut b, "n", StateKind::Value, None).expect("registered");
        let other_type = registry.descriptor::<String>(&mut b, "n", StateKind::Value, None).expect_err("refused");
        assert!(other_type.to_string().contains("'n'"), "{other_type}");
        registry.descriptor::<u64>(&mut b, "n", StateKind::Reducing, None).expect_err("another kind is refused");
        registry.descriptor::<u64>(&mut b, "", StateKind::Value, None).expect_err("an empty name is refused");
    }

    #[test]
    fn merging_windows_have_no_per_window_state() {
        let mut registry = WindowStateRegistry::<u32, TimeWindow>::new(TimeDomain::EventTime, 0, true);
        let mut b = backend();
        set(&mut b, 1);
        let error = registry.descriptor::<u64>(&mut b, "n", StateKind::Value, None).expect_err("refused");
        assert!(error.to_string().contains("session"), "{error}");
    }

    #[test]
    fn the_first_use_after_a_restore_drops_entries_of_windows_cleaned_up_before() {
        // Entries of windows [0, 10), [10, 20) and [20, 30) of two keys, as a restore brings them.
        let written = MapStateDescriptor::<TimeWindow, u64>::new("window-state:fires");
        let mut old = backend();
        for key in [1, 2] {
            set(&mut old, key);
            for start in [0, 10, 20] {
                old.map(&written).expect("map").put(window(start), 1);
            }
        }
        let mut b = backend();
        b.restore(&[old.snapshot().expect("snapshot")]).expect("restore");
        // Lateness 5: [0, 10) is cleaned up at 14, [10, 20) at 24. Timers up to 20 fired.
        let mut registry = WindowStateRegistry::<u32, TimeWindow>::new(TimeDomain::EventTime, 5, false);
        registry.settle(TimeDomain::ProcessingTime, 1_000);
        registry.settle(TimeDomain::EventTime, 20);
        set(&mut b, 2);
        let derived = registry.descriptor::<u64>(&mut b, "fires", StateKind::Value, None).expect("registered").clone();
        for key in [1, 2] {
            set(&mut b, key);
            let mut left: Vec<TimeWindow> = b.map(&derived).expect("map").iter().map(|(w, _)| *w).collect();
            left.sort();
            assert_eq!(left, [window(10), window(20)], "key {key}");
        }
        // A window of unbounded lifetime is never swept.
        assert!(!cleaned_up(TimeDomain::EventTime, &window(0), i64::MAX, i64::MAX));
    }
}
