//! Cancellation of a job's subtasks: a flag checked on hot paths and a condition variable that
//! wakes subtasks waiting for time to pass (a rate-limited source), so cancelling never waits
//! for a sleep to end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
pub(crate) struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl CancelToken {
    pub(crate) fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let _guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.wake.notify_all();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Waits for `timeout` or until cancelled, whichever comes first; true if cancelled.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> bool {
        let guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_cancelled() {
            return true;
        }
        let (_guard, _) = self
            .inner
            .wake
            .wait_timeout_while(guard, timeout, |_| !self.inner.cancelled.load(Ordering::SeqCst))
            .unwrap_or_else(|e| e.into_inner());
        self.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_wakes_a_waiter() {
        let token = CancelToken::default();
        let waiter = {
            let token = token.clone();
            std::thread::spawn(move || token.wait_timeout(Duration::from_secs(3600)))
        };
        token.cancel();
        assert!(waiter.join().expect("waiter thread"));
    }
}
