//! The window operator's [`TriggerContext`]: a trigger's timers go to the operator's timer
//! service, namespaced by window, and its small state to keyed state per (key, window, name).

use weir_core::window::{TriggerContext, TriggerStateDescriptor, Window};
use weir_core::{Error, Key, Result, Timestamp};
use weir_state::{KeyedStateBackend, MapStateDescriptor};

use crate::timers::InternalTimerService;

pub(crate) type TriggerState<W> = MapStateDescriptor<(W, String), i64>;

pub(crate) struct WindowTriggerContext<'a, K, W> {
    pub(crate) state: &'a mut KeyedStateBackend<K>,
    pub(crate) timers: &'a mut InternalTimerService<K, W>,
    pub(crate) descriptor: &'a TriggerState<W>,
    pub(crate) window: W,
    /// During `on_merge`: the windows merged into `window`.
    pub(crate) merged: &'a [W],
    pub(crate) processing_time: Timestamp,
}

impl<K: Key, W: Window> WindowTriggerContext<'_, K, W> {
    fn key(&self) -> Result<K> {
        self.state.current_key().cloned().ok_or_else(|| Error::Internal("a trigger ran without a current key".into()))
    }

    fn slot(&self, state: &TriggerStateDescriptor) -> (W, String) {
        (self.window.clone(), state.name.to_string())
    }
}

impl<K: Key, W: Window> TriggerContext for WindowTriggerContext<'_, K, W> {
    fn current_watermark(&self) -> Timestamp {
        self.timers.watermark.0
    }

    fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    fn register_event_time_timer(&mut self, time: Timestamp) -> Result<()> {
        let key = self.key()?;
        self.timers.event_time.register(time, key, self.window.clone())
    }

    fn register_processing_time_timer(&mut self, time: Timestamp) -> Result<()> {
        let key = self.key()?;
        self.timers.processing_time.register(time, key, self.window.clone())
    }

    fn delete_event_time_timer(&mut self, time: Timestamp) -> Result<()> {
        let key = self.key()?;
        self.timers.event_time.delete(time, &key, &self.window)
    }

    fn delete_processing_time_timer(&mut self, time: Timestamp) -> Result<()> {
        let key = self.key()?;
        self.timers.processing_time.delete(time, &key, &self.window)
    }

    fn get_state(&mut self, state: &TriggerStateDescriptor) -> Result<Option<i64>> {
        Ok(self.state.map_get(self.descriptor, &self.slot(state))?)
    }

    fn set_state(&mut self, state: &TriggerStateDescriptor, value: i64) -> Result<()> {
        let slot = self.slot(state);
        self.state.map(self.descriptor)?.put(slot, value);
        Ok(())
    }

    fn clear_state(&mut self, state: &TriggerStateDescriptor) -> Result<()> {
        let slot = self.slot(state);
        self.state.map(self.descriptor)?.remove(&slot);
        Ok(())
    }

    fn merge_state(&mut self, state: &TriggerStateDescriptor) -> Result<()> {
        let mut merged: Option<i64> = None;
        {
            let map = self.state.map(self.descriptor)?;
            for window in self.merged {
                if let Some(value) = map.get(&(window.clone(), state.name.to_string())) {
                    merged = Some(merged.map_or(*value, |m| (state.reduce)(m, *value)));
                }
            }
        }
        match merged {
            Some(value) => self.set_state(state, value),
            None => Ok(()),
        }
    }
}
