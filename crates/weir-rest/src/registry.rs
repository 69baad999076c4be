//! [`JobRegistry`]: the jobs this process's REST API serves — the [`JobClient`]s of the jobs it
//! submitted, looked up by id — and the answers clients are known to come back for.
//!
//! A client that stops or cancels a job through the API polls for the outcome afterwards (the
//! savepoint's location, the job's final status). The job may end, and `weir run` exit, before
//! that poll arrives; so the routes note what a client will ask for ([`Awaited`]), reading it
//! marks it answered, and [`JobRegistry::wait_until_answered`] lets the process keep the API up
//! a moment longer, bounded, until every such answer was read.
//!
//! It is **not** the job manager: it holds clients, which only ask and watch. No I/O.

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use weir_core::JobId;
use weir_runtime::{JobClient, SavepointTriggerId};

/// The jobs served by a REST API. Cheap to clone; the clones share the jobs.
#[derive(Clone, Default)]
pub struct JobRegistry {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when an awaited answer was read.
    answered: Condvar,
}

#[derive(Default)]
struct State {
    /// In order of registration.
    jobs: Vec<JobClient>,
    awaited: BTreeSet<Awaited>,
}

/// An answer a client is known to come back for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Awaited {
    /// The final outcome of a savepoint request (a stop or a cancel with a savepoint).
    Savepoint(JobId, SavepointTriggerId),
    /// The final status of a job a client asked to cancel.
    JobEnd(JobId),
}

impl JobRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `client`'s job from now on (it stays listed after it ended, as in Flink).
    pub fn register(&self, client: JobClient) {
        let mut state = self.lock();
        if !state.jobs.iter().any(|job| job.job_id() == client.job_id()) {
            state.jobs.push(client);
        }
    }

    /// The job with this id, if served here.
    pub fn get(&self, id: JobId) -> Option<JobClient> {
        self.lock().jobs.iter().find(|job| job.job_id() == id).cloned()
    }

    /// Every job served here, in the order they were registered.
    pub fn jobs(&self) -> Vec<JobClient> {
        self.lock().jobs.clone()
    }

    /// Notes that a client will come back for `answer`.
    pub fn await_answer(&self, answer: Awaited) {
        self.lock().awaited.insert(answer);
    }

    /// A client read `answer` in its final form.
    pub fn answered(&self, answer: &Awaited) {
        if self.lock().awaited.remove(answer) {
            self.shared.answered.notify_all();
        }
    }

    /// Waits until every awaited answer was read, for at most `timeout`; true if none is left.
    /// For a process about to stop serving, once its jobs ended.
    pub fn wait_until_answered(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while !state.awaited.is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            state = self.shared.answered.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one insert or removal: a panic elsewhere cannot leave it half-made.
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for JobRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("JobRegistry").field("jobs", &state.jobs).field("awaited", &state.awaited).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_for_answers_returns_at_once_when_none_is_awaited_and_gives_up_at_the_deadline() {
        let registry = JobRegistry::new();
        assert!(registry.wait_until_answered(Duration::ZERO));
        let answer = Awaited::JobEnd(JobId([1; 16]));
        registry.await_answer(answer.clone());
        assert!(!registry.wait_until_answered(Duration::from_millis(10)));
        let reader = registry.clone();
        let read = std::thread::spawn(move || reader.answered(&answer));
        assert!(registry.wait_until_answered(Duration::from_secs(10)));
        read.join().expect("reader");
    }
}
