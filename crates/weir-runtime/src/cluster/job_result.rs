//! What a finished or cancelled job reports: its id, how it ended, its duration, per-operator
//! record counts and checkpoint history. (A failed job reports a `JobError` instead.)

use super::job_status::JobStatus;
use std::fmt;
use std::time::Duration;
use weir_core::JobId;

pub use crate::checkpointing::job_side::CheckpointSummary;

/// The result of a job that finished or was cancelled.
#[derive(Debug, Clone)]
pub struct JobExecutionResult {
    pub job_id: JobId,
    pub job_name: String,
    /// How the job ended: [`JobStatus::Finished`] or [`JobStatus::Cancelled`].
    pub status: JobStatus,
    /// Wall-clock time from deployment to the end of the last subtask.
    pub duration: Duration,
    /// Every operator, in the order they were added to the job. Counts include records
    /// processed again after a restart.
    pub operators: Vec<OperatorResult>,
    /// How often the job was restarted after a failure.
    pub restarts: u32,
    /// Every checkpoint that completed or failed, oldest first.
    pub checkpoints: Vec<CheckpointSummary>,
}

/// The record counts of one operator, summed over its subtasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorResult {
    pub name: String,
    pub uid: String,
    pub parallelism: usize,
    pub records_in: u64,
    pub records_out: u64,
    /// Records later than their window's allowed lateness, dropped for want of a side output.
    pub late_records_dropped: u64,
}

impl JobExecutionResult {
    /// Whether the job was cancelled rather than finished.
    pub fn is_cancelled(&self) -> bool {
        self.status == JobStatus::Cancelled
    }

    /// The first operator with this name.
    pub fn operator(&self, name: &str) -> Option<&OperatorResult> {
        self.operators.iter().find(|o| o.name == name)
    }
}

impl fmt::Display for JobExecutionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ended = if self.is_cancelled() { "was cancelled after" } else { "finished in" };
        writeln!(f, "Job '{}' ({}) {ended} {:.3} s", self.job_name, self.job_id, self.duration.as_secs_f64())?;
        let width = self.operators.iter().map(|o| o.name.len()).max().unwrap_or(8).max(8);
        writeln!(f, "  {:<width$}  {:>3}  {:>14}  {:>14}", "operator", "p", "records in", "records out")?;
        for o in &self.operators {
            write!(f, "  {:<width$}  {:>3}  {:>14}  {:>14}", o.name, o.parallelism, o.records_in, o.records_out)?;
            if o.late_records_dropped > 0 {
                write!(f, "  ({} late records dropped)", o.late_records_dropped)?;
            }
            writeln!(f)?;
        }
        if self.restarts > 0 {
            writeln!(f, "  restarted {} time(s) after failures", self.restarts)?;
        }
        let completed: Vec<&CheckpointSummary> = self.checkpoints.iter().filter(|c| c.completed).collect();
        if !self.checkpoints.is_empty() {
            let failed = self.checkpoints.len() - completed.len();
            write!(f, "  checkpoints: {} completed, {failed} failed", completed.len())?;
            if let Some(last) = completed.last() {
                write!(
                    f,
                    "; last: {} in {} ms, {} bytes",
                    last.id,
                    last.duration.map_or(0, |d| d.as_millis()),
                    last.state_size
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
