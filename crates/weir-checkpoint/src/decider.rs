//! [`decide`]: whether a checkpoint may be triggered now (Flink's `CheckpointRequestDecider`).
//!
//! A pure function of the facts the coordinator observed — the time, when the last checkpoint
//! completed, how many are in flight, when the next periodic one is due — returning a
//! [`TriggerDecision`] named for its cause. It is **not** a scheduler: it never waits; the
//! coordinator asks again on its next tick.
//!
//! The rules, as in Flink: a savepoint is *forced* — it ignores the interval, the minimum pause and
//! the limit of concurrent checkpoints. A periodic checkpoint waits for its interval, then for
//! `min_pause` after the last completion, then for a free slot below `max_concurrent`.

use std::time::Duration;

/// Why a trigger is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    /// The periodic timer (`execution.checkpointing.interval`).
    Periodic,
    /// A user asked for a savepoint: forced, like Flink's.
    Savepoint,
}

/// The facts a trigger decision depends on. Times are monotonic (`Clock::monotonic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerRequest {
    pub kind: TriggerKind,
    pub now: Duration,
    /// When the next periodic checkpoint is due; `None` when periodic checkpoints are off.
    pub next_periodic_at: Option<Duration>,
    /// When the last checkpoint (or savepoint) completed, if any did.
    pub last_completion: Option<Duration>,
    /// Checkpoints triggered and neither completed nor aborted (savepoints not counted).
    pub in_flight: usize,
    pub min_pause: Duration,
    pub max_concurrent: usize,
}

/// What the coordinator does with a trigger request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerDecision {
    /// Trigger a checkpoint now.
    Trigger,
    /// Periodic checkpoints are off (no interval is configured).
    Disabled,
    /// The interval since the last periodic trigger has not elapsed: ask again at `retry_at`.
    NotDue { retry_at: Duration },
    /// The minimum pause since the last completion has not passed: ask again at `retry_at`.
    TooEarly { retry_at: Duration },
    /// `max` checkpoints are already in flight: ask again when one of them ends.
    TooManyInFlight { in_flight: usize, max: usize },
}

/// Decides whether the requested checkpoint may be triggered now.
pub fn decide(request: &TriggerRequest) -> TriggerDecision {
    if request.kind == TriggerKind::Savepoint {
        return TriggerDecision::Trigger;
    }
    let Some(due) = request.next_periodic_at else {
        return TriggerDecision::Disabled;
    };
    if request.now < due {
        return TriggerDecision::NotDue { retry_at: due };
    }
    if let Some(last) = request.last_completion {
        let earliest = last.saturating_add(request.min_pause);
        if request.now < earliest {
            return TriggerDecision::TooEarly { retry_at: earliest };
        }
    }
    if request.in_flight >= request.max_concurrent {
        return TriggerDecision::TooManyInFlight { in_flight: request.in_flight, max: request.max_concurrent };
    }
    TriggerDecision::Trigger
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn periodic(now: u64) -> TriggerRequest {
        TriggerRequest {
            kind: TriggerKind::Periodic,
            now: ms(now),
            next_periodic_at: Some(ms(1_000)),
            last_completion: None,
            in_flight: 0,
            min_pause: ms(0),
            max_concurrent: 1,
        }
    }

    #[test]
    fn periodic_triggers_once_due() {
        assert_eq!(decide(&periodic(999)), TriggerDecision::NotDue { retry_at: ms(1_000) });
        assert_eq!(decide(&periodic(1_000)), TriggerDecision::Trigger);
    }

    #[test]
    fn disabled_without_an_interval() {
        let request = TriggerRequest { next_periodic_at: None, ..periodic(5_000) };
        assert_eq!(decide(&request), TriggerDecision::Disabled);
    }

    #[test]
    fn min_pause_counts_from_the_last_completion() {
        let request = TriggerRequest { last_completion: Some(ms(900)), min_pause: ms(300), ..periodic(1_100) };
        assert_eq!(decide(&request), TriggerDecision::TooEarly { retry_at: ms(1_200) });
        assert_eq!(decide(&TriggerRequest { now: ms(1_200), ..request }), TriggerDecision::Trigger);
    }

    #[test]
    fn max_concurrent_limits_periodic_checkpoints() {
        let request = TriggerRequest { in_flight: 2, max_concurrent: 2, ..periodic(1_000) };
        assert_eq!(decide(&request), TriggerDecision::TooManyInFlight { in_flight: 2, max: 2 });
        assert_eq!(decide(&TriggerRequest { in_flight: 1, ..request }), TriggerDecision::Trigger);
    }

    #[test]
    fn savepoints_are_forced() {
        let request = TriggerRequest {
            kind: TriggerKind::Savepoint,
            next_periodic_at: None,
            last_completion: Some(ms(999)),
            min_pause: ms(10_000),
            in_flight: 5,
            max_concurrent: 1,
            ..periodic(1_000)
        };
        assert_eq!(decide(&request), TriggerDecision::Trigger);
    }
}
