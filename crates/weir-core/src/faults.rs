//! Fault injection: named points in the engine where a test can make a subtask (or the job
//! manager) fail, to prove that recovery gives exactly-once results wherever a failure strikes.
//!
//! A job runs without an injector unless a test installs one (weir-runtime's
//! `StreamExecutionEnvironment::set_fault_injector`); then every point asks it whether to fail.
//! `weir-testkit` has a seeded random injector. The vocabulary lives here so that test helpers
//! need not depend on the runtime.

use std::fmt;

/// Where a failure can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// A subtask is about to process a batch (or a source to poll its reader).
    Processing,
    /// A subtask processes an element while a barrier is being aligned on its inputs.
    Alignment,
    /// The asynchronous part of a snapshot is about to write its files.
    AsyncUpload,
    /// The job manager is about to write a checkpoint's `_metadata`.
    BeforeMetadata,
    /// The job manager wrote `_metadata` and has not told the subtasks yet.
    AfterMetadata,
    /// A subtask is about to commit (checkpoint complete: sinks make staged output visible).
    BeforeCommit,
    /// A subtask committed.
    AfterCommit,
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultPoint::Processing => "while processing",
            FaultPoint::Alignment => "during alignment",
            FaultPoint::AsyncUpload => "during the asynchronous snapshot upload",
            FaultPoint::BeforeMetadata => "before writing _metadata",
            FaultPoint::AfterMetadata => "after writing _metadata",
            FaultPoint::BeforeCommit => "before the commit",
            FaultPoint::AfterCommit => "after the commit",
        })
    }
}

/// Decides whether to fail at a point. Called from many threads.
pub trait FaultInjector: Send + Sync {
    /// Whether the subtask `subtask` of `task` (or the job manager: task `"JobManager"`) fails
    /// now at `point`.
    fn should_fail(&self, point: FaultPoint, task: &str, subtask: usize) -> bool;
}
