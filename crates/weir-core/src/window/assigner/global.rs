//! Global windows: every record of a key in one window that never ends.
//!
//! Its default trigger never fires, so a global window needs a trigger of its own: a count
//! trigger makes count windows (`count_window(n)` is global windows with
//! `PurgingTrigger(CountTrigger(n))`; `count_window(n, slide)` adds a `CountEvictor(n)` to a
//! `CountTrigger(slide)`). It follows no clock: `is_event_time()` is false, as in Flink.

use super::{TimeDomain, WindowAssigner};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::time_window::GlobalWindow;
use crate::window::trigger::{NeverTrigger, Trigger};
use serde::{Deserialize, Serialize};

/// Assigns every record to the [`GlobalWindow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GlobalWindows;

impl<T> WindowAssigner<T> for GlobalWindows {
    type Window = GlobalWindow;

    #[inline]
    fn assign_windows(&self, _element: &T, _timestamp: Timestamp, out: &mut Vec<GlobalWindow>) -> Result<()> {
        out.push(GlobalWindow);
        Ok(())
    }

    /// Processing time, in the sense that records need no timestamp; the window never ends on
    /// either clock.
    fn time_domain(&self) -> TimeDomain {
        TimeDomain::ProcessingTime
    }

    fn default_trigger(&self) -> Box<dyn Trigger<T, GlobalWindow>> {
        Box::new(NeverTrigger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_in_the_one_window() {
        for ts in [i64::MIN, -1, 0, i64::MAX] {
            assert_eq!(GlobalWindows.windows_of(&"x", ts).expect("always"), [GlobalWindow]);
        }
        assert!(!WindowAssigner::<u8>::is_event_time(&GlobalWindows));
        assert_eq!(WindowAssigner::<u8>::assignment_time(&GlobalWindows, None, 42).expect("no timestamp needed"), 42);
    }
}
