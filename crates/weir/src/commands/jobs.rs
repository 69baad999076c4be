//! `weir jobs`: lists the built-in jobs that `weir run` accepts.

use super::print_stdout;
use crate::jobs;

/// Prints the built-in jobs with their descriptions.
pub fn execute() -> anyhow::Result<()> {
    print_stdout(&format!(
        "{}\nRun one with `weir run <JOB>`; `weir run <JOB> --help` shows its arguments.\n",
        jobs::listing()
    ))
}
