//! Evictors: remove records from a window's contents before or after the window function runs
//! (Flink's `Evictor`), for windows that keep all their records (no incremental aggregate).
//!
//! An evictor works on the window's records in arrival order, as stored by the operator. It is
//! **not** a trigger: it never decides when a window fires, only what the firing sees (evicting
//! *before*) or what stays for the next firing (evicting *after*). Pure functions, no state.

use crate::record::Record;
use crate::time::Timestamp;
use std::time::Duration;

/// What an evictor may look at besides the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictorContext {
    pub current_processing_time: Timestamp,
    pub current_watermark: Timestamp,
}

/// Removes records from a window's contents around the window function.
pub trait Evictor<T, W>: Send + Sync {
    /// Called before the window function: what is removed here is not seen by it.
    fn evict_before(&self, elements: &mut Vec<Record<T>>, window: &W, ctx: &EvictorContext);

    /// Called after the window function: what is removed here is gone for later firings.
    fn evict_after(&self, elements: &mut Vec<Record<T>>, window: &W, ctx: &EvictorContext);
}

/// Whether an evictor works before or after the window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPoint {
    BeforeFunction,
    AfterFunction,
}

/// Keeps the last `max_count` records (the most recently arrived), dropping the oldest
/// (Flink's `CountEvictor`). With `CountTrigger(slide)` on global windows it makes sliding count
/// windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountEvictor {
    max_count: usize,
    point: EvictionPoint,
}

impl CountEvictor {
    /// Keeps at most `max_count` records, evicting before the window function.
    pub fn of(max_count: usize) -> Self {
        CountEvictor { max_count, point: EvictionPoint::BeforeFunction }
    }

    /// Keeps at most `max_count` records, evicting at `point`.
    pub fn at(max_count: usize, point: EvictionPoint) -> Self {
        CountEvictor { max_count, point }
    }

    fn evict<T>(&self, elements: &mut Vec<Record<T>>) {
        if elements.len() > self.max_count {
            elements.drain(..elements.len() - self.max_count);
        }
    }
}

impl<T, W> Evictor<T, W> for CountEvictor {
    fn evict_before(&self, elements: &mut Vec<Record<T>>, _: &W, _: &EvictorContext) {
        if self.point == EvictionPoint::BeforeFunction {
            self.evict(elements);
        }
    }

    fn evict_after(&self, elements: &mut Vec<Record<T>>, _: &W, _: &EvictorContext) {
        if self.point == EvictionPoint::AfterFunction {
            self.evict(elements);
        }
    }
}

/// Keeps the records within `window_size` of the newest one: a record at `t` is evicted when
/// `t <= max_t - window_size` (Flink's `TimeEvictor`). Records without a timestamp are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeEvictor {
    window_size: i64,
    point: EvictionPoint,
}

impl TimeEvictor {
    /// Evicts before the window function.
    pub fn of(window_size: Duration) -> Self {
        Self::at(window_size, EvictionPoint::BeforeFunction)
    }

    /// Evicts at `point`. A size past `i64::MAX` ms keeps everything.
    pub fn at(window_size: Duration, point: EvictionPoint) -> Self {
        TimeEvictor { window_size: i64::try_from(window_size.as_millis()).unwrap_or(i64::MAX), point }
    }

    fn evict<T>(&self, elements: &mut Vec<Record<T>>) {
        let Some(newest) = elements.iter().filter_map(|r| r.timestamp).max() else {
            return;
        };
        let cutoff = newest.saturating_sub(self.window_size);
        elements.retain(|r| r.timestamp.is_none_or(|t| t > cutoff));
    }
}

impl<T, W> Evictor<T, W> for TimeEvictor {
    fn evict_before(&self, elements: &mut Vec<Record<T>>, _: &W, _: &EvictorContext) {
        if self.point == EvictionPoint::BeforeFunction {
            self.evict(elements);
        }
    }

    fn evict_after(&self, elements: &mut Vec<Record<T>>, _: &W, _: &EvictorContext) {
        if self.point == EvictionPoint::AfterFunction {
            self.evict(elements);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::GlobalWindow;

    const CTX: EvictorContext = EvictorContext { current_processing_time: 0, current_watermark: 0 };

    fn records(timestamps: &[Option<i64>]) -> Vec<Record<usize>> {
        timestamps.iter().enumerate().map(|(i, ts)| Record { value: i, timestamp: *ts }).collect()
    }

    fn values(records: &[Record<usize>]) -> Vec<usize> {
        records.iter().map(|r| r.value).collect()
    }

    #[test]
    fn count_evictor_keeps_the_newest_records() {
        let mut rs = records(&[Some(1); 5]);
        Evictor::<_, GlobalWindow>::evict_before(&CountEvictor::of(3), &mut rs, &GlobalWindow, &CTX);
        assert_eq!(values(&rs), [2, 3, 4]);
        Evictor::<_, GlobalWindow>::evict_before(&CountEvictor::of(10), &mut rs, &GlobalWindow, &CTX);
        assert_eq!(values(&rs), [2, 3, 4]);
        Evictor::<_, GlobalWindow>::evict_before(&CountEvictor::of(0), &mut rs, &GlobalWindow, &CTX);
        assert!(rs.is_empty());
    }

    #[test]
    fn evictors_act_only_at_their_point() {
        let after = CountEvictor::at(1, EvictionPoint::AfterFunction);
        let mut rs = records(&[None, None]);
        Evictor::<_, GlobalWindow>::evict_before(&after, &mut rs, &GlobalWindow, &CTX);
        assert_eq!(rs.len(), 2);
        Evictor::<_, GlobalWindow>::evict_after(&after, &mut rs, &GlobalWindow, &CTX);
        assert_eq!(values(&rs), [1]);
        let time_after = TimeEvictor::at(Duration::from_millis(1), EvictionPoint::AfterFunction);
        let mut rs = records(&[Some(0), Some(10)]);
        Evictor::<_, GlobalWindow>::evict_before(&time_after, &mut rs, &GlobalWindow, &CTX);
        assert_eq!(rs.len(), 2);
        Evictor::<_, GlobalWindow>::evict_after(&time_after, &mut rs, &GlobalWindow, &CTX);
        assert_eq!(values(&rs), [1]);
    }

    #[test]
    fn time_evictor_keeps_what_is_within_the_size_of_the_newest() {
        // Newest is 10; with size 4 the cutoff is 6: 6 and below go, records without time stay.
        let mut rs = records(&[Some(3), Some(10), None, Some(6), Some(7), Some(-5)]);
        Evictor::<_, GlobalWindow>::evict_before(
            &TimeEvictor::of(Duration::from_millis(4)),
            &mut rs,
            &GlobalWindow,
            &CTX,
        );
        assert_eq!(values(&rs), [1, 2, 4]);
        let mut none = records(&[None, None]);
        Evictor::<_, GlobalWindow>::evict_before(&TimeEvictor::of(Duration::ZERO), &mut none, &GlobalWindow, &CTX);
        assert_eq!(none.len(), 2);
        let mut extreme = records(&[Some(i64::MIN), Some(i64::MAX)]);
        Evictor::<_, GlobalWindow>::evict_before(&TimeEvictor::of(Duration::MAX), &mut extreme, &GlobalWindow, &CTX);
        assert_eq!(values(&extreme), [1], "MAX - MAX = 0 is the cutoff; MIN is below it");
    }
}
