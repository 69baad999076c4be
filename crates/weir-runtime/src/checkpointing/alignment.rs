//! Barrier alignment of one subtask's inputs, as pure logic (the input gate feeds it and does
//! what it says).
//!
//! - **Exactly-once** (aligned): when barrier *n* arrives on a channel, that channel is blocked —
//!   its later records belong after the snapshot — until barrier *n* arrived on every channel
//!   that has not ended. Then the subtask snapshots and every channel is released.
//! - **At-least-once** (unaligned counting): nothing is blocked; the subtask snapshots when the
//!   last barrier arrives. Records after an early barrier are then in the snapshot *and* replayed
//!   after a restore, hence "at least once".
//!
//! A barrier newer than the one being aligned aborts the older alignment (that checkpoint is
//! declined by this subtask and the coordinator aborts it); a barrier older than the newest seen
//! is stale and ignored. A channel that ends will never send the barrier, so it stops counting.

use std::time::{Duration, Instant};
use weir_core::snapshot::CheckpointInfo;

/// Whether alignment blocks channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlignmentMode {
    ExactlyOnce,
    AtLeastOnce,
}

/// What the subtask must do after a barrier or an end of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AlignmentEvent {
    /// Barrier `info` arrived on every open channel: snapshot now, then release the channels.
    Completed { info: CheckpointInfo, alignment: Duration },
    /// A newer barrier overtook checkpoint `id` before it was aligned: decline it.
    Aborted { id: u64 },
}

struct InProgress {
    info: CheckpointInfo,
    started: Instant,
}

/// The alignment state of one subtask's channels.
pub(crate) struct BarrierAligner {
    mode: AlignmentMode,
    received: Vec<bool>,
    ended: Vec<bool>,
    current: Option<InProgress>,
    /// The newest checkpoint id seen (completed, aborted or in progress).
    newest: Option<u64>,
}

impl BarrierAligner {
    pub(crate) fn new(mode: AlignmentMode, channels: usize) -> Self {
        BarrierAligner {
            mode,
            received: vec![false; channels],
            ended: vec![false; channels],
            current: None,
            newest: None,
        }
    }

    /// Whether `channel` must not be read now (its barrier came, others' did not yet).
    #[inline]
    pub(crate) fn is_blocked(&self, channel: usize) -> bool {
        self.mode == AlignmentMode::ExactlyOnce && self.current.is_some() && self.received[channel]
    }

    /// The checkpoint being aligned, if any.
    pub(crate) fn aligning(&self) -> Option<u64> {
        self.current.as_ref().map(|c| c.info.id)
    }

    /// Barrier `info` arrived on `channel`.
    pub(crate) fn on_barrier(&mut self, channel: usize, info: CheckpointInfo, now: Instant) -> Vec<AlignmentEvent> {
        let mut events = Vec::new();
        if self.newest.is_some_and(|newest| info.id < newest) {
            return events; // stale: its checkpoint was already completed or aborted here
        }
        match &self.current {
            Some(current) if current.info.id == info.id => {}
            Some(current) => {
                events.push(AlignmentEvent::Aborted { id: current.info.id });
                self.start(info, now);
            }
            None if self.newest == Some(info.id) => return events, // already done here
            None => self.start(info, now),
        }
        self.received[channel] = true;
        events.extend(self.complete_if_aligned(now));
        events
    }

    /// `channel` ended: it will send no more barriers.
    pub(crate) fn on_end_of_input(&mut self, channel: usize, now: Instant) -> Option<AlignmentEvent> {
        self.ended[channel] = true;
        self.complete_if_aligned(now)
    }

    fn start(&mut self, info: CheckpointInfo, now: Instant) {
        self.received.iter_mut().for_each(|r| *r = false);
        self.current = Some(InProgress { info, started: now });
        self.newest = Some(info.id);
    }

    fn complete_if_aligned(&mut self, now: Instant) -> Option<AlignmentEvent> {
        let current = self.current.as_ref()?;
        let aligned = self.received.iter().zip(&self.ended).all(|(&received, &ended)| received || ended);
        if !aligned {
            return None;
        }
        let event = AlignmentEvent::Completed { info: current.info, alignment: now.duration_since(current.started) };
        self.current = None;
        self.received.iter_mut().for_each(|r| *r = false);
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn barrier(id: u64) -> CheckpointInfo {
        CheckpointInfo { id, timestamp: 0, is_savepoint: false }
    }

    fn completed(events: &[AlignmentEvent]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                AlignmentEvent::Completed { info, .. } => Some(info.id),
                AlignmentEvent::Aborted { .. } => None,
            })
            .collect()
    }

    #[test]
    fn exactly_once_blocks_a_channel_until_every_channel_delivered_the_barrier() {
        let now = Instant::now();
        let mut a = BarrierAligner::new(AlignmentMode::ExactlyOnce, 3);
        assert!(a.on_barrier(1, barrier(1), now).is_empty());
        assert!(a.is_blocked(1) && !a.is_blocked(0) && !a.is_blocked(2));
        assert!(a.on_barrier(0, barrier(1), now).is_empty());
        let events = a.on_barrier(2, barrier(1), now + Duration::from_millis(5));
        assert_eq!(events, vec![AlignmentEvent::Completed { info: barrier(1), alignment: Duration::from_millis(5) }]);
        assert!((0..3).all(|c| !a.is_blocked(c)), "released after the snapshot");
    }

    #[test]
    fn at_least_once_never_blocks_but_still_waits_for_the_last_barrier() {
        let now = Instant::now();
        let mut a = BarrierAligner::new(AlignmentMode::AtLeastOnce, 2);
        assert!(a.on_barrier(0, barrier(4), now).is_empty());
        assert!(!a.is_blocked(0));
        assert_eq!(completed(&a.on_barrier(1, barrier(4), now)), vec![4]);
    }

    #[test]
    fn a_single_channel_completes_at_once() {
        let mut a = BarrierAligner::new(AlignmentMode::ExactlyOnce, 1);
        assert_eq!(completed(&a.on_barrier(0, barrier(1), Instant::now())), vec![1]);
        assert!(!a.is_blocked(0));
    }

    #[test]
    fn a_newer_barrier_aborts_the_older_alignment() {
        let now = Instant::now();
        let mut a = BarrierAligner::new(AlignmentMode::ExactlyOnce, 2);
        a.on_barrier(0, barrier(1), now);
        let events = a.on_barrier(1, barrier(2), now);
        assert_eq!(events, vec![AlignmentEvent::Aborted { id: 1 }]);
        assert!(a.is_blocked(1) && !a.is_blocked(0), "only the channel of the newer barrier waits");
        assert!(a.on_barrier(0, barrier(1), now).is_empty(), "the late barrier 1 is stale");
        assert_eq!(completed(&a.on_barrier(0, barrier(2), now)), vec![2]);
    }

    #[test]
    fn an_ended_channel_stops_counting() {
        let now = Instant::now();
        let mut a = BarrierAligner::new(AlignmentMode::ExactlyOnce, 2);
        a.on_barrier(0, barrier(3), now);
        let event = a.on_end_of_input(1, now);
        assert!(matches!(event, Some(AlignmentEvent::Completed { info, .. }) if info.id == 3));
        assert_eq!(completed(&a.on_barrier(0, barrier(4), now)), vec![4], "the ended channel is not waited for");
    }

    #[test]
    fn a_barrier_seen_twice_completes_once() {
        let now = Instant::now();
        let mut a = BarrierAligner::new(AlignmentMode::AtLeastOnce, 1);
        assert_eq!(completed(&a.on_barrier(0, barrier(1), now)), vec![1]);
        assert!(a.on_barrier(0, barrier(1), now).is_empty());
    }
}
