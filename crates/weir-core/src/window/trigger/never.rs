//! The trigger that never fires: the default of global windows, which need a trigger of their own
//! (Flink's `GlobalWindows.NeverTrigger`).

use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;

/// Always answers [`TriggerResult::Continue`] and keeps no state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeverTrigger;

impl<T, W> Trigger<T, W> for NeverTrigger {
    fn on_element(&self, _: &T, _: Timestamp, _: &W, _: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Ok(TriggerResult::Continue)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn clear(&self, _: &W, _: &mut dyn TriggerContext) -> Result<()> {
        Ok(())
    }
}
