//! [`Scratch`]: a directory of one run's own under the system's temporary directory, for the
//! scenario workloads' checkpoints and savepoints, deleted when the run ends.
//!
//! Its I/O: creating the directory, and removing it with everything in it on drop (a failure
//! to remove is a warning on stderr, not an error: the figures were taken already).

use anyhow::Context;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// `<temp dir>/weir-bench-<workload>-<pid>-<nanos>`, deleted on drop.
#[derive(Debug)]
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    /// Creates a new directory for a run of `workload`.
    pub fn create(workload: &str) -> anyhow::Result<Self> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("weir-bench-{workload}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Scratch { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            eprintln!("warning: cannot delete {}: {error}", self.path.display());
        }
    }
}
