//! Partitioners: which downstream subtask(s) a record goes to.
//!
//! The pure decisions live here and are unit-tested; [`super::record_writer`] applies them.
//!
//! | kind | connectivity | choice |
//! |---|---|---|
//! | forward | producer `i` → consumer `i` (equal parallelism) | the one channel |
//! | hash | all-to-all | the subtask owning the record's key group |
//! | rebalance | all-to-all | round-robin |
//! | rescale | pointwise: each producer to a contiguous subset | round-robin over its subset |
//! | broadcast | all-to-all | every channel |

use std::fmt;
use std::ops::Range;

/// How records of an edge are distributed to the consumer's subtasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionKind {
    /// Forward when the parallelisms are equal, rebalance otherwise (the API's default).
    Default,
    Forward,
    Hash,
    Rebalance,
    Rescale,
    Broadcast,
}

impl PartitionKind {
    /// The kind used once the parallelisms of both ends are known.
    pub fn resolve(self, producer_parallelism: usize, consumer_parallelism: usize) -> PartitionKind {
        match self {
            PartitionKind::Default if producer_parallelism == consumer_parallelism => PartitionKind::Forward,
            PartitionKind::Default => PartitionKind::Rebalance,
            other => other,
        }
    }
}

impl fmt::Display for PartitionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartitionKind::Default => "DEFAULT",
            PartitionKind::Forward => "FORWARD",
            PartitionKind::Hash => "HASH",
            PartitionKind::Rebalance => "REBALANCE",
            PartitionKind::Rescale => "RESCALE",
            PartitionKind::Broadcast => "BROADCAST",
        })
    }
}

/// The consumer subtasks producer `producer` of `producers` sends to on an edge of `kind`
/// (a resolved kind). For all but rescale and forward, every consumer.
pub fn connected_consumers(kind: PartitionKind, producer: usize, producers: usize, consumers: usize) -> Range<usize> {
    match kind {
        PartitionKind::Forward => producer..producer + 1,
        PartitionKind::Rescale => rescale_targets(producer, producers, consumers),
        _ => 0..consumers,
    }
}

/// Pointwise connection as Flink's rescale does it: with more producers than consumers, each
/// consumer reads from a contiguous group of producers; with fewer, each producer writes to a
/// contiguous group of consumers.
fn rescale_targets(producer: usize, producers: usize, consumers: usize) -> Range<usize> {
    if producers >= consumers {
        let consumer = producer * consumers / producers;
        consumer..consumer + 1
    } else {
        let start = (producer * consumers).div_ceil(producers);
        let end = ((producer + 1) * consumers).div_ceil(producers);
        start..end
    }
}

/// Round-robin over `n` channels.
#[derive(Debug, Clone)]
pub(crate) struct RoundRobin {
    next: usize,
    n: usize,
}

impl RoundRobin {
    /// Starts at a channel that depends on the producer, so producers do not all begin with
    /// consumer 0 (as Flink starts at a random channel; this is deterministic).
    pub(crate) fn new(n: usize, producer: usize) -> Self {
        RoundRobin { next: producer % n.max(1), n: n.max(1) }
    }

    #[inline]
    pub(crate) fn next_channel(&mut self) -> usize {
        let c = self.next;
        self.next += 1;
        if self.next == self.n {
            self.next = 0;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_forward_only_for_equal_parallelism() {
        assert_eq!(PartitionKind::Default.resolve(2, 2), PartitionKind::Forward);
        assert_eq!(PartitionKind::Default.resolve(2, 3), PartitionKind::Rebalance);
        assert_eq!(PartitionKind::Hash.resolve(2, 2), PartitionKind::Hash);
    }

    #[test]
    fn rescale_connects_every_consumer_to_exactly_the_right_producers() {
        for producers in 1..=8 {
            for consumers in 1..=8 {
                let mut inputs_of = vec![0usize; consumers];
                for p in 0..producers {
                    let targets = connected_consumers(PartitionKind::Rescale, p, producers, consumers);
                    assert!(!targets.is_empty(), "{producers}->{consumers}: producer {p} sends nowhere");
                    for c in targets {
                        inputs_of[c] += 1;
                    }
                }
                assert!(
                    inputs_of.iter().all(|&n| n > 0),
                    "{producers}->{consumers}: a consumer has no input: {inputs_of:?}"
                );
                if producers <= consumers {
                    assert!(inputs_of.iter().all(|&n| n == 1), "{producers}->{consumers}: {inputs_of:?}");
                }
            }
        }
    }

    #[test]
    fn forward_and_all_to_all() {
        assert_eq!(connected_consumers(PartitionKind::Forward, 2, 4, 4), 2..3);
        assert_eq!(connected_consumers(PartitionKind::Hash, 1, 2, 3), 0..3);
        assert_eq!(connected_consumers(PartitionKind::Broadcast, 0, 1, 3), 0..3);
    }

    #[test]
    fn round_robin_cycles_from_a_producer_dependent_start() {
        let mut rr = RoundRobin::new(3, 1);
        let seq: Vec<_> = (0..6).map(|_| rr.next_channel()).collect();
        assert_eq!(seq, [1, 2, 0, 1, 2, 0]);
    }
}
