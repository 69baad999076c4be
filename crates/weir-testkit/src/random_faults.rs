//! [`RandomFaults`]: a seeded fault injector that fails random subtasks at random fault points,
//! a bounded number of times — the engine of the recovery tests ("fail anywhere, any number of
//! times, and the committed output must equal a failure-free run's").
//!
//! Each fault point has its own probability per visit (a subtask passes `Processing` once per
//! batch but `BeforeMetadata` once per checkpoint). Draws come from one seeded generator, so a
//! failing test is rerun with the seed it printed; which thread draws first still depends on
//! scheduling, so a seed narrows a run down rather than replaying it exactly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use weir_core::faults::{FaultInjector, FaultPoint};

/// Every fault point, for [`RandomFaults::with_probability`] loops.
pub const ALL_FAULT_POINTS: [FaultPoint; 7] = [
    FaultPoint::Processing,
    FaultPoint::Alignment,
    FaultPoint::AsyncUpload,
    FaultPoint::BeforeMetadata,
    FaultPoint::AfterMetadata,
    FaultPoint::BeforeCommit,
    FaultPoint::AfterCommit,
];

/// One injected failure, for the test's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    pub point: FaultPoint,
    pub task: String,
    pub subtask: usize,
}

/// Fails at most `failures` times, at random points.
#[derive(Debug)]
pub struct RandomFaults {
    seed: u64,
    state: AtomicU64,
    remaining: AtomicU32,
    probabilities: Mutex<Vec<(FaultPoint, f64)>>,
    fired: Mutex<Vec<InjectedFault>>,
}

impl RandomFaults {
    /// At most `failures` failures; by default a batch fails with probability 1/200, a batch
    /// during alignment with 1/20, and every other point with 1/4 per visit.
    pub fn new(seed: u64, failures: u32) -> Self {
        let probabilities = ALL_FAULT_POINTS
            .iter()
            .map(|&p| match p {
                FaultPoint::Processing => (p, 0.005),
                // Visited only while a barrier is being aligned: rarer, so likelier per visit.
                FaultPoint::Alignment => (p, 0.05),
                _ => (p, 0.25),
            })
            .collect();
        RandomFaults {
            seed,
            // xorshift needs a non-zero state.
            state: AtomicU64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            remaining: AtomicU32::new(failures),
            probabilities: Mutex::new(probabilities),
            fired: Mutex::new(Vec::new()),
        }
    }

    /// Sets the probability of failing at `point` per visit (0 disables it).
    pub fn with_probability(self, point: FaultPoint, probability: f64) -> Self {
        if let Ok(mut probabilities) = self.probabilities.lock() {
            for entry in probabilities.iter_mut().filter(|(p, _)| *p == point) {
                entry.1 = probability;
            }
        }
        self
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Failures still to inject.
    pub fn remaining(&self) -> u32 {
        self.remaining.load(Ordering::SeqCst)
    }

    /// The failures injected so far, in order.
    pub fn fired(&self) -> Vec<InjectedFault> {
        self.fired.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn probability(&self, point: FaultPoint) -> f64 {
        self.probabilities
            .lock()
            .ok()
            .and_then(|p| p.iter().find(|(q, _)| *q == point).map(|(_, prob)| *prob))
            .unwrap_or(0.0)
    }

    /// The next number in [0, 1) from the shared xorshift64* generator.
    fn draw(&self) -> f64 {
        let mut next = 0;
        let _ = self.state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |mut x| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            next = x;
            Some(x)
        });
        (next.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl FaultInjector for RandomFaults {
    fn should_fail(&self, point: FaultPoint, task: &str, subtask: usize) -> bool {
        if self.remaining.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let probability = self.probability(point);
        if probability <= 0.0 || self.draw() >= probability {
            return false;
        }
        let took = self.remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if took && let Ok(mut fired) = self.fired.lock() {
            fired.push(InjectedFault { point, task: task.to_string(), subtask });
        }
        took
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_at_most_the_budget_and_records_where() {
        let faults = RandomFaults::new(7, 3).with_probability(FaultPoint::Processing, 1.0);
        let failed = (0..10).filter(|_| faults.should_fail(FaultPoint::Processing, "Map", 1)).count();
        assert_eq!(failed, 3);
        assert_eq!(faults.remaining(), 0);
        assert_eq!(faults.fired().len(), 3);
        assert_eq!(faults.fired()[0], InjectedFault { point: FaultPoint::Processing, task: "Map".into(), subtask: 1 });
    }

    #[test]
    fn a_disabled_point_never_fails() {
        let faults = RandomFaults::new(1, 100).with_probability(FaultPoint::AfterCommit, 0.0);
        assert!((0..1000).all(|_| !faults.should_fail(FaultPoint::AfterCommit, "Sink", 0)));
    }

    #[test]
    fn draws_are_uniform_enough_and_seeded() {
        let a = RandomFaults::new(42, 0);
        let b = RandomFaults::new(42, 0);
        let xs: Vec<f64> = (0..1000).map(|_| a.draw()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.draw()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let below_half = xs.iter().filter(|&&x| x < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }
}
