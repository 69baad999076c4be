//! The runtime's side of fault injection: the job's injector, asked at every fault point of
//! [`weir_core::faults`].

use std::fmt;
use std::sync::Arc;
pub use weir_core::faults::{FaultInjector, FaultPoint};

/// The job's injector, if a test installed one.
#[derive(Clone, Default)]
pub(crate) struct Faults(pub(crate) Option<Arc<dyn FaultInjector>>);

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Faults(injector)" } else { "Faults(none)" })
    }
}

impl Faults {
    /// An error if the injector says to fail here.
    #[inline]
    pub(crate) fn check(&self, point: FaultPoint, task: &str, subtask: usize) -> weir_core::Result<()> {
        match &self.0 {
            Some(injector) if injector.should_fail(point, task, subtask) => {
                Err(weir_core::Error::Internal(format!("injected failure {point} in {task} ({})", subtask + 1)))
            }
            _ => Ok(()),
        }
    }
}
